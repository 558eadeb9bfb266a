//! The PostgreSQL client programs backups and restores run: `pg_dump`, `pg_restore`
//! and `psql`, from the system's installation, of the same major version as the
//! server (`pg_dump` refuses a newer server, and an older `pg_restore` cannot read a
//! newer archive).
//!
//! Why the real tools rather than a COPY-based dump in Rust: `pg_dump` writes the
//! schema's whole definition (tables, sequences and their positions, indexes,
//! constraints, triggers, functions) in dependency order, from one snapshot, in a
//! format every PostgreSQL operator can read and restore by hand with `pg_restore`,
//! without Civitas. A home-made dump would have to re-derive all of that.
//!
//! A connection is given as `--dbname` without its password, which goes in
//! `PGPASSWORD` instead: a process's arguments are visible to every local user, its
//! environment only to its owner.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use diesel::{PgConnection, RunQueryDsl};
use tenant_core::db::embedded::find_server_binaries;
use tenant_core::{CoreError, CoreResult, DatabaseUrl};

/// Where the client programs of one PostgreSQL major version are.
#[derive(Clone, Debug)]
pub struct PgTools {
    bin: PathBuf,
    pub major: u32,
}

impl PgTools {
    /// The tools matching the server `conn` talks to: `/usr/lib/postgresql/<major>/bin`
    /// (Debian's layout, as `deploy/dev/setup.sh` installs it), else a `pg_dump` on
    /// `PATH` that reports the same major version.
    pub fn for_server(conn: &mut PgConnection) -> CoreResult<Self> {
        #[derive(diesel::QueryableByName)]
        struct Version {
            #[diesel(sql_type = diesel::sql_types::Text)]
            v: String,
        }
        let num: Version = diesel::sql_query("SELECT current_setting('server_version_num') AS v").get_result(conn)?;
        let major =
            num.v.trim().parse::<u32>().map_err(|_| CoreError::Invalid(format!("server version {}", num.v)))? / 10_000;
        Self::find(major, Path::new("/usr/lib/postgresql"), std::env::var_os("PATH"))
    }

    fn find(major: u32, debian_root: &Path, path: Option<std::ffi::OsString>) -> CoreResult<Self> {
        let debian = debian_root.join(major.to_string()).join("bin");
        if debian.join("pg_dump").exists() {
            return Ok(Self { bin: debian, major });
        }
        for dir in path.iter().flat_map(std::env::split_paths) {
            let candidate = dir.join("pg_dump");
            if !candidate.exists() {
                continue;
            }
            let out = Command::new(&candidate).arg("--version").output();
            // "pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)"
            let found = out.ok().and_then(|o| {
                let text = String::from_utf8_lossy(&o.stdout).into_owned();
                let version = text.split_whitespace().nth(2)?.to_owned();
                version.split('.').next()?.parse::<u32>().ok()
            });
            if found == Some(major) {
                return Ok(Self { bin: dir, major });
            }
        }
        Err(CoreError::Unavailable(format!(
            "pg_dump for PostgreSQL {major} (the server's version) was not found: install it \
             (`apt-get install postgresql-client-{major}`, which puts it under /usr/lib/postgresql/{major}/bin)"
        )))
    }

    fn command(&self, name: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(name));
        // Passwords travel in the URL; nothing from the caller's environment may
        // point the tools at another server or change their output.
        for var in ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGOPTIONS", "PGTZ", "PGDATESTYLE"] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// A custom-format dump (`pg_dump -Fc`) of one schema, its definition and data,
    /// read in `snapshot` (exported by a transaction the caller holds open), so it
    /// shows exactly what the caller's own queries in that transaction see.
    pub fn dump_schema(&self, url: &DatabaseUrl, schema: &str, snapshot: &str) -> CoreResult<Vec<u8>> {
        let mut cmd = self.command("pg_dump");
        connect(&mut cmd, url);
        cmd.args(["--format=custom", "--no-owner", "--no-privileges", "--lock-wait-timeout=60000"])
            .arg(format!("--schema={schema}"))
            .arg(format!("--snapshot={snapshot}"));
        run(cmd, None, "pg_dump")
    }

    /// The SQL script a custom-format archive stands for (`pg_restore -f -`): no
    /// database is touched.
    pub fn archive_to_sql(&self, archive: &[u8]) -> CoreResult<Vec<u8>> {
        let mut cmd = self.command("pg_restore");
        cmd.args(["--no-owner", "--no-privileges", "--file=-"]);
        run(cmd, Some(archive), "pg_restore")
    }

    /// Runs `script` with `psql` in one transaction that stops at the first error:
    /// all of it happens, or none of it.
    pub fn run_in_one_transaction(&self, url: &DatabaseUrl, script: &[u8]) -> CoreResult<()> {
        let mut cmd = self.command("psql");
        connect(&mut cmd, url);
        cmd.args(["--single-transaction", "--quiet", "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--file=-"]);
        run(cmd, Some(script), "psql").map(|_| ())
    }
}

/// The path of a PostgreSQL program.
pub fn tool(name: &str) -> CoreResult<PathBuf> {
    Ok(find_server_binaries()?.join(name))
}

/// `name --dbname=<url>` ready for more arguments, the password kept out of them.
pub fn command(name: &str, url: &DatabaseUrl) -> CoreResult<Command> {
    let mut cmd = Command::new(tool(name)?);
    connect(&mut cmd, url);
    Ok(cmd)
}

/// Adds `--dbname=<url without password>` and the password in `PGPASSWORD`.
fn connect(cmd: &mut Command, url: &DatabaseUrl) {
    let (url, password) = split_password(url.expose());
    cmd.arg(format!("--dbname={url}"));
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
}

/// `postgresql://user:secret@host/db` → (`postgresql://user@host/db`, `secret`),
/// percent-decoded as libpq would.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else { return (url.to_owned(), None) };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else { return (url.to_owned(), None) };
    let Some((user, password)) = userinfo.split_once(':') else { return (url.to_owned(), None) };
    (format!("{scheme}://{user}@{host}{tail}"), Some(percent_decode(password)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs a tool, feeding `input` on its standard input from another thread (so a
/// tool that writes while it reads cannot dead-lock against us), and returns its
/// standard output; a failure carries its standard error.
fn run(mut cmd: Command, input: Option<&[u8]>, what: &str) -> CoreResult<Vec<u8>> {
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| CoreError::io(format!("running {what}"), e))?;
    let output = std::thread::scope(|scope| {
        if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
            // A tool that fails early closes its end: its exit status says why.
            scope.spawn(move || {
                let _ = stdin.write_all(bytes);
            });
        }
        child.wait_with_output()
    })
    .map_err(|e| CoreError::io(format!("running {what}"), e))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(CoreError::Unavailable(format!("{what} failed: {}", String::from_utf8_lossy(&output.stderr).trim())))
    }
}

/// `"t_x"."table"`, for names read from the database or a manifest: only plain
/// lowercase identifiers pass, so the result is safe inside SQL text.
pub fn qualified(schema: &str, table: &str) -> CoreResult<String> {
    let plain = |name: &str| {
        name.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    if !plain(schema) || !plain(table) {
        return Err(CoreError::Invalid(format!("unexpected table name {schema:?}.{table:?}")));
    }
    Ok(format!("\"{schema}\".\"{table}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_major_version_is_named_with_how_to_install_it() {
        let empty = std::env::temp_dir().join(format!("no-pg-{}", uuid::Uuid::new_v4()));
        let err = PgTools::find(99, &empty, Some(empty.clone().into_os_string())).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("postgresql-client-99"));
    }

    #[test]
    fn table_names_outside_the_safe_set_are_refused() {
        assert_eq!(qualified("t_a", "users").unwrap(), "\"t_a\".\"users\"");
        assert_eq!(
            qualified("catalog", "__diesel_schema_migrations").unwrap(),
            "\"catalog\".\"__diesel_schema_migrations\""
        );
        assert!(qualified("t_a", "x\"; DROP").is_err());
        assert!(qualified("T", "users").is_err());
    }

    #[test]
    fn passwords_leave_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgresql://civitas:s%40cret@db.example:5432/civitas?sslmode=require"),
            ("postgresql://civitas@db.example:5432/civitas?sslmode=require".to_owned(), Some("s@cret".to_owned()))
        );
        assert_eq!(
            split_password("postgresql:///civitas?host=/run&user=postgres"),
            ("postgresql:///civitas?host=/run&user=postgres".to_owned(), None)
        );
        assert_eq!(split_password("postgres://civitas@h/db"), ("postgres://civitas@h/db".to_owned(), None));
    }
}
