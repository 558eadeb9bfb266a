//! Sign-in through a tenant's OpenID Connect providers (FranceConnect or any other).
//!
//! `/auth/{provider}/login` starts an authorization code flow with `state`, `nonce`
//! and PKCE. What the callback needs to finish it travels in a cookie sealed with the
//! platform key and bound to this tenant and provider (the sealing context), so a
//! response meant for another tenant or provider cannot be finished here, and no
//! replica needs to remember anything. The callback checks `state`, exchanges the
//! code, checks the ID token (signature, issuer, audience, expiry, nonce, and for
//! FranceConnect an `acr` of at least `eidas1`), reads the signed userinfo, and only
//! then touches accounts. The provider's subject is kept only as a keyed hash.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim};
use openidconnect::{
    AdditionalClaims, AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndSessionUrl,
    IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use parking_lot::Mutex;
use provisioning::identity_providers::{self, ProviderKind, SignInProvider};
use serde::{Deserialize, Serialize};
use tenant_core::accounts::users::{self, NewUser, Taken, UserRole};
use tenant_core::accounts::verifications::{self, Kind};
use tenant_core::accounts::{identities, sessions};
use tenant_core::names::Locale;
use tenant_core::{CoreError, Tenant};

use super::limits;
use super::page::{client_ip, local_next, see_other, Page};
use super::session::{self, MaybeUser, Visitor};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

const FLOW_COOKIE: &str = "civitas_oidc";
const NEW_COOKIE: &str = "civitas_oidc_new";
const LOGOUT_COOKIE: &str = "civitas_oidc_logout";
const FLOW_MINUTES: i64 = 10;
/// How long discovery documents and keys are kept before being fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// FranceConnect's eIDAS levels, lowest first; sign-in needs at least `eidas1`.
const EIDAS_LEVELS: [&str; 3] = ["eidas1", "eidas2", "eidas3"];

/// FranceConnect's claims beyond the standard ones.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct FranceConnectClaims {
    pub birthplace: Option<String>,
    pub birthcountry: Option<String>,
}
impl AdditionalClaims for FranceConnectClaims {}

/// Discovery documents (with their keys), per issuer, with an expiry.
pub struct Discovery {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, (Arc<ProviderMetadataWithLogout>, Instant)>>,
}

impl Default for Discovery {
    fn default() -> Self {
        // No redirects: a token or discovery answer that redirects is refused.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self { http, cache: Mutex::default() }
    }
}

impl Discovery {
    /// The discovery document already fetched for `issuer`, if any (never fetches).
    pub fn cached(&self, issuer: &str) -> Option<Arc<ProviderMetadataWithLogout>> {
        self.cache.lock().get(issuer).map(|(m, _)| m.clone())
    }

    async fn metadata(&self, issuer: &str, fresh: bool) -> Result<Arc<ProviderMetadataWithLogout>, Failure> {
        if !fresh {
            if let Some((m, at)) = self.cache.lock().get(issuer) {
                if at.elapsed() < DISCOVERY_TTL {
                    return Ok(m.clone());
                }
            }
        }
        let url = IssuerUrl::new(issuer.to_owned()).map_err(|_| Failure::Down(format!("bad issuer {issuer}")))?;
        let m = ProviderMetadataWithLogout::discover_async(url, &self.http)
            .await
            .map_err(|e| Failure::Down(error_chain(&e)))?;
        let m = Arc::new(m);
        self.cache.lock().insert(issuer.to_owned(), (m.clone(), Instant::now()));
        Ok(m)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Why a sign-in through a provider stopped. Each has a page a person can read.
#[derive(Debug)]
enum Failure {
    /// No flow cookie, or one for another tenant or provider, or expired.
    NoFlow,
    StateMismatch,
    /// The provider said no (its `error` and `error_description`).
    Provider(String),
    /// The code was refused at the token endpoint (used twice, expired, wrong client).
    Exchange(String),
    /// The ID token failed a check.
    IdToken(String),
    AcrTooLow(String),
    Down(String),
    Userinfo(String),
    /// The identity is linked to another account than the signed-in one.
    LinkedElsewhere,
}

impl Failure {
    fn key(&self) -> &'static str {
        match self {
            Failure::NoFlow => "oidc_no_flow",
            Failure::StateMismatch => "oidc_state_mismatch",
            Failure::Provider(_) => "oidc_provider_error",
            Failure::Exchange(_) => "oidc_exchange_failed",
            Failure::IdToken(_) => "oidc_id_token_invalid",
            Failure::AcrTooLow(_) => "oidc_acr_too_low",
            Failure::Down(_) => "oidc_provider_down",
            Failure::Userinfo(_) => "oidc_userinfo_failed",
            Failure::LinkedElsewhere => "oidc_linked_elsewhere",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Failure::Down(_) => StatusCode::SERVICE_UNAVAILABLE,
            Failure::Exchange(_) | Failure::Userinfo(_) => StatusCode::BAD_GATEWAY,
            Failure::LinkedElsewhere => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// What the person is shown: only the provider's own words.
    fn detail(&self) -> &str {
        match self {
            Failure::Provider(d) => d,
            _ => "",
        }
    }

    /// What the log says.
    fn internal(&self) -> &str {
        match self {
            Failure::Provider(d)
            | Failure::Exchange(d)
            | Failure::IdToken(d)
            | Failure::AcrTooLow(d)
            | Failure::Down(d)
            | Failure::Userinfo(d) => d,
            Failure::NoFlow | Failure::StateMismatch | Failure::LinkedElsewhere => "",
        }
    }
}

/// What the callback needs, sealed in the flow cookie.
#[derive(Serialize, Deserialize)]
struct Flow {
    state: String,
    nonce: String,
    pkce: String,
    next: String,
    /// Link the identity to this signed-in account instead of signing in.
    link_user: Option<i64>,
    /// An anonymous proof for this purpose: no account, no session, only a keyed hash.
    #[serde(default)]
    anonymous: Option<String>,
    expires: i64,
}

fn flow_context(tenant: &Tenant, provider: &str) -> String {
    format!("oidc_flow:{}:{provider}", tenant.id)
}

fn seal_cookie<T: Serialize>(
    state: &AppState,
    name: &'static str,
    path: &str,
    context: &str,
    value: &T,
    https: bool,
) -> Result<Cookie<'static>, AppError> {
    let json = serde_json::to_vec(value).map_err(|e| AppError::Internal(e.into()))?;
    let sealed = state.identity.keyring.seal(&json, context).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(Cookie::build(name, sealed)
        .path(path.to_owned())
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::minutes(FLOW_MINUTES))
        .finish())
}

fn open_cookie<T: for<'de> Deserialize<'de>>(
    state: &AppState,
    req: &HttpRequest,
    name: &str,
    context: &str,
) -> Option<T> {
    let c = req.cookie(name)?;
    let bytes = state.identity.keyring.open(c.value(), context).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn removal(name: &'static str, path: &str) -> Cookie<'static> {
    let mut c = Cookie::build(name, "").path(path.to_owned()).finish();
    c.make_removal();
    c
}

async fn provider(state: &AppState, tenant: &Tenant, key: &str) -> Result<SignInProvider, AppError> {
    if key.len() > 40 {
        return Err(AppError::NotFound);
    }
    let (s, id, k) = (state.clone(), tenant.id, key.to_owned());
    web::block(move || identity_providers::for_sign_in(&s.db, &s.identity.keyring, id, &k))
        .await??
        .ok_or(AppError::NotFound)
}

type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn client(p: &SignInProvider, metadata: &ProviderMetadataWithLogout, redirect: &str) -> Result<Client, Failure> {
    let redirect = RedirectUrl::new(redirect.to_owned()).map_err(|e| Failure::Down(e.to_string()))?;
    Ok(CoreClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(p.client_id.clone()),
        Some(ClientSecret::new(p.client_secret.expose().to_owned())),
    )
    .set_redirect_uri(redirect))
}

fn callback_url(visitor: &Visitor, key: &str) -> String {
    format!("{}/auth/{key}/callback", visitor.origin)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    next: Option<String>,
    /// Set by [`anonymous`]: the purpose of an anonymous proof.
    #[serde(skip)]
    anonymous: Option<String>,
}

/// A purpose for anonymous proofs: `petition:42`, `budget:2027:vote`...
pub fn check_purpose(purpose: &str) -> bool {
    (1..=100).contains(&purpose.len())
        && purpose.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b":_-".contains(&b))
}

#[derive(Deserialize)]
pub struct AnonymousForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    purpose: String,
    next: Option<String>,
}

/// Starts an anonymous verification for `purpose` (say, signing one petition): the
/// provider is asked for `openid` only, and the callback keeps nothing but a keyed
/// hash of the subject, salted with the tenant's key and the purpose, handed to the
/// module in a short-lived sealed cookie ([`anonymous_proof`]).
#[post("/auth/{provider}/anonymous")]
pub async fn anonymous_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    locale: RequestLocale,
    visitor: MaybeUser,
    key: web::Path<String>,
    form: web::Form<AnonymousForm>,
) -> Result<HttpResponse, AppError> {
    if !check_purpose(&form.purpose) {
        return Err(AppError::BadRequest("purpose: 1 to 100 of a-z, 0-9, ':', '_' and '-'".into()));
    }
    let form = form.into_inner();
    let login_form = LoginForm { csrf: form.csrf, next: form.next, anonymous: Some(form.purpose) };
    begin(req, state, tenant, locale, visitor, key, login_form).await
}

const ANON_COOKIE: &str = "civitas_anon";

fn anon_context(tenant: &Tenant, purpose: &str) -> String {
    proof_context(tenant.id, purpose)
}

fn proof_context(tenant_id: uuid::Uuid, purpose: &str) -> String {
    format!("anonymous_proof:{tenant_id}:{purpose}")
}

#[derive(Serialize, Deserialize)]
struct AnonymousProof {
    purpose: String,
    subject_hash: String,
    expires: i64,
}

/// The keyed hash proven for `purpose` by this browser in the last minutes, if any.
/// A module records it with `verifications::claim_anonymous` in the same transaction
/// as the action (one signature per person and purpose).
pub fn anonymous_proof(state: &AppState, req: &HttpRequest, tenant: &Tenant, purpose: &str) -> Option<String> {
    open_cookie::<AnonymousProof>(state, req, ANON_COOKIE, &anon_context(tenant, purpose))
        .filter(|p| p.purpose == purpose && p.expires > chrono::Utc::now().timestamp())
        .map(|p| p.subject_hash)
}

/// The value of the proof cookie for `subject_hash` and `purpose` on tenant
/// `tenant_id`, valid until `expires` (Unix seconds): sealed with the platform key,
/// bound to the tenant and the purpose. The callback makes it after a verified
/// flow; the signing load benchmark and the crash test mint their own (the flow
/// itself is tested on its own).
pub fn seal_anonymous_proof(
    keyring: &tenant_core::secrets::Keyring,
    tenant_id: uuid::Uuid,
    purpose: &str,
    subject_hash: &str,
    expires: i64,
) -> Result<String, AppError> {
    let proof = AnonymousProof { purpose: purpose.to_owned(), subject_hash: subject_hash.to_owned(), expires };
    let json = serde_json::to_vec(&proof).map_err(|e| AppError::Internal(e.into()))?;
    keyring.seal(&json, &proof_context(tenant_id, purpose)).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

/// The proof cookie, to remove once a module has used it.
pub fn anonymous_proof_removal() -> Cookie<'static> {
    Cookie::build(ANON_COOKIE, "").path("/").finish()
}

/// Starts the flow: a POST (with the form token), so that another site cannot start
/// it in the visitor's name. Linking to the signed-in account when there is one.
#[post("/auth/{provider}/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    locale: RequestLocale,
    visitor: MaybeUser,
    key: web::Path<String>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    begin(req, state, tenant, locale, visitor, key, form.into_inner()).await
}

async fn begin(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    key: web::Path<String>,
    form: LoginForm,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    super::page::limit(
        &state,
        &tenant,
        locale,
        &format!("oidc:{}:{}", tenant.slug, client_ip(&req, &state)),
        limits::OIDC_PER_IP,
    )
    .await?;
    let p = provider(&state, &tenant, &key).await?;
    let metadata = match state.identity.discovery.metadata(&p.issuer, false).await {
        Ok(m) => m,
        Err(f) => return failure_page(&state, &req, &tenant, locale, &visitor, &p, f),
    };
    let c = match client(&p, &metadata, &callback_url(&visitor, &p.key)) {
        Ok(c) => c,
        Err(f) => return failure_page(&state, &req, &tenant, locale, &visitor, &p, f),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut auth = c
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            // FranceConnect wants at least 32 characters of each.
            || CsrfToken::new_random_len(32),
            || Nonce::new_random_len(32),
        )
        .set_pkce_challenge(challenge);
    // An anonymous proof asks for nothing but the subject.
    let scopes: &[String] = if form.anonymous.is_some() { &[] } else { &p.scopes };
    for scope in scopes.iter().filter(|s| s.as_str() != "openid") {
        auth = auth.add_scope(Scope::new(scope.clone()));
    }
    let acr = match (&p.acr_values, p.kind) {
        (Some(a), _) if !a.trim().is_empty() => Some(a.trim().to_owned()),
        (_, ProviderKind::FranceConnect) => Some("eidas1".to_owned()),
        _ => None,
    };
    if let Some(a) = acr {
        auth = auth.add_auth_context_value(AuthenticationContextClass::new(a));
    }
    let (url, csrf_state, nonce) = auth.url();
    let flow = Flow {
        state: csrf_state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce: verifier.secret().clone(),
        next: local_next(form.next.as_deref()),
        link_user: visitor.user.as_ref().map(|u| u.id).filter(|_| form.anonymous.is_none()),
        anonymous: form.anonymous.clone(),
        expires: chrono::Utc::now().timestamp() + FLOW_MINUTES * 60,
    };
    let cookie = seal_cookie(&state, FLOW_COOKIE, "/auth/", &flow_context(&tenant, &p.key), &flow, visitor.https)?;
    let mut res = see_other(url.as_str());
    super::page::set_cookie(&mut res, &cookie)?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// What the provider told us about the person, checked.
struct Verified {
    subject: String,
    id_token: String,
    email: Option<String>,
    email_verified: bool,
    claims: serde_json::Value,
}

#[get("/auth/{provider}/callback")]
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    key: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let p = provider(&state, &tenant, &key).await?;
    let flow: Option<Flow> = open_cookie(&state, &req, FLOW_COOKIE, &flow_context(&tenant, &p.key));
    let is_anonymous = flow.as_ref().is_some_and(|f| f.anonymous.is_some());
    let verified = finish(&state, &visitor, &p, flow.as_ref(), &query, is_anonymous).await;
    let mut res = match verified {
        Err(f) => failure_page(&state, &req, &tenant, locale, &visitor, &p, f)?,
        Ok(v) => {
            let flow = flow.ok_or(AppError::Internal(anyhow::anyhow!("flow vanished")))?;
            match &flow.anonymous {
                Some(purpose) => prove(&state, &tenant, &visitor, purpose, &v, &flow).await?,
                None => land(&state, &req, &tenant, locale, &visitor, &p, v, &flow).await?,
            }
        }
    };
    // The flow is used up whatever happened.
    super::page::remove_cookie(&mut res, &removal(FLOW_COOKIE, "/auth/"))?;
    Ok(res)
}

async fn finish(
    state: &AppState,
    visitor: &Visitor,
    p: &SignInProvider,
    flow: Option<&Flow>,
    query: &CallbackQuery,
    only_subject: bool,
) -> Result<Verified, Failure> {
    let flow = flow.filter(|f| f.expires > chrono::Utc::now().timestamp()).ok_or(Failure::NoFlow)?;
    let sent_state = query.state.as_deref().unwrap_or("");
    if !provisioning::auth::constant_time_eq(sent_state.as_bytes(), flow.state.as_bytes()) {
        return Err(Failure::StateMismatch);
    }
    if let Some(error) = &query.error {
        let description = query.error_description.as_deref().unwrap_or("");
        return Err(Failure::Provider(format!("{error}: {description}").chars().take(300).collect()));
    }
    let code =
        query.code.clone().filter(|c| !c.is_empty() && c.len() < 2000).ok_or(Failure::Provider("no code".into()))?;
    let metadata = state.identity.discovery.metadata(&p.issuer, false).await?;
    let c = client(p, &metadata, &callback_url(visitor, &p.key))?;
    let http = &state.identity.discovery.http;
    let token = c
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| Failure::Down(e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce.clone()))
        .request_async(http)
        .await
        .map_err(|e| match e {
            openidconnect::RequestTokenError::Request(_) => Failure::Down(error_chain(&e)),
            _ => Failure::Exchange(error_chain(&e)),
        })?;
    let id_token = token.id_token().ok_or_else(|| Failure::IdToken("no ID token".into()))?;
    let nonce = Nonce::new(flow.nonce.clone());
    let verifier = c.id_token_verifier();
    let claims = match id_token.claims(&verifier, &nonce) {
        Ok(c) => c.clone(),
        Err(first) => {
            // Keys may have rotated: fetch discovery and keys again, once.
            let fresh = state.identity.discovery.metadata(&p.issuer, true).await?;
            let c2 = client(p, &fresh, &callback_url(visitor, &p.key))?;
            let verifier = c2.id_token_verifier();
            id_token.claims(&verifier, &nonce).map_err(|_| Failure::IdToken(error_chain(&first)))?.clone()
        }
    };
    if p.kind == ProviderKind::FranceConnect || p.acr_values.as_deref().is_some_and(|a| a.starts_with("eidas")) {
        let acr = claims.auth_context_ref().map(|a| a.as_str().to_owned()).unwrap_or_default();
        if !EIDAS_LEVELS.contains(&acr.as_str()) {
            return Err(Failure::AcrTooLow(acr));
        }
    }
    let subject = claims.subject().as_str().to_owned();
    let mut email = claims.email().map(|e| e.as_str().to_owned());
    let mut email_verified = claims.email_verified().unwrap_or(false);
    let mut details = serde_json::json!({ "acr": claims.auth_context_ref().map(|a| a.as_str()) });
    if let Some(url) = metadata.userinfo_endpoint().filter(|_| !only_subject) {
        let info = userinfo(state, p, url.url().as_str(), token.access_token().secret(), claims.subject()).await?;
        if let Some(e) = info.email() {
            email = Some(e.as_str().to_owned());
            // FranceConnect's identity providers vouch for the address.
            email_verified = p.kind == ProviderKind::FranceConnect || info.email_verified().unwrap_or(false);
        }
        details = serde_json::json!({
            "acr": claims.auth_context_ref().map(|a| a.as_str()),
            "given_name": info.given_name().and_then(|n| n.get(None)).map(|n| n.as_str()),
            "family_name": info.family_name().and_then(|n| n.get(None)).map(|n| n.as_str()),
            "preferred_username": info.preferred_username().map(|n| n.as_str()),
            "birthdate": info.birthdate().map(|b| b.as_str()),
            "gender": info.gender().map(|g| format!("{g:?}").to_lowercase()),
            "birthplace": info.additional_claims().birthplace,
            "birthcountry": info.additional_claims().birthcountry,
        });
    }
    Ok(Verified { subject, id_token: id_token.to_string(), email, email_verified, claims: details })
}

/// Reads the userinfo endpoint right after the token (FranceConnect's access tokens
/// live about a minute). A signed answer (`application/jwt`, which FranceConnect
/// sends and which is required of it) has its signature checked against the
/// provider's keys (ES256 or RS256; openidconnect's own userinfo verifier accepts
/// RS256 only), its issuer, audience and subject.
async fn userinfo(
    state: &AppState,
    p: &SignInProvider,
    url: &str,
    access_token: &str,
    subject: &openidconnect::SubjectIdentifier,
) -> Result<UserInfoClaims<FranceConnectClaims, CoreGenderClaim>, Failure> {
    let http = &state.identity.discovery.http;
    let resp = http
        .get(url)
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, "application/jwt, application/json")
        .send()
        .await
        .map_err(|e| Failure::Down(error_chain(&e)))?;
    if !resp.status().is_success() {
        return Err(Failure::Userinfo(format!("userinfo answered {}", resp.status())));
    }
    let jwt = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/jwt"));
    let body = resp.bytes().await.map_err(|e| Failure::Down(error_chain(&e)))?;
    let payload = if jwt {
        let text = std::str::from_utf8(&body).map_err(|_| Failure::Userinfo("userinfo is not text".into()))?;
        let checked = match verify_jwt(state, p, text.trim(), false).await {
            Err(Failure::Userinfo(_)) => verify_jwt(state, p, text.trim(), true).await?,
            other => other?,
        };
        checked
    } else if p.kind == ProviderKind::FranceConnect {
        return Err(Failure::Userinfo("FranceConnect must sign its userinfo".into()));
    } else {
        body.to_vec()
    };
    UserInfoClaims::<FranceConnectClaims, CoreGenderClaim>::from_json::<std::io::Error>(&payload, Some(subject))
        .map_err(|e| Failure::Userinfo(error_chain(&e)))
}

/// Checks a signed userinfo answer and returns its payload.
async fn verify_jwt(state: &AppState, p: &SignInProvider, jwt: &str, fresh_keys: bool) -> Result<Vec<u8>, Failure> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use openidconnect::core::CoreJwsSigningAlgorithm;
    use openidconnect::JsonWebKey;

    let bad = |why: &str| Failure::Userinfo(format!("signed userinfo: {why}"));
    let mut parts = jwt.split('.');
    let (Some(h), Some(b), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad("not a JWT"));
    };
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).map_err(|_| bad("header"))?).map_err(|_| bad("header"))?;
    let alg = match header["alg"].as_str() {
        Some("ES256") => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        Some("RS256") => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        other => return Err(bad(&format!("algorithm {other:?} not accepted"))),
    };
    let kid = header["kid"].as_str();
    let signature = URL_SAFE_NO_PAD.decode(sig).map_err(|_| bad("signature encoding"))?;
    let metadata = state.identity.discovery.metadata(&p.issuer, fresh_keys).await?;
    let message = format!("{h}.{b}");
    let verified = metadata.jwks().keys().iter().any(|k| {
        kid.is_none_or(|kid| k.key_id().is_some_and(|id| id.as_str() == kid))
            && k.verify_signature(&alg, message.as_bytes(), &signature).is_ok()
    });
    if !verified {
        return Err(bad("signature does not verify with the provider's keys"));
    }
    let payload = URL_SAFE_NO_PAD.decode(b).map_err(|_| bad("payload encoding"))?;
    let claims: serde_json::Value = serde_json::from_slice(&payload).map_err(|_| bad("payload"))?;
    if claims["iss"].as_str() != Some(p.issuer.as_str()) {
        return Err(Failure::IdToken(format!("userinfo issuer {:?}", claims["iss"])));
    }
    let aud_ok = match &claims["aud"] {
        serde_json::Value::String(a) => a == &p.client_id,
        serde_json::Value::Array(list) => list.iter().any(|a| a.as_str() == Some(p.client_id.as_str())),
        _ => false,
    };
    if !aud_ok {
        return Err(Failure::IdToken(format!("userinfo audience {:?}", claims["aud"])));
    }
    Ok(payload)
}

/// After a verified anonymous flow: only the keyed hash, in a sealed cookie for the
/// module that asked; no account, no session, no claims kept.
async fn prove(
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    visitor: &Visitor,
    purpose: &str,
    v: &Verified,
    flow: &Flow,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let key = web::block(move || s.identity.tenant_key(&s.db, &t)).await??;
    let hash = key.hash(&format!("anonymous:{purpose}"), &v.subject);
    let expires = chrono::Utc::now().timestamp() + FLOW_MINUTES * 60;
    let sealed = seal_anonymous_proof(&state.identity.keyring, tenant.id, purpose, &hash, expires)?;
    let cookie = Cookie::build(ANON_COOKIE, sealed)
        .path("/")
        .http_only(true)
        .secure(visitor.https)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::minutes(FLOW_MINUTES))
        .finish();
    let mut res = see_other(&flow.next);
    super::page::set_cookie(&mut res, &cookie)?;
    Ok(res)
}

/// The verification a provider gives.
fn verification_kind(p: &SignInProvider) -> Kind {
    match p.kind {
        ProviderKind::FranceConnect => Kind::Franceconnect,
        ProviderKind::Oidc => Kind::Oidc,
    }
}

/// After a verified answer: link to the signed-in account, sign in to the linked
/// account, or ask a newcomer for a nickname.
#[allow(clippy::too_many_arguments)]
async fn land(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    p: &SignInProvider,
    v: Verified,
    flow: &Flow,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let key = web::block(move || s.identity.tenant_key(&s.db, &t)).await??;
    let subject_hash = key.hash(&format!("identity:{}", p.key), &v.subject);
    let kind = verification_kind(p);
    let (s, t, pk, sh, claims) =
        (state.clone(), tenant.0.clone(), p.key.clone(), subject_hash.clone(), v.claims.clone());
    let link_user = flow.link_user.filter(|id| visitor.user.as_ref().is_some_and(|u| u.id == *id));
    let existing = web::block(move || {
        s.db.tenant(&t, |conn| {
            let found = identities::account_for(conn, &pk, &sh)?;
            match (found, link_user) {
                (Some(owner), Some(me)) if owner != me => Ok::<_, CoreError>(Err(())),
                (None, Some(me)) => {
                    identities::link(conn, me, &pk, &sh)?;
                    verifications::grant_with(conn, me, kind, &pk, &pk, None, &claims)?;
                    Ok(Ok(Some(me)))
                }
                (Some(owner), _) => {
                    verifications::grant_with(conn, owner, kind, &pk, &pk, None, &claims)?;
                    Ok(Ok(Some(owner)))
                }
                (None, None) => Ok(Ok(None)),
            }
        })
    })
    .await??;
    let user_id = match existing {
        Err(()) => return failure_page(state, req, tenant, locale, visitor, p, Failure::LinkedElsewhere),
        Ok(Some(id)) => id,
        Ok(None) => {
            let pending = Pending {
                provider: p.key.clone(),
                subject_hash,
                email: v.email.filter(|_| v.email_verified),
                id_token: v.id_token,
                claims: v.claims,
                next: flow.next.clone(),
                expires: chrono::Utc::now().timestamp() + FLOW_MINUTES * 60,
            };
            let cookie = seal_cookie(state, NEW_COOKIE, "/auth/", &new_context(tenant), &pending, visitor.https)?;
            let mut res = see_other("/auth/welcome");
            super::page::set_cookie(&mut res, &cookie)?;
            return Ok(res);
        }
    };
    if link_user == Some(user_id) {
        return Ok(see_other("/account?notice=identity_linked"));
    }
    let (s, t, vis, pk, idt) = (state.clone(), tenant.0.clone(), visitor.clone(), p.key.clone(), v.id_token);
    let cookie = web::block(move || {
        session::close(&s, &t, &vis)?;
        session::open(&s, &t, user_id, &pk, Some(&idt), vis.https)
    })
    .await??;
    let mut res = see_other(&flow.next);
    super::page::set_cookie(&mut res, &cookie)?;
    Ok(res)
}

/// A newcomer's verified identity, waiting for a nickname and the terms.
#[derive(Serialize, Deserialize)]
struct Pending {
    provider: String,
    subject_hash: String,
    email: Option<String>,
    id_token: String,
    claims: serde_json::Value,
    next: String,
    expires: i64,
}

fn new_context(tenant: &Tenant) -> String {
    format!("oidc_new:{}", tenant.id)
}

fn pending(state: &AppState, req: &HttpRequest, tenant: &Tenant) -> Option<Pending> {
    open_cookie::<Pending>(state, req, NEW_COOKIE, &new_context(tenant))
        .filter(|p| p.expires > chrono::Utc::now().timestamp())
}

#[get("/auth/welcome")]
pub async fn welcome_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
) -> Result<HttpResponse, AppError> {
    let Some(p) = pending(&state, &req, &tenant) else {
        return super::page::message(&state, &req, &tenant, locale, &visitor, "oidc_no_flow", StatusCode::GONE);
    };
    welcome_page(&state, &req, &tenant, locale, &visitor, &p, "", None, StatusCode::OK)
}

#[allow(clippy::too_many_arguments)]
fn welcome_page(
    state: &AppState,
    req: &HttpRequest,
    tenant: &Tenant,
    locale: Locale,
    visitor: &Visitor,
    p: &Pending,
    nickname: &str,
    error: Option<(&str, &str)>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let theme = state.themes.get(tenant.theme.as_str());
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("provider_email", &p.email);
    page.ctx.insert("nickname", nickname);
    let errors: HashMap<&str, String> = error.map(|(f, k)| (f, theme.message(locale, k))).into_iter().collect();
    page.ctx.insert("errors", &errors);
    page.render(state, tenant, "account/welcome.html", status)
}

#[derive(Deserialize)]
pub struct WelcomeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nickname: String,
    terms: Option<String>,
}

#[post("/auth/welcome")]
pub async fn welcome(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    form: web::Form<WelcomeForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let Some(p) = pending(&state, &req, &tenant) else {
        return super::page::message(&state, &req, &tenant, locale, &visitor, "oidc_no_flow", StatusCode::GONE);
    };
    if users::check_nickname(&form.nickname).is_err() {
        return welcome_page(
            &state,
            &req,
            &tenant,
            locale,
            &visitor,
            &p,
            &form.nickname,
            Some(("nickname", "field_nickname_invalid")),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    if form.terms.is_none() {
        return welcome_page(
            &state,
            &req,
            &tenant,
            locale,
            &visitor,
            &p,
            &form.nickname,
            Some(("terms", "field_terms_required")),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let provider = provider(&state, &tenant, &p.provider).await?;
    let kind = verification_kind(&provider);
    let (s, t, nickname) = (state.clone(), tenant.0.clone(), form.nickname.clone());
    let (pk, sh, email, claims) = (p.provider.clone(), p.subject_hash.clone(), p.email.clone(), p.claims.clone());
    let created = web::block(move || {
        s.db.tenant(&t, |conn| {
            if identities::account_for(conn, &pk, &sh)?.is_some() {
                return Ok::<_, CoreError>(Err(Some(Taken::Email)));
            }
            if t.max_users.is_some_and(|max| users::count_live(conn).is_ok_and(|n| n >= i64::from(max))) {
                return Ok(Err(None));
            }
            // The provider's address, unless another account already uses it.
            let email = email.filter(|e| users::find_by_email(conn, e).ok().flatten().is_none());
            let new = NewUser {
                nickname: &nickname,
                email: email.as_deref(),
                password_hash: None,
                locale,
                email_confirmed: email.is_some(),
                role: UserRole::Participant,
            };
            match users::create(conn, &new)? {
                Ok(id) => {
                    identities::link(conn, id, &pk, &sh)?;
                    verifications::grant_with(conn, id, kind, &pk, &pk, None, &claims)?;
                    Ok(Ok(id))
                }
                Err(t) => Ok(Err(Some(t))),
            }
        })
    })
    .await??;
    let user_id = match created {
        Ok(id) => id,
        Err(None) => {
            return super::page::message(&state, &req, &tenant, locale, &visitor, "users_limit", StatusCode::CONFLICT)
        }
        Err(Some(Taken::Nickname)) => {
            return welcome_page(
                &state,
                &req,
                &tenant,
                locale,
                &visitor,
                &p,
                &form.nickname,
                Some(("nickname", "field_nickname_taken")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        // Already made (a second submit): sign in to it below is not possible
        // without the account id, so send them through the provider again.
        Err(Some(Taken::Email)) => {
            return super::page::message(&state, &req, &tenant, locale, &visitor, "oidc_no_flow", StatusCode::GONE)
        }
    };
    let (s, t, vis, pk, idt) =
        (state.clone(), tenant.0.clone(), visitor.clone(), p.provider.clone(), p.id_token.clone());
    let cookie = web::block(move || {
        session::close(&s, &t, &vis)?;
        session::open(&s, &t, user_id, &pk, Some(&idt), vis.https)
    })
    .await??;
    let mut res = see_other(&p.next);
    super::page::set_cookie(&mut res, &cookie)?;
    super::page::remove_cookie(&mut res, &removal(NEW_COOKIE, "/auth/"))?;
    Ok(res)
}

/// After the local session is closed: for a session opened through a provider with
/// an end-session endpoint, the redirect that signs out there too (with the ID token
/// as `id_token_hint`, a `state` and our `post_logout_redirect_uri`).
pub async fn end_session_redirect(
    state: &AppState,
    tenant: &Tenant,
    visitor: &Visitor,
    session: &sessions::Session,
) -> Result<HttpResponse, AppError> {
    let done = see_other("/?notice=signed_out");
    let Some(id_token) = &session.id_token else { return Ok(done) };
    let Ok(p) = provider(state, tenant, &session.method).await else { return Ok(done) };
    let Ok(metadata) = state.identity.discovery.metadata(&p.issuer, false).await else { return Ok(done) };
    let Some(endpoint) = metadata.additional_metadata().end_session_endpoint.clone() else { return Ok(done) };
    let Ok(hint) = id_token.parse::<openidconnect::core::CoreIdToken>() else { return Ok(done) };
    let back = format!("{}/auth/{}/signed-out", visitor.origin, p.key);
    let Ok(back) = PostLogoutRedirectUrl::new(back) else { return Ok(done) };
    let logout_state = CsrfToken::new_random_len(32);
    let url = LogoutRequest::from(EndSessionUrl::from_url(endpoint.url().clone()))
        .set_id_token_hint(&hint)
        .set_client_id(ClientId::new(p.client_id.clone()))
        .set_post_logout_redirect_uri(back)
        .set_state(logout_state.clone())
        .http_get_url();
    let cookie = seal_cookie(
        state,
        LOGOUT_COOKIE,
        "/auth/",
        &format!("oidc_logout:{}:{}", tenant.id, p.key),
        &logout_state.secret(),
        visitor.https,
    )?;
    let mut res = see_other(url.as_str());
    super::page::set_cookie(&mut res, &cookie)?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct SignedOutQuery {
    state: Option<String>,
}

/// Back from the provider's sign-out: `state` must be the one we sent.
#[get("/auth/{provider}/signed-out")]
pub async fn signed_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    key: web::Path<String>,
    query: web::Query<SignedOutQuery>,
) -> Result<HttpResponse, AppError> {
    let expected: Option<String> =
        open_cookie(&state, &req, LOGOUT_COOKIE, &format!("oidc_logout:{}:{}", tenant.id, key.as_str()));
    let sent = query.state.as_deref().unwrap_or("");
    let ok = expected.is_some_and(|e| provisioning::auth::constant_time_eq(e.as_bytes(), sent.as_bytes()));
    let mut res = if ok {
        see_other("/?notice=signed_out")
    } else {
        super::page::message(
            &state,
            &req,
            &tenant,
            locale,
            &visitor,
            "oidc_logout_unexpected",
            StatusCode::BAD_REQUEST,
        )?
    };
    super::page::remove_cookie(&mut res, &removal(LOGOUT_COOKIE, "/auth/"))?;
    Ok(res)
}

fn failure_page(
    state: &AppState,
    req: &HttpRequest,
    tenant: &Tenant,
    locale: Locale,
    visitor: &Visitor,
    p: &SignInProvider,
    failure: Failure,
) -> Result<HttpResponse, AppError> {
    tracing::warn!(tenant = %tenant.slug, provider = %p.key, reason = failure.key(), detail = failure.internal(), "sign-in through a provider refused");
    let theme = state.themes.get(tenant.theme.as_str());
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx
        .insert("title", &theme.message(locale, &format!("{}_title", failure.key())).replace("{provider}", &p.label));
    page.ctx.insert("text", &theme.message(locale, &format!("{}_text", failure.key())).replace("{provider}", &p.label));
    page.ctx.insert("detail", failure.detail());
    page.ctx.insert("reason", failure.key());
    page.render(state, tenant, "account/message.html", failure.status())
}
