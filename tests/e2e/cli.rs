//! The command line as scripts and people drive it.
use crate::support::{tenants, TestDb};

fn run(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = tenants::civitas(url).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn tenant_list_show_suspend_resume_round_trip() {
    let tdb = TestDb::new();
    let (ok, _, err) = run(
        &tdb.url,
        &[
            "tenant",
            "create",
            "--slug",
            "lyon",
            "--name",
            "Lyon",
            "--host",
            "lyon.test",
            "--host",
            "www.lyon.test",
            "--locale",
            "fr",
            "--locale",
            "en",
            "--module",
            "blog",
            "--theme",
            "civic",
        ],
    );
    assert!(ok, "{err}");
    let (ok, table, _) = run(&tdb.url, &["tenant", "list"]);
    assert!(ok && table.contains("lyon") && table.contains("active") && table.contains("1 tenant(s)"), "{table}");
    let (_, json, _) = run(&tdb.url, &["tenant", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(list[0]["hosts"], serde_json::json!(["lyon.test", "www.lyon.test"]));
    assert_eq!(list[0]["locales"], serde_json::json!(["fr", "en"]));
    assert_eq!(list[0]["theme"], "civic");
    let (ok, shown, _) = run(&tdb.url, &["tenant", "suspend", "lyon"]);
    assert!(ok);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&shown).unwrap()["status"], "suspended");
    let (_, shown, _) = run(&tdb.url, &["tenant", "show", "lyon"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&shown).unwrap()["status"], "suspended");
    let (ok, shown, _) = run(&tdb.url, &["tenant", "resume", "lyon"]);
    assert!(ok);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&shown).unwrap()["status"], "active");
    let (ok, _, err) = run(&tdb.url, &["tenant", "show", "nobody"]);
    assert!(!ok && err.contains("no tenant with slug"), "{err}");
}

#[test]
fn migrate_is_idempotent_and_reports_progress() {
    let tdb = TestDb::new();
    let db = tdb.db(1);
    tenants::create(&db, "one", &["one.test"], &[]);
    tenants::create(&db, "two", &["two.test"], &[]);
    let (ok, out, err) = run(&tdb.url, &["migrate"]);
    assert!(ok, "{err}");
    assert!(out.contains("[1/2] one: up to date") && out.contains("[2/2] two: up to date"), "{out}");
    assert!(out.contains("2 tenant schema(s) migrated"));
    let (ok, again, _) = run(&tdb.url, &["migrate"]);
    assert!(ok && again == out);
}

#[test]
fn a_misspelt_setting_stops_the_program() {
    let tdb = TestDb::new();
    let out = tenants::civitas(&tdb.url).env("CIVITAS_DATABSE_URL", "x").args(["tenant", "list"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown environment variable(s) CIVITAS_DATABSE_URL"));
    let file = crate::support::app::temp_dir("cfg").join("civitas.toml");
    std::fs::write(&file, "pool_sise = 3\n").unwrap();
    let out = tenants::civitas(&tdb.url).env("CIVITAS_CONFIG", &file).args(["tenant", "list"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown field `pool_sise`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
