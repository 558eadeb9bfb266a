//! The signature queue: anonymous signatures recorded in batches.
//!
//! Every signature is a commit, and on a busy site the commits, each waiting for
//! the disk, are what bounds the rate. So `GET /petitions/{id}/signature` does not
//! run its own statement: it puts its ask in this queue and waits for the answer.
//! One writer thread takes whatever asks are waiting, up to [`MAX_BATCH`], and
//! records them with one statement per tenant
//! ([`signatures::sign_anonymous_batch`]), all under one commit.
//!
//! No ask waits for a batch to fill: the writer takes what is there the moment it
//! is free, so a lone signer is recorded at once, alone, and batches grow only while
//! the writer is busy, that is, only when they save time. One writer, not several:
//! a second one would take the asks arriving while the first commits, one by one,
//! and the batches would shrink to a commit each (measured in BENCHMARKS.md,
//! "Petitions").
//!
//! An answer is sent only after its batch committed, so an acknowledged signature is
//! never lost; a crash before the commit leaves none of the batch (its signers see
//! an error and sign again). A batch that fails as a whole is retried tenant by
//! tenant, so one tenant's trouble does not refuse another's signers. Each batch
//! writes its counts in a count shard drawn at random, so two servers' writers
//! seldom wait on each other's count rows.
//!
//! The writer runs on a connection of its own per cluster, outside the pool
//! ([`Db::own_connection`]): its statement names the tenant's tables, so it is one
//! text per tenant, and PostgreSQL keeps each one prepared on the connection that ran
//! it. On pooled connections, every one of them would prepare and keep it for every
//! tenant (with 1,000 tenants: slower signatures while they do, and hundreds of MB
//! per backend); on its own connection, once per tenant. When that connection
//! cannot be opened, the batch goes through the pool.
use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use tenant_core::db::OwnConnection;
use tenant_core::names::ClusterName;
use tenant_core::petitions::signatures::{self, Ask, Signing};
use tenant_core::{CoreError, CoreResult, Db, Tenant};

/// The most asks one batch takes.
pub const MAX_BATCH: usize = 512;
/// Asks waiting beyond this are refused ("try again") rather than queued.
const CAPACITY: usize = 8192;

/// What the writer answers: the signature's outcome, or why its batch failed (shared
/// by every ask of the batch).
pub type Answer = Result<Option<Signing>, Arc<CoreError>>;

struct Job {
    tenant: Arc<Tenant>,
    ask: Ask,
    reply: tokio::sync::oneshot::Sender<Answer>,
}

/// The queue and its writer (started on first use).
pub struct SignatureQueue {
    db: Db,
    sender: OnceLock<SyncSender<Job>>,
}

impl SignatureQueue {
    pub fn new(db: Db) -> Self {
        Self { db, sender: OnceLock::new() }
    }

    /// Records `ask` on `tenant` and waits for its batch to commit.
    pub async fn sign(&self, tenant: Arc<Tenant>, ask: Ask) -> Answer {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sender = self.sender().map_err(Arc::new)?;
        match sender.try_send(Job { tenant, ask, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(Arc::new(CoreError::Unavailable("too many signatures at this very moment".into())))
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(Arc::new(CoreError::Unavailable("the signature writer stopped".into())))
            }
        }
        answer.await.unwrap_or_else(|_| Err(Arc::new(CoreError::Unavailable("the signature writer stopped".into()))))
    }

    fn sender(&self) -> CoreResult<&SyncSender<Job>> {
        if let Some(s) = self.sender.get() {
            return Ok(s);
        }
        let (tx, rx) = mpsc::sync_channel::<Job>(CAPACITY);
        let db = self.db.clone();
        std::thread::Builder::new()
            .name("signatures".into())
            .spawn(move || write_loop(&db, &rx))
            .map_err(|e| CoreError::Unavailable(format!("the signature writer did not start: {e}")))?;
        // Two first signers at once: one queue wins; the other's writer finds its
        // channel closed and stops.
        Ok(self.sender.get_or_init(|| tx))
    }
}

/// The writer: takes the waiting asks and records them, until the queue is dropped.
fn write_loop(db: &Db, rx: &Receiver<Job>) {
    let mut own = HashMap::new();
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        record(db, &mut own, batch, Utc::now());
    }
}

/// The writer's own connection to `cluster`: the one it has while usable, else a new
/// one; `None` (the pool then) when none can be opened.
fn own_connection<'a>(
    db: &Db,
    own: &'a mut HashMap<ClusterName, OwnConnection>,
    cluster: &ClusterName,
) -> Option<&'a mut OwnConnection> {
    if own.get_mut(cluster).is_some_and(|c| !c.usable()) {
        own.remove(cluster);
    }
    if !own.contains_key(cluster) {
        match db.own_connection(cluster) {
            Ok(conn) => {
                own.insert(cluster.clone(), conn);
            }
            Err(e) => {
                tracing::warn!(%cluster, error = %e, "signature writer: no connection of its own, using the pool");
                return None;
            }
        }
    }
    own.get_mut(cluster)
}

/// Where a batch runs: the writer's own connection, or the pool.
enum Conn<'a> {
    Own(&'a mut OwnConnection),
    Pool(&'a Db),
}

impl Conn<'_> {
    fn tenants_transaction<T>(
        &mut self,
        tenants: &[&Tenant],
        f: impl FnOnce(&mut diesel::PgConnection) -> CoreResult<T>,
    ) -> CoreResult<T> {
        match self {
            Conn::Own(conn) => conn.tenants_transaction(tenants, f),
            Conn::Pool(db) => db.tenants_transaction(tenants, f),
        }
    }

    fn tenant_statement<T>(
        &mut self,
        tenant: &Tenant,
        f: impl FnOnce(&mut diesel::PgConnection, &str) -> CoreResult<T>,
    ) -> CoreResult<T> {
        match self {
            Conn::Own(conn) => conn.tenant_statement(tenant, f),
            Conn::Pool(db) => db.tenant_statement(tenant, f),
        }
    }
}

/// A count shard for one batch, drawn at random.
fn random_shard() -> i16 {
    i16::from(uuid::Uuid::new_v4().as_bytes()[0]) % signatures::SHARDS
}

/// Records a batch. The same person twice in one batch (two tabs) goes in a round of
/// its own after the first, which then finds the signature there.
fn record(db: &Db, own: &mut HashMap<ClusterName, OwnConnection>, mut jobs: Vec<Job>, now: DateTime<Utc>) {
    while !jobs.is_empty() {
        let mut seen = HashSet::new();
        let (round, later): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| seen.insert((j.tenant.id, j.ask.clone())));
        jobs = later;
        let mut groups: HashMap<uuid::Uuid, Vec<Job>> = HashMap::new();
        for job in round {
            groups.entry(job.tenant.id).or_default().push(job);
        }
        // Tenants in one order, so two batches' locks never wait on each other in a
        // circle (rows within a tenant are written in order too). One commit spans
        // only the tenants of one database cluster.
        let mut by_cluster: HashMap<ClusterName, Vec<Vec<Job>>> = HashMap::new();
        for group in groups.into_values() {
            by_cluster.entry(group[0].tenant.cluster.clone()).or_default().push(group);
        }
        let shard = random_shard();
        for (cluster, mut groups) in by_cluster {
            groups.sort_by_key(|g| g[0].tenant.id);
            let conn = match own_connection(db, own, &cluster) {
                Some(conn) => Conn::Own(conn),
                None => Conn::Pool(db),
            };
            record_on_one_cluster(conn, groups, shard, now);
        }
    }
}

fn record_on_one_cluster(mut conn: Conn<'_>, groups: Vec<Vec<Job>>, shard: i16, now: DateTime<Utc>) {
    let together = if groups.len() > 1 {
        let tenants: Vec<&Tenant> = groups.iter().map(|g| &*g[0].tenant).collect();
        conn.tenants_transaction(&tenants, |conn| {
            groups.iter().map(|g| sign_group(conn, g, shard, now)).collect::<CoreResult<Vec<_>>>()
        })
        .ok()
    } else {
        None
    };
    match together {
        Some(outcomes) => {
            for (group, outcome) in groups.into_iter().zip(outcomes) {
                answer(group, Ok(outcome));
            }
        }
        // One tenant, or several whose common commit failed: each on its own.
        None => {
            for group in groups {
                let tenant = Arc::clone(&group[0].tenant);
                let outcome = conn.tenant_statement(&tenant, |c, _| sign_group(c, &group, shard, now));
                if let Err(e) = &outcome {
                    tracing::warn!(tenant = %tenant.slug, error = %e, asks = group.len(), "signature batch failed");
                }
                answer(group, outcome);
            }
        }
    }
}

fn sign_group(
    conn: &mut diesel::PgConnection,
    group: &[Job],
    shard: i16,
    now: DateTime<Utc>,
) -> CoreResult<Vec<Option<Signing>>> {
    let asks: Vec<Ask> = group.iter().map(|j| j.ask.clone()).collect();
    signatures::sign_anonymous_batch(conn, &group[0].tenant.schema.quoted(), &asks, shard, now)
}

fn answer(group: Vec<Job>, outcome: CoreResult<Vec<Option<Signing>>>) {
    match outcome {
        Ok(outcomes) => {
            for (job, outcome) in group.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(e) => {
            let e = Arc::new(e);
            for job in group {
                let _ = job.reply.send(Err(Arc::clone(&e)));
            }
        }
    }
}
