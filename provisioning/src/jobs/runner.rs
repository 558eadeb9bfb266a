//! Workers: claim a job, run its handler, record the outcome.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tenant_core::{CoreError, CoreResult, Db};
use uuid::Uuid;

use super::context::JobContext;
use super::queue::{self, Job, JobStatus};

/// One kind of job.
pub trait JobHandler: Send + Sync {
    fn kind(&self) -> &'static str;
    /// The steps, in order, for progress reporting.
    fn steps(&self) -> &'static [&'static str];
    /// Runs (or resumes) the job; returns its result.
    fn run(&self, ctx: &mut JobContext) -> CoreResult<serde_json::Value>;
    /// Undoes what a job that failed for good leaves behind.
    fn abandon(&self, _ctx: &mut JobContext) -> CoreResult<()> {
        Ok(())
    }
}

/// Told of every finished attempt: job kind, outcome (`succeeded`, `retried`,
/// `failed`) and seconds taken. The platform turns it into metrics.
pub type JobObserver = Arc<dyn Fn(&str, &str, f64) + Send + Sync>;

/// Told of a job's progress through many steps (the upgrade's one step per
/// tenant): job kind, then steps done, failed and in all.
pub type ProgressObserver = Arc<dyn Fn(&str, StepProgress) + Send + Sync>;

/// Steps of one job attempt: done (by this attempt or an earlier one), failed in
/// this attempt, and in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepProgress {
    pub done: usize,
    pub failed: usize,
    pub total: usize,
}

#[derive(Clone)]
pub struct RunnerOptions {
    pub lease: Duration,
    /// How long an idle worker waits before looking at the queue again, when no
    /// [`JobWaker`] call tells it sooner.
    pub poll: Duration,
    pub observer: Option<JobObserver>,
    pub progress: Option<ProgressObserver>,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self { lease: Duration::from_secs(60), poll: Duration::from_millis(500), observer: None, progress: None }
    }
}

/// Wakes this process's idle workers at once when a job is queued here, instead
/// of leaving it to their next poll (jobs queued by another process still wait
/// for the poll).
#[derive(Clone, Default)]
pub struct JobWaker(Arc<(parking_lot::Mutex<u64>, parking_lot::Condvar)>);

impl JobWaker {
    pub fn wake(&self) {
        let (generation, idle) = &*self.0;
        *generation.lock() += 1;
        idle.notify_all();
    }

    fn generation(&self) -> u64 {
        *self.0 .0.lock()
    }

    /// Waits up to `timeout` unless a wake came after `seen` was read.
    fn wait(&self, seen: u64, timeout: Duration) {
        let (generation, idle) = &*self.0;
        let mut current = generation.lock();
        if *current == seen {
            idle.wait_for(&mut current, timeout);
        }
    }
}

/// The registered job kinds and the options their workers run with.
#[derive(Clone)]
pub struct Runner {
    db: Db,
    handlers: Arc<HashMap<&'static str, Arc<dyn JobHandler>>>,
    options: RunnerOptions,
    waker: JobWaker,
}

impl Runner {
    pub fn new(db: Db, handlers: Vec<Arc<dyn JobHandler>>, options: RunnerOptions) -> Self {
        let handlers = handlers.into_iter().map(|h| (h.kind(), h)).collect();
        Self { db, handlers: Arc::new(handlers), options, waker: JobWaker::default() }
    }

    /// What wakes this runner's idle workers.
    pub fn waker(&self) -> JobWaker {
        self.waker.clone()
    }

    /// Claims and runs one ready job; `None` when there was none.
    pub fn run_next(&self, worker: &str) -> CoreResult<Option<Job>> {
        self.run_claimed(worker, None)
    }

    /// Runs one given job now (the CLI's synchronous path). A failure is recorded on
    /// the job and also returned as the handler's own error.
    pub fn run_job(&self, worker: &str, id: Uuid) -> CoreResult<Job> {
        self.run_claimed(worker, Some(id))?
            .ok_or_else(|| CoreError::Conflict(format!("job {id} is not ready or is run by another worker")))
    }

    fn run_claimed(&self, worker: &str, only: Option<Uuid>) -> CoreResult<Option<Job>> {
        let lease = self.options.lease;
        let Some(job) = self.db.catalog(|conn| queue::claim(conn, worker, lease, only))? else {
            return Ok(None);
        };
        let id = job.id;
        let Some(handler) = self.handlers.get(job.kind.as_str()).cloned() else {
            let msg = format!("no handler for job kind {:?}", job.kind);
            self.db.catalog(|conn| queue::fail(conn, id, &msg, false))?;
            return self.db.catalog(|conn| queue::find(conn, id)).map(Some);
        };
        let mut ctx = JobContext::new(self.db.clone(), job, worker.to_owned(), lease, handler.steps().len());
        ctx.progress = self.options.progress.clone();
        let started = std::time::Instant::now();
        let observe = |outcome: &str| {
            if let Some(observer) = &self.options.observer {
                observer(handler.kind(), outcome, started.elapsed().as_secs_f64());
            }
        };
        match handler.run(&mut ctx) {
            Ok(result) => {
                self.db.catalog(|conn| queue::succeed(conn, id, result))?;
                observe("succeeded");
                tracing::info!(job = %id, kind = handler.kind(), "job succeeded");
            }
            Err(e) => {
                // Input errors and conflicts will not heal by retrying.
                let retry = !matches!(e, CoreError::Invalid(_) | CoreError::Conflict(_) | CoreError::NotFound(_));
                let status = self.db.catalog(|conn| queue::fail(conn, id, &e.to_string(), retry))?;
                observe(if status == JobStatus::Failed { "failed" } else { "retried" });
                tracing::warn!(job = %id, kind = handler.kind(), error = %e, ?status, "job attempt failed");
                if status == JobStatus::Failed {
                    if let Err(undo) = handler.abandon(&mut ctx) {
                        tracing::error!(job = %id, error = %undo, "cleaning up a failed job failed");
                    }
                }
                if only.is_some() {
                    return Err(e);
                }
            }
        }
        self.db.catalog(|conn| queue::find(conn, id)).map(Some)
    }

    /// Starts `n` worker threads that poll for jobs until the returned guard drops.
    pub fn spawn_workers(&self, n: usize, name: &str) -> std::io::Result<Workers> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for i in 0..n {
            let runner = self.clone();
            let stop = Arc::clone(&stop);
            let worker = format!("{name}-{}-{i}", std::process::id());
            threads.push(std::thread::Builder::new().name(format!("jobs-{i}")).spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let seen = runner.waker.generation();
                    match runner.run_next(&worker) {
                        Ok(Some(_)) => continue,
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "job worker could not reach the queue"),
                    }
                    runner.waker.wait(seen, runner.options.poll);
                }
            })?);
        }
        Ok(Workers { stop, threads, waker: self.waker.clone() })
    }
}

/// Running workers; they finish their current job and stop when this drops.
pub struct Workers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    waker: JobWaker,
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.waker.wake();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
