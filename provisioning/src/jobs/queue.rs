//! The job table: enqueue, claim, record steps, finish.
use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Double, Text};
use tenant_core::schema::catalog::jobs;
use tenant_core::{CoreError, CoreResult};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl JobStatus {
    fn parse(raw: &str) -> CoreResult<Self> {
        match raw {
            "queued" => Ok(Self::Queued),
            "running" => Ok(Self::Running),
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            other => Err(CoreError::Invalid(format!("unknown job status {other:?}"))),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = jobs)]
struct JobRow {
    id: Uuid,
    kind: String,
    tenant_slug: Option<String>,
    payload: serde_json::Value,
    status: String,
    steps_done: Vec<String>,
    current_step: Option<String>,
    progress: i32,
    result: Option<serde_json::Value>,
    error: Option<String>,
    attempts: i32,
    max_attempts: i32,
    created_by: String,
    created_at: chrono::DateTime<chrono::Utc>,
    started_at: Option<chrono::DateTime<chrono::Utc>>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A job as staff see it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub tenant_slug: Option<String>,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub steps_done: Vec<String>,
    pub current_step: Option<String>,
    pub progress: i32,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl TryFrom<JobRow> for Job {
    type Error = CoreError;
    fn try_from(r: JobRow) -> CoreResult<Self> {
        Ok(Job {
            id: r.id,
            kind: r.kind,
            tenant_slug: r.tenant_slug,
            payload: r.payload,
            status: JobStatus::parse(&r.status)?,
            steps_done: r.steps_done,
            current_step: r.current_step,
            progress: r.progress,
            result: r.result,
            error: r.error,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            created_by: r.created_by,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
    }
}

/// A job to queue.
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub tenant_slug: Option<&'a str>,
    pub payload: serde_json::Value,
    pub created_by: &'a str,
    /// Attempts before the job fails for good (1: no retry).
    pub max_attempts: i32,
}

pub fn enqueue(conn: &mut PgConnection, job: NewJob<'_>) -> CoreResult<Uuid> {
    let id = Uuid::new_v4();
    diesel::insert_into(jobs::table)
        .values((
            jobs::id.eq(id),
            jobs::kind.eq(job.kind),
            jobs::tenant_slug.eq(job.tenant_slug),
            jobs::payload.eq(job.payload),
            jobs::created_by.eq(job.created_by),
            jobs::max_attempts.eq(job.max_attempts.max(1)),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> CoreResult<Job> {
    jobs::table
        .find(id)
        .select(JobRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("no job {id}")))?
        .try_into()
}

pub fn list_recent(conn: &mut PgConnection, tenant: Option<&str>, limit: i64) -> CoreResult<Vec<Job>> {
    let mut query = jobs::table.select(JobRow::as_select()).order(jobs::created_at.desc()).limit(limit).into_boxed();
    if let Some(slug) = tenant {
        query = query.filter(jobs::tenant_slug.eq(slug));
    }
    query.load(conn)?.into_iter().map(Job::try_from).collect()
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

/// Takes the oldest ready job (queued, or running with an expired lease) for
/// `worker`, or a specific one when `only` is given.
pub(crate) fn claim(
    conn: &mut PgConnection,
    worker: &str,
    lease: Duration,
    only: Option<Uuid>,
) -> CoreResult<Option<Job>> {
    let filter = if only.is_some() { "AND id = $3" } else { "" };
    let sql = format!(
        "UPDATE catalog.jobs SET status = 'running', locked_by = $1, \
             locked_until = now() + make_interval(secs => $2), attempts = attempts + 1, \
             started_at = coalesce(started_at, now()) \
         WHERE id = (SELECT id FROM catalog.jobs \
                     WHERE ((status = 'queued' AND run_after <= now()) \
                            OR (status = 'running' AND locked_until < now())) {filter} \
                     ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1) \
         RETURNING id"
    );
    let query = diesel::sql_query(sql).bind::<Text, _>(worker).bind::<Double, _>(lease.as_secs_f64());
    let claimed: Option<Claimed> = match only {
        Some(id) => query.bind::<diesel::sql_types::Uuid, _>(id).get_result(conn).optional()?,
        None => query.get_result(conn).optional()?,
    };
    match claimed {
        Some(c) => find(conn, c.id).map(Some),
        None => Ok(None),
    }
}

/// Locks the job row for a step; fails if another worker has taken the job over.
pub(crate) fn lock_for_step(conn: &mut PgConnection, id: Uuid, worker: &str) -> CoreResult<Vec<String>> {
    let (locked_by, steps): (Option<String>, Vec<String>) =
        jobs::table.find(id).select((jobs::locked_by, jobs::steps_done)).for_update().first(conn)?;
    if locked_by.as_deref() != Some(worker) {
        return Err(CoreError::Conflict(format!("job {id} was taken over by another worker")));
    }
    Ok(steps)
}

pub(crate) fn mark_step(
    conn: &mut PgConnection,
    id: Uuid,
    step: &str,
    progress: i32,
    lease: Duration,
) -> CoreResult<()> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::steps_done.eq(diesel::dsl::sql::<diesel::sql_types::Array<Text>>("array_append(steps_done, ")
                .bind::<Text, _>(step)
                .sql(")")),
            jobs::current_step.eq(step),
            jobs::progress.eq(progress),
            jobs::locked_until.eq(diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>>(
                "now() + make_interval(secs => ",
            )
            .bind::<Double, _>(lease.as_secs_f64())
            .sql(")")),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn succeed(conn: &mut PgConnection, id: Uuid, result: serde_json::Value) -> CoreResult<()> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::status.eq("succeeded"),
            jobs::progress.eq(100),
            jobs::result.eq(result),
            jobs::error.eq(None::<String>),
            jobs::locked_by.eq(None::<String>),
            jobs::locked_until.eq(None::<chrono::DateTime<chrono::Utc>>),
            jobs::finished_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: queued again after a backoff, or failed for good once
/// the attempts are spent (or when `retry` is false).
pub(crate) fn fail(conn: &mut PgConnection, id: Uuid, error: &str, retry: bool) -> CoreResult<JobStatus> {
    let (attempts, max): (i32, i32) = jobs::table.find(id).select((jobs::attempts, jobs::max_attempts)).first(conn)?;
    let final_failure = !retry || attempts >= max;
    let backoff = 2f64.powi(attempts.clamp(0, 6)).min(60.0);
    diesel::update(jobs::table.find(id))
        .set((
            jobs::status.eq(if final_failure { "failed" } else { "queued" }),
            jobs::error.eq(error),
            jobs::locked_by.eq(None::<String>),
            jobs::locked_until.eq(None::<chrono::DateTime<chrono::Utc>>),
            jobs::run_after.eq(diesel::dsl::sql::<diesel::sql_types::Timestamptz>("now() + make_interval(secs => ")
                .bind::<Double, _>(backoff)
                .sql(")")),
            jobs::finished_at.eq(if final_failure { Some(chrono::Utc::now()) } else { None }),
        ))
        .execute(conn)?;
    Ok(if final_failure { JobStatus::Failed } else { JobStatus::Queued })
}

/// Marks a step done if `worker` still holds the job, without locking the row
/// first (steps run concurrently); false when the job was taken over.
pub(crate) fn mark_step_if_owner(
    conn: &mut PgConnection,
    id: Uuid,
    worker: &str,
    step: &str,
    progress: i32,
    lease: Duration,
) -> CoreResult<bool> {
    let updated = diesel::update(jobs::table.find(id).filter(jobs::locked_by.eq(worker)))
        .set((
            jobs::steps_done.eq(diesel::dsl::sql::<diesel::sql_types::Array<Text>>("array_append(steps_done, ")
                .bind::<Text, _>(step)
                .sql(")")),
            jobs::current_step.eq(step),
            jobs::progress.eq(diesel::dsl::sql::<diesel::sql_types::Integer>("greatest(progress, ")
                .bind::<diesel::sql_types::Integer, _>(progress)
                .sql(")")),
            jobs::locked_until.eq(diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>>(
                "now() + make_interval(secs => ",
            )
            .bind::<Double, _>(lease.as_secs_f64())
            .sql(")")),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}
