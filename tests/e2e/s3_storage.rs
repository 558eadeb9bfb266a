//! Files on S3: the blob store against a real S3 server (SeaweedFS, which checks
//! request signatures), the tenant sites and provisioning configured with it, and an
//! outage in the middle of an upload.
use std::sync::Arc;
use std::time::{Duration, Instant};

use blob_s3::{S3BlobStore, S3Settings};
use provisioning::delete_tenant::{delete_tenant, PurgeTenantJob};
use provisioning::export_tenant::{enqueue_export, ExportTenantJob};
use provisioning::jobs::{JobHandler, JobStatus, Runner, RunnerOptions};
use provisioning::Actor;
use tenant_core::blob::{BlobKey, BlobStore};
use tenant_core::names::TenantSlug;
use tenant_core::proposals::Settings as ProposalSettings;
use tenant_core::{CoreError, Tenant};
use uuid::Uuid;

use crate::proposals::{setup, signed_in};
use crate::support::browser::{form_value, Browser};
use crate::support::s3::{self, Weed};
use crate::support::sql::count;
use crate::support::tenants::{self, civitas, serve_process_with};
use crate::support::{TestApp, TestConfig, TestDb};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn png(size: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(size, 7);
    bytes
}

fn key(tenant: Uuid, name: &str) -> BlobKey {
    BlobKey::new(tenant, name).unwrap()
}

fn names(store: &dyn BlobStore, tenant: Uuid) -> Vec<String> {
    store.list_tenant(tenant).unwrap().iter().map(|k| k.name().to_owned()).collect()
}

/// A tenant created through provisioning with its files (a logo) on `store`.
fn tenant_on(db: &tenant_core::Db, store: Arc<dyn BlobStore>, slug: &str, modules: &[&str]) -> Tenant {
    let mut spec = tenants::spec(slug, &[&format!("{slug}.test")], modules);
    spec.logo = Some(provisioning::Logo::parse(png(300)).unwrap());
    provisioning::create_tenant(db, store, spec, &Actor::system()).unwrap()
}

#[test]
fn files_round_trip_through_an_s3_bucket_under_their_tenants_prefix() {
    let weed = s3::shared();
    // Two keys per listing page: every listing below follows continuation tokens.
    let store = weed.store().with_page_size(2);
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());

    assert_eq!(store.get(&key(a, "nothing/here.pdf")).unwrap(), None, "a missing file is None, not an error");
    assert!(store.list_tenant(a).unwrap().is_empty());
    for (i, name) in ["branding/logo.png", "proposals/1.pdf", "proposals/2.pdf", "spaces/3/hero.jpg"].iter().enumerate()
    {
        store.put(&key(a, name), &vec![b'a'; 100 * (i + 1)]).unwrap();
    }
    store.put(&key(a, "exports/e1.tar.gz"), &[0u8; 5000]).unwrap();
    store.put(&key(b, "branding/logo.png"), b"b's logo").unwrap();

    assert_eq!(store.get(&key(a, "proposals/2.pdf")).unwrap(), Some(vec![b'a'; 300]));
    store.put(&key(a, "proposals/2.pdf"), b"replaced").unwrap();
    assert_eq!(store.get(&key(a, "proposals/2.pdf")).unwrap().as_deref(), Some(&b"replaced"[..]));
    assert_eq!(
        names(&store, a),
        ["branding/logo.png", "exports/e1.tar.gz", "proposals/1.pdf", "proposals/2.pdf", "spaces/3/hero.jpg"],
        "every file of the tenant, across pages, and only its own"
    );
    assert_eq!(names(&store, b), ["branding/logo.png"]);
    // Usage: the sizes from the listing, exports left out (100 + 200 + 8 + 400).
    assert_eq!(store.tenant_usage(a).unwrap(), 708);
    assert_eq!(store.tenant_usage(b).unwrap(), 8);

    store.delete(&key(a, "proposals/1.pdf")).unwrap();
    store.delete(&key(a, "proposals/1.pdf")).unwrap();
    assert_eq!(store.get(&key(a, "proposals/1.pdf")).unwrap(), None);
    assert_eq!(names(&store, a).len(), 4);

    // The same objects, seen by a second client: they are really in the bucket.
    let other_client = weed.store();
    assert_eq!(other_client.get(&key(b, "branding/logo.png")).unwrap().as_deref(), Some(&b"b's logo"[..]));

    store.delete_tenant(a).unwrap();
    assert!(store.list_tenant(a).unwrap().is_empty(), "the purge removed every page of files");
    assert_eq!(names(&store, b), ["branding/logo.png"], "another tenant's files stay");
    store.delete_tenant(b).unwrap();
}

#[test]
fn wrong_s3_credentials_are_refused_with_a_clear_error_and_civitas_does_not_start() {
    let weed = s3::shared();
    let tenant = Uuid::new_v4();
    let mut wrong_secret = weed.settings();
    wrong_secret.secret_key = "not-the-secret-key".to_owned().into();
    let store = S3BlobStore::new(&wrong_secret).unwrap();
    for err in [store.check().unwrap_err(), store.put(&key(tenant, "a.pdf"), PDF).unwrap_err()] {
        let text = format!("{err}");
        assert!(matches!(err, CoreError::Io { .. }), "a setup fault, not an outage: {err:?}");
        assert!(text.contains("refused") && text.contains("SignatureDoesNotMatch"), "{text}");
        assert!(text.contains("check the S3 access key, secret key and region"), "{text}");
        assert!(!text.contains("not-the-secret-key"), "the secret is never shown");
    }
    let mut unknown_key = weed.settings();
    unknown_key.access_key = "nobody".into();
    let text = S3BlobStore::new(&unknown_key).unwrap().check().unwrap_err().to_string();
    assert!(text.contains("refused") && text.contains("InvalidAccessKeyId"), "{text}");
    // Nothing was written with the wrong key.
    assert_eq!(weed.store().get(&key(tenant, "a.pdf")).unwrap(), None);

    // `civitas serve` checks the bucket at start: with a wrong key it stops and says why.
    let tdb = TestDb::new();
    let mut child = civitas(&tdb.url)
        .args(["serve", "--http", "127.0.0.1:0", "--ops", "127.0.0.1:0", "--provisioning", "127.0.0.1:0"])
        .env("CIVITAS_S3_BUCKET", s3::BUCKET)
        .env("CIVITAS_S3_REGION", s3::REGION)
        .env("CIVITAS_S3_ENDPOINT", &weed.endpoint)
        .env("CIVITAS_S3_PATH_STYLE", "true")
        .env("CIVITAS_S3_ACCESS_KEY", s3::ACCESS_KEY)
        .env("CIVITAS_S3_SECRET_KEY", "not-the-secret-key")
        .env("CIVITAS_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("civitas serve started with a wrong S3 key");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success());
    assert!(
        printed.contains(&format!("bucket \"{}\"", s3::BUCKET)) && printed.contains("SignatureDoesNotMatch"),
        "{printed}"
    );
    assert!(!printed.contains("not-the-secret-key"), "the secret key was printed: {printed}");
}

#[test]
fn civitas_serve_reads_the_s3_settings_and_serves_a_tenants_logo_from_the_bucket_on_its_host_only() {
    let weed = s3::shared();
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let store: Arc<dyn BlobStore> = Arc::new(weed.store());
    let tenant = tenant_on(&db, store.clone(), "s3logo", &[]);
    tenant_on(&db, Arc::new(weed.store()), "s3other", &[]);
    tenants::create(&db, "nologo", &["nologo.test"], &[]);
    assert_eq!(names(&*store, tenant.id), ["branding/logo.png"], "the logo went to the bucket");

    let secret: std::ffi::OsString = weed.secret_key.clone().into();
    let envs: Vec<(&str, std::ffi::OsString)> = vec![
        ("CIVITAS_S3_BUCKET", s3::BUCKET.into()),
        ("CIVITAS_S3_REGION", s3::REGION.into()),
        ("CIVITAS_S3_ENDPOINT", weed.endpoint.clone().into()),
        ("CIVITAS_S3_PATH_STYLE", "true".into()),
        ("CIVITAS_S3_ACCESS_KEY", s3::ACCESS_KEY.into()),
        ("CIVITAS_S3_SECRET_KEY", secret),
        ("CIVITAS_LOG", "debug".into()),
    ];
    let envs: Vec<(&str, &std::ffi::OsStr)> = envs.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let mut served = serve_process_with(&tdb.url, &envs, &[], "s3-serve");
    let logo = Browser::new(served.http, "s3logo.test").get("/branding/logo");
    let other = Browser::new(served.http, "nologo.test").get("/branding/logo");
    let _ = served.child.kill();
    let _ = served.child.wait();
    assert_eq!((logo.status, logo.header("content-type")), (200, Some("image/png")), "{}", logo.body);
    assert_eq!(logo.body.len(), String::from_utf8_lossy(&png(300)).len());
    assert_eq!(other.status, 404, "another tenant's host does not reach it");
    let log = std::fs::read_to_string(&served.log).unwrap();
    assert!(log.contains("files are stored on S3"), "{log}");
    assert!(!log.contains(&weed.secret_key), "the secret key was logged");
    store.delete_tenant(tenant.id).unwrap();
}

/// A server on S3 with two tenants with proposals, and a proposal of the first
/// published with a PDF attached.
struct Published {
    app: TestApp,
    tenant: Tenant,
    other: Tenant,
    /// The attachment's link on the first tenant's pages.
    link: String,
    _tdb: TestDb,
}

fn published_pdf((slug, other_slug): (&str, &str), settings: S3Settings) -> Published {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, slug, &[&format!("{slug}.test")], &["proposals"]);
    let other = tenants::create(&db, other_slug, &[&format!("{other_slug}.test")], &["proposals"]);
    let place = setup(&db, &tenant, &ProposalSettings::default());
    setup(&db, &other, &ProposalSettings::default());
    let app = TestApp::start(&tdb, TestConfig { s3: Some(settings), ..TestConfig::default() });
    let mut author = signed_in(&app, &format!("{slug}.test"), "auteur", slug);
    let r = crate::proposals::publish(
        &mut author,
        &place.base,
        "Un plan",
        "Le plan joint à cette proposition.",
        &[("attachments", "plan.pdf", PDF)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = author.get(r.header("location").unwrap().split('?').next().unwrap());
    let link = attachment_link(&page.body);
    Published { app, tenant, other, link, _tdb: tdb }
}

#[test]
fn an_attachment_on_s3_is_reachable_only_through_its_own_tenants_host() {
    let weed = s3::shared();
    let store = Arc::new(weed.store());
    let Published { _tdb, app, tenant, link, .. } = published_pdf(("s3a", "s3b"), weed.settings());

    let stored = names(&*store, tenant.id);
    assert!(stored.len() == 1 && stored[0].starts_with("proposals/"), "{stored:?}");
    assert!(!std::path::Path::new(&app.data_dir.join("blobs")).exists(), "nothing on the local disk");
    let file = Browser::new(app.http, "s3a.test").get(&link);
    assert_eq!((file.status, file.header("content-type")), (200, Some("application/pdf")));
    assert_eq!(file.body.as_bytes(), PDF);
    // The same path on another tenant's host, whose own proposal 1 may exist: not found.
    assert_eq!(Browser::new(app.http, "s3b.test").get(&link).status, 404);
    assert_eq!(crate::support::http::get(app.http, "unknown.test", &link).status, 404);
    store.delete_tenant(tenant.id).unwrap();
}

#[test]
fn a_presigned_link_downloads_only_its_tenants_file_and_expires() {
    let weed = s3::shared();
    let mut settings = weed.settings();
    settings.presigned_url_ttl = Some(Duration::from_secs(3));
    let Published { _tdb, app, tenant, other, link } = published_pdf(("s3p", "s3q"), settings);
    let store = weed.store();
    store.put(&key(other.id, "proposals/secret.pdf"), b"%PDF-1.4 the other tenant's").unwrap();

    // The tenant's host checks who may read, then sends to a link signed for that key.
    let answer = Browser::new(app.http, "s3p.test").get(&link);
    assert_eq!(answer.status, 302, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("private, no-store"));
    let url = answer.header("location").unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/{}/{}/proposals/", weed.endpoint, s3::BUCKET, tenant.id)), "{url}");
    assert_eq!(Browser::new(app.http, "s3q.test").get(&link).status, 404, "no link through another host");

    let file = fetch(&url);
    assert_eq!(file.status, 200, "{}", file.body);
    assert_eq!(file.body.as_bytes(), PDF);
    assert_eq!(file.header("content-type"), Some("application/pdf"));
    assert_eq!(file.header("content-disposition"), Some("attachment; filename=\"plan.pdf\""));
    // The link names one object: pointed at another tenant's, the signature fails.
    let stolen = url.replacen(&tenant.id.to_string(), &other.id.to_string(), 1);
    let stolen = stolen.replacen(url.split('?').next().unwrap().rsplit('/').next().unwrap(), "secret.pdf", 1);
    let refused = fetch(&stolen);
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(!refused.body.contains("the other tenant's"));

    std::thread::sleep(Duration::from_secs(5));
    let expired = fetch(&url);
    assert_eq!(expired.status, 403, "an expired link is refused: {}", expired.body);
    assert!(expired.body.contains("AccessDenied") || expired.body.contains("Expired"), "{}", expired.body);
    store.delete_tenant(tenant.id).unwrap();
    store.delete_tenant(other.id).unwrap();
}

#[test]
fn purging_a_tenant_removes_its_objects_from_the_s3_bucket_and_exports_go_there_too() {
    let weed = s3::shared();
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let store: Arc<dyn BlobStore> = Arc::new(weed.store());
    let tenant = tenant_on(&db, store.clone(), "s3purge", &[]);
    let kept = tenant_on(&db, store.clone(), "s3kept", &[]);
    store.put(&key(tenant.id, "proposals/1.pdf"), PDF).unwrap();
    let handlers: Vec<Arc<dyn JobHandler>> =
        vec![Arc::new(ExportTenantJob { blobs: store.clone() }), Arc::new(PurgeTenantJob { blobs: store.clone() })];
    let runner =
        Runner::new(tdb.db(2), handlers, RunnerOptions { poll: Duration::from_millis(50), ..RunnerOptions::default() });
    let slug = TenantSlug::parse("s3purge").unwrap();

    // An export reads the tenant's files from the bucket and writes its archive there.
    let export = enqueue_export(&db, &slug, &Actor::system()).unwrap();
    assert_eq!(runner.run_job("w", export).unwrap().status, JobStatus::Succeeded);
    let stored = names(&*store, tenant.id);
    assert!(stored.iter().any(|n| n.starts_with("exports/") && n.ends_with(".tar.gz")), "{stored:?}");
    assert_eq!(stored.len(), 3, "{stored:?}");

    let purge = delete_tenant(&db, &slug, 0, true, &Actor::system()).unwrap();
    assert_eq!(runner.run_job("w", purge).unwrap().status, JobStatus::Succeeded);
    assert!(store.list_tenant(tenant.id).unwrap().is_empty(), "objects of the purged tenant are left");
    assert_eq!(names(&*store, kept.id), ["branding/logo.png"], "the other tenant keeps its files");
    store.delete_tenant(kept.id).unwrap();
}

#[test]
fn an_s3_outage_in_the_middle_of_an_upload_gives_a_clear_error_and_leaves_no_row() {
    // A server of this test's own, since it is frozen and then killed.
    let weed = Weed::start();
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, "s3down", &["s3down.test"], &["proposals"]);
    let place = setup(&db, &tenant, &ProposalSettings::default());
    let mut settings = weed.settings();
    settings.timeout = Duration::from_secs(2);
    let app = TestApp::start(&tdb, TestConfig { s3: Some(settings), ..TestConfig::default() });
    let mut conn = tdb.conn();

    // 1. The server stops answering while a new logo is on its way: the write times out,
    //    the admin gets an error page that says so, and the tenant keeps no logo.
    let mut admin = signed_in(&app, "s3down.test", "admin", "s3down");
    let csrf = admin.csrf("/admin/appearance");
    let hung = admin.post_multipart_interrupted(
        "/admin/appearance/logo",
        &[("csrf", &csrf)],
        &[("logo", "logo.png", &png(200_000))],
        || weed.freeze(),
    );
    assert_eq!(hung.status, 503, "{}", hung.body);
    assert!(hung.body.contains("file storage cannot be reached"), "{}", hung.body);
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM catalog.tenants WHERE slug = 's3down' AND logo_key IS NULL"),
        1
    );
    weed.thaw();

    // 2. The server dies while a proposal with two attachments is being uploaded: the form
    //    comes back with the text typed and the reason; no proposal, no attachment row.
    let mut author = signed_in(&app, "s3down.test", "auteur", "s3down");
    let form = author.get(&format!("{}/new", place.base));
    let (csrf, submission) = (form_value(&form.body, "csrf").unwrap(), form_value(&form.body, "submission").unwrap());
    let big = [PDF, &vec![b' '; 300_000][..]].concat();
    let fields = [
        ("csrf", csrf.as_str()),
        ("submission", submission.as_str()),
        ("title", "Des arbres rue Jaurès"),
        ("body", "Planter des arbres le long de la rue."),
    ];
    let r = author.post_multipart_interrupted(
        &format!("{}/new", place.base),
        &fields,
        &[("attachments", "plan.pdf", &big), ("attachments", "photo.pdf", PDF)],
        || weed.kill(),
    );
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.body.contains("file storage cannot be reached right now, so the proposal was not published"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Des arbres rue Jaurès"), "the text typed is kept");
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM t_s3down.proposals"), 0, "an orphan proposal row");
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM t_s3down.proposal_attachments"),
        0,
        "an orphan attachment row"
    );
    // The tenant's pages still answer; its logo route says the storage is out, plainly.
    assert_eq!(Browser::new(app.http, "s3down.test").get("/").status, 200);
}

/// The attachment link on a proposal page.
fn attachment_link(html: &str) -> String {
    let start = html.find("/attachments/").expect("an attachment link");
    let href_start = html[..start].rfind('"').unwrap() + 1;
    let end = start + html[start..].find('"').unwrap();
    html[href_start..end].replace("&#x2F;", "/").replace("&amp;", "&")
}

/// A plain GET of an absolute `http://127.0.0.1:port/...` URL.
fn fetch(url: &str) -> crate::support::http::Resp {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let addr: std::net::SocketAddr = authority.parse().unwrap();
    crate::support::http::get(addr, authority, path)
}
