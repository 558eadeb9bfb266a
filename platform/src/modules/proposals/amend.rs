//! Amendments: `GET|POST …/{id}/amend` proposes a new version of someone's
//! proposal; `GET …/{id}/amendments/{a}` shows it as a word-by-word difference;
//! `POST …/{id}/amendments/{a}` lets the author accept or reject it, and its own
//! author withdraw it.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::proposals::write::{self, Draft};
use tenant_core::proposals::{self, amendments};
use tenant_core::richtext;
use tenant_core::CoreError;

use super::new::{render_form, Mode, Values};
use super::{events, load_ctx, permission, require, user_id, visible_proposal, Action, ProposalPath};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::{see_other, Page};
use crate::identity::MaybeUser;
use crate::state::AppState;

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/amend")]
pub async fn amend_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ProposalPath>,
) -> Result<HttpResponse, AppError> {
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &path.component()).await?;
    let user = user_id(&visitor, &format!("{}/amend", ctx.url(path.proposal)))?;
    let (s, t, c, id) = (state.clone(), tenant.0.clone(), ctx.clone(), path.proposal);
    let (p, perm) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let p = visible_proposal(conn, &c, id)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            Ok((p, permission(conn, &c, Some(user), Action::Amend)?))
        })
    })
    .await??;
    require(perm, "amending proposals")?;
    let values = Values { title: p.title, body: crate::modules::comments::editable_text(&p.body), ..Values::default() };
    render_form(
        &req,
        &state,
        &tenant,
        locale,
        &visitor,
        &ctx,
        Mode::Amend(path.proposal),
        &values,
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct AmendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

#[post("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/amend")]
#[allow(clippy::too_many_arguments)]
pub async fn propose(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ProposalPath>,
    form: web::Form<AmendForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &path.component()).await?;
    let user = user_id(&visitor, &format!("{}/amend", ctx.url(path.proposal)))?;
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let values = Values { title: form.title.clone(), body: form.body.clone(), ..Values::default() };
    let draft = Draft { title: form.title.clone(), body: form.body.clone(), ..Draft::default() };
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
                Mode::Amend(path.proposal),
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
            let perm = permission(conn, &c, Some(user), Action::Amend)?;
            if !perm.allowed {
                return Ok(Err(perm));
            }
            let p = visible_proposal(conn, &c, id)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            let a = amendments::propose(conn, &p, user, &checked)?;
            events::amendment_proposed(conn, &c.url(p.id), p.id, &p.title, p.author_id, user, a)?;
            Ok(Ok(a))
        })
    })
    .await?;
    match r {
        Ok(Ok(a)) => Ok(see_other(&format!("{}/amendments/{a}?notice=amendment_sent", ctx.url(path.proposal)))),
        Ok(Err(perm)) => Err(require(perm, "amending proposals").err().unwrap_or(AppError::NotFound)),
        Err(CoreError::Invalid(m)) | Err(CoreError::Conflict(m)) | Err(CoreError::Forbidden(m)) => {
            render_form(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                &ctx,
                Mode::Amend(path.proposal),
                &values,
                Some(m),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct AmendmentPath {
    kind: String,
    slug: String,
    component: i64,
    proposal: i64,
    amendment: i64,
}

impl AmendmentPath {
    fn proposal(&self) -> ProposalPath {
        ProposalPath {
            kind: self.kind.clone(),
            slug: self.slug.clone(),
            component: self.component,
            proposal: self.proposal,
        }
    }
}

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/amendments/{amendment:\\d+}")]
pub async fn show_amendment(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<AmendmentPath>,
) -> Result<HttpResponse, AppError> {
    let pp = path.proposal();
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &pp.component()).await?;
    let (s, t, c, id, aid) = (state.clone(), tenant.0.clone(), ctx.clone(), path.proposal, path.amendment);
    let (p, a) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let p = visible_proposal(conn, &c, id)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            let a = amendments::find(conn, id, aid)?.ok_or_else(|| CoreError::NotFound("no such amendment".into()))?;
            Ok((p, a))
        })
    })
    .await??;
    // Compared with the proposal's text as it is now (or as it was when accepted).
    let title_diff = amendments::diff(&p.title, &a.title);
    let body_diff = amendments::diff(&richtext::plain(&p.body), &richtext::plain(&a.body));
    let user = visitor.user.as_ref().map(|u| u.id);
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("place", &ctx);
    page.ctx.insert("proposal", &p);
    page.ctx.insert("url", &ctx.url(p.id));
    page.ctx.insert("amendment", &a);
    page.ctx.insert("title_diff", &title_diff);
    page.ctx.insert("body_diff", &body_diff);
    page.ctx.insert("can_decide", &(user.is_some() && p.author_id == user && a.state == "pending"));
    page.ctx.insert("can_withdraw", &(user == Some(a.author_id) && a.state == "pending"));
    page.render(&state, &tenant, "proposals/amendment.html", StatusCode::OK)
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

#[post("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}/amendments/{amendment:\\d+}")]
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<AmendmentPath>,
    form: web::Form<DecideForm>,
) -> Result<HttpResponse, AppError> {
    let pp = path.proposal();
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &pp.component()).await?;
    let back = format!("{}/amendments/{}", ctx.url(path.proposal), path.amendment);
    let user = user_id(&visitor, &back)?;
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let decision = form.decision.clone();
    if !matches!(decision.as_str(), "accept" | "reject" | "withdraw") {
        return Err(AppError::BadRequest("decision: accept, reject or withdraw".into()));
    }
    let (s, t, c, id, aid) = (state.clone(), tenant.0.clone(), ctx.clone(), path.proposal, path.amendment);
    let d = decision.clone();
    web::block(move || {
        s.db.tenant(&t, |conn| {
            let p = visible_proposal(conn, &c, id)?.ok_or_else(|| CoreError::NotFound("no such proposal".into()))?;
            match d.as_str() {
                "withdraw" => amendments::withdraw(conn, p.id, user, aid),
                other => {
                    let accepted = other == "accept";
                    let amender = amendments::decide(conn, &p, user, aid, accepted)?;
                    let title =
                        proposals::find(conn, c.component.id, p.id)?.map(|q| q.title).unwrap_or(p.title.clone());
                    events::amendment_decided(conn, &c.url(p.id), p.id, &title, user, amender, accepted)
                }
            }
        })
    })
    .await??;
    let notice = match decision.as_str() {
        "accept" => "amendment_accepted",
        "reject" => "amendment_rejected",
        _ => "amendment_withdrawn",
    };
    Ok(see_other(&format!("{back}?notice={notice}")))
}
