//! Issuing an API token: named, scoped, expiring, shown once, stored hashed.
use diesel::prelude::*;
use tenant_core::schema::catalog::{api_tokens, staff_accounts};
use tenant_core::{CoreError, CoreResult, Db};
use uuid::Uuid;

use super::email::StaffEmail;
use crate::audit::{self, Actor};
use crate::auth::{NewToken, Scope, Scopes, API_TOKEN_PREFIX};

pub struct IssuedToken {
    pub id: Uuid,
    /// The token itself: shown once, never stored.
    pub secret: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Issues a token for the staff member `owner`.
pub fn create_token(
    db: &Db,
    owner: &StaffEmail,
    name: &str,
    scopes: Scopes,
    valid_for: chrono::Duration,
    actor: &Actor,
) -> CoreResult<IssuedToken> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::Invalid("a token name has 1 to 100 characters".into()));
    }
    if valid_for <= chrono::Duration::zero() || valid_for > chrono::Duration::days(366) {
        return Err(CoreError::Invalid("a token is valid for 1 second to 366 days".into()));
    }
    let token = NewToken::generate(API_TOKEN_PREFIX).map_err(|e| CoreError::Invalid(e.to_string()))?;
    let id = Uuid::new_v4();
    let expires_at = chrono::Utc::now() + valid_for;
    let names: Vec<&str> =
        [Scope::Read, Scope::Write].into_iter().filter(|s| scopes.contains(*s)).map(Scope::as_str).collect();
    db.catalog(|conn| {
        let staff_id: Uuid = staff_accounts::table
            .filter(staff_accounts::email.eq(owner.as_str()).and(staff_accounts::disabled_at.is_null()))
            .select(staff_accounts::id)
            .first(conn)
            .optional()?
            .ok_or_else(|| CoreError::NotFound(format!("no active staff account for {owner}")))?;
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::id.eq(id),
                api_tokens::staff_id.eq(staff_id),
                api_tokens::name.eq(name),
                api_tokens::token_hash.eq(token.hash()),
                api_tokens::scopes.eq(&names),
                api_tokens::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            "token.create",
            Some(owner.as_str()),
            None,
            Some(serde_json::json!({ "name": name, "scopes": names, "expires_at": expires_at })),
        )
    })?;
    Ok(IssuedToken { id, secret: token.secret().to_owned(), expires_at })
}
