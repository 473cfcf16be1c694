//! The `cascade` queue's job handlers: thin adapters from job envelopes to the service.

use std::sync::Arc;

use dispatch_core::domain::{CharterId, JobEnvelope, JobKind, OfferId};
use dispatch_ingest::worker::{JobError, JobHandler, Registry};

use crate::service::{Cascade, CascadeError, Start};

/// Handles captain and crew cascades, lapses and releases.
pub struct CascadeJobs(pub Arc<Cascade>);

fn field<T>(
    job: &JobEnvelope,
    name: &str,
    parse: impl Fn(&str) -> Result<T, dispatch_core::domain::ParseError>,
) -> Result<T, JobError> {
    let raw = job
        .payload
        .get(name)
        .and_then(|v| v.as_str())
        .ok_or_else(|| JobError::Permanent(format!("payload has no `{name}`")))?;
    parse(raw).map_err(|e| JobError::Permanent(e.to_string()))
}

fn job_error(e: CascadeError) -> JobError {
    if e.is_retryable() {
        JobError::Retry(e.to_string())
    } else {
        JobError::Permanent(e.to_string())
    }
}

#[async_trait::async_trait]
impl JobHandler for CascadeJobs {
    async fn handle(&self, job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        let charter = field(job, "charter_id", CharterId::parse)?;
        let span = tracing::info_span!("cascade_job", charter_id = %charter, kind = %job.kind);
        let _enter = span.enter();
        match job.kind {
            JobKind::CaptainCascade => self.0.start(&charter, Start::Captain).await,
            JobKind::CrewCascade => self.0.start(&charter, Start::Crew).await,
            JobKind::Release => self.0.release(&charter).await,
            JobKind::OfferTimeout => {
                let offer = field(job, "offer_id", OfferId::parse)?;
                let chain = job
                    .payload
                    .get("chain")
                    .and_then(|c| c.as_u64())
                    .unwrap_or(0) as u32;
                self.0.on_timeout(&charter, &offer, chain).await
            }
            other => {
                return Err(JobError::Permanent(format!(
                    "the cascade does not handle `{other}`"
                )))
            }
        }
        .map_err(job_error)?;
        Ok(serde_json::Value::Null)
    }
}

/// Registers the cascade's handlers.
pub fn register(registry: Registry, cascade: Arc<Cascade>) -> Registry {
    let h: Arc<dyn JobHandler> = Arc::new(CascadeJobs(cascade));
    registry
        .with(JobKind::CaptainCascade, h.clone())
        .with(JobKind::CrewCascade, h.clone())
        .with(JobKind::Release, h.clone())
        .with(JobKind::OfferTimeout, h)
}
