//! Outgoing mail. A tenant with its own mail server settings sends through it; the
//! others through the platform's default, which is either an SMTP server or a
//! folder where each message is written as an `.eml` file (the demo and the tests
//! read them back there).
use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport as _};
use uuid::Uuid;

use crate::error::{CoreError, CoreResult};
use crate::schema::catalog::tenant_mail_settings as tms;
use crate::secrets::{Keyring, SecretString};

/// How a message leaves.
#[derive(Clone, Debug)]
pub enum Transport {
    /// One `.eml` file per message under `<dir>/<tenant slug>/`.
    Files(PathBuf),
    Smtp(SmtpSettings),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

impl SmtpTls {
    pub fn parse(s: &str) -> CoreResult<Self> {
        match s {
            "none" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" => Ok(SmtpTls::Tls),
            _ => Err(CoreError::Invalid(format!("smtp tls: none, starttls or tls (not {s:?})"))),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            SmtpTls::None => "none",
            SmtpTls::StartTls => "starttls",
            SmtpTls::Tls => "tls",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: String,
    pub password: Option<SecretString>,
}

impl SmtpSettings {
    /// Reads `smtp://[user[:password]@]host[:port][?tls=none|starttls|tls]`
    /// (`smtps://` means tls). The default port follows the TLS mode.
    pub fn from_url(url: &str) -> CoreResult<Self> {
        let bad = |why: &str| {
            CoreError::Invalid(format!("mail server URL {why}: smtp://user:password@host:587?tls=starttls"))
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("has no scheme"))?;
        let mut tls = match scheme {
            "smtp" => SmtpTls::StartTls,
            "smtps" => SmtpTls::Tls,
            _ => return Err(bad("must start with smtp:// or smtps://")),
        };
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = authority.trim_end_matches('/');
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("tls", v)) => tls = SmtpTls::parse(v)?,
                _ => return Err(bad(&format!("has an unknown option {pair:?}"))),
            }
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("has a bad port"))?),
            None => (
                hostport,
                if tls == SmtpTls::Tls {
                    465
                } else if tls == SmtpTls::StartTls {
                    587
                } else {
                    25
                },
            ),
        };
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        let (username, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((n, p)) => (decode(n), Some(SecretString::new(decode(p)))),
                None => (decode(u), None),
            },
            None => (String::new(), None),
        };
        Ok(SmtpSettings { host: host.to_owned(), port, tls, username, password })
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
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

/// One message to one person, plain text.
#[derive(Clone, Debug)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// The platform's mailer: its default transport and sender.
#[derive(Clone, Debug)]
pub struct Mailer {
    pub default: Transport,
    /// The default sender, e.g. `Civitas <no-reply@civitas.localhost>`.
    pub from: String,
}

/// A tenant's own mail settings, with the password opened.
#[derive(Clone, Debug)]
pub struct TenantMail {
    pub from_address: String,
    pub from_name: String,
    pub smtp: SmtpSettings,
}

fn password_context(tenant: Uuid) -> String {
    format!("tenant_smtp_password:{tenant}")
}

/// The tenant's own mail settings, when it has some.
pub fn tenant_mail(conn: &mut PgConnection, keyring: &Keyring, tenant: Uuid) -> CoreResult<Option<TenantMail>> {
    type Row = (String, String, String, i32, String, String, Option<String>);
    let row: Option<Row> = tms::table
        .find(tenant)
        .select((
            tms::from_address,
            tms::from_name,
            tms::smtp_host,
            tms::smtp_port,
            tms::smtp_tls,
            tms::smtp_username,
            tms::smtp_password_enc,
        ))
        .first(conn)
        .optional()?;
    let Some((from_address, from_name, host, port, tls, username, password)) = row else { return Ok(None) };
    let password = password
        .map(|p| keyring.open_string(&p, &password_context(tenant)))
        .transpose()
        .map_err(|e| CoreError::Invalid(e.to_string()))?;
    Ok(Some(TenantMail {
        from_address,
        from_name,
        smtp: SmtpSettings {
            host,
            port: u16::try_from(port).unwrap_or(25),
            tls: SmtpTls::parse(&tls)?,
            username,
            password,
        },
    }))
}

/// Stores a tenant's mail settings. `password: None` keeps the stored one.
pub fn put_tenant_mail(
    conn: &mut PgConnection,
    keyring: &Keyring,
    tenant: Uuid,
    settings: &TenantMail,
    password: Option<&str>,
) -> CoreResult<()> {
    let sealed = password
        .map(|p| keyring.seal(p.as_bytes(), &password_context(tenant)))
        .transpose()
        .map_err(|e| CoreError::Invalid(e.to_string()))?;
    let values = (
        tms::tenant_id.eq(tenant),
        tms::from_address.eq(&settings.from_address),
        tms::from_name.eq(&settings.from_name),
        tms::smtp_host.eq(&settings.smtp.host),
        tms::smtp_port.eq(i32::from(settings.smtp.port)),
        tms::smtp_tls.eq(settings.smtp.tls.as_str()),
        tms::smtp_username.eq(&settings.smtp.username),
    );
    diesel::insert_into(tms::table)
        .values((values, tms::smtp_password_enc.eq(&sealed)))
        .on_conflict(tms::tenant_id)
        .do_update()
        .set((values.1, values.2, values.3, values.4, values.5, values.6, tms::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    if let Some(sealed) = sealed {
        diesel::update(tms::table.find(tenant)).set(tms::smtp_password_enc.eq(sealed)).execute(conn)?;
    }
    Ok(())
}

pub fn delete_tenant_mail(conn: &mut PgConnection, tenant: Uuid) -> CoreResult<()> {
    diesel::delete(tms::table.find(tenant)).execute(conn)?;
    Ok(())
}

/// Re-seals stored SMTP passwords sealed by an older master key; returns how many.
pub fn reseal_all(conn: &mut PgConnection, keyring: &Keyring) -> CoreResult<usize> {
    let rows: Vec<(Uuid, Option<String>)> =
        tms::table.select((tms::tenant_id, tms::smtp_password_enc)).for_update().load(conn)?;
    let mut count = 0;
    for (tenant, sealed) in rows {
        let Some(sealed) = sealed else { continue };
        if keyring.needs_rotation(&sealed) {
            let fresh =
                keyring.reseal(&sealed, &password_context(tenant)).map_err(|e| CoreError::Invalid(e.to_string()))?;
            diesel::update(tms::table.find(tenant)).set(tms::smtp_password_enc.eq(fresh)).execute(conn)?;
            count += 1;
        }
    }
    Ok(count)
}

impl Mailer {
    /// Sends `email` for tenant `slug` (named `tenant_name` as the sender), through the
    /// tenant's own server when given, else the default. Blocking: call it off the
    /// async workers.
    pub fn send(&self, slug: &str, tenant_name: &str, own: Option<&TenantMail>, email: &Email) -> CoreResult<()> {
        let (from, transport) = match own {
            Some(t) => (mailbox(&t.from_name, &t.from_address)?, Transport::Smtp(t.smtp.clone())),
            None => {
                let default: Mailbox =
                    self.from.parse().map_err(|e| CoreError::Invalid(format!("mail sender {:?}: {e}", self.from)))?;
                (Mailbox::new(Some(tenant_name.to_owned()), default.email), self.default.clone())
            }
        };
        let to: Mailbox = email.to.parse().map_err(|e| CoreError::Invalid(format!("recipient {:?}: {e}", email.to)))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(&email.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(eight_bit(&email.text)?)
            .map_err(|e| CoreError::Invalid(format!("building a message: {e}")))?;
        match transport {
            Transport::Files(dir) => write_file(&dir.join(slug), &message.formatted()),
            Transport::Smtp(s) => send_smtp(&s, &message),
        }
    }
}

/// Refuses a sender that is not `Name <address>` or `address`.
pub fn check_sender(from: &str) -> CoreResult<()> {
    from.parse::<Mailbox>().map(|_| ()).map_err(|e| CoreError::Invalid(format!("mail sender {from:?}: {e}")))
}

/// The text as an 8bit body: links stay whole (lettre would pick quoted-printable for
/// any line of 76 characters or more, cutting long links) and the demo's `.eml`
/// files stay readable. RFC 5322 allows 8bit lines up to 998 bytes.
fn eight_bit(text: &str) -> CoreResult<Body> {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    if crlf.split("\r\n").any(|line| line.len() > 998) || crlf.contains('\0') {
        return Err(CoreError::Invalid("a mail line is longer than 998 bytes".into()));
    }
    Ok(Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::EightBit))
}

fn mailbox(name: &str, address: &str) -> CoreResult<Mailbox> {
    let email = address.parse().map_err(|e| CoreError::Invalid(format!("sender address {address:?}: {e}")))?;
    Ok(Mailbox::new((!name.is_empty()).then(|| name.to_owned()), email))
}

/// Writes the message whole or not at all: a temporary name, then a rename.
fn write_file(dir: &Path, bytes: &[u8]) -> CoreResult<()> {
    std::fs::create_dir_all(dir).map_err(|e| CoreError::io(format!("creating {}", dir.display()), e))?;
    let name = format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"), Uuid::new_v4());
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).map_err(|e| CoreError::io(format!("writing {}", tmp.display()), e))?;
    let path = dir.join(format!("{name}.eml"));
    std::fs::rename(&tmp, &path).map_err(|e| CoreError::io(format!("writing {}", path.display()), e))
}

fn send_smtp(s: &SmtpSettings, message: &Message) -> CoreResult<()> {
    let tls = || {
        TlsParameters::new(s.host.clone())
            .map_err(|e| CoreError::Invalid(format!("mail server TLS for {}: {e}", s.host)))
    };
    let mut builder = SmtpTransport::builder_dangerous(&s.host).port(s.port).timeout(Some(Duration::from_secs(15)));
    builder = match s.tls {
        SmtpTls::None => builder.tls(Tls::None),
        SmtpTls::StartTls => builder.tls(Tls::Required(tls()?)),
        SmtpTls::Tls => builder.tls(Tls::Wrapper(tls()?)),
    };
    if !s.username.is_empty() {
        let password = s.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default();
        builder = builder.credentials(Credentials::new(s.username.clone(), password));
    }
    builder
        .build()
        .send(message)
        .map(|_| ())
        .map_err(|e| CoreError::Unavailable(format!("mail server {}:{} refused or unreachable: {e}", s.host, s.port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let s = SmtpSettings::from_url("smtp://user%40x:p%3Ass@mail.example.fr:2525?tls=none").ok();
        let s = s.as_ref();
        assert_eq!(s.map(|s| s.host.as_str()), Some("mail.example.fr"));
        assert_eq!(s.map(|s| s.port), Some(2525));
        assert_eq!(s.map(|s| s.tls.clone()), Some(SmtpTls::None));
        assert_eq!(s.map(|s| s.username.as_str()), Some("user@x"));
        assert_eq!(s.and_then(|s| s.password.as_ref()).map(|p| p.expose()), Some("p:ss"));
        assert_eq!(SmtpSettings::from_url("smtps://h").ok().map(|s| s.port), Some(465));
        assert_eq!(SmtpSettings::from_url("smtp://h").ok().map(|s| (s.port, s.tls)), Some((587, SmtpTls::StartTls)));
        for bad in ["http://h", "smtp://", "smtp://h:x", "smtp://h?tls=maybe", "smtp://h?x=1", "h:25"] {
            assert!(SmtpSettings::from_url(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn files_are_written_whole() {
        let dir = std::env::temp_dir().join(format!("civitas-mail-{}", Uuid::new_v4()));
        let mailer =
            Mailer { default: Transport::Files(dir.clone()), from: "Civitas <no-reply@civitas.localhost>".into() };
        let sent = mailer.send(
            "alpha",
            "Ville d'Alpha",
            None,
            &Email {
                to: "anne@example.fr".into(),
                subject: "Bienvenue".into(),
                text: "Bonjour,\nvoici le lien.".into(),
            },
        );
        assert!(sent.is_ok(), "{sent:?}");
        let files: Vec<_> = std::fs::read_dir(dir.join("alpha")).into_iter().flatten().flatten().collect();
        assert_eq!(files.len(), 1);
        let text = files.first().map(|f| std::fs::read_to_string(f.path()).unwrap_or_default()).unwrap_or_default();
        assert!(text.contains("To: anne@example.fr"), "{text}");
        assert!(text.contains("Subject: Bienvenue"), "{text}");
        assert!(text.contains("voici le lien."), "{text}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
