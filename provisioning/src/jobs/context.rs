//! What a running job uses to do its steps.
use std::time::Duration;

use diesel::pg::PgConnection;
use tenant_core::{CoreResult, Db};

use super::queue::{self, Job};
use super::runner::{ProgressObserver, StepProgress};

pub struct JobContext {
    pub db: Db,
    pub job: Job,
    worker: String,
    lease: Duration,
    /// Total number of steps, for progress.
    total_steps: usize,
    /// Told of progress through [`JobContext::steps_concurrently`].
    pub(crate) progress: Option<ProgressObserver>,
}

impl JobContext {
    pub(crate) fn new(db: Db, job: Job, worker: String, lease: Duration, total_steps: usize) -> Self {
        Self { db, job, worker, lease, total_steps: total_steps.max(1), progress: None }
    }

    /// The job's payload, as its handler wrote it.
    pub fn payload<T: serde::de::DeserializeOwned>(&self) -> CoreResult<T> {
        serde_json::from_value(self.job.payload.clone())
            .map_err(|e| tenant_core::CoreError::Invalid(format!("job {} payload: {e}", self.job.id)))
    }

    pub fn is_done(&self, step: &str) -> bool {
        self.job.steps_done.iter().any(|s| s == step)
    }

    fn progress_after(&self) -> i32 {
        (((self.job.steps_done.len() + 1) * 100) / self.total_steps).min(99) as i32
    }

    /// A database step: `f`'s effect and the step's "done" mark commit together, so
    /// the step happens exactly once however often the job is resumed.
    pub fn step(&mut self, name: &str, f: impl FnOnce(&mut PgConnection) -> CoreResult<()>) -> CoreResult<()> {
        if self.is_done(name) {
            return Ok(());
        }
        let (id, worker, lease, progress) = (self.job.id, self.worker.clone(), self.lease, self.progress_after());
        let ran = self.db.catalog(|conn| {
            let done = queue::lock_for_step(conn, id, &worker)?;
            if done.iter().any(|s| s == name) {
                return Ok(false);
            }
            f(conn)?;
            queue::mark_step(conn, id, name, progress, lease)?;
            Ok(true)
        })?;
        tracing::info!(job = %id, step = name, ran, "job step");
        self.job.steps_done.push(name.to_owned());
        Ok(())
    }

    /// Many database steps at once, `concurrency` at a time: each step's effect and
    /// its mark commit together; a failing step is reported and the others go on.
    /// Returns the steps that failed, with their errors.
    pub fn steps_concurrently(
        &mut self,
        names: &[String],
        concurrency: usize,
        f: impl Fn(&mut PgConnection, &str) -> CoreResult<()> + Sync,
    ) -> CoreResult<Vec<(String, String)>> {
        let pending: Vec<&String> = names.iter().filter(|n| !self.is_done(n)).collect();
        let total = names.len().max(1);
        let done_before = names.len() - pending.len();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let finished = std::sync::atomic::AtomicUsize::new(done_before);
        let failures = parking_lot::Mutex::new(Vec::new());
        let completed = parking_lot::Mutex::new(Vec::new());
        let lost = std::sync::atomic::AtomicBool::new(false);
        let (id, worker, lease, db) = (self.job.id, self.worker.as_str(), self.lease, &self.db);
        let (kind, observer) = (self.job.kind.as_str(), self.progress.as_ref());
        let report = |done: usize, failed: usize| {
            if let Some(observer) = observer {
                observer(kind, StepProgress { done, failed, total: names.len() });
            }
        };
        report(done_before, 0);
        let reporting = parking_lot::Mutex::new(());
        std::thread::scope(|scope| {
            for _ in 0..concurrency.max(1) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(name) = pending.get(i) else { break };
                    if lost.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let progress =
                        ((finished.load(std::sync::atomic::Ordering::Relaxed) + 1) * 100 / total).min(99) as i32;
                    let outcome = db.catalog(|conn| {
                        f(conn, name)?;
                        if queue::mark_step_if_owner(conn, id, worker, name, progress, lease)? {
                            Ok(())
                        } else {
                            Err(tenant_core::CoreError::Conflict(format!("job {id} was taken over by another worker")))
                        }
                    });
                    finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    match outcome {
                        Ok(()) => completed.lock().push((*name).clone()),
                        Err(tenant_core::CoreError::Conflict(m)) if m.contains("taken over") => {
                            lost.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        Err(e) => failures.lock().push(((*name).clone(), e.to_string())),
                    }
                    // One report at a time, each reading the counts then: never backwards.
                    let _one_at_a_time = reporting.lock();
                    let failed = failures.lock().len();
                    let done = done_before + completed.lock().len();
                    report(done, failed);
                });
            }
        });
        self.job.steps_done.extend(completed.into_inner());
        if lost.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(tenant_core::CoreError::Conflict(format!("job {id} was taken over by another worker")));
        }
        Ok(failures.into_inner())
    }

    /// A step outside the database (a file write): `f` must be idempotent, since a
    /// crash between it and its mark runs it again.
    pub fn step_outside(&mut self, name: &str, f: impl FnOnce() -> CoreResult<()>) -> CoreResult<()> {
        if self.is_done(name) {
            return Ok(());
        }
        f()?;
        self.step(name, |_| Ok(()))
    }
}
