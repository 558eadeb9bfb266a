//! The page with one comment's form: editing, or writing again after a refusal
//! (the text typed is kept, the reason shown).
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use tenant_core::comments::MAX_BODY_CHARS;
use tenant_core::names::Locale;
use tenant_core::Tenant;

use crate::http::error::AppError;
use crate::identity::page::Page;
use crate::identity::Visitor;
use crate::state::AppState;

/// What the form sends back besides the text.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Hidden {
    pub resource_kind: String,
    pub resource_id: String,
    pub parent_id: String,
    pub alignment: String,
}

/// One comment form on its own page.
pub struct FormPage<'a> {
    /// `comments_edit_title` or `comments_fix_title`.
    pub heading_key: &'a str,
    pub action: String,
    pub back_url: &'a str,
    pub resource_title: &'a str,
    pub body: &'a str,
    pub error: Option<String>,
    /// None when editing (the form sends only the text).
    pub hidden: Option<Hidden>,
}

pub fn render(
    state: &AppState,
    req: &HttpRequest,
    tenant: &Tenant,
    locale: Locale,
    visitor: &Visitor,
    form: FormPage<'_>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut page = Page::new(state, req, tenant, locale, visitor);
    let heading = state.themes.get(tenant.theme.as_str()).message(locale, form.heading_key);
    page.ctx.insert("heading", &heading);
    page.ctx.insert("action", &form.action);
    page.ctx.insert("back_url", form.back_url);
    page.ctx.insert("resource_title", form.resource_title);
    page.ctx.insert("body", form.body);
    page.ctx.insert("error", &form.error);
    page.ctx.insert("hidden", &form.hidden);
    page.ctx.insert("max_chars", &MAX_BODY_CHARS);
    page.render(state, tenant, "comments/form.html", status)
}
