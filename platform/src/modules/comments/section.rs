//! The comments section of a resource page: the thread, the order links, the form
//! (or what the visitor needs before writing). A resource page builds it with
//! [`section`] inside its own database call, adds it with [`add_to_context`], and
//! includes `comments/section.html`.
use diesel::pg::PgConnection;
use serde::Serialize;
use tenant_core::accounts::verifications::{self, Gate};
use tenant_core::comments::{self, Node, Order, Reader, MAX_BODY_CHARS};
use tenant_core::resources::ResourceRef;
use tenant_core::{CoreError, CoreResult, Tenant};

use super::commentable;
use crate::http::error::AppError;
use crate::identity::session::CurrentUser;
use crate::state::AppState;

/// What `comments/section.html` draws.
#[derive(Clone, Debug, Serialize)]
pub struct CommentsSection {
    pub resource: ResourceRef,
    /// The resource's page, for the order links and redirects.
    pub url: String,
    pub order: &'static str,
    pub orders: Vec<&'static str>,
    pub comments: Vec<Node>,
    /// Comments everyone can read.
    pub total: i64,
    /// Comments closed on this resource.
    pub blocked: bool,
    /// What the viewer needs before commenting (`allowed` when nothing).
    pub gate: Gate,
    /// The viewer may write, reply and vote now.
    pub can_comment: bool,
    /// The viewer may report (signed in, not blocked).
    pub can_report: bool,
    pub signed_in: bool,
    pub is_admin: bool,
    pub max_chars: usize,
}

/// The comments section of `resource` for `viewer`; `NotFound` when the resource
/// takes no comments (or does not exist).
pub fn section(
    conn: &mut PgConnection,
    tenant: &Tenant,
    resource: ResourceRef,
    viewer: Option<&CurrentUser>,
    order: Order,
) -> CoreResult<CommentsSection> {
    let policy = commentable::policy(conn, tenant, resource, viewer)?
        .ok_or_else(|| CoreError::NotFound("no such commentable resource".into()))?;
    section_with(conn, resource, viewer, order, policy)
}

/// [`section`] for a resource whose page already knows its policy (it loaded the
/// resource and its place), so they are not looked up again.
pub fn section_with(
    conn: &mut PgConnection,
    resource: ResourceRef,
    viewer: Option<&CurrentUser>,
    order: Order,
    policy: commentable::CommentPolicy,
) -> CoreResult<CommentsSection> {
    let user_id = viewer.map(|u| u.id);
    let gate = verifications::gate(conn, user_id, policy.requirement)?;
    let is_admin = viewer.is_some_and(|u| u.is_admin);
    let thread = comments::thread(conn, resource, Reader { user_id, is_admin }, order)?;
    Ok(CommentsSection {
        resource,
        url: policy.url,
        order: order.as_str(),
        orders: Order::ALL.iter().map(|o| o.as_str()).collect(),
        comments: thread.comments,
        total: thread.total,
        blocked: policy.blocked,
        can_comment: gate.allowed() && !policy.blocked && viewer.is_some(),
        can_report: viewer.is_some() && gate != Gate::Blocked,
        gate,
        signed_in: viewer.is_some(),
        is_admin,
        max_chars: MAX_BODY_CHARS,
    })
}

/// Puts the section in a page's context as `comments_section`, with the identity
/// providers the gate may offer.
pub async fn add_to_context(
    state: &actix_web::web::Data<AppState>,
    tenant: &Tenant,
    ctx: &mut tera::Context,
    section: &CommentsSection,
) -> Result<(), AppError> {
    if matches!(section.gate, Gate::Verify(_)) && !section.blocked {
        ctx.insert("providers", &crate::identity::providers_for(state, tenant).await?);
    } else if !ctx.contains_key("providers") {
        ctx.insert("providers", &Vec::<crate::identity::ProviderButton>::new());
    }
    ctx.insert("comments_section", section);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use tenant_core::accounts::verifications::Gate;
    use tenant_core::names::Locale;
    use tenant_core::resources::ResourceKind;

    use super::*;
    use crate::themes::Themes;

    fn node(id: i64, depth: i16, replies: Vec<Node>) -> Node {
        Node {
            id,
            parent_id: None,
            depth,
            author_id: 7,
            author: Some(format!("Auteur{id}")),
            body: format!("<p>Texte {id}</p>"),
            alignment: None,
            up_votes: 2,
            down_votes: 1,
            score: 1,
            reply_count: 0,
            created_at: chrono::Utc::now(),
            edited_at: None,
            deleted: false,
            hidden: false,
            my_vote: 0,
            mine: false,
            can_edit: false,
            can_reply: depth < 3,
            replies,
        }
    }

    fn render(section: &CommentsSection, signed_in: bool) -> String {
        let themes = Themes::load(&crate::settings::default_themes_dir()).expect("themes");
        let theme = themes.default_theme();
        let mut ctx = tera::Context::new();
        ctx.insert("t", &*theme.messages(Locale::Fr));
        ctx.insert("path", "/blog/1");
        ctx.insert("providers", &Vec::<String>::new());
        if signed_in {
            ctx.insert("csrf", "tok");
        }
        ctx.insert("comments_section", section);
        theme.render("comments/section.html", &mut ctx).expect("renders")
    }

    fn section(signed_in: bool) -> CommentsSection {
        let tree = vec![node(1, 0, vec![node(2, 1, vec![node(3, 2, vec![node(4, 3, vec![])])])]), node(5, 0, vec![])];
        let gate = if signed_in { Gate::Allowed } else { Gate::SignIn };
        CommentsSection {
            resource: ResourceRef::new(ResourceKind::BlogPost, 1),
            url: "/blog/1".into(),
            order: "older",
            orders: Order::ALL.iter().map(|o| o.as_str()).collect(),
            comments: tree,
            total: 5,
            blocked: false,
            gate,
            can_comment: signed_in,
            can_report: signed_in,
            signed_in,
            is_admin: false,
            max_chars: MAX_BODY_CHARS,
        }
    }

    #[test]
    fn four_levels_of_replies_render_nested_with_their_forms() {
        let html = render(&section(true), true);
        let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle} missing in {html}"));
        // Each level opens a nested list before the next comment.
        for (outer, inner) in [(1, 2), (2, 3), (3, 4)] {
            let between = &html[at(&format!("id=\"comment-{outer}\""))..at(&format!("id=\"comment-{inner}\""))];
            assert!(between.contains("<ol class=\"comment-list comment-replies\">"), "{outer} → {inner}: {between}");
        }
        assert!(html.contains("name=\"parent_id\" value=\"3\""), "a reply form at depth 2");
        assert!(!html.contains("name=\"parent_id\" value=\"4\""), "no reply form at depth 3");
        assert!(html.contains("name=\"resource_id\" value=\"4\""), "each comment has its report form: {html}");
        assert!(html.contains("action=\"/comments/5/vote\""));
        assert!(html.contains("name=\"resource_kind\" value=\"blog_post\""));
        assert!(html.contains("?order=best_rated#comments"));
    }

    #[test]
    fn anonymous_readers_get_the_thread_and_the_sign_in_gate_but_no_form() {
        let html = render(&section(false), false);
        assert!(html.contains("Texte 4") && html.contains("connectez-vous"), "{html}");
        assert!(!html.contains("<form"), "{html}");
    }
}
