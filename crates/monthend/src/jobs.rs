//! Queue handlers for the month-end and roster jobs (`reports` and `roster` queues).
//!
//! Payloads: `{"month": "2024-05"}` or `{"month": "previous", "scheduled_time": "…"}` (the
//! month-end schedule); roster sync takes `{}`. The worker runs each envelope key once; statements
//! are also once per member and month inside the job, so a schedule and a manual enqueue for the
//! same month still send each statement once. A report run twice replaces its file.

use std::sync::Arc;

use dispatch_core::domain::{JobEnvelope, JobKind, Month};
use dispatch_core::jobs::{JobError, JobHandler, Registry};
use dispatch_core::ports::{OutMessage, QueueId};
use tracing::Instrument;

use crate::context::MonthContext;
use crate::error::MonthError;
use crate::period::{refuse_unended, resolve_month};

/// Handles `monthly_report`, `statements` and `roster_sync`.
pub struct MonthJobs(pub Arc<MonthContext>);

fn job_error(e: MonthError) -> JobError {
    if e.is_retryable() {
        JobError::retry(e)
    } else {
        JobError::permanent(e)
    }
}

/// The job's month, `previous` resolved against the schedule's time (else now).
pub fn job_month(job: &JobEnvelope) -> Result<Month, MonthError> {
    let raw = job
        .payload
        .get("month")
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            MonthError::Input("payload has no `month` (YYYY-MM or `previous`)".into())
        })?;
    let now = job
        .payload
        .get("scheduled_time")
        .and_then(|v| v.as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.to_utc())
        .unwrap_or_else(chrono::Utc::now);
    resolve_month(raw, now)
}

fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

#[async_trait::async_trait]
impl JobHandler for MonthJobs {
    async fn handle(&self, job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        let ctx = &self.0;
        match job.kind {
            JobKind::MonthlyReport => {
                let month = job_month(job).map_err(job_error)?;
                let mut progress = |stage: &str| tracing::info!(%month, "{stage}");
                crate::report::run_report(ctx, month, &mut progress)
                    .instrument(tracing::info_span!("monthly_report", %month))
                    .await
                    .map(|o| to_json(&o))
                    .map_err(job_error)
            }
            JobKind::Statements => {
                let month = job_month(job).map_err(job_error)?;
                if job.payload.get("force").and_then(|f| f.as_bool()) != Some(true) {
                    refuse_unended(
                        month,
                        chrono::Utc::now(),
                        "put \"force\": true in the job's payload",
                    )
                    .map_err(job_error)?;
                }
                let out = crate::statements::send(ctx, month)
                    .instrument(tracing::info_span!("statements", %month))
                    .await
                    .map_err(job_error)?;
                tracing::info!(%month, "{}", out.summary());
                Ok(to_json(&out))
            }
            JobKind::RosterSync => {
                let report = crate::roster::sync(ctx, None)
                    .instrument(tracing::info_span!("roster_sync"))
                    .await
                    .map_err(job_error)?;
                if !report.written.is_empty() {
                    // The change may help escalated or unstaffed charters: a sweep reconciles them.
                    sweep_after_roster_change(ctx, job).await?;
                }
                Ok(to_json(&report))
            }
            other => Err(JobError::permanent(format!(
                "the month jobs do not handle `{other}`"
            ))),
        }
    }
}

/// Puts a sweep on the cascade queue after a roster sync changed members (keyed by the sync
/// job, so a retried sync asks for it once).
async fn sweep_after_roster_change(ctx: &MonthContext, job: &JobEnvelope) -> Result<(), JobError> {
    let env = JobEnvelope::new(
        JobKind::Sweep,
        format!("sweep#after#{}", job.key),
        serde_json::json!({}),
    );
    ctx.backend
        .queues
        .send(QueueId::Cascade, &[OutMessage::new(env.to_body())])
        .await
        .map_err(JobError::from)?;
    tracing::info!("roster changed: sweep queued for the charters it could help");
    Ok(())
}

/// Registers the month-end and roster handlers.
pub fn register(registry: Registry, ctx: Arc<MonthContext>) -> Registry {
    let h: Arc<dyn JobHandler> = Arc::new(MonthJobs(ctx));
    registry
        .with(JobKind::MonthlyReport, h.clone())
        .with(JobKind::Statements, h.clone())
        .with(JobKind::RosterSync, h)
}
