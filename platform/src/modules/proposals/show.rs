//! `GET /{kind}/{slug}/f/{component}/{id}`: one proposal with its state and answer,
//! supports (count, goal, what the visitor can do), attachments, amendments,
//! merges and splits.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use tenant_core::proposals::{self, amendments, attachments, supports, write};
use tenant_core::resources::{ResourceKind, ResourceRef};

use super::{permission, visible_proposal, with_ctx, Action, Permission, ProposalPath};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::MaybeUser;
use crate::modules::comments::{commentable, section};
use crate::modules::follows::button as follow_button;
use crate::state::AppState;

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    order: String,
}

/// What the visitor sees of the supports.
#[derive(Serialize)]
struct SupportView {
    permission: Permission,
    supported: bool,
    /// Supports given in the component, and the limit (0: none).
    given: i64,
    limit: u32,
    remaining: i64,
    /// Whether the count is shown (it is hidden below `counts_visible_from`).
    count_visible: bool,
    threshold: u32,
    /// Percentage of the threshold reached, capped at 100.
    progress: u32,
}

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/{proposal:\\d+}")]
pub async fn show_proposal(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ProposalPath>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let user = visitor.user.as_ref().map(|u| u.id);
    let order = tenant_core::comments::Order::parse_or_default(&query.order);
    let viewer = visitor.user.clone();
    let id = path.proposal;
    // The place, the proposal and its comments in one transaction; the comments'
    // policy comes from the place already loaded (not looked up again by id).
    let (ctx, (p, support, amend, supported, given, files, amends, links, comments, follow)) =
        with_ctx(&state, &tenant, locale, &visitor, &path.component(), move |conn, c| {
            let Some(p) = visible_proposal(conn, c, id)? else { return Ok(None) };
            let support = permission(conn, c, user, Action::Support)?;
            let amend = permission(conn, c, user, Action::Amend)?;
            let (supported, given) = match user {
                Some(u) => (supports::has_supported(conn, p.id, u)?, supports::given(conn, c.component.id, u)?),
                None => (false, 0),
            };
            let files = if p.has_attachments { attachments::list(conn, p.id)? } else { vec![] };
            let amends = if p.has_amendments { amendments::list(conn, p.id)? } else { vec![] };
            let links = if p.has_links { proposals::links(conn, p.id)? } else { vec![] };
            let resource = ResourceRef::new(ResourceKind::Proposal, p.id);
            let policy = commentable::proposal_policy(c, &p);
            let comments = section::section_with(conn, resource, viewer.as_ref(), order, policy)?;
            let follow = follow_button(conn, user, resource)?;
            Ok(Some((p, support, amend, supported, given, files, amends, links, comments, follow)))
        })
        .await?;
    let threshold = ctx.settings.support_threshold;
    let view = SupportView {
        permission: support,
        supported,
        given,
        limit: ctx.settings.supports_per_person,
        remaining: (i64::from(ctx.settings.supports_per_person) - given).max(0),
        count_visible: p.supports_count >= ctx.settings.counts_visible_from as i32,
        threshold,
        progress: if threshold > 0 {
            ((p.supports_count.max(0) as u64 * 100 / u64::from(threshold)).min(100)) as u32
        } else {
            0
        },
    };
    let editable = user.is_some_and(|u| write::editable_by(&p, u, &ctx.settings));
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("place", &ctx);
    page.ctx.insert("category", &p.category_id.and_then(|c| ctx.categories.iter().find(|k| k.id == c)));
    page.ctx.insert("url", &ctx.url(p.id));
    page.ctx.insert("proposal", &p);
    page.ctx.insert("support", &view);
    page.ctx.insert("amend", &amend);
    page.ctx.insert("editable", &editable);
    page.ctx.insert("is_author", &(user.is_some() && p.author_id == user));
    page.ctx.insert("attachments", &files);
    page.ctx.insert("amendments", &amends);
    page.ctx.insert("links", &links);
    page.ctx.insert("follow", &follow);
    section::add_to_context(&state, &tenant, &mut page.ctx, &comments).await?;
    page.render(&state, &tenant, "proposals/show.html", StatusCode::OK)
}
