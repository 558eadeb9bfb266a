//! Mints the proofs FranceConnect's callback would hand signers, for the signing
//! benchmark (tests/load/petitions/run.sh): each line is `host path cookie`, the
//! cookie being a sealed anonymous proof for one new subject on one petition. The
//! benchmark measures the request that records a signature, not FranceConnect.
//!
//!   petition_proofs <master key file> <count> <out file> <tenant uuid>:<host>:<petition id>...
use std::io::Write;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(
        args.len() >= 4,
        "usage: petition_proofs <master key file> <count> <out file> <tenant>:<host>:<petition>..."
    );
    let keyring = tenant_core::secrets::Keyring::load(std::path::Path::new(&args[0]), &[])?;
    let count: usize = args[1].parse()?;
    let mut targets = Vec::new();
    for t in &args[3..] {
        let mut parts = t.splitn(3, ':');
        let (Some(tenant), Some(host), Some(petition)) = (parts.next(), parts.next(), parts.next()) else {
            anyhow::bail!("target {t:?}: <tenant uuid>:<host>:<petition id>");
        };
        targets.push((uuid::Uuid::parse_str(tenant)?, host.to_owned(), petition.parse::<i64>()?));
    }
    let expires = chrono::Utc::now().timestamp() + 6 * 3600;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args[2])?);
    for i in 0..count {
        let (tenant, host, petition) = &targets[i % targets.len()];
        // A new person each time: 64 hex digits, like the callback's keyed hashes.
        let subject = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let purpose = format!("petition:{petition}");
        let sealed = platform::identity::oidc::seal_anonymous_proof(&keyring, *tenant, &purpose, &subject, expires)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        writeln!(out, "{host} /petitions/{petition}/signature {sealed}")?;
    }
    out.flush()?;
    Ok(())
}
