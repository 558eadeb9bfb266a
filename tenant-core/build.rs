//! `embed_migrations!` reads the migration folders at compile time, but cargo only
//! notices changes to files it already embedded: a new migration folder would be left
//! out of an incremental build. Watching the folders rebuilds the crate for it.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
