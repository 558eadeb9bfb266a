//! `POST /admin/moderation/hide`: an administrator hides a resource from everyone
//! but the administrators.
use actix_web::{post, web, HttpRequest, HttpResponse};
use tenant_core::moderation;
use tenant_core::CoreError;

use super::{reportable, ResourceForm};
use crate::http::error::AppError;
use crate::http::extract::CurrentTenant;
use crate::identity::admin::TenantAdmin;
use crate::identity::csrf;
use crate::identity::page::see_other;
use crate::modules::comments::resource_from_form;
use crate::state::AppState;

#[post("/admin/moderation/hide")]
pub async fn hide_resource(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, admin): TenantAdmin,
    form: web::Form<ResourceForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let resource = resource_from_form(&form.resource_kind, &form.resource_id)?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let found = web::block(move || {
        s.db.tenant(&t, |conn| {
            // A resource never reported gets its excerpt and page noted for the queue.
            match reportable::lookup(conn, &t, resource, &admin)? {
                Some(r) => moderation::describe(conn, resource, &r.excerpt, &r.url)?,
                None if moderation::tracked(conn, resource)? => {}
                None => return Ok(false),
            }
            moderation::hide(conn, resource, admin.id)?;
            Ok::<_, CoreError>(true)
        })
    })
    .await??;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&form.back()))
}
