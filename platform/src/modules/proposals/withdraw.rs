//! `POST …/{id}/withdraw`: the author withdraws their proposal.
use actix_web::{post, web, HttpRequest, HttpResponse};
use tenant_core::proposals::write;
use tenant_core::CoreError;

use super::{load_ctx, user_id, visible_proposal, ProposalPath};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::see_other;
use crate::identity::MaybeUser;
use crate::state::AppState;

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

#[post("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/withdraw")]
pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ProposalPath>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &path.component()).await?;
    let user = user_id(&visitor, &ctx.url(path.proposal))?;
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, c, id) = (state.clone(), tenant.0.clone(), ctx.clone(), path.proposal);
    web::block(move || {
        s.db.tenant(&t, |conn| {
            let p = visible_proposal(conn, &c, id)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            write::withdraw(conn, &p, user)
        })
    })
    .await??;
    Ok(see_other(&format!("{}?notice=proposal_withdrawn", ctx.url(path.proposal))))
}
