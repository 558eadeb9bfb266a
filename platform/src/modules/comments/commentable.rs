//! The commentable registry: which resources take comments, where their page is,
//! who may comment and whether comments are closed. One arm per kind; a module that
//! makes its resources commentable adds its arm here.
use diesel::pg::PgConnection;
use tenant_core::accounts::verifications::Requirement;
use tenant_core::content::blog;
use tenant_core::names::ModuleName;
use tenant_core::petitions;
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::{CoreResult, Tenant};

use tenant_core::spaces::Viewer;

use crate::identity::session::CurrentUser;
use crate::modules::proposals;

/// The terms on which a resource takes comments.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CommentPolicy {
    /// The resource's page (a local path), where its comments are shown.
    pub url: String,
    pub title: String,
    /// Who may comment (and vote on comments).
    pub requirement: Requirement,
    /// Comments closed (for example by a phase setting): reading only.
    pub blocked: bool,
    pub space_id: Option<i64>,
}

/// The policy for `resource`, or None when it does not exist, is not visible to
/// `viewer`, or takes no comments (the caller answers 404).
pub fn policy(
    conn: &mut PgConnection,
    tenant: &Tenant,
    resource: ResourceRef,
    viewer: Option<&CurrentUser>,
) -> CoreResult<Option<CommentPolicy>> {
    match resource.kind {
        ResourceKind::BlogPost => {
            if !tenant.has_module(ModuleName::Blog) {
                return Ok(None);
            }
            Ok(blog::find_published(conn, resource.id)?.map(|post| CommentPolicy {
                url: format!("/blog/{}", post.id),
                title: post.title,
                requirement: Requirement::Account,
                blocked: false,
                space_id: None,
            }))
        }
        ResourceKind::Proposal => {
            if !tenant.has_module(ModuleName::Proposals) {
                return Ok(None);
            }
            let who = match viewer {
                Some(u) if u.is_admin => Viewer::Admin,
                Some(u) => Viewer::Participant(u.id),
                None => Viewer::Anonymous,
            };
            let order = [tenant.default_locale];
            Ok(proposals::locate(conn, resource.id, who, &order)?.map(|(ctx, p)| proposal_policy(&ctx, &p)))
        }
        ResourceKind::Petition => {
            if !tenant.has_module(ModuleName::Petitions) {
                return Ok(None);
            }
            let Some(p) = petitions::find(conn, resource.id)? else { return Ok(None) };
            let Some(t) = petitions::types::find(conn, p.type_id)? else { return Ok(None) };
            let admin = viewer.is_some_and(|u| u.is_admin);
            if !t.comments_enabled || !p.state().is_public() || (p.hidden && !admin) {
                return Ok(None);
            }
            Ok(Some(petition_policy(&p, &t)))
        }
        ResourceKind::Space | ResourceKind::Comment | ResourceKind::User => Ok(None),
    }
}

/// The policy of a published petition (its own page loads it already): comments
/// need an account, and close with the petition (answered or closed).
pub fn petition_policy(p: &petitions::Petition, t: &petitions::PetitionType) -> CommentPolicy {
    CommentPolicy {
        url: format!("/petitions/{}", p.id),
        title: p.title.clone(),
        requirement: Requirement::Account,
        blocked: !t.comments_enabled || !matches!(p.state(), petitions::State::Open | petitions::State::Examination),
        space_id: None,
    }
}

/// The policy of a proposal whose place is already loaded (the proposal's own page),
/// as [`policy`] gives it.
pub fn proposal_policy(ctx: &proposals::Ctx, p: &tenant_core::proposals::Proposal) -> CommentPolicy {
    CommentPolicy {
        url: ctx.url(p.id),
        title: p.title.clone(),
        requirement: ctx.settings.comment_requires,
        // Comments close with the component's setting, the phase's, or a proposal that is no longer open.
        blocked: !ctx.settings.comments_enabled || ctx.phase.comments_blocked || p.state != "published",
        space_id: Some(ctx.space.id),
    }
}
