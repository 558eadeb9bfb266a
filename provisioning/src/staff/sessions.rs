//! Console sign-in: a setup link sets the password and the TOTP second factor;
//! sign-in takes the password, then a TOTP code; sessions live in the catalog,
//! stored by the hash of their cookie value.
use diesel::prelude::*;
use tenant_core::schema::catalog::{staff_accounts, staff_sessions};
use tenant_core::secrets::Keyring;
use tenant_core::{CoreError, CoreResult, Db};
use uuid::Uuid;

use super::email::StaffEmail;
use crate::audit::{self, Actor};
use crate::auth::{hash_password, token_hash, verify_password, NewToken, Password, TotpSecret};

/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 12;
/// How long the password step may wait for its TOTP code.
const SECOND_FACTOR_MINUTES: i64 = 10;
const SESSION_PREFIX: &str = "cvc";

/// A console session as the request sees it.
#[derive(Clone, Debug)]
pub struct StaffSession {
    pub staff_id: Uuid,
    pub email: String,
    /// True once the TOTP code was given; only such sessions reach the console.
    pub second_factor: bool,
}

impl StaffSession {
    pub fn actor(&self) -> Actor {
        Actor::staff(&self.email)
    }
}

fn totp_context(staff_id: Uuid) -> String {
    format!("staff_totp:{staff_id}")
}

fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The email of the account a live setup link belongs to.
pub fn setup_account(db: &Db, setup_token: &str) -> CoreResult<Option<String>> {
    let hash = token_hash(setup_token);
    db.catalog(|conn| {
        Ok(staff_accounts::table
            .filter(staff_accounts::setup_token_hash.eq(&hash))
            .filter(staff_accounts::setup_expires_at.gt(diesel::dsl::now))
            .filter(staff_accounts::disabled_at.is_null())
            .select(staff_accounts::email)
            .first(conn)
            .optional()?)
    })
}

/// Completes a setup link: checks the code against the secret the page showed, then
/// stores the password hash and the sealed TOTP secret, and spends the link.
pub fn complete_setup(
    db: &Db,
    keyring: &Keyring,
    setup_token: &str,
    password: &Password,
    secret: &TotpSecret,
    code: &str,
) -> CoreResult<()> {
    let Some(step) = secret.verify(code, now_unix(), None) else {
        return Err(CoreError::Invalid("this code does not match: check your authenticator app's clock".into()));
    };
    let hash = token_hash(setup_token);
    let password_hash = hash_password(password).map_err(|e| CoreError::Invalid(e.to_string()))?;
    db.catalog(|conn| {
        let (id, email): (Uuid, String) = staff_accounts::table
            .filter(staff_accounts::setup_token_hash.eq(&hash))
            .filter(staff_accounts::setup_expires_at.gt(diesel::dsl::now))
            .select((staff_accounts::id, staff_accounts::email))
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(|| CoreError::NotFound("this setup link has expired or was already used".into()))?;
        let sealed = keyring
            .seal(secret.to_base32().as_bytes(), &totp_context(id))
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        diesel::update(staff_accounts::table.find(id))
            .set((
                staff_accounts::password_hash.eq(&password_hash),
                staff_accounts::totp_secret_enc.eq(&sealed),
                staff_accounts::totp_last_step.eq(step as i64),
                staff_accounts::setup_token_hash.eq(None::<String>),
                staff_accounts::setup_expires_at.eq(None::<chrono::DateTime<chrono::Utc>>),
            ))
            .execute(conn)?;
        audit::record(conn, &Actor::staff(&email), "staff.setup", Some(&email), None, None)
    })
}

/// Checks email and password; on success opens a session waiting for its TOTP
/// code and returns the cookie value. A wrong email and a wrong password look the
/// same, and take about as long.
pub fn sign_in(db: &Db, email: &str, password: &str) -> CoreResult<Option<String>> {
    let Ok(email) = StaffEmail::parse(email) else { return Ok(None) };
    let found: Option<(Uuid, Option<String>)> = db.catalog(|conn| {
        Ok(staff_accounts::table
            .filter(staff_accounts::email.eq(email.as_str()).and(staff_accounts::disabled_at.is_null()))
            .select((staff_accounts::id, staff_accounts::password_hash))
            .first(conn)
            .optional()?)
    })?;
    let Ok(password) = Password::parse(password.to_owned()) else { return Ok(None) };
    let (id, phc) = match found {
        Some((id, Some(phc))) => (Some(id), phc),
        // Spend the same effort on an unknown account.
        _ => (None, hash_password(&password).map_err(|e| CoreError::Invalid(e.to_string()))?),
    };
    let matches = verify_password(&password, &phc).map_err(|e| CoreError::Invalid(e.to_string()))?;
    let Some(id) = id.filter(|_| matches) else { return Ok(None) };
    let token = NewToken::generate(SESSION_PREFIX).map_err(|e| CoreError::Invalid(e.to_string()))?;
    let expires = chrono::Utc::now() + chrono::Duration::minutes(SECOND_FACTOR_MINUTES);
    db.catalog(|conn| {
        diesel::insert_into(staff_sessions::table)
            .values((
                staff_sessions::token_hash.eq(token.hash()),
                staff_sessions::staff_id.eq(id),
                staff_sessions::expires_at.eq(expires),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(Some(token.secret().to_owned()))
}

/// The session behind a cookie value, if it is live.
pub fn session(db: &Db, cookie: &str) -> CoreResult<Option<StaffSession>> {
    let hash = token_hash(cookie);
    db.catalog(|conn| {
        let found: Option<(Uuid, String, Option<chrono::DateTime<chrono::Utc>>)> = staff_sessions::table
            .inner_join(staff_accounts::table)
            .filter(staff_sessions::token_hash.eq(&hash))
            .filter(staff_sessions::expires_at.gt(diesel::dsl::now))
            .filter(staff_accounts::disabled_at.is_null())
            .select((staff_accounts::id, staff_accounts::email, staff_sessions::second_factor_at))
            .first(conn)
            .optional()?;
        Ok(found.map(|(staff_id, email, second)| StaffSession { staff_id, email, second_factor: second.is_some() }))
    })
}

/// Checks a TOTP code for a session waiting for it; a code is accepted once.
pub fn verify_second_factor(db: &Db, keyring: &Keyring, cookie: &str, code: &str) -> CoreResult<bool> {
    let hash = token_hash(cookie);
    db.catalog(|conn| {
        let (staff_id, email, sealed, last): (Uuid, String, Option<String>, Option<i64>) = staff_sessions::table
            .inner_join(staff_accounts::table)
            .filter(staff_sessions::token_hash.eq(&hash))
            .filter(staff_sessions::expires_at.gt(diesel::dsl::now))
            .select((
                staff_accounts::id,
                staff_accounts::email,
                staff_accounts::totp_secret_enc,
                staff_accounts::totp_last_step,
            ))
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(|| CoreError::NotFound("your sign-in has expired; start again".into()))?;
        let sealed = sealed.ok_or_else(|| CoreError::Invalid("this account has no second factor yet".into()))?;
        let secret =
            keyring.open_string(&sealed, &totp_context(staff_id)).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let secret = TotpSecret::from_base32(secret.expose()).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let Some(step) = secret.verify(code, now_unix(), last.map(|s| s as u64)) else { return Ok(false) };
        diesel::update(staff_accounts::table.find(staff_id))
            .set((staff_accounts::totp_last_step.eq(step as i64), staff_accounts::last_sign_in_at.eq(diesel::dsl::now)))
            .execute(conn)?;
        diesel::update(staff_sessions::table.find(&hash))
            .set((
                staff_sessions::second_factor_at.eq(diesel::dsl::now),
                staff_sessions::expires_at.eq(chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS)),
            ))
            .execute(conn)?;
        audit::record(conn, &Actor::staff(&email), "staff.sign_in", Some(&email), None, None)?;
        Ok(true)
    })
}

/// Ends a session.
pub fn sign_out(db: &Db, cookie: &str) -> CoreResult<()> {
    let hash = token_hash(cookie);
    db.catalog(|conn| {
        diesel::delete(staff_sessions::table.find(&hash)).execute(conn)?;
        Ok(())
    })
}
