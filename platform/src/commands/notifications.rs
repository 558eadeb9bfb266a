//! `civitas notifications send-digests`: one pass of the digest sender, for ops and tests.
use crate::modules::notifications::send_digests::{self, SiteLinks};
use crate::runtime::{build_state, Database};
use crate::settings::Settings;

pub fn send_digests(settings: &Settings) -> anyhow::Result<()> {
    let database = Database::open(settings)?;
    let state = build_state(settings, database.db.clone())?;
    let report = send_digests::send_all(&state, &SiteLinks::from_settings(settings), chrono::Utc::now());
    println!(
        "civitas: notification digests: {} sent, {} failed, {} tenant(s) visited, {} read-only (being moved) left for the next pass",
        report.sent, report.failed, report.tenants, report.read_only
    );
    if report.failed > 0 {
        anyhow::bail!("{} digest(s) could not be sent; they are kept for the next pass (see the log)", report.failed);
    }
    Ok(())
}
