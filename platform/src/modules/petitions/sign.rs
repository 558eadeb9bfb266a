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
//! Either way the answer is a redirect (303) to the petition's page, which says
//! "signed on DATE", or that the person had already signed on DATE and nothing was
//! added ([`SIGNED`], [`ALREADY`]): reloading it, or going back to it, records
//! nothing and shows the same, and the request that records a signature draws no page
//! (see BENCHMARKS.md, "Petitions").
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::accounts::verifications::{self, Gate};
use tenant_core::names::ModuleName;
use tenant_core::petitions::signatures::{self, Signed};
use tenant_core::petitions::{Signing, State};
use tenant_core::CoreError;

use super::{account_signer, load_visible, purpose};
use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::identity::page::{remove_cookie, see_other};
use crate::identity::MaybeUser;
use crate::state::AppState;

/// The petition page's notice after a new signature.
pub const SIGNED: &str = "petition_signed";
/// The petition page's notice after a signature that was already there.
pub const ALREADY: &str = "petition_already_signed";

/// The answer to a signature, new or already there: the petition's page, with the
/// notice that says which.
fn to_petition(id: i64, outcome: &Signed) -> HttpResponse {
    let notice = match outcome {
        Signed::New { .. } => SIGNED,
        Signed::Already { .. } => ALREADY,
    };
    see_other(&format!("/petitions/{id}?notice={notice}"))
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
/// ([`super::queue`]: gate, signature, count, and what the answer needs, in one
/// statement per batch), the hottest path of the module (see BENCHMARKS.md,
/// "Petitions").
#[get("/{id:\\d+}/signature")]
pub async fn signature(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    crate::modules::require(&tenant, ModuleName::Petitions)?;
    let Some(hash) = crate::identity::oidc::anonymous_proof(&state, &req, &tenant, &purpose(id)) else {
        // This link reloaded, or gone back to, after signing: the petition says it.
        if super::remembered(&state, &req, &tenant).iter().any(|(p, _)| *p == id) {
            return Ok(see_other(&format!("/petitions/{id}")));
        }
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
    let on = match outcome {
        Signed::New { on, .. } | Signed::Already { on } => on,
    };
    let mut res = to_petition(id, &outcome);
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
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
    form: web::Form<SignForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user = visitor.user.clone().ok_or_else(|| AppError::SignInRequired(format!("/petitions/{id}")))?;
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let (_, ty) = load_visible(&state, &tenant, &visitor, id).await?;
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
        Ok(outcome) => Ok(to_petition(id, &outcome)),
        Err(Gate::Verify(k)) => {
            Err(AppError::Forbidden(format!("signing this petition needs a {} verification", k.as_str())))
        }
        Err(Gate::Confirm) => Err(AppError::Forbidden("signing: confirm your email address first".into())),
        Err(Gate::Blocked) => Err(AppError::Forbidden("your account is blocked on this site".into())),
        Err(Gate::SignIn | Gate::Allowed) => Err(AppError::SignInRequired(format!("/petitions/{id}"))),
    }
}
