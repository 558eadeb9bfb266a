//! Keeps a [`Directory`] fresh: `LISTEN civitas_directory` on a dedicated connection,
//! reload on every notification, and a periodic full reload as a safety net for
//! anything missed while the connection was down. The same connection hears
//! `civitas_content` (a tenant's places changed) for [`ContentVersions`]; tenants on
//! other database clusters notify their own cluster, so one more connection listens
//! there for each cluster the directory places tenants on.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::PgConnection;

use crate::content_versions::{self, ContentVersions};
use crate::db::Db;
use crate::directory::Directory;
use crate::names::ClusterName;

pub const CHANNEL: &str = "civitas_directory";

/// A running watcher; stops when dropped.
pub struct DirectoryWatcher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// How often to look for notifications, and to reload regardless.
#[derive(Clone, Copy, Debug)]
pub struct WatchOptions {
    pub poll: Duration,
    pub full_reload: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self { poll: Duration::from_millis(100), full_reload: Duration::from_secs(30) }
    }
}

impl DirectoryWatcher {
    pub fn spawn(
        db: Db,
        directory: Arc<Directory>,
        versions: Arc<ContentVersions>,
        options: WatchOptions,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("directory-watch".into())
            .spawn(move || watch(&db, &directory, &versions, &flag, options))?;
        Ok(Self { stop, thread: Some(thread) })
    }
}

impl Drop for DirectoryWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn watch(db: &Db, directory: &Directory, versions: &ContentVersions, stop: &AtomicBool, options: WatchOptions) {
    let mut backoff = Duration::from_millis(200);
    while !stop.load(Ordering::Relaxed) {
        let mut conn = match db.dedicated() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "directory listener cannot connect; retrying");
                sleep_unless_stopped(backoff, stop);
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        let listen = format!("LISTEN {CHANNEL}; LISTEN {}", content_versions::CHANNEL);
        if let Err(e) = diesel::connection::SimpleConnection::batch_execute(&mut conn, &listen) {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            sleep_unless_stopped(backoff, stop);
            continue;
        }
        backoff = Duration::from_millis(200);
        // Anything may have changed while we were not listening.
        let mut last_full = Instant::now();
        let mut retry = !reload(db, directory);
        versions.bump_all();
        let mut others = OtherClusters::default();
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(options.poll);
            others.poll(db, directory, versions);
            let mut changed = false;
            let mut lost = false;
            for note in conn.notifications_iter() {
                match note {
                    Ok(n) if n.channel == content_versions::CHANNEL => versions.bump(&n.payload),
                    Ok(_) => changed = true,
                    Err(e) => {
                        tracing::warn!(error = %e, "directory listener lost its connection");
                        lost = true;
                        break;
                    }
                }
            }
            if lost {
                break;
            }
            if changed || retry || last_full.elapsed() >= options.full_reload {
                last_full = Instant::now();
                retry = !reload(db, directory);
            }
        }
    }
}

/// `LISTEN civitas_content` on each other cluster that holds tenants.
#[derive(Default)]
struct OtherClusters {
    conns: HashMap<ClusterName, PgConnection>,
    /// When a cluster's connection last failed: retried after a pause.
    failed: HashMap<ClusterName, Instant>,
    /// The clusters the directory places tenants on, and the reload they come from.
    wanted: HashSet<ClusterName>,
    seen_reload: Option<u64>,
}

impl OtherClusters {
    fn poll(&mut self, db: &Db, directory: &Directory, versions: &ContentVersions) {
        let reloads = directory.reload_count();
        if self.seen_reload != Some(reloads) {
            self.seen_reload = Some(reloads);
            self.wanted = directory
                .snapshot()
                .tenants()
                .iter()
                .filter(|t| !t.cluster.is_main())
                .map(|t| t.cluster.clone())
                .collect();
            let wanted = &self.wanted;
            self.conns.retain(|c, _| wanted.contains(c));
        }
        for cluster in self.wanted.clone() {
            if !self.conns.contains_key(&cluster) {
                if self.failed.get(&cluster).is_some_and(|at| at.elapsed() < Duration::from_secs(2)) {
                    continue;
                }
                let listening = db.dedicated_on(&cluster).and_then(|mut conn| {
                    diesel::connection::SimpleConnection::batch_execute(
                        &mut conn,
                        &format!("LISTEN {}", content_versions::CHANNEL),
                    )?;
                    Ok(conn)
                });
                match listening {
                    Ok(conn) => {
                        self.conns.insert(cluster.clone(), conn);
                        self.failed.remove(&cluster);
                        // Anything may have changed there while nobody listened.
                        versions.bump_all();
                    }
                    Err(e) => {
                        tracing::warn!(%cluster, error = %e, "cannot listen on cluster; retrying");
                        self.failed.insert(cluster, Instant::now());
                        continue;
                    }
                }
            }
            let Some(conn) = self.conns.get_mut(&cluster) else { continue };
            let mut lost = false;
            for note in conn.notifications_iter() {
                match note {
                    Ok(n) => versions.bump(&n.payload),
                    Err(e) => {
                        tracing::warn!(%cluster, error = %e, "listener lost its connection to cluster");
                        lost = true;
                        break;
                    }
                }
            }
            if lost {
                self.conns.remove(&cluster);
                self.failed.insert(cluster, Instant::now());
            }
        }
    }
}

/// Reloads; false when it failed (the previous snapshot stays in service).
fn reload(db: &Db, directory: &Directory) -> bool {
    match directory.reload(db) {
        Ok(n) => {
            tracing::debug!(tenants = n, "tenant directory reloaded");
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "tenant directory reload failed; keeping the previous one");
            false
        }
    }
}

fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let end = Instant::now() + d;
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
}
