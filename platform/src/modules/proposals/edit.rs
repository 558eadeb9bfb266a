//! `GET|POST …/{id}/edit`: the author edits their proposal within the component's
//! edit window (each edit is kept as a version).
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::proposals::write::{self, Draft};
use tenant_core::CoreError;

use super::new::{render_form, Mode, Values};
use super::{load_ctx, user_id, visible_proposal, ProposalPath};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::see_other;
use crate::identity::MaybeUser;
use crate::state::AppState;

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/edit")]
pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ProposalPath>,
) -> Result<HttpResponse, AppError> {
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &path.component()).await?;
    let user = user_id(&visitor, &format!("{}/edit", ctx.url(path.proposal)))?;
    let (s, t, c, id) = (state.clone(), tenant.0.clone(), ctx.clone(), path.proposal);
    let p =
        web::block(move || s.db.tenant(&t, |conn| visible_proposal(conn, &c, id))).await??.ok_or(AppError::NotFound)?;
    if !write::editable_by(&p, user, &ctx.settings) {
        return Err(AppError::Forbidden(format!(
            "a proposal can be edited by its author only during the {} minutes after publication",
            ctx.settings.edit_window_minutes
        )));
    }
    let values = Values {
        title: p.title.clone(),
        body: crate::modules::comments::editable_text(&p.body),
        category: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
        address: p.address.clone().unwrap_or_default(),
        submission: String::new(),
    };
    render_form(&req, &state, &tenant, locale, &visitor, &ctx, Mode::Edit(p.id), &values, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    address: String,
}

#[post("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/edit")]
#[allow(clippy::too_many_arguments)]
pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ProposalPath>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &path.component()).await?;
    let user = user_id(&visitor, &format!("{}/edit", ctx.url(path.proposal)))?;
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let values = Values {
        title: form.title.clone(),
        body: form.body.clone(),
        category: form.category.clone(),
        address: form.address.clone(),
        submission: String::new(),
    };
    let draft = Draft {
        title: form.title.clone(),
        body: form.body.clone(),
        category_id: form.category.parse().ok(),
        address: form.address.clone(),
    };
    let checked = match write::check(&draft, &ctx.settings) {
        Ok(c) => c,
        Err(e) => {
            return render_form(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                &ctx,
                Mode::Edit(path.proposal),
                &values,
                Some(e.to_string()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let (s, t, c, id) = (state.clone(), tenant.0.clone(), ctx.clone(), path.proposal);
    let r = web::block(move || {
        s.db.tenant(&t, |conn| {
            let p = visible_proposal(conn, &c, id)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            write::edit(conn, &p, user, &checked, &c.settings)
        })
    })
    .await?;
    match r {
        Ok(()) => Ok(see_other(&format!("{}?notice=proposal_saved", ctx.url(path.proposal)))),
        Err(CoreError::Invalid(m)) => {
            render_form(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                &ctx,
                Mode::Edit(path.proposal),
                &values,
                Some(m),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
