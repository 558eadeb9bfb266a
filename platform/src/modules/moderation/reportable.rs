//! The reportable registry: what the moderation queue shows of a resource (an
//! excerpt) and where it lives (its page). One arm per kind.
use diesel::pg::PgConnection;
use tenant_core::comments;
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::spaces::Viewer;
use tenant_core::{richtext, CoreResult, Tenant};

use crate::identity::session::CurrentUser;
use crate::modules::comments::commentable;

/// Longest excerpt kept for the queue, in characters.
const EXCERPT_CHARS: usize = 200;

#[derive(Clone, Debug)]
pub struct Reportable {
    /// The resource's page (a local path).
    pub url: String,
    pub excerpt: String,
}

/// The resource as the queue shows it, or None when it does not exist, cannot be
/// reported, or `viewer` may not see it (the caller answers 404): a private space's
/// resources only for its members, hidden ones only for administrators (who still
/// find them, so the queue can unhide them).
pub fn lookup(
    conn: &mut PgConnection,
    tenant: &Tenant,
    resource: ResourceRef,
    viewer: &CurrentUser,
) -> CoreResult<Option<Reportable>> {
    match resource.kind {
        ResourceKind::Comment => {
            let Some(c) = comments::find(conn, resource.id)? else { return Ok(None) };
            if c.deleted || (c.hidden && !viewer.is_admin) {
                return Ok(None);
            }
            let Some(policy) = commentable::policy(conn, tenant, c.resource, Some(viewer))? else { return Ok(None) };
            Ok(Some(Reportable {
                url: format!("{}#comment-{}", policy.url, c.id),
                excerpt: richtext::excerpt(&c.body, EXCERPT_CHARS),
            }))
        }
        ResourceKind::Proposal => {
            let who = if viewer.is_admin { Viewer::Admin } else { Viewer::Participant(viewer.id) };
            let order = [tenant.default_locale];
            Ok(crate::modules::proposals::locate(conn, resource.id, who, &order)?.map(|(ctx, p)| Reportable {
                url: ctx.url(p.id),
                excerpt: format!("{} — {}", p.title, richtext::excerpt(&p.body, EXCERPT_CHARS)),
            }))
        }
        ResourceKind::Petition => {
            let Some(p) = tenant_core::petitions::find(conn, resource.id)? else { return Ok(None) };
            if !p.state().is_public() || (p.hidden && !viewer.is_admin) {
                return Ok(None);
            }
            Ok(Some(Reportable {
                url: format!("/petitions/{}", p.id),
                excerpt: format!("{} — {}", p.title, richtext::excerpt(&p.body, EXCERPT_CHARS)),
            }))
        }
        ResourceKind::Space | ResourceKind::User | ResourceKind::BlogPost => Ok(None),
    }
}
