//! Rate limits where abuse is cheap: sign-in, sign-up, password reset, confirmation
//! resend, per client address and per account. Fixed windows in memory: each
//! process counts for itself, which bounds abuse per replica.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

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

#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, (u32, Instant)>>,
}

impl RateLimiter {
    /// Counts one event under `key`; `Err(wait)` when the rule's budget is spent.
    pub fn hit(&self, key: &str, rule: Rule) -> Result<(), Duration> {
        let mut map = self.buckets.lock();
        self.sweep(&mut map);
        let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= rule.window {
            *entry = (0, Instant::now());
        }
        if entry.0 >= rule.max {
            return Err(rule.window.saturating_sub(entry.1.elapsed()));
        }
        entry.0 += 1;
        Ok(())
    }

    /// Whether `key` still has budget, without counting.
    pub fn check(&self, key: &str, rule: Rule) -> Result<(), Duration> {
        let map = self.buckets.lock();
        match map.get(key) {
            Some((n, since)) if since.elapsed() < rule.window && *n >= rule.max => {
                Err(rule.window.saturating_sub(since.elapsed()))
            }
            _ => Ok(()),
        }
    }

    pub fn clear(&self, key: &str) {
        self.buckets.lock().remove(key);
    }

    fn sweep(&self, map: &mut HashMap<String, (u32, Instant)>) {
        if map.len() > 200_000 {
            map.retain(|_, (_, since)| since.elapsed() < Duration::from_secs(3600));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_spent_then_refused() {
        let l = RateLimiter::default();
        let rule = Rule { max: 2, window: Duration::from_secs(60) };
        assert!(l.hit("a", rule).is_ok());
        assert!(l.check("a", rule).is_ok());
        assert!(l.hit("a", rule).is_ok());
        assert!(l.check("a", rule).is_err());
        let wait = l.hit("a", rule).err();
        assert!(wait.is_some_and(|w| w > Duration::from_secs(50)), "{wait:?}");
        assert!(l.hit("b", rule).is_ok(), "keys are separate");
        l.clear("a");
        assert!(l.hit("a", rule).is_ok());
    }

    #[test]
    fn window_resets() {
        let l = RateLimiter::default();
        let rule = Rule { max: 1, window: Duration::from_millis(30) };
        assert!(l.hit("a", rule).is_ok());
        assert!(l.hit("a", rule).is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(l.hit("a", rule).is_ok());
    }
}
