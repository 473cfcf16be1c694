//! What is done with one stream record, and how a failure says whether waiting can help.
//!
//! Its own module because three readers of the stream share it — the long-running consumer, the
//! stream Lambda, and the DLQ replay — and none of them should import another for it.

use std::sync::Arc;

use dispatch_core::ports::ChangeRecord;
use dispatch_core::StoreError;

use crate::route::{route, RouteError};
use crate::sink::EventSink;

/// Why a record could not be handled. `retryable` decides everything downstream: a retryable
/// failure is tried again (with backoff, for as long as it lasts, holding the shard); a
/// permanent one sends the record to `ingest-dlq` and the shard moves on.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct HandleError {
    pub retryable: bool,
    pub message: String,
}

impl HandleError {
    /// A failure that may pass (throttling, a timeout, a 5xx, someone else's claim).
    pub fn retry(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            message: message.into(),
        }
    }

    /// A failure that can never pass for this record (it cannot be decoded or routed).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            message: message.into(),
        }
    }
}

impl From<StoreError> for HandleError {
    fn from(e: StoreError) -> Self {
        // A missing table or queue is the deployment's fault, not the record's: it passes once
        // someone runs `dispatch bootstrap`, so the record waits instead of being dead-lettered.
        let retryable = e.is_retryable() || matches!(e, StoreError::Missing { .. });
        Self {
            retryable,
            message: e.to_string(),
        }
    }
}

impl From<RouteError> for HandleError {
    fn from(e: RouteError) -> Self {
        Self::permanent(e.to_string())
    }
}

/// What a handled record asks of its shard's checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoint {
    /// Handled again, the record would do some of its work again: checkpoint it now.
    Now,
    /// Handled again, it does nothing more (it led to nothing, or all it did is under a
    /// completed idempotency record, found done): the checkpoint can wait
    /// ([`crate::consumer::ConsumerConfig::checkpoint_wait`]).
    CanWait,
}

/// Handles one change record. Must be idempotent: a record can be handled more than once.
#[async_trait::async_trait]
pub trait RecordHandler: Send + Sync {
    async fn handle(&self, record: &ChangeRecord) -> Result<(), HandleError>;

    /// [`Self::handle`], saying what the record asks of the checkpoint. A handler that cannot
    /// tell asks for it [`Checkpoint::Now`].
    async fn handle_for_checkpoint(
        &self,
        record: &ChangeRecord,
    ) -> Result<Checkpoint, HandleError> {
        self.handle(record).await.map(|()| Checkpoint::Now)
    }
}

/// Routes a record to domain events and publishes them.
pub struct RouterHandler {
    pub sink: Arc<dyn EventSink>,
}

#[async_trait::async_trait]
impl RecordHandler for RouterHandler {
    async fn handle(&self, record: &ChangeRecord) -> Result<(), HandleError> {
        self.handle_for_checkpoint(record).await.map(|_| ())
    }

    /// A record routed to no event (a MODIFY of attributes no rule reads, such as the unsettled
    /// index's mark on the charter item) leads to nothing again when read again: routing is a
    /// pure function of the record. One whose events went to a sink that publishes each under
    /// an idempotency record ([`EventSink::replays_do_nothing`]) finds them done.
    async fn handle_for_checkpoint(
        &self,
        record: &ChangeRecord,
    ) -> Result<Checkpoint, HandleError> {
        let events = route(record)?;
        for event in &events {
            self.sink.publish(event).await?;
        }
        Ok(if events.is_empty() || self.sink.replays_do_nothing() {
            Checkpoint::CanWait
        } else {
            Checkpoint::Now
        })
    }
}
