//! Identity on the tenant sites: local accounts, sessions, CSRF, rate limits, mail,
//! and (in [`oidc`]) sign-in through each tenant's OpenID providers.
//!
//! Everything here is per tenant: a session cookie is host-only, a session row lives
//! in the tenant's schema, and the same email on two tenants is two accounts.
pub mod account;
pub mod admin;
pub mod admin_appearance;
pub mod admin_components;
pub mod admin_pages;
pub mod admin_people;
pub mod admin_space_edit;
pub mod admin_space_members;
pub mod admin_space_phases;
pub mod admin_spaces;
pub mod admin_uploads;
pub mod csp;
pub mod csrf;
pub mod limits;
pub mod mails;
pub mod oidc;
pub mod password;
pub mod session;
pub mod sign_in;
pub mod sign_up;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tenant_core::catalog::keys::{tenant_key, TenantKey};
use tenant_core::mail::{tenant_mail, Email, Mailer};
use tenant_core::secrets::Keyring;
use tenant_core::{CoreResult, Db, Tenant};
use uuid::Uuid;

pub use limits::RateLimiter;
pub use session::{MaybeUser, SignedIn, Visitor};

/// Identity services shared by every request.
pub struct Identity {
    pub keyring: Arc<Keyring>,
    pub mailer: Mailer,
    pub limiter: RateLimiter,
    pub discovery: oidc::Discovery,
    pub form_origins: csp::FormOrigins,
    keys: Mutex<HashMap<Uuid, TenantKey>>,
}

impl Identity {
    pub fn new(db: Db, keyring: Arc<Keyring>, mailer: Mailer) -> Self {
        Self {
            keyring,
            mailer,
            limiter: RateLimiter::new(db),
            discovery: oidc::Discovery::default(),
            form_origins: csp::FormOrigins::default(),
            keys: Mutex::default(),
        }
    }

    /// The tenant's hashing key (made on first use, then cached).
    pub fn tenant_key(&self, db: &Db, tenant: &Tenant) -> CoreResult<TenantKey> {
        if let Some(k) = self.keys.lock().get(&tenant.id) {
            return Ok(k.clone());
        }
        let key = db.catalog(|conn| tenant_key(conn, &self.keyring, tenant.id))?;
        self.keys.lock().insert(tenant.id, key.clone());
        Ok(key)
    }

    /// Sends a message for a tenant, through its own mail server when it has one.
    /// Blocking.
    pub fn send_mail(&self, db: &Db, tenant: &Tenant, email: &Email) -> CoreResult<()> {
        let own = db.catalog(|conn| tenant_mail(conn, &self.keyring, tenant.id))?;
        self.mailer.send(tenant.slug.as_str(), &tenant.name, own.as_ref(), email)
    }
}

/// A provider button on the sign-in and account pages.
#[derive(serde::Serialize)]
pub struct ProviderButton {
    pub key: String,
    pub kind: String,
    pub label: String,
}

/// The tenant's enabled identity providers.
pub async fn providers_for(
    state: &actix_web::web::Data<crate::state::AppState>,
    tenant: &Tenant,
) -> Result<Vec<ProviderButton>, crate::http::error::AppError> {
    let (s, id) = (state.clone(), tenant.id);
    let list = actix_web::web::block(move || provisioning::identity_providers::enabled(&s.db, id)).await??;
    Ok(list.into_iter().map(|p| ProviderButton { key: p.key, kind: p.kind, label: p.label }).collect())
}

/// Every identity route.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(sign_up::sign_up_form)
        .service(sign_up::sign_up)
        .service(sign_up::check_email)
        .service(sign_in::sign_in_form)
        .service(sign_in::sign_in)
        .service(sign_in::sign_out)
        .service(sign_in::confirm_form)
        .service(sign_in::confirm)
        .service(sign_in::resend_form)
        .service(sign_in::resend)
        .service(password::forgot_form)
        .service(password::forgot)
        .service(password::reset_form)
        .service(password::reset)
        .service(account::show)
        .service(account::change_nickname)
        .service(account::change_email)
        .service(account::email_link_form)
        .service(account::email_link)
        .service(account::change_password)
        .service(account::download)
        .service(account::delete_form)
        .service(account::delete)
        .service(account::deleted)
        .service(account::verify_resident)
        .service(account::unlink)
        .service(account::invite_form)
        .service(account::invite)
        .service(oidc::welcome_form)
        .service(oidc::welcome)
        .service(oidc::login)
        .service(oidc::anonymous_login)
        .service(oidc::callback)
        .service(oidc::signed_out)
        .configure(admin::configure)
        .configure(admin_people::configure)
        .configure(admin_pages::configure)
        .configure(admin_appearance::configure)
        .configure(admin_spaces::configure)
        .configure(admin_space_edit::configure)
        .configure(admin_space_phases::configure)
        .configure(admin_space_members::configure)
        .configure(admin_components::configure)
        .configure(crate::modules::proposals::admin::configure)
        .configure(crate::modules::budgets::admin::configure);
}

/// Shared by the identity pages: drawing a page with the visitor and form token.
pub mod page {
    use actix_web::http::StatusCode;
    use actix_web::{HttpRequest, HttpResponse};
    use tenant_core::names::Locale;
    use tenant_core::Tenant;

    use super::csrf;
    use super::session::Visitor;
    use crate::http::error::AppError;
    use crate::http::render::{html, tenant_context};
    use crate::state::AppState;

    /// A page's context: the tenant's, plus the visitor and the form token.
    pub struct Page {
        pub ctx: tera::Context,
        csrf: csrf::Csrf,
    }

    impl Page {
        pub fn new(state: &AppState, req: &HttpRequest, tenant: &Tenant, locale: Locale, visitor: &Visitor) -> Page {
            let mut ctx = tenant_context(state, tenant, locale, req.path());
            let csrf = csrf::token(req, visitor);
            ctx.insert("csrf", &csrf.token);
            ctx.insert("user", &visitor.user);
            ctx.insert("providers", &Vec::<super::ProviderButton>::new());
            if let Some(notice) = req.query_string().split('&').find_map(|p| p.strip_prefix("notice=")) {
                if NOTICES.contains(&notice) {
                    ctx.insert(
                        "notice",
                        &state.themes.get(tenant.theme.as_str()).message(locale, &format!("notice_{notice}")),
                    );
                }
            }
            Page { ctx, csrf }
        }

        /// Renders `template` with `status`, setting the form-token cookie when new.
        pub fn render(
            mut self,
            state: &AppState,
            tenant: &Tenant,
            template: &str,
            status: StatusCode,
        ) -> Result<HttpResponse, AppError> {
            let body = state.themes.get(tenant.theme.as_str()).render(template, &mut self.ctx)?;
            let mut res = html(status, body);
            if let Some(c) = self.csrf.set_cookie {
                res.add_cookie(&c).map_err(|e| AppError::Internal(anyhow::anyhow!("setting a cookie: {e}")))?;
            }
            res.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-store"),
            );
            Ok(res)
        }
    }

    /// A signed-in visitor, as a page's header shows them (pages for signed-in
    /// visitors are drawn fresh, never from the page cache).
    /// Also carries a `?notice=` to show, which makes an anonymous page personal too.
    #[derive(Clone)]
    pub struct Who {
        user: Option<super::session::CurrentUser>,
        csrf: String,
        notice: Option<&'static str>,
    }

    impl Who {
        pub fn of(req: &HttpRequest, visitor: &Visitor) -> Option<Who> {
            let notice = req
                .query_string()
                .split('&')
                .find_map(|p| p.strip_prefix("notice="))
                .and_then(|n| NOTICES.iter().find(|k| **k == n).copied());
            if visitor.user.is_none() && notice.is_none() {
                return None;
            }
            Some(Who { user: visitor.user.clone(), csrf: csrf::token(req, visitor).token, notice })
        }

        pub fn apply(&self, ctx: &mut tera::Context) {
            if let Some(user) = &self.user {
                ctx.insert("user", user);
                ctx.insert("csrf", &self.csrf);
            }
            if let Some(key) = self.notice {
                let text = ctx
                    .get("t")
                    .and_then(|t| t.get(format!("notice_{key}")))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                if let Some(text) = text {
                    ctx.insert("notice", &text);
                }
            }
        }
    }

    /// A page every anonymous visitor sees alike comes from the page cache; one with
    /// a signed-in visitor or a notice is drawn fresh by `render(Some(who))`.
    pub async fn cached_unless_personal<F, Fut>(
        state: &AppState,
        req: &HttpRequest,
        visitor: &Visitor,
        key: crate::page_cache::CacheKey,
        render: F,
    ) -> Result<HttpResponse, AppError>
    where
        F: FnOnce(Option<Who>) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<actix_web::web::Bytes, AppError>> + 'static,
    {
        if let Some(who) = Who::of(req, visitor) {
            return Ok(html(StatusCode::OK, render(Some(who)).await?));
        }
        let body = state.cache.get_or_render(key, move || render(None)).await?;
        Ok(html(StatusCode::OK, body))
    }

    /// Notices a page may show from `?notice=`, each a message `notice_<name>`.
    pub const NOTICES: &[&str] = &[
        "signed_out",
        "password_changed",
        "email_confirmed",
        "email_change_sent",
        "nickname_changed",
        "verified",
        "not_on_list",
        "identity_linked",
        "identity_unlinked",
        "admin_saved",
        "residents_saved",
        "proposal_published",
        "proposal_already",
        "proposal_saved",
        "proposal_withdrawn",
        "supported",
        "unsupported",
        "amendment_sent",
        "amendment_accepted",
        "amendment_rejected",
        "amendment_withdrawn",
        "notifications_saved",
        "petition_saved",
        "petition_submitted",
        "petition_deleted",
        "ballot_saved",
        "ballot_confirmed",
        "ballot_discarded",
        "ballot_cancelled",
    ];

    /// A short page with a title and a text (after a form, or for a dead link).
    pub fn message(
        state: &AppState,
        req: &HttpRequest,
        tenant: &Tenant,
        locale: Locale,
        visitor: &Visitor,
        key: &str,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError> {
        let theme = state.themes.get(tenant.theme.as_str());
        let mut page = Page::new(state, req, tenant, locale, visitor);
        page.ctx.insert("title", &theme.message(locale, &format!("{key}_title")));
        page.ctx.insert("text", &theme.message(locale, &format!("{key}_text")));
        page.render(state, tenant, "account/message.html", status)
    }

    /// A 303 to a local path.
    pub fn see_other(to: &str) -> HttpResponse {
        HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, to.to_owned())).finish()
    }

    /// `next` when it is a path on this site, else `/`.
    pub fn local_next(next: Option<&str>) -> String {
        next.filter(|p| {
            p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control)
                && p.len() <= 2000
        })
        .unwrap_or("/")
        .to_owned()
    }

    /// The client's address, for rate limits (the proxy's view when it is trusted).
    pub fn client_ip(req: &HttpRequest, state: &AppState) -> String {
        let peer = req.peer_addr().map(|a| a.ip());
        if let Some(p) = peer.filter(|p| state.trusted_proxies.contains(p)) {
            if let Some(fwd) = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
                if let Some(last) = fwd.rsplit(',').next().map(str::trim).filter(|s| !s.is_empty()) {
                    return last.to_owned();
                }
            }
            return p.to_string();
        }
        peer.map(|p| p.to_string()).unwrap_or_default()
    }

    /// Counts one event under `key` against `rule`; past it, the error to answer.
    pub async fn limit(
        state: &AppState,
        tenant: &Tenant,
        locale: Locale,
        key: &str,
        rule: super::limits::Rule,
    ) -> Result<(), AppError> {
        state.identity.limiter.hit(key, rule).await?.map_err(|wait| too_many(state, tenant, locale, wait))
    }

    /// Adds a cookie to a response.
    pub fn set_cookie(res: &mut HttpResponse, cookie: &actix_web::cookie::Cookie<'_>) -> Result<(), AppError> {
        res.add_cookie(cookie).map_err(|e| AppError::Internal(anyhow::anyhow!("setting a cookie: {e}")))
    }

    /// Adds a cookie's removal to a response.
    pub fn remove_cookie(res: &mut HttpResponse, cookie: &actix_web::cookie::Cookie<'_>) -> Result<(), AppError> {
        res.add_removal_cookie(cookie).map_err(|e| AppError::Internal(anyhow::anyhow!("removing a cookie: {e}")))
    }

    /// Whether `typed` is the password stored as `phc` (a malformed one never is).
    pub fn password_matches(typed: String, phc: &str) -> bool {
        provisioning::auth::Password::parse(typed)
            .ok()
            .is_some_and(|p| provisioning::auth::verify_password(&p, phc).unwrap_or(false))
    }

    /// The error for a spent rate limit, in the visitor's language.
    pub fn too_many(state: &AppState, tenant: &Tenant, locale: Locale, wait: std::time::Duration) -> AppError {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let text = state
            .themes
            .get(tenant.theme.as_str())
            .message(locale, "too_many_attempts")
            .replace("{minutes}", &minutes.to_string());
        AppError::TooManyRequests(text, wait)
    }
}
