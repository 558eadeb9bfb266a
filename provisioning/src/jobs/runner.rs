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

#[derive(Clone)]
pub struct RunnerOptions {
    pub lease: Duration,
    pub poll: Duration,
    pub observer: Option<JobObserver>,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self { lease: Duration::from_secs(60), poll: Duration::from_millis(500), observer: None }
    }
}

/// The registered job kinds and the options their workers run with.
#[derive(Clone)]
pub struct Runner {
    db: Db,
    handlers: Arc<HashMap<&'static str, Arc<dyn JobHandler>>>,
    options: RunnerOptions,
}

impl Runner {
    pub fn new(db: Db, handlers: Vec<Arc<dyn JobHandler>>, options: RunnerOptions) -> Self {
        let handlers = handlers.into_iter().map(|h| (h.kind(), h)).collect();
        Self { db, handlers: Arc::new(handlers), options }
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
                    match runner.run_next(&worker) {
                        Ok(Some(_)) => continue,
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "job worker could not reach the queue"),
                    }
                    std::thread::sleep(runner.options.poll);
                }
            })?);
        }
        Ok(Workers { stop, threads })
    }
}

/// Running workers; they finish their current job and stop when this drops.
pub struct Workers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
