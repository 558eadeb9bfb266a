//! The staff console: server-rendered pages on the provisioning listener, in French
//! and English, usable without JavaScript. Every page but sign-in and account setup
//! needs a session that passed both the password and the TOTP code; every form
//! carries a CSRF token.
mod edit_tenant;
mod identity_providers;
mod jobs_audit;
mod lifecycle;
pub mod limiter;
mod mail;
mod new_tenant;
mod session;
mod sign_in;
mod tenants;

use std::collections::HashMap;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use tenant_core::names::Locale;

pub use session::{ConsoleSession, CSRF_COOKIE, SESSION_COOKIE};

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("setup.html", include_str!("../../templates/setup.html")),
    ("sign_in.html", include_str!("../../templates/sign_in.html")),
    ("sign_in_code.html", include_str!("../../templates/sign_in_code.html")),
    ("tenants.html", include_str!("../../templates/tenants.html")),
    ("tenant.html", include_str!("../../templates/tenant.html")),
    ("jobs_table.html", include_str!("../../templates/jobs_table.html")),
    ("job.html", include_str!("../../templates/job.html")),
    ("new_tenant.html", include_str!("../../templates/new_tenant.html")),
    ("audit.html", include_str!("../../templates/audit.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("identity_provider.html", include_str!("../../templates/identity_provider.html")),
    ("mail.html", include_str!("../../templates/mail.html")),
];
const CSS: &str = include_str!("../../templates/console.css");

/// The console's templates and messages, built once.
pub struct Views {
    tera: tera::Tera,
    messages: HashMap<Locale, serde_json::Value>,
}

impl Views {
    pub fn new() -> Result<Self, String> {
        let mut tera = tera::Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().copied()).map_err(|e| format!("console templates: {e:?}"))?;
        tera.register_filter("when", when);
        let mut messages = HashMap::new();
        for (locale, text) in [
            (Locale::Fr, include_str!("../../templates/locales/fr.toml")),
            (Locale::En, include_str!("../../templates/locales/en.toml")),
        ] {
            let map: toml::Table = toml::from_str(text).map_err(|e| format!("console messages: {e}"))?;
            let json = serde_json::to_value(map).map_err(|e| e.to_string())?;
            messages.insert(locale, json);
        }
        Ok(Self { tera, messages })
    }

    /// A page, with the messages of `locale` as `t`.
    pub fn page(&self, status: StatusCode, template: &str, locale: Locale, mut ctx: tera::Context) -> HttpResponse {
        ctx.insert("locale", locale.as_str());
        ctx.insert("t", self.messages.get(&locale).unwrap_or(&serde_json::Value::Null));
        match self.tera.render(template, &ctx) {
            Ok(body) => HttpResponse::build(status)
                .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(body),
            Err(e) => {
                tracing::error!(error = format!("{e:?}"), template, "console page failed to render");
                HttpResponse::InternalServerError().body("500 Internal Server Error")
            }
        }
    }

    pub fn message(&self, locale: Locale, key: &str) -> String {
        self.messages.get(&locale).and_then(|m| m.get(key)).and_then(|v| v.as_str()).unwrap_or(key).to_owned()
    }

    /// The "not found" page: unknown page, or an expired link.
    pub fn not_found(&self, locale: Locale) -> HttpResponse {
        let mut ctx = tera::Context::new();
        ctx.insert("title", &self.message(locale, "not_found_title"));
        ctx.insert("message", &self.message(locale, "not_found_text"));
        self.page(StatusCode::NOT_FOUND, "error.html", locale, ctx)
    }
}

/// `{{ t | when }}`: an RFC 3339 timestamp as `26/11/2026 13:24 UTC`.
fn when(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let Some(raw) = value.as_str() else { return Ok(value.clone()) };
    Ok(match chrono::DateTime::parse_from_rfc3339(raw) {
        Ok(t) => tera::Value::String(t.with_timezone(&chrono::Utc).format("%d/%m/%Y %H:%M UTC").to_string()),
        Err(_) => value.clone(),
    })
}

/// An SVG QR code of `text` (the otpauth address), for authenticator apps.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
    // Inline in HTML: without the XML declaration, and with a name for screen readers.
    .map(|svg| svg.find("<svg").map(|i| svg[i..].to_owned()).unwrap_or(svg))
    .map(|svg| svg.replacen("<svg", "<svg role=\"img\" aria-label=\"QR code\"", 1))
}

/// French unless the browser prefers English.
pub fn locale(req: &HttpRequest) -> Locale {
    let Some(header) = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
        return Locale::Fr;
    };
    let mut best = (0.0f32, Locale::Fr);
    for item in header.split(',').take(20) {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
        let locale = match tag.split('-').next() {
            Some("fr") => Locale::Fr,
            Some("en") => Locale::En,
            _ => continue,
        };
        if q > best.0 {
            best = (q, locale);
        }
    }
    best.1
}

/// A 303 to `to`.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/"))))
        .finish()
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(CSS)
}

async fn home() -> HttpResponse {
    see_other("/tenants")
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/console.css", web::get().to(stylesheet))
        .configure(sign_in::configure)
        // Before `/tenants/{slug}`, which would take "new" for a slug.
        .configure(new_tenant::configure)
        .configure(edit_tenant::configure)
        .configure(identity_providers::configure)
        .configure(mail::configure)
        .configure(tenants::configure)
        .configure(jobs_audit::configure)
        .configure(lifecycle::configure);
}
