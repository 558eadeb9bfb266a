//! `GET …/{id}/versions` and `…/{id}/versions/{n}`: every version of a proposal's
//! text, and what each changed compared with the one before, for everyone.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::proposals::amendments;
use tenant_core::richtext;
use tenant_core::CoreError;

use super::{load_ctx, visible_proposal, ProposalPath};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::MaybeUser;
use crate::state::AppState;

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/versions")]
pub async fn list_versions(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ProposalPath>,
) -> Result<HttpResponse, AppError> {
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &path.component()).await?;
    let (s, t, c, id) = (state.clone(), tenant.0.clone(), ctx.clone(), path.proposal);
    let (p, versions) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let p = visible_proposal(conn, &c, id)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            let v = amendments::versions(conn, id)?;
            Ok((p, v))
        })
    })
    .await??;
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("place", &ctx);
    page.ctx.insert("proposal", &p);
    page.ctx.insert("url", &ctx.url(p.id));
    page.ctx.insert("versions", &versions);
    page.render(&state, &tenant, "proposals/versions.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct VersionPath {
    kind: String,
    slug: String,
    component: i64,
    proposal: i64,
    version: i32,
}

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/versions/{version:\\d+}")]
pub async fn show_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, AppError> {
    let pp = ProposalPath {
        kind: path.kind.clone(),
        slug: path.slug.clone(),
        component: path.component,
        proposal: path.proposal,
    };
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &pp.component()).await?;
    let (s, t, c, id) = (state.clone(), tenant.0.clone(), ctx.clone(), path.proposal);
    let (p, versions) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let p = visible_proposal(conn, &c, id)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            Ok((p, amendments::versions(conn, id)?))
        })
    })
    .await??;
    let n = path.version;
    let this = versions.iter().find(|v| v.version == n).ok_or(AppError::NotFound)?;
    let before = versions.iter().find(|v| v.version == n - 1);
    let (old_title, old_body) = before.map(|b| (b.title.clone(), richtext::plain(&b.body))).unwrap_or_default();
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("place", &ctx);
    page.ctx.insert("proposal", &p);
    page.ctx.insert("url", &ctx.url(p.id));
    page.ctx.insert("version", this);
    page.ctx.insert("count", &versions.len());
    page.ctx.insert("title_diff", &amendments::diff(&old_title, &this.title));
    page.ctx.insert("body_diff", &amendments::diff(&old_body, &richtext::plain(&this.body)));
    page.render(&state, &tenant, "proposals/version.html", StatusCode::OK)
}
