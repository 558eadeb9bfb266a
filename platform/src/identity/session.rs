//! Who is visiting: the session behind the cookie, looked up once per request.
//!
//! The cookie is host-only (no `Domain`), HttpOnly, SameSite=Lax, and over TLS
//! `Secure` with the `__Host-` prefix. It holds a random secret; the tenant's schema
//! keeps only its hash. A new secret is made at every sign-in.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use provisioning::auth::{token_hash, NewToken};
use serde::Serialize;
use tenant_core::accounts::{sessions, UserRole};
use tenant_core::{CoreError, Tenant};

use crate::http::error::AppError;
use crate::http::host::RequestHost;
use crate::state::AppState;

pub const COOKIE: &str = "civitas_session";
pub const COOKIE_TLS: &str = "__Host-civitas_session";
pub const SESSION_DAYS: i64 = 14;

/// The signed-in person, as pages need them.
#[derive(Clone, Debug, Serialize)]
pub struct CurrentUser {
    pub id: i64,
    pub nickname: String,
    pub email: Option<String>,
    pub email_confirmed: bool,
    pub is_admin: bool,
    pub has_password: bool,
    /// `password`, or the slug of the identity provider used to sign in.
    pub method: String,
    #[serde(skip)]
    pub id_token: Option<String>,
    /// Unread notifications, for the header (counted with the session lookup).
    pub unread_notifications: i64,
}

/// The visitor of this request: their session (if any) and how they reached us.
#[derive(Clone, Debug)]
pub struct Visitor {
    pub user: Option<CurrentUser>,
    /// The session cookie's secret, when it names a live session.
    pub session_secret: Option<String>,
    /// Whether the visitor reached us over TLS (directly or through a trusted proxy).
    pub https: bool,
    /// `scheme://host[:port]` as the visitor sees this site.
    pub origin: String,
}

impl Visitor {
    pub fn cookie_name(&self) -> &'static str {
        cookie_name(self.https)
    }
}

pub fn cookie_name(https: bool) -> &'static str {
    if https {
        COOKIE_TLS
    } else {
        COOKIE
    }
}

/// A visitor who may or may not be signed in.
pub struct MaybeUser(pub Visitor);

/// A signed-in visitor; others are sent to the sign-in page and brought back.
pub struct SignedIn(pub Visitor, pub CurrentUser);

fn origin_of(req: &HttpRequest) -> (bool, String) {
    match req.extensions().get::<RequestHost>() {
        Some(h) => {
            let port = h.port.map(|p| format!(":{p}")).unwrap_or_default();
            (h.scheme == "https", format!("{}://{}{}", h.scheme, h.name.as_str(), port))
        }
        None => (false, String::new()),
    }
}

/// Looks the visitor up (once per request; later calls reuse the answer).
pub async fn visitor(req: &HttpRequest) -> Result<Visitor, AppError> {
    if let Some(v) = req.extensions().get::<Visitor>() {
        return Ok(v.clone());
    }
    let (https, origin) = origin_of(req);
    let secret = req.cookie(cookie_name(https)).map(|c| c.value().to_owned()).filter(|v| v.len() <= 100);
    let tenant = req.extensions().get::<Arc<Tenant>>().cloned();
    let mut visitor = Visitor { user: None, session_secret: None, https, origin };
    if let (Some(secret), Some(tenant)) = (secret, tenant) {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
        let hash = token_hash(&secret);
        let found = web::block(move || {
            state.db.tenant(&tenant, |conn| {
                let Some((session, user)) = sessions::find(conn, &hash, !tenant.read_only)? else { return Ok(None) };
                let unread = tenant_core::notifications::unread_count(conn, user.id)?;
                Ok::<_, CoreError>(Some((session, user, unread)))
            })
        })
        .await??;
        if let Some((session, user, unread)) = found {
            visitor.user = Some(CurrentUser {
                id: user.id,
                nickname: user.nickname,
                email: user.email,
                email_confirmed: user.email_confirmed,
                is_admin: user.role == UserRole::Admin,
                has_password: user.password_hash.is_some(),
                method: session.method,
                id_token: session.id_token,
                unread_notifications: unread,
            });
            visitor.session_secret = Some(secret);
        }
    }
    req.extensions_mut().insert(visitor.clone());
    Ok(visitor)
}

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { visitor(&req).await.map(MaybeUser) })
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let v = visitor(&req).await?;
            match v.user.clone() {
                Some(u) => Ok(SignedIn(v, u)),
                None => {
                    let next = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into());
                    Err(AppError::SignInRequired(next))
                }
            }
        })
    }
}

/// Opens a session (a fresh secret every time) and returns its cookie. Blocking.
pub fn open(
    state: &AppState,
    tenant: &Tenant,
    user_id: i64,
    method: &str,
    id_token: Option<&str>,
    https: bool,
) -> Result<Cookie<'static>, AppError> {
    let token = NewToken::generate("cvu").map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    state.db.tenant(tenant, |conn| {
        sessions::create(conn, token.hash(), user_id, method, id_token, chrono::Duration::days(SESSION_DAYS))?;
        tenant_core::accounts::users::touch_sign_in(conn, user_id)?;
        Ok::<_, CoreError>(())
    })?;
    Ok(session_cookie(token.secret().to_owned(), https))
}

pub fn session_cookie(value: String, https: bool) -> Cookie<'static> {
    Cookie::build(cookie_name(https), value)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::days(SESSION_DAYS))
        .finish()
}

/// Signs `user_id` in on this browser: its previous session (if any) ends and a new
/// one starts. Blocking.
pub fn reopen(
    state: &AppState,
    tenant: &Tenant,
    visitor: &Visitor,
    user_id: i64,
    method: &str,
    id_token: Option<&str>,
) -> Result<Cookie<'static>, AppError> {
    close(state, tenant, visitor)?;
    open(state, tenant, user_id, method, id_token, visitor.https)
}

/// The cookie that removes the session cookie from the browser.
pub fn removal_cookie(https: bool) -> Cookie<'static> {
    let mut c = session_cookie(String::new(), https);
    c.make_removal();
    c
}

/// Ends the visitor's current session, if any; returns its row (for the provider's
/// sign-out). Blocking.
pub fn close(state: &AppState, tenant: &Tenant, visitor: &Visitor) -> Result<Option<sessions::Session>, AppError> {
    let Some(secret) = &visitor.session_secret else { return Ok(None) };
    let hash = token_hash(secret);
    Ok(state.db.tenant(tenant, |conn| sessions::delete(conn, &hash))?)
}
