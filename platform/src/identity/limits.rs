//! Rate limits where abuse is cheap: sign-in, sign-up, password reset, confirmation
//! resend, account changes, provider sign-in; per client address and per account.
//! Fixed windows, counted in PostgreSQL so that replicas share them.
use std::time::Duration;

use actix_web::web;
use tenant_core::{rate_limits, Db};

use crate::http::error::AppError;

/// One rule: at most `max` events per `window`.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub max: u32,
    pub window: Duration,
}

impl Rule {
    pub const fn per_minutes(max: u32, minutes: u64) -> Self {
        Rule { max, window: Duration::from_secs(minutes * 60) }
    }
}

pub const SIGN_IN_PER_IP: Rule = Rule::per_minutes(20, 10);
pub const SIGN_IN_FAILURES_PER_ACCOUNT: Rule = Rule::per_minutes(5, 15);
pub const SIGN_UP_PER_IP: Rule = Rule::per_minutes(10, 60);
pub const RESET_PER_IP: Rule = Rule::per_minutes(10, 60);
pub const RESET_PER_ACCOUNT: Rule = Rule::per_minutes(3, 60);
pub const RESEND_PER_IP: Rule = Rule::per_minutes(10, 60);
pub const RESEND_PER_ACCOUNT: Rule = Rule::per_minutes(3, 60);
pub const ACCOUNT_CHANGES_PER_USER: Rule = Rule::per_minutes(10, 15);
pub const OIDC_PER_IP: Rule = Rule::per_minutes(30, 10);

/// Counts in the catalog (`tenant_core::rate_limits`), so every replica of
/// `civitas` shares one budget per key.
pub struct RateLimiter {
    db: Db,
}

impl RateLimiter {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Counts one event under `key`; `Ok(Err(wait))` when the rule's budget is spent.
    pub async fn hit(&self, key: &str, rule: Rule) -> Result<Result<(), Duration>, AppError> {
        let (db, key) = (self.db.clone(), key.to_owned());
        Ok(web::block(move || db.catalog(|conn| rate_limits::hit(conn, &key, rule.max, rule.window))).await??)
    }

    /// Whether `key` still has budget, without counting.
    pub async fn check(&self, key: &str, rule: Rule) -> Result<Result<(), Duration>, AppError> {
        let (db, key) = (self.db.clone(), key.to_owned());
        Ok(web::block(move || db.catalog(|conn| rate_limits::check(conn, &key, rule.max))).await??)
    }

    pub async fn clear(&self, key: &str) -> Result<(), AppError> {
        let (db, key) = (self.db.clone(), key.to_owned());
        Ok(web::block(move || db.catalog(|conn| rate_limits::clear(conn, &key))).await??)
    }
}
