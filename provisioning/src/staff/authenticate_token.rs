//! Who is calling the API, from a bearer token.
use diesel::prelude::*;
use tenant_core::schema::catalog::{api_tokens, staff_accounts};
use tenant_core::{CoreResult, Db};
use uuid::Uuid;

use crate::audit::Actor;
use crate::auth::{token_hash, Scope, Scopes};

/// An authenticated API caller.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub token_id: Uuid,
    pub token_name: String,
    pub staff_email: String,
    pub scopes: Scopes,
}

impl ApiCaller {
    pub fn actor(&self) -> Actor {
        Actor::token(&format!("{} ({})", self.token_name, self.staff_email))
    }
}

/// The caller a token belongs to, if the token is known, unrevoked, unexpired and
/// its owner's account is active. `None` for anything else: the API answers 401
/// without saying which.
pub fn authenticate_token(db: &Db, secret: &str) -> CoreResult<Option<ApiCaller>> {
    let hash = token_hash(secret);
    db.catalog(|conn| {
        let found: Option<(Uuid, String, Vec<String>, String)> = api_tokens::table
            .inner_join(staff_accounts::table)
            .filter(api_tokens::token_hash.eq(&hash))
            .filter(api_tokens::revoked_at.is_null())
            .filter(api_tokens::expires_at.gt(diesel::dsl::now))
            .filter(staff_accounts::disabled_at.is_null())
            .select((api_tokens::id, api_tokens::name, api_tokens::scopes, staff_accounts::email))
            .first(conn)
            .optional()?;
        let Some((token_id, token_name, scope_names, staff_email)) = found else { return Ok(None) };
        let Ok(scopes) = Scopes::from_granted(scope_names.iter().filter_map(|s| Scope::parse(s).ok())) else {
            return Ok(None);
        };
        diesel::update(api_tokens::table.find(token_id))
            .set(api_tokens::last_used_at.eq(diesel::dsl::now))
            .execute(conn)?;
        Ok(Some(ApiCaller { token_id, token_name, staff_email, scopes }))
    })
}
