//! The embedded default: a private PostgreSQL cluster under the data folder.
//!
//! Created with the system's `initdb`, started with `pg_ctl` on a unix socket inside
//! the folder (no TCP port), reused when another process already runs it, and stopped
//! when the last `civitas` process that uses it exits. Run as root (as CI does), the
//! server binaries run as the `postgres` user, which must own the cluster folder.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{CoreError, CoreResult};

/// The database the embedded cluster serves Civitas from.
pub const DATABASE: &str = "civitas";

/// A running cluster this process uses.
pub struct EmbeddedPostgres {
    root: PathBuf,
    bin: PathBuf,
    run_as: Option<String>,
    lease: PathBuf,
    stopped: bool,
}

impl EmbeddedPostgres {
    /// Finds the server binaries, creates the cluster if needed and starts it unless
    /// it already runs. `root` is the folder for `data/`, `run/` (socket) and `log/`.
    pub fn start(root: &Path) -> CoreResult<Self> {
        let bin = find_server_binaries()?;
        fs::create_dir_all(root).map_err(|e| CoreError::io(format!("creating {}", root.display()), e))?;
        let root = root.canonicalize().map_err(|e| CoreError::io(format!("resolving {}", root.display()), e))?;
        let run_as = if nix::unistd::geteuid().is_root() { Some("postgres".to_owned()) } else { None };
        let data = root.join("data");
        let run = root.join("run");
        let log = root.join("log");
        for dir in [&run, &log, &root.join("leases")] {
            fs::create_dir_all(dir).map_err(|e| CoreError::io(format!("creating {}", dir.display()), e))?;
        }
        if let Some(user) = &run_as {
            prepare_for_user(&root, user)?;
        }
        let this =
            Self { lease: root.join("leases").join(std::process::id().to_string()), root, bin, run_as, stopped: false };

        if !data.join("PG_VERSION").exists() {
            tracing::info!(path = %data.display(), "creating the embedded PostgreSQL cluster");
            fs::create_dir_all(&data).map_err(|e| CoreError::io("creating the cluster folder", e))?;
            this.chown(&data)?;
            this.run_pg(
                "initdb",
                &[
                    "-D",
                    path_str(&data)?,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ],
            )?;
        }
        fs::write(&this.lease, b"").map_err(|e| CoreError::io("writing the cluster lease", e))?;
        if !this.is_running()? {
            let options = format!(
                "-c listen_addresses='' -c unix_socket_directories='{}' -c unix_socket_permissions=0700 \
                 -c max_connections=300 -c shared_buffers=256MB -c max_locks_per_transaction=256",
                path_str(&run)?
            );
            let logfile = log.join("postgres.log");
            this.run_pg(
                "pg_ctl",
                &["start", "-D", path_str(&data)?, "-w", "-t", "60", "-l", path_str(&logfile)?, "-o", &options],
            )
            .map_err(|e| CoreError::Embedded(format!("{e} (see {})", logfile.display())))?;
            tracing::info!(socket = %run.display(), "embedded PostgreSQL started");
        }
        this.ensure_database()?;
        Ok(this)
    }

    /// The connection URL of the Civitas database, over the unix socket.
    pub fn url(&self) -> String {
        self.url_for(DATABASE)
    }

    fn url_for(&self, db: &str) -> String {
        format!("postgresql:///{db}?host={}&user=postgres", self.root.join("run").display())
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    fn is_running(&self) -> CoreResult<bool> {
        let status = self.command("pg_ctl")?.args(["status", "-D"]).arg(self.data()).output();
        match status {
            Ok(out) => Ok(out.status.success()),
            Err(e) => Err(CoreError::io("running pg_ctl status", e)),
        }
    }

    fn ensure_database(&self) -> CoreResult<()> {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::PgConnection::establish(&self.url_for("postgres"))
            .map_err(|e| CoreError::Embedded(format!("connecting to the embedded cluster: {e}")))?;
        #[derive(diesel::QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            exists: bool,
        }
        let found: Exists = diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{DATABASE}') AS exists"
        ))
        .get_result(&mut conn)?;
        if !found.exists {
            diesel::sql_query(format!("CREATE DATABASE {DATABASE}")).execute(&mut conn)?;
        }
        Ok(())
    }

    /// Stops the cluster if no other live process holds a lease on it.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let _ = fs::remove_file(&self.lease);
        if self.other_users_alive() {
            tracing::info!("embedded PostgreSQL left running for another civitas process");
            return;
        }
        let stop = self
            .command("pg_ctl")
            .map(|mut c| c.args(["stop", "-D"]).arg(self.data()).args(["-m", "fast", "-w"]).output());
        match stop {
            Ok(Ok(out)) if out.status.success() => tracing::info!("embedded PostgreSQL stopped"),
            Ok(Ok(out)) => tracing::warn!(stderr = %String::from_utf8_lossy(&out.stderr), "pg_ctl stop failed"),
            Ok(Err(e)) => tracing::warn!(error = %e, "pg_ctl stop failed"),
            Err(e) => tracing::warn!(error = %e, "pg_ctl stop failed"),
        }
    }

    fn other_users_alive(&self) -> bool {
        let Ok(entries) = fs::read_dir(self.root.join("leases")) else { return false };
        entries.flatten().any(|entry| {
            let name = entry.file_name();
            let alive = name.to_str().is_some_and(|pid| Path::new("/proc").join(pid).exists());
            if !alive {
                let _ = fs::remove_file(entry.path());
            }
            alive
        })
    }

    fn command(&self, program: &str) -> CoreResult<Command> {
        let exe = self.bin.join(program);
        Ok(match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        })
    }

    fn run_pg(&self, program: &str, args: &[&str]) -> CoreResult<()> {
        let out =
            self.command(program)?.args(args).output().map_err(|e| CoreError::io(format!("running {program}"), e))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(CoreError::Embedded(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim()
            )))
        }
    }

    fn chown(&self, path: &Path) -> CoreResult<()> {
        if let Some(user) = &self.run_as {
            chown_to(path, user)?;
        }
        Ok(())
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Locates `initdb` and `pg_ctl`: the newest `/usr/lib/postgresql/*/bin`, else `PATH`.
pub fn find_server_binaries() -> CoreResult<PathBuf> {
    find_server_binaries_in(Path::new("/usr/lib/postgresql"), std::env::var_os("PATH"))
}

fn find_server_binaries_in(debian_root: &Path, path: Option<std::ffi::OsString>) -> CoreResult<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(debian_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    if let Some(paths) = path {
        for dir in std::env::split_paths(&paths) {
            if dir.join("initdb").exists() && dir.join("pg_ctl").exists() {
                return Ok(dir);
            }
        }
    }
    Err(CoreError::Embedded(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with \
         `apt-get install postgresql` (Debian package `postgresql`), or point \
         CIVITAS_DATABASE_URL at an existing server."
            .into(),
    ))
}

fn path_str(p: &Path) -> CoreResult<&str> {
    p.to_str().ok_or_else(|| CoreError::Embedded(format!("the path {} is not valid UTF-8", p.display())))
}

/// Gives the cluster folder to `user`, and lets it traverse every parent folder.
fn prepare_for_user(root: &Path, user: &str) -> CoreResult<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut dir = root.to_path_buf();
    while let Some(parent) = dir.parent() {
        let meta = fs::metadata(parent).map_err(|e| CoreError::io(format!("reading {}", parent.display()), e))?;
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            let mut perms = meta.permissions();
            perms.set_mode(mode | 0o011);
            fs::set_permissions(parent, perms)
                .map_err(|e| CoreError::io(format!("opening {} to the {user} user", parent.display()), e))?;
        }
        dir = parent.to_path_buf();
    }
    for sub in ["", "run", "log", "leases"] {
        chown_to(&root.join(sub), user)?;
    }
    Ok(())
}

fn chown_to(path: &Path, user: &str) -> CoreResult<()> {
    let account = nix::unistd::User::from_name(user).ok().flatten().ok_or_else(|| {
        CoreError::Embedded(format!("the system user {user:?} does not exist: install the postgresql package"))
    })?;
    nix::unistd::chown(path, Some(account.uid), Some(account.gid))
        .map_err(|e| CoreError::Embedded(format!("giving {} to {user}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_server_binaries_name_the_debian_package() {
        let empty = std::env::temp_dir().join(format!("no-pg-{}", std::process::id()));
        let err = find_server_binaries_in(&empty, Some(empty.clone().into_os_string())).err().map(|e| e.to_string());
        let msg = err.unwrap_or_default();
        assert!(msg.contains("apt-get install postgresql"), "{msg}");
        assert!(msg.contains("CIVITAS_DATABASE_URL"), "{msg}");
    }
}
