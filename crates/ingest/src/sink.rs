//! Where routed events go: the `cascade` queue in production, a recording list in tests.

use std::sync::{Arc, Mutex};

use dispatch_core::domain::{JobEnvelope, JobKind};
use dispatch_core::idempotency::{run_once, IdempotencyConfig, Once, OnceError};
use dispatch_core::ports::{Idempotency, OutMessage, QueueId, Queues};
use dispatch_core::StoreError;

use crate::route::{DomainEvent, ReleaseReason};

/// Receives domain events. Must be idempotent: the same event can arrive more than once.
#[async_trait::async_trait]
pub trait EventSink: Send + Sync {
    async fn publish(&self, event: &DomainEvent) -> Result<(), StoreError>;

    /// Whether publishing an event again does nothing more (each publish is under an
    /// idempotency record that a second publish finds completed). Default: no.
    fn replays_do_nothing(&self) -> bool {
        false
    }
}

/// The job an event becomes: its kind and idempotency key. The key names the charter (and the
/// captain, for crew cascades) so the same change seen twice yields the same job.
pub fn job_for(event: &DomainEvent) -> JobEnvelope {
    let c = event.charter();
    let payload = serde_json::json!({
        "charter_id": c.charter_id,
        "created_at": c.created_at,
        "charter_date": c.charter_date,
    });
    match event {
        DomainEvent::CharterBooked(_) => JobEnvelope::new(
            JobKind::CaptainCascade,
            format!("captain_cascade#{}", c.charter_id),
            payload,
        ),
        DomainEvent::CaptainSet(_) => {
            let captain = c
                .captain_assigned
                .as_ref()
                .map(|x| x.as_str())
                .unwrap_or("-");
            JobEnvelope::new(
                JobKind::CrewCascade,
                format!("crew_cascade#{}#{captain}", c.charter_id),
                payload,
            )
        }
        DomainEvent::CharterReleased { reason, .. } => {
            let mut payload = payload;
            // A removed charter is gone when the job runs: its crew, to release their holds.
            payload["assigned"] = serde_json::json!(c
                .captain_assigned
                .iter()
                .chain(c.crew_assigned.iter())
                .map(|m| m.as_str())
                .collect::<Vec<_>>());
            payload["reason"] = serde_json::json!(match reason {
                ReleaseReason::Cancelled => "cancelled",
                ReleaseReason::Removed => "removed",
            });
            JobEnvelope::new(
                JobKind::Release,
                format!("release#{}", c.charter_id),
                payload,
            )
        }
        DomainEvent::CharterMoved {
            from, was_assigned, ..
        } => {
            let mut payload = payload;
            // What the charter was, so its holds on the old date are found and released.
            payload["moved_from"] = serde_json::json!(from);
            payload["assigned"] =
                serde_json::json!(was_assigned.iter().map(|m| m.as_str()).collect::<Vec<_>>());
            JobEnvelope::new(
                JobKind::Reconcile,
                format!("charter_moved#{}#{from}#{}", c.charter_id, c.charter_date),
                payload,
            )
        }
    }
}

/// Enqueues each event's job on the `cascade` queue, once per job key (idempotency store), so a
/// stream record read twice does not enqueue twice.
pub struct QueueSink {
    pub queues: Arc<dyn Queues>,
    pub idempotency: Arc<dyn Idempotency>,
    pub config: IdempotencyConfig,
}

#[async_trait::async_trait]
impl EventSink for QueueSink {
    /// Each job is enqueued under `enqueue#<job key>`, kept for [`IdempotencyConfig::expiry`]
    /// (35 days), far longer than a stream keeps a record (24 hours).
    fn replays_do_nothing(&self) -> bool {
        true
    }

    async fn publish(&self, event: &DomainEvent) -> Result<(), StoreError> {
        let job = job_for(event);
        let key = format!("enqueue#{}", job.key);
        let payload = serde_json::json!({ "kind": job.kind, "key": job.key });
        let sent = run_once(
            self.idempotency.as_ref(),
            &key,
            &payload,
            self.config,
            || async {
                let ids = self
                    .queues
                    .send(QueueId::Cascade, &[OutMessage::new(job.to_body())])
                    .await?;
                Ok::<_, StoreError>(ids.into_iter().next().unwrap_or_default())
            },
        )
        .await;
        match sent {
            Ok(Once::Ran(id)) => {
                tracing::info!(charter_id = %event.charter().charter_id, kind = %job.kind, message_id = %id, "job enqueued");
                Ok(())
            }
            Ok(Once::AlreadyDone(_)) => {
                tracing::debug!(charter_id = %event.charter().charter_id, kind = %job.kind, "job already enqueued");
                Ok(())
            }
            // Someone else's live claim: not done, not failed. Retryable, so the consumer waits
            // and tries again (holding the shard) until the claim completes or lapses.
            Ok(Once::InProgress { until }) => Err(StoreError::backend(
                format!(
                    "enqueueing {} job for charter {}",
                    job.kind,
                    event.charter().charter_id
                ),
                true,
                format!("another consumer holds its claim (until {until}); waiting for it"),
            )),
            Err(OnceError::Work(e)) | Err(OnceError::Store(e)) => Err(e),
            Err(e) => Err(StoreError::Invalid(e.to_string())),
        }
    }
}

/// Records events in memory: the test implementation of [`EventSink`].
#[derive(Default, Clone)]
pub struct RecordingSink {
    events: Arc<Mutex<Vec<DomainEvent>>>,
    /// Fail this many publishes (retryably) before succeeding.
    fail_next: Arc<Mutex<usize>>,
}

impl RecordingSink {
    pub fn events(&self) -> Vec<DomainEvent> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    pub fn fail_next(&self, n: usize) {
        *self.fail_next.lock().unwrap_or_else(|p| p.into_inner()) = n;
    }
}

#[async_trait::async_trait]
impl EventSink for RecordingSink {
    async fn publish(&self, event: &DomainEvent) -> Result<(), StoreError> {
        {
            let mut f = self.fail_next.lock().unwrap_or_else(|p| p.into_inner());
            if *f > 0 {
                *f -= 1;
                return Err(StoreError::backend("recording sink", true, "told to fail"));
            }
        }
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(event.clone());
        Ok(())
    }
}
