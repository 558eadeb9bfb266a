//! Drawing pages: the context every template gets, and HTML responses.
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use serde::Serialize;
use tenant_core::names::{Locale, ModuleName};
use tenant_core::Tenant;

use crate::state::AppState;

#[derive(Serialize)]
struct NavItem {
    label: String,
    url: &'static str,
    current: bool,
}

#[derive(Serialize)]
struct LocaleLink {
    code: &'static str,
    name: &'static str,
    url: String,
    current: bool,
}

#[derive(Serialize)]
struct TenantView<'a> {
    name: &'a str,
    slug: &'a str,
    description: &'a str,
    description_lang: &'static str,
    logo_url: Option<String>,
    theme: &'a str,
}

/// Puts the interface messages in a context as `t`. `Context::insert` would serialize
/// every message into a new map on each page; a clone of the theme's map, moved in,
/// costs a fraction of that.
pub fn insert_messages(ctx: &mut tera::Context, messages: &serde_json::Value) {
    let mut map = serde_json::Map::new();
    map.insert("t".to_owned(), messages.clone());
    match tera::Context::from_value(serde_json::Value::Object(map)) {
        Ok(t) => ctx.extend(t),
        Err(_) => ctx.insert("t", messages),
    }
}

/// The context shared by every tenant page: tenant, language, navigation, messages.
pub fn tenant_context(state: &AppState, tenant: &Tenant, locale: Locale, path: &str) -> tera::Context {
    let theme = state.themes.get(tenant.theme.as_str());
    let (description_locale, description) = tenant.description_in(locale);
    let mut ctx = tera::Context::new();
    ctx.insert(
        "tenant",
        &TenantView {
            name: &tenant.name,
            slug: tenant.slug.as_str(),
            description,
            description_lang: description_locale.as_str(),
            logo_url: tenant.logo_key.as_ref().map(|_| format!("/branding/logo?v={}", tenant.revision)),
            theme: tenant.theme.as_str(),
        },
    );
    // The messages (`t`) come with the template: only those it can show.
    ctx.insert("locale", locale.as_str());
    ctx.insert("path", path);
    ctx.insert("branding_css", &format!("/branding.css?v={}", tenant.revision));
    let mut nav = vec![
        NavItem { label: theme.message(locale, "nav_home"), url: "/", current: path == "/" },
        NavItem {
            label: theme.message(locale, "nav_processes"),
            url: "/processes",
            current: path == "/processes" || path.starts_with("/processes/"),
        },
    ];
    for module in ModuleName::ALL {
        if !tenant.has_module(module) {
            continue;
        }
        // Component modules live inside spaces and have no menu entry of their own.
        let url = match module {
            ModuleName::Pages => "/pages",
            ModuleName::Blog => "/blog",
            ModuleName::Petitions => "/petitions",
            ModuleName::Proposals | ModuleName::Budgets => continue,
        };
        nav.push(NavItem {
            label: theme.message(locale, &format!("module_{}", module.as_str())),
            url,
            current: path == url || path.starts_with(&format!("{url}/")),
        });
    }
    ctx.insert("nav", &nav);
    let locales: Vec<LocaleLink> = tenant
        .locales
        .iter()
        .map(|l| LocaleLink {
            code: l.as_str(),
            name: l.native_name(),
            url: format!("/locale/{}?next={}", l.as_str(), encode_query_value(path)),
            current: *l == locale,
        })
        .collect();
    ctx.insert("locales", &locales);
    ctx
}

/// The context of a page that belongs to no tenant (unknown or malformed host).
pub fn neutral_context(locale: Locale) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("locale", locale.as_str());
    ctx
}

/// A full HTML page.
pub fn html(status: StatusCode, body: impl Into<Bytes>) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Language, Cookie")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .body(body.into())
}

/// Percent-encodes a value for a query string.
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
