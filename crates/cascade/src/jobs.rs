//! The `cascade` queue's job handlers: every kind is "reconcile this charter" (the older kinds
//! stay readable on the wire, for replays of messages sent before the reconciler), plus the
//! sweep and the reminders. A lapse timer's reconcile is told which link woke it, so it can arm
//! the next ([`crate::requeue`]).

use std::sync::Arc;

use dispatch_core::domain::{CharterDate, CharterId, CrewId, JobEnvelope, JobKind, OfferId};
use dispatch_core::jobs::{JobError, JobHandler, Registry};
use tracing::Instrument;

use crate::action::Timer;
use crate::answers::withdraw_same_day;
use crate::confirm::send_reminders;
use crate::crew::availability::to_sheet;
use crate::reconcile::reconcile;
use crate::requeue::Wake;
use crate::service::{Cascade, CascadeError};
use crate::state::Gone;
use crate::sweep::sweep;

/// How far ahead a roster change looks for charters it could help, in days (today included).
pub const SWEEP_DAYS: u32 = 61;
/// How far ahead `charter reconcile --all` reads by date (two years: every charter booked
/// before the index of unsettled charters existed gets into it).
pub const RECONCILE_ALL_DAYS: u32 = 731;

/// Handles the cascade's jobs.
pub struct CascadeJobs(pub Arc<Cascade>);

fn field<T>(
    job: &JobEnvelope,
    name: &str,
    parse: impl Fn(&str) -> Result<T, dispatch_core::domain::ParseError>,
) -> Result<T, JobError> {
    let raw = match job.payload.get(name) {
        Some(serde_json::Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(JobError::permanent(format!(
                "payload's `{name}` is {other}, not a string: write it in quotes (\"{name}\": \"…\") and replay"
            )))
        }
        None => return Err(JobError::permanent(format!("payload has no `{name}`"))),
    };
    parse(raw).map_err(JobError::permanent)
}

/// What a release job says the removed charter left behind (its date and crew).
fn gone_of(job: &JobEnvelope) -> Gone {
    let charter_date = job
        .payload
        .get("charter_date")
        .and_then(|d| d.as_str())
        .and_then(|d| CharterDate::parse(d).ok());
    let assigned = job
        .payload
        .get("assigned")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .filter_map(|s| CrewId::parse(s).ok())
                .collect()
        })
        .unwrap_or_default();
    Gone {
        charter_date,
        assigned,
    }
}

/// Maps a cascade error to what the worker should do.
pub fn job_error(e: CascadeError) -> JobError {
    match e {
        CascadeError::Busy { what, until } => JobError::Busy { what, until },
        e if e.is_retryable() => JobError::retry(e),
        e => JobError::permanent(e),
    }
}

impl CascadeJobs {
    async fn run(&self, job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        let c = &self.0;
        if job.kind == JobKind::Sweep {
            let r = sweep(c).await.map_err(job_error)?;
            return Ok(serde_json::json!({
                "charters": r.charters, "reconciled": r.reconciled, "moved": r.moved,
                "settled": r.settled, "failed": r.failed
            }));
        }
        if job.kind == JobKind::Reminders {
            let sent = send_reminders(c, c.now()).await.map_err(job_error)?;
            return Ok(serde_json::json!({ "reminders": sent }));
        }
        if job.kind == JobKind::AvailabilityToSheet {
            let crew = field(job, "crew_id", CrewId::parse)?;
            let written = to_sheet(c, &crew).await.map_err(job_error)?;
            return Ok(serde_json::json!({ "written": written }));
        }
        let charter = field(job, "charter_id", CharterId::parse)?;
        match job.kind {
            // A charter that moved: what it was, so its holds on the old date are released.
            JobKind::Reconcile if job.payload.get("moved_from").is_some() => {
                let mut was = gone_of(job);
                was.charter_date = job
                    .payload
                    .get("moved_from")
                    .and_then(|d| d.as_str())
                    .and_then(|d| CharterDate::parse(d).ok());
                reconcile(c, &charter, Some(was), Wake::Event)
                    .await
                    .map_err(job_error)?;
            }
            // After an accept: the charter, then the member's other charters that day.
            JobKind::Reconcile if job.payload.get("same_day_of").is_some() => {
                let crew = field(job, "same_day_of", CrewId::parse)?;
                let date = field(job, "charter_date", CharterDate::parse)?;
                reconcile(c, &charter, None, Wake::Event)
                    .await
                    .map_err(job_error)?;
                let others = withdraw_same_day(c, &crew, date, &charter)
                    .await
                    .map_err(job_error)?;
                return Ok(serde_json::json!({ "same_day": others }));
            }
            JobKind::CaptainCascade
            | JobKind::CrewCascade
            | JobKind::Reconcile
            | JobKind::OfferSend => {
                reconcile(c, &charter, None, Wake::Event)
                    .await
                    .map_err(job_error)?;
            }
            JobKind::Release => {
                reconcile(c, &charter, Some(gone_of(job)), Wake::Event)
                    .await
                    .map_err(job_error)?;
            }
            JobKind::OfferTimeout => {
                // An alert timer names its threshold; a lapse timer its offer.
                let timer = match job.payload.get("alert_hours").and_then(|h| h.as_u64()) {
                    Some(h) => Timer::Alert {
                        hours: u32::try_from(h).map_err(JobError::permanent)?,
                    },
                    None => Timer::Lapse(field(job, "offer_id", OfferId::parse)?),
                };
                let link = job
                    .payload
                    .get("chain")
                    .and_then(|c| c.as_u64())
                    .and_then(|c| u32::try_from(c).ok())
                    .unwrap_or(0);
                reconcile(c, &charter, None, Wake::Timer { timer, link })
                    .await
                    .map_err(job_error)?;
            }
            other => {
                return Err(JobError::permanent(format!(
                    "the cascade does not handle `{other}`"
                )))
            }
        }
        Ok(serde_json::Value::Null)
    }
}

#[async_trait::async_trait]
impl JobHandler for CascadeJobs {
    async fn handle(&self, job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        let charter = job
            .payload
            .get("charter_id")
            .and_then(|v| v.as_str())
            .unwrap_or("-")
            .to_string();
        let span = tracing::info_span!("cascade_job", charter_id = %charter, kind = %job.kind);
        self.run(job).instrument(span).await
    }

    /// Reconcile is idempotent by construction: copies may run at once and agree.
    fn once_per_key(&self, _job: &JobEnvelope) -> bool {
        false
    }
}

/// Registers the cascade's handlers.
pub fn register(registry: Registry, cascade: Arc<Cascade>) -> Registry {
    let h: Arc<dyn JobHandler> = Arc::new(CascadeJobs(cascade));
    [
        JobKind::CaptainCascade,
        JobKind::CrewCascade,
        JobKind::Release,
        JobKind::OfferSend,
        JobKind::OfferTimeout,
        JobKind::Reconcile,
        JobKind::Sweep,
        JobKind::Reminders,
        JobKind::AvailabilityToSheet,
    ]
    .into_iter()
    .fold(registry, |r, k| r.with(k, h.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error and its sources, as the worker logs and dead-letters them.
    fn chain(e: &JobError) -> String {
        let mut out = e.to_string();
        let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
        while let Some(c) = cur {
            out.push_str(": ");
            out.push_str(&c.to_string());
            cur = c.source();
        }
        out
    }

    #[test]
    fn a_charter_id_that_is_not_a_string_is_named_as_such() {
        let job = |payload| JobEnvelope::new(JobKind::Reconcile, "k", payload);
        let e = chain(
            &field(
                &job(serde_json::json!({"charter_id": 42})),
                "charter_id",
                CharterId::parse,
            )
            .unwrap_err(),
        );
        assert!(e.contains("`charter_id` is 42, not a string"), "{e}");
        let e =
            chain(&field(&job(serde_json::json!({})), "charter_id", CharterId::parse).unwrap_err());
        assert!(e.contains("payload has no `charter_id`"), "{e}");
    }
}
