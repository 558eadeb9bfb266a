//! `civitas staff create --email E`: an account and a one-time setup link.
use diesel::pg::PgConnection;
use diesel::prelude::*;
use tenant_core::schema::catalog::staff_accounts;
use tenant_core::{CoreError, CoreResult, Db};
use uuid::Uuid;

use super::email::StaffEmail;
use crate::audit::{self, Actor};
use crate::auth::{NewToken, SETUP_TOKEN_PREFIX};

/// How long a setup link works.
pub const SETUP_LINK_LIFETIME_HOURS: i64 = 48;

/// A new account's setup secret, shown once.
pub struct StaffInvitation {
    pub staff_id: Uuid,
    pub email: StaffEmail,
    /// Goes in the setup link; only its hash is stored.
    pub setup_token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Creates the account (or, for an account not yet set up, issues a new link).
pub fn create_staff(db: &Db, email: &StaffEmail, actor: &Actor) -> CoreResult<StaffInvitation> {
    let token = NewToken::generate(SETUP_TOKEN_PREFIX).map_err(|e| CoreError::Invalid(e.to_string()))?;
    let expires_at = chrono::Utc::now() + chrono::Duration::hours(SETUP_LINK_LIFETIME_HOURS);
    let staff_id = db.catalog(|conn| {
        let existing: Option<(Uuid, Option<String>)> = staff_accounts::table
            .filter(staff_accounts::email.eq(email.as_str()))
            .select((staff_accounts::id, staff_accounts::password_hash))
            .for_update()
            .first(conn)
            .optional()?;
        let id = match existing {
            Some((_, Some(_))) => {
                return Err(CoreError::Conflict(format!("{email} already has an account that is set up")));
            }
            Some((id, None)) => {
                set_token(conn, id, token.hash(), expires_at)?;
                id
            }
            None => {
                let id = Uuid::new_v4();
                diesel::insert_into(staff_accounts::table)
                    .values((
                        staff_accounts::id.eq(id),
                        staff_accounts::email.eq(email.as_str()),
                        staff_accounts::setup_token_hash.eq(token.hash()),
                        staff_accounts::setup_expires_at.eq(expires_at),
                    ))
                    .execute(conn)?;
                id
            }
        };
        audit::record(conn, actor, "staff.invite", Some(email.as_str()), None, None)?;
        Ok(id)
    })?;
    Ok(StaffInvitation { staff_id, email: email.clone(), setup_token: token.secret().to_owned(), expires_at })
}

fn set_token(
    conn: &mut PgConnection,
    id: Uuid,
    hash: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> CoreResult<()> {
    diesel::update(staff_accounts::table.find(id))
        .set((staff_accounts::setup_token_hash.eq(hash), staff_accounts::setup_expires_at.eq(expires_at)))
        .execute(conn)?;
    Ok(())
}
