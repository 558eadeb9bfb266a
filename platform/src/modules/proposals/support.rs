//! `POST …/{id}/support` and `…/{id}/unsupport`. Two separate actions (not a
//! toggle), so a double submit never undoes what the person meant.
use actix_web::{post, web, HttpRequest, HttpResponse};
use tenant_core::proposals::supports;

use super::withdraw::CsrfForm;
use super::{load_ctx, permission, require, user_id, Action, ProposalPath};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::limits::Rule;
use crate::identity::page::{limit, see_other};
use crate::identity::MaybeUser;
use crate::state::AppState;

/// Support changes one account may make per minute.
const SUPPORTS_PER_USER: Rule = Rule::per_minutes(60, 1);

#[allow(clippy::too_many_arguments)]
async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    locale: tenant_core::names::Locale,
    visitor: crate::identity::Visitor,
    path: ProposalPath,
    form: CsrfForm,
    add: bool,
) -> Result<HttpResponse, AppError> {
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &path.component()).await?;
    let back = ctx.url(path.proposal);
    let user = user_id(&visitor, &back)?;
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    limit(&state, &tenant, locale, &format!("proposals:support:{}:{user}", tenant.slug), SUPPORTS_PER_USER).await?;
    let (s, t, c, id) = (state.clone(), tenant.0.clone(), ctx.clone(), path.proposal);
    let p = {
        let (s, t, c) = (s.clone(), t.clone(), c.clone());
        web::block(move || s.db.tenant(&t, |conn| permission(conn, &c, Some(user), Action::Support))).await??
    };
    require(p, "supporting proposals")?;
    let notice = web::block(move || {
        s.db.tenant(&t, |conn| {
            if add {
                supports::support(conn, c.component.id, id, user, &c.settings).map(|_| "supported")
            } else {
                supports::unsupport(conn, c.component.id, id, user).map(|_| "unsupported")
            }
        })
    })
    .await??;
    Ok(see_other(&format!("{back}?notice={notice}#supports")))
}

#[post("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/support")]
pub async fn support(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ProposalPath>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    change(req, state, tenant, locale, visitor, path.into_inner(), form.into_inner(), true).await
}

#[post("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/unsupport")]
pub async fn unsupport(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ProposalPath>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    change(req, state, tenant, locale, visitor, path.into_inner(), form.into_inner(), false).await
}
