//! What a running job uses to do its steps.
use std::time::Duration;

use diesel::pg::PgConnection;
use tenant_core::{CoreResult, Db};

use super::queue::{self, Job};

pub struct JobContext {
    pub db: Db,
    pub job: Job,
    worker: String,
    lease: Duration,
    /// Total number of steps, for progress.
    total_steps: usize,
}

impl JobContext {
    pub(crate) fn new(db: Db, job: Job, worker: String, lease: Duration, total_steps: usize) -> Self {
        Self { db, job, worker, lease, total_steps: total_steps.max(1) }
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
