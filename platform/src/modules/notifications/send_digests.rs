//! The notification digests by mail: every active tenant, each person whose digest
//! is due (see [`notifications::due_digests`]) gets one message listing their unread
//! notifications, in their language, with links to the tenant's primary host.
//!
//! A pass decides, sends and marks in one transaction per tenant, with the people it
//! picked locked (`SKIP LOCKED`): two replicas running passes at once never mail the
//! same notification twice. A send that fails leaves the notifications unmailed for
//! the next pass and is logged. (A crash between a send and the commit can mail a
//! digest twice: at least once, never lost.)
use std::time::Duration;

use chrono::{DateTime, Utc};
use tenant_core::mail::{tenant_mail, Email};
use tenant_core::notifications::{self, Digest};
use tenant_core::{CoreResult, Tenant, TenantStatus};

use super::sentence::{fill, local_url, sentence};
use crate::settings::Settings;
use crate::state::AppState;

/// How mail links reach the tenant sites: `https`, or `http` and a port in development.
#[derive(Clone, Debug)]
pub struct SiteLinks {
    pub scheme: String,
    pub port: Option<u16>,
}

impl SiteLinks {
    pub fn from_settings(settings: &Settings) -> SiteLinks {
        SiteLinks { scheme: settings.site_scheme.clone(), port: settings.site_port }
    }

    /// `scheme://primary-host[:port]` of a tenant.
    pub fn base(&self, tenant: &Tenant) -> String {
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("{}://{}{}", self.scheme, tenant.primary_host, port)
    }
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    pub tenants: usize,
    /// Tenants left for a later pass because they are read-only (being moved).
    pub read_only: usize,
    pub sent: usize,
    pub failed: usize,
}

/// One pass over every active tenant, as of `now`.
pub fn send_all(state: &AppState, links: &SiteLinks, now: DateTime<Utc>) -> PassReport {
    let mut report = PassReport::default();
    let tenants = match state.db.catalog(tenant_core::catalog::load_all) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "notification digests: tenants not listed");
            return report;
        }
    };
    for tenant in tenants.iter().filter(|t| t.status == TenantStatus::Active) {
        // A tenant being moved takes no write: its digests wait for the next pass
        // (sent now, they could not be marked, and would go again after the move).
        if tenant.read_only {
            report.read_only += 1;
            tracing::info!(tenant = %tenant.slug, "notification digests: tenant read-only (being moved), left for the next pass");
            continue;
        }
        report.tenants += 1;
        match send_tenant(state, links, tenant, now) {
            Ok((sent, failed)) => {
                report.sent += sent;
                report.failed += failed;
            }
            Err(e) => tracing::warn!(tenant = %tenant.slug, error = %e, "notification digests not sent"),
        }
    }
    report
}

/// The digests of one tenant: (sent, failed).
pub fn send_tenant(
    state: &AppState,
    links: &SiteLinks,
    tenant: &Tenant,
    now: DateTime<Utc>,
) -> CoreResult<(usize, usize)> {
    // Read before the tenant transaction, so a pass never holds two connections.
    let own = state.db.catalog(|conn| tenant_mail(conn, &state.identity.keyring, tenant.id))?;
    state.db.tenant(tenant, |conn| {
        let (mut sent, mut failed) = (0, 0);
        for digest in notifications::due_digests(conn, now)? {
            let email = compose(state, links, tenant, &digest);
            match state.identity.mailer.send(tenant.slug.as_str(), &tenant.name, own.as_ref(), &email) {
                Ok(()) => {
                    notifications::mark_emailed(conn, &digest, now)?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(tenant = %tenant.slug, user = digest.user_id, error = %e, "notification digest not sent; kept for the next pass");
                    failed += 1;
                }
            }
        }
        Ok((sent, failed))
    })
}

/// The message for one digest, in the person's language.
pub fn compose(state: &AppState, links: &SiteLinks, tenant: &Tenant, digest: &Digest) -> Email {
    let theme = state.themes.get(tenant.theme.as_str());
    let locale = digest.locale;
    let base = links.base(tenant);
    let count = (digest.notifications.len() as i64 + digest.more).to_string();
    let msg = |key: &str, values: &[(&str, &str)]| fill(&theme.message(locale, key), values);
    let mut text = String::new();
    text.push_str(&msg("mail_digest_hello", &[("nickname", &digest.nickname)]));
    text.push_str("\n\n");
    text.push_str(&msg("mail_digest_intro", &[("tenant", &tenant.name)]));
    text.push_str("\n\n");
    for n in &digest.notifications {
        // Mail lines stay well under the 998-byte limit whatever the titles.
        let mut line: String = sentence(theme, locale, tenant.default_locale, n).chars().take(300).collect();
        if line.chars().count() == 300 {
            line.push('…');
        }
        text.push_str(&format!("- {}\n  {}{}\n", line.replace('\n', " "), base, local_url(n)));
    }
    if digest.more > 0 {
        text.push('\n');
        text.push_str(&msg("mail_digest_more", &[("count", &digest.more.to_string())]));
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&msg("mail_digest_all", &[("link", &format!("{base}/notifications"))]));
    text.push('\n');
    text.push_str(&msg("mail_digest_settings", &[("link", &format!("{base}/account/notifications"))]));
    text.push_str("\n\n-- \n");
    text.push_str(&msg("mail_footer", &[("tenant", &tenant.name)]));
    text.push('\n');
    Email {
        to: digest.email.clone(),
        subject: msg("mail_digest_subject", &[("tenant", &tenant.name), ("count", &count)]),
        text,
    }
}

/// Runs a pass every `every` on a thread of its own.
pub fn spawn(state: AppState, links: SiteLinks, every: Duration) -> std::io::Result<()> {
    std::thread::Builder::new().name("digest-sender".into()).spawn(move || loop {
        std::thread::sleep(every);
        let report = send_all(&state, &links, Utc::now());
        if report.sent > 0 || report.failed > 0 {
            tracing::info!(sent = report.sent, failed = report.failed, "notification digests");
        }
    })?;
    Ok(())
}
