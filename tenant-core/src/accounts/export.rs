//! "Download my data": everything kept about an account, as one JSON document.
use diesel::pg::PgConnection;
use serde_json::{json, Value};

use super::{identities, sessions, users, verifications};
use crate::error::{CoreError, CoreResult};

/// The account's data. Contributions from the modules are added by the caller under
/// `contributions`, each module giving its own rows.
pub fn personal_data(conn: &mut PgConnection, user_id: i64) -> CoreResult<Value> {
    let row = users::raw(conn, user_id)?.ok_or_else(|| CoreError::NotFound("account".into()))?;
    let sessions: Vec<Value> = sessions::list_for(conn, user_id)?
        .into_iter()
        .map(|s| json!({ "signed_in_at": s.created_at, "last_seen_at": s.last_seen_at, "expires_at": s.expires_at, "method": s.method }))
        .collect();
    Ok(json!({
        "account": {
            "nickname": row.nickname,
            "email": row.email,
            "email_confirmed_at": row.email_confirmed_at,
            "locale": row.locale,
            "role": row.role,
            "terms_accepted_at": row.terms_accepted_at,
            "created_at": row.created_at,
            "last_sign_in_at": row.last_sign_in_at,
            "has_password": row.password_hash.is_some(),
        },
        "blocked": users::blocked(conn, user_id)?,
        "linked_identities": identities::list_for(conn, user_id)?,
        "verifications": verifications::list_for(conn, user_id)?,
        "sessions": sessions,
        "follows": crate::follows::following(conn, user_id)?,
        "notifications_by_mail": crate::notifications::frequency(conn, user_id)?,
        "note": "Identity providers' subjects are stored only as keyed hashes; anonymous signatures are not linked to any account, so they cannot be listed here.",
    }))
}
