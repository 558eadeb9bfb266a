//! Comments on any commentable resource (`/comments`): write, reply, edit, delete,
//! vote. Which resources take comments, and on what terms, is [`commentable`]; the
//! section a resource page shows is [`section`]. Every form carries the CSRF token;
//! anyone may read.
mod comment_form;
pub mod commentable;
mod create_comment;
mod delete_comment;
mod edit_comment;
pub mod notify;
pub mod section;
mod vote_comment;

use actix_web::web;
use tenant_core::accounts::verifications::Gate;
use tenant_core::comments::Refused;
use tenant_core::names::Locale;
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::Tenant;

use crate::http::error::AppError;
use crate::identity::limits::Rule;
use crate::state::AppState;

/// At most this many comments per account per minute.
pub const CREATE_PER_USER: Rule = Rule::per_minutes(10, 1);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_comment::create_comment)
        .service(edit_comment::edit_form)
        .service(edit_comment::edit_comment)
        .service(delete_comment::delete_comment)
        .service(vote_comment::vote_comment);
}

/// A resource named by a form's `resource_kind` and `resource_id`; nonsense is a 404,
/// as for any resource that does not exist.
pub fn resource_from_form(kind: &str, id: &str) -> Result<ResourceRef, AppError> {
    let kind = ResourceKind::parse(kind).map_err(|_| AppError::NotFound)?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::NotFound)?;
    if id <= 0 {
        return Err(AppError::NotFound);
    }
    Ok(ResourceRef::new(kind, id))
}

/// A refusal, said in the visitor's language.
pub fn refusal_text(state: &AppState, tenant: &Tenant, locale: Locale, refused: Refused) -> String {
    state.themes.get(tenant.theme.as_str()).message(locale, &format!("comments_refused_{}", refused.as_str()))
}

/// Why a person may not take a participation action here (a 403 with the gate's words).
pub fn gate_refusal(state: &AppState, tenant: &Tenant, locale: Locale, gate: Gate) -> AppError {
    let key = match gate {
        Gate::Allowed => return AppError::Internal(anyhow::anyhow!("an allowed gate reported as a refusal")),
        Gate::SignIn => "gate_sign_in".to_owned(),
        Gate::Confirm => "gate_confirm".to_owned(),
        Gate::Blocked => "gate_blocked".to_owned(),
        Gate::Verify(kind) => format!("gate_verify_{}", kind.as_str()),
    };
    AppError::Forbidden(state.themes.get(tenant.theme.as_str()).message(locale, &key))
}

/// Comments are closed on this resource (a 403 that says so).
pub fn closed(state: &AppState, tenant: &Tenant, locale: Locale) -> AppError {
    AppError::Forbidden(state.themes.get(tenant.theme.as_str()).message(locale, "comments_closed"))
}

/// A stored rich text (a comment, a proposal's body, an answer) as its author edits
/// it again: plain paragraphs become plain text; anything with other formatting
/// stays HTML. Either way, sanitising it again gives the stored text back.
pub fn editable_text(html: &str) -> String {
    let only_paragraphs = {
        let stripped = html.replace("<p>", "").replace("</p>", "").replace("<br>", "");
        !stripped.contains('<')
    };
    if !only_paragraphs {
        return html.to_owned();
    }
    html.replace("</p><p>", "\n\n")
        .replace("<br>", "\n")
        .replace("<p>", "")
        .replace("</p>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_comments_are_edited_as_plain_text_and_formatted_ones_as_html() {
        let plain = "Un &lt; deux\n\nLigne\ndeux";
        let stored = tenant_core::richtext::sanitize("Un < deux\n\nLigne\ndeux");
        assert_eq!(editable_text(&stored), plain.replace("&lt;", "<"));
        assert_eq!(tenant_core::richtext::sanitize(&editable_text(&stored)), stored, "round trip");
        let rich = "<p>Un <strong>mot</strong></p>";
        assert_eq!(editable_text(rich), rich);
    }

    #[test]
    fn form_resources_are_parsed_or_not_found() {
        assert_eq!(resource_from_form("blog_post", "12").ok(), Some(ResourceRef::new(ResourceKind::BlogPost, 12)));
        for (k, i) in [("blog_post", "x"), ("blog_post", "-1"), ("post", "1"), ("blog_post", "")] {
            assert!(matches!(resource_from_form(k, i), Err(AppError::NotFound)), "{k} {i}");
        }
    }
}
