//! Identities at a tenant's OpenID providers, linked to accounts. The provider's
//! subject arrives here already as a keyed hash.
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::error::{CoreError, CoreResult};
use crate::schema::tenant::user_identities;

#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = user_identities)]
pub struct Identity {
    pub provider: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
}

/// The account linked to `(provider, subject_hash)`, marking the identity used.
pub fn account_for(conn: &mut PgConnection, provider: &str, subject_hash: &str) -> CoreResult<Option<i64>> {
    Ok(diesel::update(
        user_identities::table
            .filter(user_identities::provider.eq(provider))
            .filter(user_identities::subject_hash.eq(subject_hash)),
    )
    .set(user_identities::last_used_at.eq(diesel::dsl::now))
    .returning(user_identities::user_id)
    .get_result(conn)
    .optional()?)
}

/// Links an identity to an account. An identity belongs to one account only.
pub fn link(conn: &mut PgConnection, user_id: i64, provider: &str, subject_hash: &str) -> CoreResult<()> {
    let r = conn.transaction(|conn| {
        diesel::insert_into(user_identities::table)
            .values((
                user_identities::user_id.eq(user_id),
                user_identities::provider.eq(provider),
                user_identities::subject_hash.eq(subject_hash),
            ))
            .execute(conn)
    });
    match r {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(CoreError::Conflict("this identity is already linked to another account".into()))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn list_for(conn: &mut PgConnection, user_id: i64) -> CoreResult<Vec<Identity>> {
    Ok(user_identities::table
        .filter(user_identities::user_id.eq(user_id))
        .order(user_identities::created_at)
        .select(Identity::as_select())
        .load(conn)?)
}

/// Unlinks; refused when it would leave the account with no way to sign in.
pub fn unlink(conn: &mut PgConnection, user_id: i64, provider: &str, has_password: bool) -> CoreResult<()> {
    let count: i64 = user_identities::table.filter(user_identities::user_id.eq(user_id)).count().get_result(conn)?;
    if count <= 1 && !has_password {
        return Err(CoreError::Invalid("choose a password before unlinking your only way to sign in".into()));
    }
    diesel::delete(
        user_identities::table
            .filter(user_identities::user_id.eq(user_id))
            .filter(user_identities::provider.eq(provider)),
    )
    .execute(conn)?;
    Ok(())
}
