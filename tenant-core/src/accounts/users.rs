//! Accounts.
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::error::{CoreError, CoreResult};
use crate::names::Locale;
use crate::schema::tenant::users;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    Participant,
    Admin,
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Participant => "participant",
            UserRole::Admin => "admin",
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub nickname: Option<String>,
    pub email: Option<String>,
    pub email_confirmed_at: Option<DateTime<Utc>>,
    pub password_hash: Option<String>,
    pub locale: String,
    pub role: String,
    pub terms_accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A live (not deleted) account.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub nickname: String,
    pub email: Option<String>,
    pub email_confirmed: bool,
    pub password_hash: Option<String>,
    pub locale: Locale,
    pub role: UserRole,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl User {
    pub(crate) fn from_row_pub(row: UserRow) -> Option<User> {
        Self::from_row(row)
    }

    fn from_row(row: UserRow) -> Option<User> {
        if row.deleted_at.is_some() {
            return None;
        }
        Some(User {
            id: row.id,
            nickname: row.nickname?,
            email: row.email,
            email_confirmed: row.email_confirmed_at.is_some(),
            password_hash: row.password_hash,
            locale: Locale::parse(&row.locale).unwrap_or(Locale::Fr),
            role: if row.role == "admin" { UserRole::Admin } else { UserRole::Participant },
            created_at: row.created_at,
            last_sign_in_at: row.last_sign_in_at,
        })
    }
}

/// A nickname: 2 to 40 characters, letters, digits, spaces, `-`, `_`, `.`, no
/// leading or trailing space. Returns the trimmed form.
pub fn check_nickname(raw: &str) -> CoreResult<String> {
    let n = raw.trim();
    let count = n.chars().count();
    if !(2..=40).contains(&count) {
        return Err(CoreError::Invalid("nickname: 2 to 40 characters".into()));
    }
    if !n.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')) {
        return Err(CoreError::Invalid("nickname: letters, digits, spaces, '-', '_' and '.' only".into()));
    }
    Ok(n.to_owned())
}

/// An email address, lowercased in its domain: one `@`, no spaces, at most 254 bytes.
pub fn check_email(raw: &str) -> CoreResult<String> {
    let e = raw.trim();
    let valid = e.len() <= 254
        && e.split('@').count() == 2
        && e.split('@').all(|p| !p.is_empty())
        && !e.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
        && e.rsplit('@').next().is_some_and(|d| d.contains('.') && !d.starts_with('.') && !d.ends_with('.'));
    if !valid {
        return Err(CoreError::Invalid("email: an address like name@example.fr".into()));
    }
    let (local, domain) = e.split_once('@').unwrap_or((e, ""));
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// What sign-up stores.
pub struct NewUser<'a> {
    pub nickname: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub locale: Locale,
    pub email_confirmed: bool,
    pub role: UserRole,
}

/// Why an account could not be created.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    Nickname,
    Email,
}

/// Creates an account (terms accepted now). A taken nickname or email is reported,
/// not raised, so the caller can answer without revealing which emails exist.
pub fn create(conn: &mut PgConnection, new: &NewUser<'_>) -> CoreResult<Result<i64, Taken>> {
    let nickname = check_nickname(new.nickname)?;
    let email = new.email.map(check_email).transpose()?;
    let confirmed = new.email_confirmed.then(Utc::now);
    let result = conn.transaction(|conn| {
        diesel::insert_into(users::table)
            .values((
                users::nickname.eq(&nickname),
                users::email.eq(&email),
                users::email_confirmed_at.eq(confirmed),
                users::password_hash.eq(new.password_hash),
                users::locale.eq(new.locale.as_str()),
                users::role.eq(new.role.as_str()),
                users::terms_accepted_at.eq(diesel::dsl::now),
            ))
            .returning(users::id)
            .get_result::<i64>(conn)
    });
    match result {
        Ok(id) => Ok(Ok(id)),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
            if info.constraint_name() == Some("users_nickname_key") {
                Ok(Err(Taken::Nickname))
            } else {
                Ok(Err(Taken::Email))
            }
        }
        Err(e) => Err(e.into()),
    }
}

pub fn find(conn: &mut PgConnection, id: i64) -> CoreResult<Option<User>> {
    Ok(users::table.find(id).select(UserRow::as_select()).first(conn).optional()?.and_then(User::from_row))
}

pub fn find_by_email(conn: &mut PgConnection, email: &str) -> CoreResult<Option<User>> {
    let Ok(email) = check_email(email) else { return Ok(None) };
    let row = users::table
        .filter(lower(users::email).eq(lower(email)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.and_then(User::from_row))
}

pub fn find_by_nickname(conn: &mut PgConnection, nickname: &str) -> CoreResult<Option<User>> {
    let row = users::table
        .filter(lower(users::nickname).eq(lower(nickname.trim())))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.and_then(User::from_row))
}

pub fn nickname_taken(conn: &mut PgConnection, nickname: &str) -> CoreResult<bool> {
    let n: i64 = users::table.filter(lower(users::nickname).eq(lower(nickname.trim()))).count().get_result(conn)?;
    Ok(n > 0)
}

pub fn count_live(conn: &mut PgConnection) -> CoreResult<i64> {
    Ok(users::table.filter(users::deleted_at.is_null()).count().get_result(conn)?)
}

pub fn confirm_email(conn: &mut PgConnection, id: i64, email: &str) -> CoreResult<()> {
    diesel::update(users::table.find(id).filter(users::deleted_at.is_null()))
        .set((
            users::email.eq(email),
            users::email_confirmed_at.eq(diesel::dsl::now),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_password_hash(conn: &mut PgConnection, id: i64, hash: &str) -> CoreResult<()> {
    diesel::update(users::table.find(id).filter(users::deleted_at.is_null()))
        .set((users::password_hash.eq(hash), users::updated_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    Ok(())
}

pub fn set_nickname(conn: &mut PgConnection, id: i64, nickname: &str) -> CoreResult<Result<(), Taken>> {
    let nickname = check_nickname(nickname)?;
    let r = conn.transaction(|conn| {
        diesel::update(users::table.find(id).filter(users::deleted_at.is_null()))
            .set((users::nickname.eq(&nickname), users::updated_at.eq(diesel::dsl::now)))
            .execute(conn)
    });
    match r {
        Ok(_) => Ok(Ok(())),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(Err(Taken::Nickname)),
        Err(e) => Err(e.into()),
    }
}

pub fn set_locale(conn: &mut PgConnection, id: i64, locale: Locale) -> CoreResult<()> {
    diesel::update(users::table.find(id)).set(users::locale.eq(locale.as_str())).execute(conn)?;
    Ok(())
}

pub fn set_role(conn: &mut PgConnection, id: i64, role: UserRole) -> CoreResult<()> {
    diesel::update(users::table.find(id)).set(users::role.eq(role.as_str())).execute(conn)?;
    Ok(())
}

pub fn touch_sign_in(conn: &mut PgConnection, id: i64) -> CoreResult<()> {
    diesel::update(users::table.find(id)).set(users::last_sign_in_at.eq(diesel::dsl::now)).execute(conn)?;
    Ok(())
}

/// Erases an account's personal data and keeps the row, so contributions stay and
/// show as from a deleted participant. Sessions, links, identities and verifications go.
pub fn erase(conn: &mut PgConnection, id: i64) -> CoreResult<()> {
    use crate::schema::tenant::{email_tokens, user_identities, user_sessions, verifications};
    conn.transaction(|conn| {
        diesel::delete(user_sessions::table.filter(user_sessions::user_id.eq(id))).execute(conn)?;
        diesel::delete(email_tokens::table.filter(email_tokens::user_id.eq(id))).execute(conn)?;
        diesel::delete(user_identities::table.filter(user_identities::user_id.eq(id))).execute(conn)?;
        diesel::delete(verifications::table.filter(verifications::user_id.eq(id))).execute(conn)?;
        crate::follows::forget_user(conn, id)?;
        crate::notifications::forget_user(conn, id)?;
        diesel::update(users::table.find(id))
            .set((
                users::nickname.eq(None::<String>),
                users::email.eq(None::<String>),
                users::email_confirmed_at.eq(None::<DateTime<Utc>>),
                users::password_hash.eq(None::<String>),
                users::role.eq("participant"),
                users::last_sign_in_at.eq(None::<DateTime<Utc>>),
                users::deleted_at.eq(diesel::dsl::now),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        Ok::<_, CoreError>(())
    })
}

/// One line of the admins' list of accounts.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Listed {
    pub id: i64,
    pub nickname: String,
    pub email: Option<String>,
    pub email_confirmed: bool,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Current verification kinds.
    pub verifications: Vec<String>,
    /// Since when the account is blocked, if it is.
    pub blocked_at: Option<DateTime<Utc>>,
}

/// Live accounts, newest first, filtered by a nickname or email fragment; at most
/// `limit` from `offset`, with the total matching.
pub fn list(conn: &mut PgConnection, search: &str, limit: i64, offset: i64) -> CoreResult<(Vec<Listed>, i64)> {
    use crate::schema::tenant::verifications;
    let pattern = format!("%{}%", search.trim().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let filter = || {
        users::deleted_at.is_null().and(users::nickname.ilike(pattern.clone()).or(users::email.ilike(pattern.clone())))
    };
    let total: i64 = users::table.filter(filter()).count().get_result(conn)?;
    let rows: Vec<UserRow> = users::table
        .filter(filter())
        .order((users::created_at.desc(), users::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(UserRow::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let kinds: Vec<(i64, String)> = verifications::table
        .filter(verifications::user_id.eq_any(&ids))
        .filter(verifications::expires_at.is_null().or(verifications::expires_at.gt(diesel::dsl::now)))
        .select((verifications::user_id, verifications::kind))
        .load(conn)?;
    let blocks: Vec<(i64, Option<DateTime<Utc>>)> =
        users::table.filter(users::id.eq_any(&ids)).select((users::id, users::blocked_at)).load(conn)?;
    let listed = rows
        .into_iter()
        .filter_map(|r| {
            let verifications = kinds.iter().filter(|(id, _)| *id == r.id).map(|(_, k)| k.clone()).collect();
            let blocked_at = blocks.iter().find(|(id, _)| *id == r.id).and_then(|(_, at)| *at);
            Some(Listed {
                id: r.id,
                nickname: r.nickname?,
                email: r.email,
                email_confirmed: r.email_confirmed_at.is_some(),
                role: r.role,
                created_at: r.created_at,
                last_sign_in_at: r.last_sign_in_at,
                verifications,
                blocked_at,
            })
        })
        .collect();
    Ok((listed, total))
}

/// Why and since when the tenant's administrators blocked an account.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Blocked {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// Whether an account is blocked, and why.
pub fn blocked(conn: &mut PgConnection, id: i64) -> CoreResult<Option<Blocked>> {
    let row: Option<(Option<DateTime<Utc>>, Option<String>)> =
        users::table.find(id).select((users::blocked_at, users::blocked_reason)).first(conn).optional()?;
    Ok(row.and_then(|(at, reason)| at.map(|at| Blocked { at, reason: reason.unwrap_or_default() })))
}

/// Why an administrator may not block an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockRefused {
    /// Administrators cannot block themselves.
    Yourself,
    /// An administrator is made a participant first.
    Admin,
}

/// The longest reason kept for a block.
pub const MAX_BLOCK_REASON: usize = 500;

/// Blocks account `id` for `reason` (1 to 500 characters), on behalf of the
/// administrator `by`; recorded in the admin log. An account already blocked gets
/// the new reason.
pub fn block(conn: &mut PgConnection, by: i64, id: i64, reason: &str) -> CoreResult<Result<(), BlockRefused>> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_BLOCK_REASON {
        return Err(CoreError::Invalid(format!("reason: 1 to {MAX_BLOCK_REASON} characters")));
    }
    let target = find(conn, id)?.ok_or_else(|| CoreError::NotFound("account".into()))?;
    if id == by {
        return Ok(Err(BlockRefused::Yourself));
    }
    if target.role == UserRole::Admin {
        return Ok(Err(BlockRefused::Admin));
    }
    conn.transaction(|conn| {
        diesel::update(users::table.find(id))
            .set((
                users::blocked_at.eq(diesel::dsl::now),
                users::blocked_reason.eq(reason),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        crate::admin_log::record(
            conn,
            by,
            "user.block",
            crate::resources::ResourceRef::new(crate::resources::ResourceKind::User, id),
            serde_json::json!({ "reason": reason }),
        )
    })?;
    Ok(Ok(()))
}

/// Lifts a block (recorded in the admin log); an account not blocked stays as it is.
pub fn unblock(conn: &mut PgConnection, by: i64, id: i64) -> CoreResult<()> {
    find(conn, id)?.ok_or_else(|| CoreError::NotFound("account".into()))?;
    conn.transaction(|conn| {
        let n = diesel::update(users::table.find(id).filter(users::blocked_at.is_not_null()))
            .set((
                users::blocked_at.eq(None::<DateTime<Utc>>),
                users::blocked_reason.eq(None::<String>),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        if n > 0 {
            crate::admin_log::record(
                conn,
                by,
                "user.unblock",
                crate::resources::ResourceRef::new(crate::resources::ResourceKind::User, id),
                serde_json::json!({}),
            )?;
        }
        Ok(())
    })
}

pub fn count_admins(conn: &mut PgConnection) -> CoreResult<i64> {
    Ok(users::table.filter(users::deleted_at.is_null()).filter(users::role.eq("admin")).count().get_result(conn)?)
}

/// Every row of an account, for "download my data".
pub fn raw(conn: &mut PgConnection, id: i64) -> CoreResult<Option<UserRow>> {
    Ok(users::table.find(id).select(UserRow::as_select()).first(conn).optional()?)
}

/// How many live accounts a tenant has, and the last time anyone signed in.
pub fn activity(conn: &mut PgConnection) -> CoreResult<(i64, Option<DateTime<Utc>>)> {
    let live = count_live(conn)?;
    let last: Option<DateTime<Utc>> = users::table
        .filter(users::deleted_at.is_null())
        .select(diesel::dsl::max(users::last_sign_in_at))
        .first(conn)?;
    Ok((live, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames() {
        assert_eq!(check_nickname("  Marianne_75 ").ok().as_deref(), Some("Marianne_75"));
        assert!(check_nickname("é").is_err());
        assert!(check_nickname("a<b>").is_err());
        assert!(check_nickname(&"x".repeat(41)).is_err());
        assert!(check_nickname("Jean-Éric L.").is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(check_email(" Anne@Example.FR ").ok().as_deref(), Some("Anne@example.fr"));
        for bad in ["", "a", "a@", "@b.fr", "a@b", "a b@c.fr", "a@b@c.fr", "a@.fr", "<a@b.fr>"] {
            assert!(check_email(bad).is_err(), "{bad} accepted");
        }
    }
}
