//! TLS in the binary: `civitas serve --https` serves each tenant host with its own
//! certificate, chosen by SNI; a name that is no tenant host with a certificate gets
//! none (the handshake fails); the HTTP listener redirects to HTTPS; the session and
//! form cookies take the `__Host-` prefix and `Secure`; a renewed certificate (new
//! files written over the old ones) is served without a restart; `/metrics` gives
//! each certificate's end of validity. The certificates
//! are made here, by a test authority (rcgen), and `civitas tenant certificate`
//! records them after checking them.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, ServerName};

use crate::support::app::temp_dir;
use crate::support::http::{parse_bytes, Resp};
use crate::support::{tenants, TestDb};

/// A test certificate authority.
struct Authority {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl Authority {
    fn new() -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "Civitas test authority");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self { cert, key }
    }

    /// A certificate for `host`, written as `<dir>/<name>.crt` and `.key`; returns its DER.
    fn issue(&self, host: &str, dir: &Path, name: &str) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec![host.to_owned()]).unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        std::fs::write(dir.join(format!("{name}.crt")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
        cert.der().clone()
    }

    fn client(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.der().clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        // Every connection a full handshake: a resumed session shows no certificate anew.
        config.resumption = rustls::client::Resumption::disabled();
        Arc::new(config)
    }
}

/// A GET over TLS to `addr` asking for `host` (SNI and Host): the certificate the
/// server showed and its answer, or the handshake's error.
fn get_tls(
    config: &Arc<rustls::ClientConfig>,
    addr: SocketAddr,
    host: &str,
    path: &str,
) -> Result<(CertificateDer<'static>, Resp), String> {
    let name = ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
    let conn = rustls::ClientConnection::new(Arc::clone(config), name).map_err(|e| e.to_string())?;
    let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, sock);
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    tls.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    match tls.read_to_end(&mut bytes) {
        Ok(_) => {}
        // Some servers close without close_notify after `Connection: close`.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !bytes.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    let cert = tls.conn.peer_certificates().and_then(|c| c.first()).cloned().ok_or("no certificate")?;
    Ok((cert.into_owned(), parse_bytes(&bytes)))
}

fn certificate_cli(url: &str, slug: &str, host: &str, dir: &Path, name: &str) -> std::process::Output {
    tenants::civitas(url)
        .args(["tenant", "certificate", slug, host, "--cert"])
        .arg(dir.join(format!("{name}.crt")))
        .arg("--key")
        .arg(dir.join(format!("{name}.key")))
        .output()
        .expect("civitas tenant certificate")
}

#[test]
fn tenant_hosts_are_served_over_tls_with_their_own_certificates_chosen_by_sni() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    tenants::create(&db, "tlsmairie", &["mairie.test"], &["proposals"]);
    tenants::create(&db, "tlsregion", &["region.test", "www.region.test"], &["proposals"]);
    let ca = Authority::new();
    let dir = temp_dir("tls-certs");
    let mairie = ca.issue("mairie.test", &dir, "mairie");
    let region = ca.issue("region.test", &dir, "region");

    // The command checks the files: a certificate for another name, or a key that
    // is not its own, is refused with a message saying so; nothing is recorded.
    let wrong = certificate_cli(&tdb.url, "tlsmairie", "mairie.test", &dir, "region");
    assert!(!wrong.status.success());
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(err.contains("not valid for the host mairie.test"), "{err}");
    std::fs::copy(dir.join("region.key"), dir.join("mismatch.key")).unwrap();
    std::fs::copy(dir.join("mairie.crt"), dir.join("mismatch.crt")).unwrap();
    let mismatch = certificate_cli(&tdb.url, "tlsmairie", "mairie.test", &dir, "mismatch");
    assert!(!mismatch.status.success(), "a key that is not the certificate's");
    // A host of another tenant is refused too.
    let other = certificate_cli(&tdb.url, "tlsmairie", "region.test", &dir, "region");
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("belongs to another tenant"));
    for (slug, host, name) in [("tlsmairie", "mairie.test", "mairie"), ("tlsregion", "region.test", "region")] {
        let ok = certificate_cli(&tdb.url, slug, host, &dir, name);
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    }

    let data = temp_dir("tls-data");
    let mut served = tenants::serve_process_with(
        &tdb.url,
        &[("CIVITAS_DATA_DIR", data.as_os_str())],
        &["--https", "127.0.0.1:0"],
        "tls",
    );
    let https = served.https.expect("the TLS listener");
    let client = ca.client();

    // Each host its own certificate, verified by the client against the authority
    // and the name it asked for.
    let (cert, home) = get_tls(&client, https, "mairie.test", "/").expect("mairie.test over TLS");
    assert_eq!(cert, mairie);
    assert_eq!(home.status, 200);
    let (cert, _) = get_tls(&client, https, "region.test", "/").expect("region.test over TLS");
    assert_eq!(cert, region);
    // A host without a certificate, and a name that is no tenant's: no certificate,
    // the handshake fails (nothing of any tenant is shown).
    assert!(get_tls(&client, https, "www.region.test", "/").is_err(), "no certificate for www.region.test");
    assert!(get_tls(&client, https, "inconnu.test", "/").is_err(), "an unknown name gets no certificate");
    // Pages over TLS: the form token's cookie is `__Host-` and `Secure`.
    let sign_in = get_tls(&client, https, "mairie.test", "/sign-in").unwrap().1;
    assert_eq!(sign_in.status, 200);
    let cookies: Vec<&String> =
        sign_in.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")).map(|(_, v)| v).collect();
    assert!(!cookies.is_empty(), "the sign-in form sets its form token");
    for c in &cookies {
        if c.contains("civitas_csrf") || c.contains("civitas_session") {
            assert!(c.starts_with("__Host-"), "{c}");
            assert!(c.contains("Secure"), "{c}");
        }
    }

    // The expiry of each served certificate is a metric (alerts in deploy/prometheus).
    let metrics = crate::support::http::get(served.ops, "127.0.0.1", "/metrics").body;
    let now = chrono::Utc::now().timestamp();
    for host in ["mairie.test", "region.test"] {
        let prefix = format!("civitas_tls_certificate_expiry_timestamp_seconds{{host=\"{host}\"}} ");
        let line = metrics.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("{host}: {metrics}"));
        let at: i64 = line[prefix.len()..].trim().parse().expect("a timestamp");
        assert!(at > now + 86_400 * 365, "{line}");
    }
    assert!(!metrics.contains("host=\"www.region.test\""), "no certificate, no line");

    // Plain HTTP redirects to the same address over HTTPS; an unknown host gets a 404.
    let plain = crate::support::http::get(served.http, "mairie.test", "/processes?page=2");
    assert_eq!(plain.status, 308);
    assert_eq!(plain.header("location").unwrap(), format!("https://mairie.test:{}/processes?page=2", https.port()));
    assert_eq!(crate::support::http::get(served.http, "inconnu.test", "/").status, 404);

    // Renewal: new files written over the old ones are served within seconds.
    let renewed = ca.issue("mairie.test", &dir, "mairie");
    assert_ne!(renewed, mairie);
    let started = Instant::now();
    loop {
        let (cert, _) = get_tls(&client, https, "mairie.test", "/").expect("mairie.test over TLS");
        if cert == renewed {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the renewed certificate was not picked up");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A host given a certificate while the server runs is served too: this one
    // through the provisioning API, which checks the files as the CLI does.
    let www = ca.issue("www.region.test", &dir, "www");
    let staff = tenants::civitas(&tdb.url).args(["staff", "create", "--email", "ops@hebergeur.test"]).output().unwrap();
    assert!(staff.status.success(), "{}", String::from_utf8_lossy(&staff.stderr));
    let token = tenants::civitas(&tdb.url)
        .args(["staff", "token", "--email", "ops@hebergeur.test", "--name", "tls", "--scope", "write"])
        .output()
        .unwrap();
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let api = served.provisioning.expect("the provisioning listener");
    let put = |host: &str, cert: &str, key: &str| {
        let body = serde_json::json!({
            "cert_path": dir.join(cert).to_string_lossy(), "key_path": dir.join(key).to_string_lossy()
        })
        .to_string();
        let auth = format!("Bearer {token}");
        crate::support::http::send(
            api,
            "PUT",
            &format!("/api/v1/tenants/tlsregion/hosts/{host}/certificate"),
            &[("Authorization", &auth), ("Content-Type", "application/json")],
            body.as_bytes(),
        )
    };
    let refused = put("www.region.test", "region.crt", "region.key");
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("not valid for the host www.region.test"), "{}", refused.body);
    let ok = put("www.region.test", "www.crt", "www.key");
    assert_eq!(ok.status, 200, "{}", ok.body);
    let started = Instant::now();
    loop {
        if let Ok((cert, _)) = get_tls(&client, https, "www.region.test", "/") {
            assert_eq!(cert, www);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the new host's certificate was not picked up");
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = served.child.kill();
    let _ = served.child.wait();
    let _ = std::fs::read_to_string(&served.log);
}
