//! The audit log: who did what to which tenant, when, with the state before and after.
use diesel::pg::PgConnection;
use diesel::prelude::*;
use tenant_core::schema::catalog::audit_log;
use tenant_core::CoreResult;

/// Who acted: `staff:<email>`, `token:<name>`, `cli:<user>`, `tenant_admin:<account id>`
/// or `system`.
#[derive(Clone, Debug)]
pub struct Actor(String);

impl Actor {
    pub fn cli() -> Self {
        let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
        Self(format!("cli:{user}"))
    }

    pub fn system() -> Self {
        Self("system".into())
    }

    pub fn staff(email: &str) -> Self {
        Self(format!("staff:{email}"))
    }

    pub fn token(name: &str) -> Self {
        Self(format!("token:{name}"))
    }

    /// One of a tenant's own administrators, on their site's `/admin` (by account id:
    /// the catalog keeps no tenant's personal data).
    pub fn tenant_admin(user_id: i64) -> Self {
        Self(format!("tenant_admin:{user_id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Writes one entry, inside the caller's transaction (so it exists if and only if
/// the change does).
pub fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    target: Option<&str>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> CoreResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor.eq(actor.as_str()),
            audit_log::action.eq(action),
            audit_log::target.eq(target),
            audit_log::before.eq(before),
            audit_log::after.eq(after),
        ))
        .execute(conn)?;
    Ok(())
}

/// One audit entry as staff read it.
#[derive(Debug, Queryable, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// What to show: exact target and action, actor containing the text.
#[derive(Default)]
pub struct AuditFilter {
    pub target: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub limit: i64,
}

/// The newest entries first.
pub fn list(conn: &mut PgConnection, filter: &AuditFilter) -> CoreResult<Vec<AuditEntry>> {
    let mut q = audit_log::table
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor,
            audit_log::action,
            audit_log::target,
            audit_log::before,
            audit_log::after,
        ))
        .order(audit_log::id.desc())
        .limit(filter.limit.clamp(1, 1000))
        .into_boxed();
    if let Some(t) = &filter.target {
        q = q.filter(audit_log::target.eq(t.clone()));
    }
    if let Some(a) = &filter.action {
        q = q.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(a) = &filter.actor {
        let escaped = a.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        q = q.filter(audit_log::actor.like(format!("%{escaped}%")));
    }
    Ok(q.load(conn)?)
}
