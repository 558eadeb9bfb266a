//! `POST /admin/moderation/unhide`: an administrator shows a hidden resource again,
//! or keeps a reported one visible; reports alone no longer hide it.
use actix_web::{post, web, HttpRequest, HttpResponse};
use tenant_core::moderation;
use tenant_core::CoreError;

use super::ResourceForm;
use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::identity::admin::TenantAdmin;
use crate::identity::csrf;
use crate::identity::page::see_other;
use crate::modules::comments::resource_from_form;
use crate::state::AppState;

#[post("/admin/moderation/unhide")]
pub async fn unhide_resource(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    form: web::Form<ResourceForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let resource = resource_from_form(&form.resource_kind, &form.resource_id)?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let found = web::block(move || {
        s.db.tenant(&t, |conn| {
            if !moderation::tracked(conn, resource)? {
                return Ok(false);
            }
            moderation::unhide(conn, resource)?;
            Ok::<_, CoreError>(true)
        })
    })
    .await??;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&form.back()))
}
