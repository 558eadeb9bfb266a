//! Recording a signature.
//!
//! `GET /petitions/{id}/signature` is where FranceConnect's anonymous flow comes
//! back to (its `next`): the proof cookie holds the keyed hash of the subject for
//! purpose `petition:<id>`, made by the callback after checking the ID token
//! (`acr` at least `eidas1`). A request without a valid proof for this petition
//! records nothing. Another site cannot use this link against a visitor: the proof
//! exists only after the visitor went through FranceConnect for this very petition,
//! starting from a form of this site.
//!
//! `POST /petitions/{id}/sign` signs with the visitor's account (types that ask for
//! an account or an account verification), with the form token.
//!
//! Either way the answer says "signed on DATE", or that the person had already
//! signed on DATE and nothing was added.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::accounts::verifications::{self, Gate};
use tenant_core::names::ModuleName;
use tenant_core::petitions::signatures::{self, Signed};
use tenant_core::petitions::{Signing, State};
use tenant_core::CoreError;

use super::{account_signer, load_visible, purpose};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::{remove_cookie, Page};
use crate::identity::{MaybeUser, Visitor};
use crate::state::AppState;

/// What the answer page shows of the petition.
struct Shown {
    id: i64,
    title: String,
    threshold: Option<i32>,
    type_title: String,
    /// The count before this request (the answer adds a new signature to it).
    count: i64,
}

/// The answer page for a signature, new or already there.
fn signed_page(
    state: &AppState,
    req: &HttpRequest,
    tenant: &tenant_core::Tenant,
    locale: tenant_core::names::Locale,
    visitor: &Visitor,
    shown: Shown,
    outcome: Signed,
) -> Result<HttpResponse, AppError> {
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx
        .insert("petition", &serde_json::json!({ "id": shown.id, "title": shown.title, "threshold": shown.threshold }));
    page.ctx.insert("type_title", &shown.type_title);
    let (new, on, count) = match outcome {
        Signed::New { on, count } => (true, on, count),
        Signed::Already { on } => (false, on, shown.count),
    };
    page.ctx.insert("new", &new);
    page.ctx.insert("signed_on", &on);
    page.ctx.insert("count", &count);
    page.render(state, tenant, "petitions/signed.html", StatusCode::OK)
}

/// A failed signature batch, as the answer to one of its signers.
fn queue_error(e: std::sync::Arc<CoreError>) -> AppError {
    match &*e {
        CoreError::Unavailable(m) => AppError::Unavailable(m.clone()),
        CoreError::Invalid(m) => AppError::BadRequest(m.clone()),
        _ => AppError::Internal(anyhow::Error::new(e)),
    }
}

fn refused(e: CoreError) -> AppError {
    match e {
        CoreError::Forbidden(m) => AppError::Forbidden(m),
        other => other.into(),
    }
}

/// Records the signature the proof cookie stands for, through the signature queue
/// ([`super::queue`]: gate, signature, count, and what the page shows, in one
/// statement per batch), the hottest path of the module (see BENCHMARKS.md,
/// "Petitions").
#[get("/{id:\\d+}/signature")]
pub async fn signature(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    crate::modules::require(&tenant, ModuleName::Petitions)?;
    let Some(hash) = crate::identity::oidc::anonymous_proof(&state, &req, &tenant, &purpose(id)) else {
        return Err(AppError::Forbidden(
            "no FranceConnect check for this petition in the last minutes: go back to the petition and press “Sign” again"
                .into(),
        ));
    };
    let now = chrono::Utc::now();
    let ask = signatures::Ask { id, signer: hash.clone() };
    let sig = state.signatures.sign(tenant.0.clone(), ask).await.map_err(queue_error)?.ok_or(AppError::NotFound)?;
    // Who may know the petition exists: as on its page.
    let admin = visitor.user.as_ref().is_some_and(|u| u.is_admin);
    let author = visitor.user.as_ref().is_some_and(|u| Some(u.id) == sig.author_id);
    let public = State::parse(&sig.state).is_ok_and(State::is_public);
    if !admin && ((!public && !author) || sig.hidden) {
        return Err(AppError::NotFound);
    }
    let outcome = match (sig.new_on, sig.earlier_on) {
        (_, Some(on)) => Signed::Already { on },
        (Some(on), None) => {
            let count = sig.before + 1;
            if sig.state == "open" && sig.threshold.is_some_and(|t| count >= i64::from(t)) {
                let (s, t) = (state.clone(), tenant.0.clone());
                web::block(move || s.db.tenant(&t, |conn| signatures::reach_threshold_now(conn, id, now))).await??;
            }
            Signed::New { on, count }
        }
        (None, None) if !sig.anonymous => {
            return Err(AppError::Forbidden("this petition is signed with an account, from its page".into()))
        }
        (None, None) if !sig.open => {
            let state = State::parse(&sig.state)?;
            return Err(AppError::Forbidden(tenant_core::petitions::refusal_or_period_over(state, sig.hidden).into()));
        }
        (None, None) => {
            // The same person's other request got there a moment before.
            let (s, t) = (state.clone(), tenant.0.clone());
            let on = web::block(move || s.db.tenant(&t, |conn| signatures::signed_on(conn, id, &hash))).await??;
            Signed::Already { on: on.unwrap_or(now.date_naive()) }
        }
    };
    let shown = Shown {
        id,
        title: sig.title,
        threshold: sig.threshold,
        type_title: tenant_core::spaces::pick(&sig.type_title, &[locale, tenant.default_locale]).0,
        count: sig.before,
    };
    let on = match outcome {
        Signed::New { on, .. } | Signed::Already { on } => on,
    };
    let mut res = signed_page(&state, &req, &tenant, locale, &visitor, shown, outcome)?;
    // The proof has done its work; the browser remembers the signature (not the site).
    remove_cookie(&mut res, &crate::identity::oidc::anonymous_proof_removal())?;
    let cookie = super::remember(&state, &req, &tenant, id, on, visitor.https)?;
    crate::identity::page::set_cookie(&mut res, &cookie)?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct SignForm {
    #[serde(default)]
    csrf: String,
    /// "1": show my nickname among the signers (types that show signers).
    #[serde(default)]
    show_nickname: String,
}

#[post("/{id:\\d+}/sign")]
pub async fn sign_with_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
    form: web::Form<SignForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user = visitor.user.clone().ok_or_else(|| AppError::SignInRequired(format!("/petitions/{id}")))?;
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let (p, ty) = load_visible(&state, &tenant, &visitor, id).await?;
    let Signing::Account(requirement) = ty.signing() else {
        return Err(AppError::Forbidden("this petition is signed through FranceConnect, from its page".into()));
    };
    let (s, t) = (state.clone(), tenant.0.clone());
    let key = web::block(move || s.identity.tenant_key(&s.db, &t)).await??;
    let signer = account_signer(&key, id, user.id);
    let nickname = (form.show_nickname == "1" && ty.show_signers).then(|| user.nickname.clone());
    let (s, t) = (state.clone(), tenant.0.clone());
    let now = chrono::Utc::now();
    let outcome = web::block(move || {
        s.db.tenant(&t, |conn| match verifications::gate(conn, Some(user.id), requirement)? {
            Gate::Allowed => signatures::sign(conn, id, &signer, nickname.as_deref(), now).map(Ok),
            other => Ok(Err(other)),
        })
    })
    .await?
    .map_err(refused)?;
    match outcome {
        Ok(outcome) => {
            let shown = Shown {
                id,
                title: p.title.clone(),
                threshold: p.threshold,
                type_title: ty.title_in(&[locale, tenant.default_locale]),
                count: p.signatures,
            };
            signed_page(&state, &req, &tenant, locale, &visitor, shown, outcome)
        }
        Err(Gate::Verify(k)) => {
            Err(AppError::Forbidden(format!("signing this petition needs a {} verification", k.as_str())))
        }
        Err(Gate::Confirm) => Err(AppError::Forbidden("signing: confirm your email address first".into())),
        Err(Gate::Blocked) => Err(AppError::Forbidden("your account is blocked on this site".into())),
        Err(Gate::SignIn | Gate::Allowed) => Err(AppError::SignInRequired(format!("/petitions/{id}"))),
    }
}
