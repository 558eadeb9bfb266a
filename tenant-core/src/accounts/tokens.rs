//! One-use links sent by email. Only the token's hash is stored; a link works once,
//! before its expiry, for its purpose only.
use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;

use crate::error::CoreResult;
use crate::schema::tenant::email_tokens;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Confirm the address given at sign-up.
    Confirm,
    /// Choose a new password.
    Reset,
    /// Confirm a new address; the account keeps the old one until then.
    ChangeEmail,
    /// An account made for someone (a tenant's first admin): choose a password.
    Invite,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Confirm => "confirm",
            Purpose::Reset => "reset",
            Purpose::ChangeEmail => "change_email",
            Purpose::Invite => "invite",
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = email_tokens)]
pub struct EmailToken {
    pub user_id: i64,
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// Records a link; earlier unused links of the same purpose for the account stop working.
pub fn issue(
    conn: &mut PgConnection,
    token_hash: &str,
    user_id: i64,
    purpose: Purpose,
    email: &str,
    ttl: Duration,
) -> CoreResult<()> {
    conn.transaction(|conn| {
        diesel::delete(
            email_tokens::table
                .filter(email_tokens::user_id.eq(user_id))
                .filter(email_tokens::purpose.eq(purpose.as_str()))
                .filter(email_tokens::used_at.is_null()),
        )
        .execute(conn)?;
        diesel::insert_into(email_tokens::table)
            .values((
                email_tokens::token_hash.eq(token_hash),
                email_tokens::user_id.eq(user_id),
                email_tokens::purpose.eq(purpose.as_str()),
                email_tokens::email.eq(email),
                email_tokens::expires_at.eq(Utc::now() + ttl),
            ))
            .execute(conn)?;
        diesel::delete(email_tokens::table.filter(email_tokens::expires_at.lt(Utc::now() - Duration::days(7))))
            .execute(conn)?;
        Ok(())
    })
}

/// Uses a link: returns it when it exists, has this purpose, is unused and unexpired,
/// and marks it used in the same statement (a link cannot be used twice, even at once).
pub fn consume(conn: &mut PgConnection, token_hash: &str, purpose: Purpose) -> CoreResult<Option<EmailToken>> {
    Ok(diesel::update(
        email_tokens::table
            .filter(email_tokens::token_hash.eq(token_hash))
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::used_at.is_null())
            .filter(email_tokens::expires_at.gt(diesel::dsl::now)),
    )
    .set(email_tokens::used_at.eq(diesel::dsl::now))
    .returning(EmailToken::as_returning())
    .get_result(conn)
    .optional()?)
}

/// Whether a link would be accepted (to show its form before it is used).
pub fn peek(conn: &mut PgConnection, token_hash: &str, purpose: Purpose) -> CoreResult<Option<EmailToken>> {
    Ok(email_tokens::table
        .filter(email_tokens::token_hash.eq(token_hash))
        .filter(email_tokens::purpose.eq(purpose.as_str()))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(diesel::dsl::now))
        .select(EmailToken::as_select())
        .first(conn)
        .optional()?)
}
