//! Running the system's PostgreSQL client programs (`pg_dump`, `pg_restore`, `psql`)
//! against a cluster: the binaries from `/usr/lib/postgresql/<newest>/bin` (else
//! `PATH`), the connection given as `--dbname` without its password, which goes in
//! `PGPASSWORD` instead: a process's arguments are visible to every local user, its
//! environment only to its owner.
use std::path::PathBuf;
use std::process::Command;

use tenant_core::db::embedded::find_server_binaries;
use tenant_core::{CoreResult, DatabaseUrl};

/// The path of a PostgreSQL program.
pub fn tool(name: &str) -> CoreResult<PathBuf> {
    Ok(find_server_binaries()?.join(name))
}

/// `name --dbname=<url>` ready for more arguments, the password kept out of them.
pub fn command(name: &str, url: &DatabaseUrl) -> CoreResult<Command> {
    let mut cmd = Command::new(tool(name)?);
    let (url, password) = split_password(url.expose());
    cmd.arg(format!("--dbname={url}"));
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    Ok(cmd)
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

#[cfg(test)]
mod tests {
    use super::split_password;

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
