//! The first administrator's invitation, the create job's `invite_admin` step: an
//! administrator account in the new tenant (or the existing account with that
//! address, made administrator) and a one-use link, valid seven days, mailed through
//! the tenant's own mail server or the platform's default. A retried step makes a
//! new link, which replaces the previous one.
use std::sync::Arc;

use tenant_core::accounts::tokens::{self, Purpose};
use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::mail::{tenant_mail, Email, Mailer};
use tenant_core::names::Locale;
use tenant_core::secrets::Keyring;
use tenant_core::{CoreError, CoreResult, Db, Tenant};

use crate::auth::NewToken;

pub const INVITE_DAYS: i64 = 7;

/// What sending invitations needs: the mailer, the key that opens tenants' mail
/// passwords, and how the tenant sites are reached (`https`, or `http` and a port in
/// development).
#[derive(Clone)]
pub struct Invitations {
    pub mailer: Mailer,
    pub keyring: Arc<Keyring>,
    pub scheme: String,
    pub port: Option<u16>,
}

impl Invitations {
    /// The tenant's address as people reach it.
    pub fn origin(&self, tenant: &Tenant) -> String {
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("{}://{}{}", self.scheme, tenant.primary_host, port)
    }

    /// Makes (or promotes) the administrator account and mails the link.
    pub fn invite(&self, db: &Db, tenant: &Tenant, email: &str) -> CoreResult<()> {
        let token = NewToken::generate("cvi").map_err(|e| CoreError::Invalid(e.to_string()))?;
        let locale = tenant.default_locale;
        db.tenant(tenant, |conn| {
            let id = match users::find_by_email(conn, email)? {
                Some(user) => {
                    users::set_role(conn, user.id, UserRole::Admin)?;
                    user.id
                }
                None => {
                    let base = match locale {
                        Locale::Fr => "Administration",
                        Locale::En => "Administrator",
                    };
                    let mut created = None;
                    for n in 1..=20 {
                        let nickname = if n == 1 { base.to_owned() } else { format!("{base} {n}") };
                        let new = NewUser {
                            nickname: &nickname,
                            email: Some(email),
                            password_hash: None,
                            locale,
                            email_confirmed: false,
                            role: UserRole::Admin,
                        };
                        if let Ok(id) = users::create(conn, &new)? {
                            created = Some(id);
                            break;
                        }
                    }
                    created.ok_or_else(|| CoreError::Conflict("no free nickname for the administrator".into()))?
                }
            };
            tokens::issue(conn, token.hash(), id, Purpose::Invite, email, chrono::Duration::days(INVITE_DAYS))
        })?;
        let link = format!("{}/account/invite/{}", self.origin(tenant), token.secret());
        let (subject, text) = match locale {
            Locale::Fr => (
                format!("Votre compte d'administration — {}", tenant.name),
                format!(
                    "Bonjour,\n\nUn compte d'administration a été créé pour vous sur le site de participation « {} ».\n\n\
                     Pour choisir votre mot de passe et votre pseudonyme, ouvrez ce lien (valable {INVITE_DAYS} jours) :\n\n{link}\n\n\
                     Si vous n'attendiez pas ce message, ignorez-le.\n\n-- \n{} — message automatique",
                    tenant.name, tenant.name
                ),
            ),
            Locale::En => (
                format!("Your administrator account — {}", tenant.name),
                format!(
                    "Hello,\n\nAn administrator account has been created for you on the participation site \"{}\".\n\n\
                     To choose your password and nickname, open this link (valid for {INVITE_DAYS} days):\n\n{link}\n\n\
                     If you did not expect this message, ignore it.\n\n-- \n{} — automatic message",
                    tenant.name, tenant.name
                ),
            ),
        };
        let own = db.catalog(|conn| tenant_mail(conn, &self.keyring, tenant.id))?;
        self.mailer.send(
            tenant.slug.as_str(),
            &tenant.name,
            own.as_ref(),
            &Email { to: email.to_owned(), subject, text },
        )
    }
}
