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

/// Handles one change record. Must be idempotent: a record can be handled more than once.
#[async_trait::async_trait]
pub trait RecordHandler: Send + Sync {
    async fn handle(&self, record: &ChangeRecord) -> Result<(), HandleError>;

    /// [`Self::handle`], saying whether the record led to anything (`false`: it asked for
    /// nothing, and handled again it asks for nothing again, so its checkpoint can wait: see
    /// the shard reader's quiet checkpoint). A handler that cannot tell says `true`.
    async fn handle_telling(&self, record: &ChangeRecord) -> Result<bool, HandleError> {
        self.handle(record).await.map(|()| true)
    }
}

/// Routes a record to domain events and publishes them.
pub struct RouterHandler {
    pub sink: Arc<dyn EventSink>,
}

#[async_trait::async_trait]
impl RecordHandler for RouterHandler {
    async fn handle(&self, record: &ChangeRecord) -> Result<(), HandleError> {
        self.handle_telling(record).await.map(|_| ())
    }

    /// A record routed to no event (a MODIFY of attributes no rule reads, such as the unsettled
    /// index's mark on the charter item) led to nothing: routing is a pure function of the
    /// record, so read again it leads to nothing again.
    async fn handle_telling(&self, record: &ChangeRecord) -> Result<bool, HandleError> {
        let events = route(record)?;
        for event in &events {
            self.sink.publish(event).await?;
        }
        Ok(!events.is_empty())
    }
}
