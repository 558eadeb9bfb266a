//! Slows down password and code guessing: after a few failures from one address
//! for one account, further attempts are refused for a while.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use parking_lot::Mutex;

/// Failures allowed within the window before attempts are refused.
const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<(String, String), (u32, Instant)>>,
}

fn key(req: &HttpRequest, account: &str) -> (String, String) {
    let ip = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    (ip, account.trim().to_lowercase())
}

impl SignInLimiter {
    pub fn allow(&self, req: &HttpRequest, account: &str) -> bool {
        let mut map = self.failures.lock();
        match map.get(&key(req, account)) {
            Some((n, since)) if since.elapsed() < WINDOW => *n < MAX_FAILURES,
            Some(_) => {
                map.remove(&key(req, account));
                true
            }
            None => true,
        }
    }

    pub fn failed(&self, req: &HttpRequest, account: &str) {
        let mut map = self.failures.lock();
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(key(req, account)).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, req: &HttpRequest, account: &str) {
        self.failures.lock().remove(&key(req, account));
    }
}
