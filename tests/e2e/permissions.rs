//! The permission matrix: every actor against every action, in a public process, a
//! private one, and on hidden content, each cell sent over HTTP to the real server
//! and checked in the database.
//!
//! A cell's letter is what the server must do:
//! - `A` allowed: 200, or 303 on to where the action leads; the row is written;
//! - `S` sign in first: 303 to `/sign-in`; nothing written;
//! - `D` denied: 403 with the reason; nothing written;
//! - `N` not found: 404, the visitor may not know the thing exists; nothing written.
//!
//! Every cell works on fresh targets (a proposal by another person, a comment on it,
//! an amendment by a third person, a participant to block), so no cell depends on
//! another, and each effect is measured before and after.
//!
//! The component asks a resident-list verification to support and to comment (and
//! so to vote on comments), an account to publish and to amend. Administrators are
//! not exempt from verifications: their role opens the admin pages, not the gates.
use std::collections::BTreeMap;

use diesel::PgConnection;
use tenant_core::accounts::users::{self, NewUser, UserRole};
use tenant_core::accounts::verifications::{self, Kind, Requirement};
use tenant_core::comments::{self, NewComment};
use tenant_core::components;
use tenant_core::names::{Locale, ModuleName};
use tenant_core::proposals::write::{self, Draft, Published};
use tenant_core::proposals::{self, amendments, supports, PhaseSettings, Settings};
use tenant_core::resources::{ResourceKind, ResourceRef};
use tenant_core::spaces::{self, NewSpace, SpaceKind, Texts};
use tenant_core::{moderation, CoreError, Db, Tenant};

use crate::support::browser::Browser;
use crate::support::http::Resp;
use crate::support::sql::count;
use crate::support::{tenants, TestApp, TestConfig, TestDb};

const PASSWORD: &str = "une phrase de passe assez longue";
const HOST: &str = "perm.test";
const SLUG: &str = "perm";
const OTHER_HOST: &str = "permb.test";
const OTHER_SLUG: &str = "permb";

/// Who acts. Everyone but the anonymous visitor and the other tenant's admin has a
/// confirmed account on the tenant under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Actor {
    Anonymous,
    /// Confirmed account, no verification, member of nothing.
    Participant,
    /// Holds the wrong verification (admin-confirmed) and an expired resident-list one.
    Unverified,
    /// Holds the resident-list verification; not a member of the private space.
    Verified,
    /// Verified and a member of the private space, but blocked by the admins.
    Blocked,
    /// Verified and a member of the private space.
    Member,
    /// The tenant's administrator (no verification).
    Admin,
    /// An administrator of another tenant, with their cookies sent to this host.
    OtherAdmin,
}

const ACTORS: [Actor; 8] = [
    Actor::Anonymous,
    Actor::Participant,
    Actor::Unverified,
    Actor::Verified,
    Actor::Blocked,
    Actor::Member,
    Actor::Admin,
    Actor::OtherAdmin,
];

impl Actor {
    fn nickname(self) -> Option<&'static str> {
        match self {
            Actor::Anonymous | Actor::OtherAdmin => None,
            Actor::Participant => Some("participant"),
            Actor::Unverified => Some("nonverifie"),
            Actor::Verified => Some("verifie"),
            Actor::Blocked => Some("bloque"),
            Actor::Member => Some("membre"),
            Actor::Admin => Some("admin"),
        }
    }

    fn short(self) -> &'static str {
        match self {
            Actor::Anonymous => "anon",
            Actor::Participant => "part",
            Actor::Unverified => "unve",
            Actor::Verified => "veri",
            Actor::Blocked => "bloc",
            Actor::Member => "memb",
            Actor::Admin => "admi",
            Actor::OtherAdmin => "othr",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    ReadSpace,
    ReadList,
    ReadProposal,
    Publish,
    Support,
    Unsupport,
    Amend,
    Comment,
    VoteComment,
    ReportProposal,
    ReportComment,
    Follow,
    EditOthers,
    WithdrawOthers,
    AcceptAmendment,
    AdminProposalPage,
    AdminSettings,
    AdminAnswer,
    AdminHide,
    AdminExport,
    AdminBlock,
}
use Action::*;

// Columns:                     anon part unve veri bloc memb admi othr
const PUBLIC: &[(Action, &str)] = &[
    (ReadSpace, /*          */ "A    A    A    A    A    A    A    A"),
    (ReadList, /*           */ "A    A    A    A    A    A    A    A"),
    (ReadProposal, /*       */ "A    A    A    A    A    A    A    A"),
    (Publish, /*            */ "S    A    A    A    D    A    A    S"),
    (Support, /*            */ "S    D    D    A    D    A    D    S"),
    (Unsupport, /*          */ "S    D    D    A    D    A    D    S"),
    (Amend, /*              */ "S    A    A    A    D    A    A    S"),
    (Comment, /*            */ "S    D    D    A    D    A    D    S"),
    (VoteComment, /*        */ "S    D    D    A    D    A    D    S"),
    (ReportProposal, /*     */ "S    A    A    A    D    A    A    S"),
    (ReportComment, /*      */ "S    A    A    A    D    A    A    S"),
    (Follow, /*             */ "S    A    A    A    D    A    A    S"),
    (EditOthers, /*         */ "S    D    D    D    D    D    D    S"),
    (WithdrawOthers, /*     */ "S    D    D    D    D    D    D    S"),
    (AcceptAmendment, /*    */ "S    D    D    D    D    D    D    S"),
    (AdminProposalPage, /*  */ "S    D    D    D    D    D    A    S"),
    (AdminSettings, /*      */ "S    D    D    D    D    D    A    S"),
    (AdminAnswer, /*        */ "S    D    D    D    D    D    A    S"),
    (AdminHide, /*          */ "S    D    D    D    D    D    A    S"),
    (AdminExport, /*        */ "S    D    D    D    D    D    A    S"),
    (AdminBlock, /*         */ "S    D    D    D    D    D    A    S"),
];

/// The private process (members only). Non-members are told nothing exists; the
/// routes that need an account first (`/comments`, `/reports`, `/follows`, admin)
/// send signed-out visitors to sign in before looking anything up.
// Columns:                     anon part unve veri bloc memb admi othr
const PRIVATE: &[(Action, &str)] = &[
    (ReadSpace, /*          */ "N    N    N    N    A    A    A    N"),
    (ReadList, /*           */ "N    N    N    N    A    A    A    N"),
    (ReadProposal, /*       */ "N    N    N    N    A    A    A    N"),
    (Publish, /*            */ "N    N    N    N    D    A    A    N"),
    (Support, /*            */ "N    N    N    N    D    A    D    N"),
    (Unsupport, /*          */ "N    N    N    N    D    A    D    N"),
    (Amend, /*              */ "N    N    N    N    D    A    A    N"),
    (Comment, /*            */ "S    N    N    N    D    A    D    S"),
    (VoteComment, /*        */ "S    N    N    N    D    A    D    S"),
    (ReportProposal, /*     */ "S    N    N    N    D    A    A    S"),
    (ReportComment, /*      */ "S    N    N    N    D    A    A    S"),
    (Follow, /*             */ "S    N    N    N    D    A    A    S"),
    (EditOthers, /*         */ "N    N    N    N    D    D    D    N"),
    (WithdrawOthers, /*     */ "N    N    N    N    D    D    D    N"),
    (AcceptAmendment, /*    */ "N    N    N    N    D    D    D    N"),
    (AdminProposalPage, /*  */ "S    D    D    D    D    D    A    S"),
    (AdminSettings, /*      */ "S    D    D    D    D    D    A    S"),
    (AdminAnswer, /*        */ "S    D    D    D    D    D    A    S"),
    (AdminHide, /*          */ "S    D    D    D    D    D    A    S"),
    (AdminExport, /*        */ "S    D    D    D    D    D    A    S"),
    (AdminBlock, /*         */ "S    D    D    D    D    D    A    S"),
];

/// A proposal hidden by the moderators, in the public process: only administrators
/// reach it. Support is refused by the gate (D) before the proposal is looked up for
/// those who lack the verification; either way nothing is written.
// Columns:                     anon part unve veri bloc memb admi othr
const HIDDEN_PROPOSAL: &[(Action, &str)] = &[
    (ReadProposal, /*       */ "N    N    N    N    N    N    A    N"),
    (Support, /*            */ "S    D    D    N    D    N    D    S"),
    (Amend, /*              */ "S    N    N    N    D    N    A    S"),
    (Comment, /*            */ "S    N    N    N    N    N    D    S"),
    (VoteComment, /*        */ "S    N    N    N    N    N    D    S"),
    (ReportProposal, /*     */ "S    N    N    N    D    N    A    S"),
    (ReportComment, /*      */ "S    N    N    N    D    N    A    S"),
    (Follow, /*             */ "S    N    N    N    D    N    A    S"),
];

/// A comment hidden by the moderators, on a visible proposal of the public process.
// Columns:                     anon part unve veri bloc memb admi othr
const HIDDEN_COMMENT: &[(Action, &str)] = &[
    (VoteComment, /*        */ "S    N    N    N    N    N    D    S"),
    (ReportComment, /*      */ "S    N    N    N    D    N    A    S"),
];

/// One table: where its cells happen.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Public,
    Private,
    HiddenProposal,
    HiddenComment,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Public => "public process",
            Scenario::Private => "private process",
            Scenario::HiddenProposal => "hidden proposal",
            Scenario::HiddenComment => "hidden comment",
        }
    }
}

/// A process with its proposals component and a second component whose settings
/// the admin cells rewrite.
#[derive(Clone)]
struct Place {
    slug: &'static str,
    component: i64,
    scratch: i64,
    base: String,
}

/// What one cell works on, created fresh for it.
struct Target {
    /// A proposal by `auteur`, with one comment by them and one pending amendment by `amendeur`.
    proposal: i64,
    title: String,
    comment: i64,
    amendment: i64,
    /// A participant for the admin to block.
    victim: i64,
    /// Unique text for what the cell writes (a title, a component name).
    marker: String,
}

fn texts(fr: &str) -> Texts {
    let mut t = BTreeMap::new();
    t.insert(Locale::Fr, fr.to_owned());
    t
}

fn settings() -> Settings {
    Settings {
        support_requires: Requirement::Verification(Kind::ResidentList),
        comment_requires: Requirement::Verification(Kind::ResidentList),
        create_requires: Requirement::Account,
        amend_requires: Requirement::Account,
        ..Settings::default()
    }
}

/// A confirmed account `{nick}@{slug}.fr`.
fn add_user(
    conn: &mut PgConnection,
    slug: &str,
    nick: &str,
    role: UserRole,
    phc: Option<&str>,
) -> Result<i64, CoreError> {
    let email = format!("{nick}@{slug}.fr");
    let new = NewUser {
        nickname: nick,
        email: Some(&email),
        password_hash: phc,
        locale: Locale::Fr,
        email_confirmed: true,
        role,
    };
    Ok(users::create(conn, &new)?.unwrap())
}

fn process(conn: &mut PgConnection, slug: &'static str, private: bool) -> Result<Place, CoreError> {
    let empty = Texts::new();
    let space = spaces::create(
        conn,
        &NewSpace {
            kind: SpaceKind::Process,
            slug,
            title: &texts(&format!("Processus {slug}")),
            subtitle: &empty,
            description: &empty,
            start_date: None,
            end_date: None,
            private,
            published: true,
        },
    )?;
    let phase = spaces::add_phase(conn, space, &texts("Dépôt"), &empty, (None, None))?;
    spaces::activate_phase(conn, space, phase)?;
    let open = PhaseSettings {
        creation_enabled: true,
        supports_enabled: true,
        amendments_enabled: true,
        ..PhaseSettings::default()
    };
    let per_phase = serde_json::json!({ phase.to_string(): serde_json::to_value(&open).unwrap() });
    let mut ids = Vec::new();
    for name in ["Idées", "Réglages"] {
        let c = components::create(conn, space, ModuleName::Proposals, &texts(name), &settings().to_json())?;
        components::update(conn, c, &texts(name), &settings().to_json(), &per_phase)?;
        components::set_published(conn, c, true)?;
        ids.push(c);
    }
    Ok(Place { slug, component: ids[0], scratch: ids[1], base: format!("/processes/{slug}/f/{}", ids[0]) })
}

struct World {
    public: Place,
    private: Place,
    users: BTreeMap<&'static str, i64>,
}

/// The tenant under test: the accounts, a public and a private process.
fn setup(db: &Db, tenant: &Tenant) -> World {
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    db.tenant(tenant, |conn| {
        let mut users_ = BTreeMap::new();
        for nick in ["auteur", "amendeur", "participant", "nonverifie", "verifie", "bloque", "membre"] {
            users_.insert(nick, add_user(conn, SLUG, nick, UserRole::Participant, Some(&phc))?);
        }
        users_.insert("admin", add_user(conn, SLUG, "admin", UserRole::Admin, Some(&phc))?);
        for nick in ["verifie", "bloque", "membre"] {
            verifications::grant(conn, users_[nick], Kind::ResidentList, "resident_list", "test", None)?;
        }
        let expired = Some(chrono::Utc::now() - chrono::Duration::days(1));
        verifications::grant(conn, users_["nonverifie"], Kind::ResidentList, "resident_list", "test", expired)?;
        verifications::grant(conn, users_["nonverifie"], Kind::Admin, "admin", "test", None)?;
        diesel::RunQueryDsl::execute(
            diesel::sql_query("UPDATE users SET blocked_at = now(), blocked_reason = 'spam' WHERE nickname = 'bloque'"),
            conn,
        )?;
        let public = process(conn, "ouvert", false)?;
        let private = process(conn, "reserve", true)?;
        let private_id = components::find(conn, private.component, &[Locale::Fr])?.unwrap().space_id;
        for nick in ["membre", "bloque"] {
            spaces::add_member(conn, private_id, users_[nick])?;
        }
        Ok::<_, CoreError>(World { public, private, users: users_ })
    })
    .unwrap()
}

/// Fresh targets for cell `n`.
fn fixture(db: &Db, tenant: &Tenant, world: &World, place: &Place, n: usize, scenario: Scenario) -> Target {
    let title = format!("Proposition témoin {n}");
    let marker = format!("Écrit par la cellule {n}");
    db.tenant(tenant, |conn| {
        let s = settings();
        let draft =
            Draft { title: title.clone(), body: format!("Le texte de la proposition {n}."), ..Draft::default() };
        let checked = write::check(&draft, &s)?;
        let Published::New(proposal) =
            write::publish(conn, place.component, Some(world.users["auteur"]), &checked, &s, Locale::Fr, None)?
        else {
            panic!("a new proposal")
        };
        let resource = ResourceRef::new(ResourceKind::Proposal, proposal);
        let body = format!("Un avis sur la proposition {n}.");
        let new =
            NewComment { resource, parent_id: None, author_id: world.users["auteur"], body: &body, alignment: None };
        let comment = comments::create(conn, &new)?.unwrap().id;
        let p = proposals::find(conn, place.component, proposal)?.unwrap();
        let amended = Draft {
            title: format!("Proposition amendée {n}"),
            body: format!("Un texte amendé pour la proposition {n}."),
            ..Draft::default()
        };
        let amendment = amendments::propose(conn, &p, world.users["amendeur"], &write::check(&amended, &s)?)?;
        let victim = add_user(conn, SLUG, &format!("victime{n}"), UserRole::Participant, None)?;
        match scenario {
            Scenario::HiddenProposal => moderation::hide(conn, resource, world.users["admin"])?,
            Scenario::HiddenComment => {
                moderation::hide(conn, ResourceRef::new(ResourceKind::Comment, comment), world.users["admin"])?
            }
            Scenario::Public | Scenario::Private => {}
        }
        Ok::<_, CoreError>(Target { proposal, title, comment, amendment, victim, marker })
    })
    .unwrap()
}

/// A visitor of the tenant under test, and the form token their forms carry.
struct Visitor {
    browser: Browser,
    csrf: String,
    /// Cookies sent again before every request (the other tenant's admin's session).
    pinned: BTreeMap<String, String>,
}

impl Visitor {
    fn refresh(&mut self) {
        for (k, v) in &self.pinned {
            self.browser.cookies.insert(k.clone(), v.clone());
        }
    }
}

fn sign_in(app: &TestApp, host: &str, email: &str) -> Browser {
    let mut b = Browser::new(app.http, host);
    let csrf = b.csrf("/sign-in");
    let r = b.post("/sign-in", &[("csrf", &csrf), ("email", email), ("password", PASSWORD)]);
    assert_eq!(r.status, 303, "{email} signs in on {host}: {}", r.body);
    b
}

fn visitor(app: &TestApp, actor: Actor, other_admin: &Browser) -> Visitor {
    let (mut browser, pinned) = match (actor, actor.nickname()) {
        (Actor::OtherAdmin, _) => {
            assert!(other_admin.cookies.contains_key("civitas_session"), "signed in on their own tenant");
            let mut b = Browser::new(app.http, HOST);
            b.cookies = other_admin.cookies.clone();
            (b, other_admin.cookies.clone())
        }
        (_, Some(nick)) => (sign_in(app, HOST, &format!("{nick}@{SLUG}.fr")), BTreeMap::new()),
        (_, None) => (Browser::new(app.http, HOST), BTreeMap::new()),
    };
    let page = if actor.nickname().is_some() { "/account" } else { "/sign-in" };
    let csrf = browser.csrf(page);
    let mut v = Visitor { browser, csrf, pinned };
    v.refresh();
    v
}

/// Sends the cell's request.
fn perform(v: &mut Visitor, action: Action, place: &Place, t: &Target) -> Resp {
    v.refresh();
    let csrf = v.csrf.clone();
    let b = &mut v.browser;
    let url = format!("{}/{}", place.base, t.proposal);
    let (pid, cid) = (t.proposal.to_string(), t.comment.to_string());
    match action {
        ReadSpace => b.get(&format!("/processes/{}", place.slug)),
        ReadList => b.get(&place.base),
        ReadProposal => b.get(&url),
        Publish => b.post_multipart(
            &format!("{}/new", place.base),
            &[("csrf", &csrf), ("title", &t.marker), ("body", "Une proposition écrite pour la matrice.")],
            &[],
        ),
        Support => b.post(&format!("{url}/support"), &[("csrf", &csrf)]),
        Unsupport => b.post(&format!("{url}/unsupport"), &[("csrf", &csrf)]),
        Amend => b.post(
            &format!("{url}/amend"),
            &[("csrf", &csrf), ("title", &t.marker), ("body", "Une autre version, écrite pour la matrice.")],
        ),
        Comment => b.post(
            "/comments",
            &[
                ("csrf", &csrf),
                ("resource_kind", "proposal"),
                ("resource_id", &pid),
                ("body", "Un commentaire écrit pour la matrice."),
            ],
        ),
        VoteComment => b.post(&format!("/comments/{cid}/vote"), &[("csrf", &csrf), ("value", "up")]),
        ReportProposal | ReportComment => {
            let (kind, id) = if action == ReportProposal { ("proposal", &pid) } else { ("comment", &cid) };
            b.post(
                "/reports",
                &[("csrf", &csrf), ("resource_kind", kind), ("resource_id", id), ("reason", "spam"), ("details", "")],
            )
        }
        Follow => b.post(
            "/follows",
            &[
                ("csrf", &csrf),
                ("resource_kind", "proposal"),
                ("resource_id", &pid),
                ("action", "follow"),
                ("next", &url),
            ],
        ),
        EditOthers => b.post(
            &format!("{url}/edit"),
            &[("csrf", &csrf), ("title", &t.marker), ("body", "Un texte réécrit par quelqu'un d'autre.")],
        ),
        WithdrawOthers => b.post(&format!("{url}/withdraw"), &[("csrf", &csrf)]),
        AcceptAmendment => {
            b.post(&format!("{url}/amendments/{}", t.amendment), &[("csrf", &csrf), ("decision", "accept")])
        }
        AdminProposalPage => b.get(&format!("/admin/components/{}/proposals/{pid}", place.component)),
        AdminSettings => b.post(
            &format!("/admin/components/{}", place.scratch),
            &[("csrf", &csrf), ("name_fr", &t.marker), ("s.default_order", "random"), ("s.body_max_chars", "3000")],
        ),
        AdminAnswer => b.post(
            &format!("/admin/components/{}/proposals/{pid}", place.component),
            &[("csrf", &csrf), ("state", "accepted"), ("answer", "Nous le ferons.")],
        ),
        AdminHide => b.post(
            "/admin/moderation/hide",
            &[("csrf", &csrf), ("resource_kind", "proposal"), ("resource_id", &pid), ("filter", "pending")],
        ),
        AdminExport => b.get(&format!("/admin/components/{}/proposals/export.csv", place.component)),
        AdminBlock => b.post(
            &format!("/admin/people/{}/block", t.victim),
            &[("csrf", &csrf), ("reason", "Des messages injurieux."), ("next", "")],
        ),
    }
}

/// What the cell writes when allowed, counted in the database, and by how much an
/// allowed cell changes it; None for the pages that only read.
fn effect(conn: &mut PgConnection, action: Action, place: &Place, t: &Target) -> Option<(i64, i64)> {
    let s = format!("t_{SLUG}");
    let (p, c) = (t.proposal, t.comment);
    let (sql, delta) = match action {
        ReadSpace | ReadList | ReadProposal | AdminProposalPage | AdminExport => return None,
        Publish => (format!("SELECT count(*) AS n FROM {s}.proposals WHERE title = '{}'", t.marker), 1),
        Support => (format!("SELECT count(*) AS n FROM {s}.proposal_supports WHERE proposal_id = {p}"), 1),
        Unsupport => (format!("SELECT count(*) AS n FROM {s}.proposal_supports WHERE proposal_id = {p}"), -1),
        Amend => (format!("SELECT count(*) AS n FROM {s}.proposal_amendments WHERE proposal_id = {p}"), 1),
        Comment => (
            format!("SELECT count(*) AS n FROM {s}.comments WHERE resource_kind = 'proposal' AND resource_id = {p}"),
            1,
        ),
        VoteComment => (format!("SELECT count(*) AS n FROM {s}.comment_votes WHERE comment_id = {c}"), 1),
        ReportProposal => {
            (format!("SELECT count(*) AS n FROM {s}.reports WHERE resource_kind = 'proposal' AND resource_id = {p}"), 1)
        }
        ReportComment => {
            (format!("SELECT count(*) AS n FROM {s}.reports WHERE resource_kind = 'comment' AND resource_id = {c}"), 1)
        }
        Follow => {
            (format!("SELECT count(*) AS n FROM {s}.follows WHERE resource_kind = 'proposal' AND resource_id = {p}"), 1)
        }
        EditOthers => (format!("SELECT count(*) AS n FROM {s}.proposals WHERE id = {p} AND version > 1"), 1),
        WithdrawOthers => {
            (format!("SELECT count(*) AS n FROM {s}.proposals WHERE id = {p} AND state = 'withdrawn'"), 1)
        }
        AcceptAmendment => (
            format!(
                "SELECT count(*) AS n FROM {s}.proposal_amendments WHERE id = {} AND state <> 'pending'",
                t.amendment
            ),
            1,
        ),
        AdminSettings => (
            format!(
                "SELECT count(*) AS n FROM {s}.components WHERE id = {} AND name->>'fr' = '{}'",
                place.scratch, t.marker
            ),
            1,
        ),
        AdminAnswer => {
            (format!("SELECT count(*) AS n FROM {s}.proposals WHERE id = {p} AND answer_state = 'accepted'"), 1)
        }
        AdminHide => (
            format!(
                "SELECT count(*) AS n FROM {s}.moderations
                 WHERE resource_kind = 'proposal' AND resource_id = {p} AND hidden_at IS NOT NULL"
            ),
            1,
        ),
        AdminBlock => {
            (format!("SELECT count(*) AS n FROM {s}.users WHERE id = {} AND blocked_at IS NOT NULL", t.victim), 1)
        }
    };
    Some((count(conn, &sql), delta))
}

/// The letter the server's answer stands for; `?` for anything else (a 500, a 400...).
fn letter(r: &Resp) -> char {
    match r.status {
        200 => 'A',
        303 if r.header("location").is_some_and(|l| l.starts_with("/sign-in")) => 'S',
        303 => 'A',
        403 => 'D',
        404 => 'N',
        _ => '?',
    }
}

/// Runs one table; returns the letters the server gave, and what went wrong.
#[allow(clippy::too_many_arguments)]
fn run_table(
    db: &Db,
    tenant: &Tenant,
    conn: &mut PgConnection,
    world: &World,
    visitors: &mut BTreeMap<Actor, Visitor>,
    scenario: Scenario,
    table: &[(Action, &str)],
    cell: &mut usize,
) -> (Vec<String>, Vec<String>) {
    let place = if scenario == Scenario::Private { &world.private } else { &world.public };
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (action, expected) in table {
        let expected: Vec<char> = expected.split_whitespace().map(|s| s.chars().next().unwrap()).collect();
        assert_eq!(expected.len(), ACTORS.len(), "{action:?}: one letter per actor");
        let mut got_row = String::new();
        for (actor, want) in ACTORS.iter().zip(expected) {
            *cell += 1;
            let t = fixture(db, tenant, world, place, *cell, scenario);
            if *action == Unsupport {
                if let Some(nick) = actor.nickname() {
                    db.tenant(tenant, |conn| {
                        supports::support(conn, place.component, t.proposal, world.users[nick], &settings())
                    })
                    .unwrap();
                }
            }
            let before = effect(conn, *action, place, &t);
            let v = visitors.get_mut(actor).unwrap();
            let resp = perform(v, *action, place, &t);
            let got = letter(&resp);
            let after = effect(conn, *action, place, &t);
            got_row.push_str(&format!("{got}    "));
            let mut wrong = Vec::new();
            if got != want {
                wrong.push(format!("expected {want}, got {got}"));
            }
            if let (Some((b, delta)), Some((a, _))) = (before, after) {
                let expected_change = if want == 'A' { delta } else { 0 };
                if a - b != expected_change {
                    wrong.push(format!("the database changed by {} (expected {expected_change})", a - b));
                }
            }
            if got == 'D' && resp.body.contains("this form has expired") {
                wrong.push("refused for its form token, not for its permission".into());
            }
            match (*action, got) {
                (ReadProposal, 'A') if !resp.body.contains(&t.title) => wrong.push("the page lacks the title".into()),
                (AdminExport, 'A') if !resp.body.contains(&t.title) => wrong.push("the export lacks the title".into()),
                (_, 'D' | 'N' | 'S') if resp.body.contains(&t.title) => wrong.push("the answer shows the title".into()),
                _ => {}
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "{} / {action:?} / {actor:?}: {} — {} {:?} {}",
                    scenario.name(),
                    wrong.join("; "),
                    resp.status,
                    resp.header("location"),
                    resp.body.chars().take(300).collect::<String>()
                ));
            }
        }
        rows.push(format!("{:<18} {}", format!("{action:?}"), got_row.trim_end()));
    }
    (rows, failures)
}

#[test]
fn every_actor_gets_exactly_the_permissions_of_the_matrix() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, SLUG, &[HOST], &["proposals"]);
    let other = tenants::create(&db, OTHER_SLUG, &[OTHER_HOST], &["proposals"]);
    let world = setup(&db, &tenant);
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    db.tenant(&other, |conn| add_user(conn, OTHER_SLUG, "admin", UserRole::Admin, Some(&phc))).unwrap();
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut conn = tdb.conn();

    let other_admin = sign_in(&app, OTHER_HOST, &format!("admin@{OTHER_SLUG}.fr"));
    let mut visitors: BTreeMap<Actor, Visitor> = ACTORS.iter().map(|a| (*a, visitor(&app, *a, &other_admin))).collect();

    let mut cell = 0;
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for (scenario, table) in [
        (Scenario::Public, PUBLIC),
        (Scenario::Private, PRIVATE),
        (Scenario::HiddenProposal, HIDDEN_PROPOSAL),
        (Scenario::HiddenComment, HIDDEN_COMMENT),
    ] {
        let (rows, wrong) = run_table(&db, &tenant, &mut conn, &world, &mut visitors, scenario, table, &mut cell);
        let header: Vec<&str> = ACTORS.iter().map(|a| a.short()).collect();
        report.push(format!("{}\n{:<18} {}\n{}", scenario.name(), "", header.join(" "), rows.join("\n")));
        failures.extend(wrong);
    }
    assert!(failures.is_empty(), "{}\n\nWhat the server did:\n{}", failures.join("\n"), report.join("\n\n"));
}

#[test]
fn another_tenants_admin_cannot_sign_in_here_and_their_session_is_unknown() {
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, SLUG, &[HOST], &["proposals"]);
    let other = tenants::create(&db, OTHER_SLUG, &[OTHER_HOST], &["proposals"]);
    setup(&db, &tenant);
    let phc =
        provisioning::auth::hash_password(&provisioning::auth::Password::parse(PASSWORD.into()).unwrap()).unwrap();
    db.tenant(&other, |conn| add_user(conn, OTHER_SLUG, "patronne", UserRole::Admin, Some(&phc))).unwrap();
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut conn = tdb.conn();
    let sessions = |conn: &mut PgConnection| count(conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.user_sessions"));

    // Their account lives on the other tenant only.
    let email = format!("patronne@{OTHER_SLUG}.fr");
    let theirs = sign_in(&app, OTHER_HOST, &email);
    let before = sessions(&mut conn);
    let mut here = Browser::new(app.http, HOST);
    let csrf = here.csrf("/sign-in");
    let r = here.post("/sign-in", &[("csrf", &csrf), ("email", &email), ("password", PASSWORD)]);
    assert_ne!(r.status, 303, "no account here: {}", r.body);
    assert!(!here.cookies.contains_key("civitas_session"), "no session cookie");
    assert_eq!(sessions(&mut conn), before, "no session opened here");

    // Their session cookie, sent to this host, names no session here.
    let mut stranger = Browser::new(app.http, HOST);
    stranger.cookies = theirs.cookies.clone();
    for path in ["/account", "/admin", "/admin/people", "/admin/moderation"] {
        stranger.cookies = theirs.cookies.clone();
        let r = stranger.get(path);
        assert_eq!(r.status, 303, "{path}");
        assert!(r.header("location").is_some_and(|l| l.starts_with("/sign-in")), "{path}");
    }
    assert_eq!(Browser::new(app.http, OTHER_HOST).get("/admin").status, 303);
    let mut own = theirs;
    assert_eq!(own.get("/admin").status, 200, "while it works on their own tenant");
}

#[test]
fn reports_follows_and_votes_of_a_private_space_stay_with_its_members() {
    // The cases that once went wrong, on their own: a non-member reported a private
    // proposal (the lookup used an administrator's view), a member could not report a
    // comment there nor an administrator hide it (it used an anonymous view), and a
    // blocked account could follow.
    let tdb = TestDb::new();
    let db = tdb.db(2);
    let tenant = tenants::create(&db, SLUG, &[HOST], &["proposals"]);
    let world = setup(&db, &tenant);
    let app = TestApp::start(&tdb, TestConfig::default());
    let mut conn = tdb.conn();
    let t = fixture(&db, &tenant, &world, &world.private, 1, Scenario::Private);
    let reports = |conn: &mut PgConnection| count(conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.reports"));

    let mut outsider = sign_in(&app, HOST, &format!("verifie@{SLUG}.fr"));
    let c = outsider.csrf("/account");
    for (kind, id) in [("proposal", t.proposal), ("comment", t.comment)] {
        let r = outsider.post(
            "/reports",
            &[("csrf", &c), ("resource_kind", kind), ("resource_id", &id.to_string()), ("reason", "spam")],
        );
        assert_eq!(r.status, 404, "{kind}: {}", r.body);
        assert!(!r.body.contains(&t.title));
    }
    let r = outsider.post(&format!("/comments/{}/vote", t.comment), &[("csrf", &c), ("value", "down")]);
    assert_eq!(r.status, 404);
    assert_eq!(reports(&mut conn), 0);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.comment_votes")), 0);

    let mut member = sign_in(&app, HOST, &format!("membre@{SLUG}.fr"));
    let c = member.csrf("/account");
    let r = member.post(
        "/reports",
        &[("csrf", &c), ("resource_kind", "comment"), ("resource_id", &t.comment.to_string()), ("reason", "spam")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(reports(&mut conn), 1);

    // An administrator hides a comment of the private space that nobody reported.
    let quiet = fixture(&db, &tenant, &world, &world.private, 2, Scenario::Private);
    let mut admin = sign_in(&app, HOST, &format!("admin@{SLUG}.fr"));
    let c = admin.csrf("/admin/moderation");
    let r = admin.post(
        "/admin/moderation/hide",
        &[("csrf", &c), ("resource_kind", "comment"), ("resource_id", &quiet.comment.to_string())],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let hidden =
        format!("SELECT count(*) AS n FROM t_{SLUG}.comments WHERE id = {} AND hidden_at IS NOT NULL", quiet.comment);
    assert_eq!(count(&mut conn, &hidden), 1);

    let mut blocked = sign_in(&app, HOST, &format!("bloque@{SLUG}.fr"));
    let c = blocked.csrf("/account");
    let follow = |b: &mut Browser, action: &str| {
        b.post(
            "/follows",
            &[
                ("csrf", &c),
                ("resource_kind", "user"),
                ("resource_id", &world.users["auteur"].to_string()),
                ("action", action),
            ],
        )
    };
    let r = follow(&mut blocked, "follow");
    assert_eq!(r.status, 403);
    assert!(r.body.contains("bloqué"), "{}", r.body);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.follows")), 0);
    assert_eq!(count(&mut conn, &format!("SELECT count(*) AS n FROM t_{SLUG}.notifications")), 0, "nobody told");
    assert_eq!(follow(&mut blocked, "unfollow").status, 303, "leaving is always possible");
}
