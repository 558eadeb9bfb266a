//! The messages identity sends, in the person's language, from the theme's texts.
use tenant_core::mail::Email;
use tenant_core::names::Locale;
use tenant_core::Tenant;

use crate::state::AppState;

/// Which message, with what it links to.
pub enum Mail<'a> {
    /// Confirm the address given at sign-up.
    Confirm { link: &'a str },
    /// Someone signed up with an address that already has an account.
    AlreadyRegistered { sign_in: &'a str, reset: &'a str },
    /// Choose a new password.
    Reset { link: &'a str },
    /// Confirm a new address.
    ChangeEmail { link: &'a str },
    /// Tell the old address that a change was asked for.
    EmailChangeNotice { new_email: &'a str },
    /// The password was changed.
    PasswordChanged,
    /// An account was made for you (a tenant's first admin): choose a password.
    Invite { link: &'a str },
}

impl Mail<'_> {
    fn key(&self) -> &'static str {
        match self {
            Mail::Confirm { .. } => "confirm",
            Mail::AlreadyRegistered { .. } => "already_registered",
            Mail::Reset { .. } => "reset",
            Mail::ChangeEmail { .. } => "change_email",
            Mail::EmailChangeNotice { .. } => "email_change_notice",
            Mail::PasswordChanged => "password_changed",
            Mail::Invite { .. } => "invite",
        }
    }
}

/// Builds the message for `to`.
pub fn compose(state: &AppState, tenant: &Tenant, locale: Locale, to: &str, mail: &Mail<'_>) -> Email {
    let theme = state.themes.get(tenant.theme.as_str());
    let key = mail.key();
    let fill = |text: String| {
        let mut text = text.replace("{tenant}", &tenant.name);
        match mail {
            Mail::Confirm { link } | Mail::Reset { link } | Mail::ChangeEmail { link } | Mail::Invite { link } => {
                text = text.replace("{link}", link)
            }
            Mail::AlreadyRegistered { sign_in, reset } => {
                text = text.replace("{sign_in}", sign_in).replace("{reset}", reset)
            }
            Mail::EmailChangeNotice { new_email } => text = text.replace("{new_email}", new_email),
            Mail::PasswordChanged => {}
        }
        text
    };
    let subject = fill(theme.message(locale, &format!("mail_{key}_subject")));
    let body = fill(theme.message(locale, &format!("mail_{key}_body")));
    let footer = fill(theme.message(locale, "mail_footer"));
    Email { to: to.to_owned(), subject, text: format!("{body}\n\n-- \n{footer}\n") }
}
