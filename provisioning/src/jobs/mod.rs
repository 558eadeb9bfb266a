//! Provisioning jobs: durable, resumable, run by any worker.
//!
//! A job is a row in `catalog.jobs`. Workers claim ready jobs with
//! `FOR UPDATE SKIP LOCKED` and hold a lease they renew while working; a worker
//! that dies lets its lease expire, and the next worker resumes the job. A job is
//! a list of named steps: a database step commits its effect and its "done" mark
//! in one transaction, so a resumed job skips exactly the steps that happened.
mod context;
mod queue;
mod runner;

pub use context::JobContext;
pub use queue::{enqueue, find, list_recent, Job, JobStatus, NewJob};
pub use runner::{JobHandler, JobObserver, JobWaker, ProgressObserver, Runner, RunnerOptions, StepProgress, Workers};
