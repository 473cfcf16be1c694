//! Settling a message once its fate is decided: delete it, send a delayed copy, or dead-letter
//! it. Each queue call is tried briefly again on an error that may pass
//! ([`Policy::brief`](dispatch_core::retry::Policy::brief)); while the worker runs, deletes go
//! through one batcher, up to ten receipts a call.
//!
//! Its own file because acting on a decision is the only part of the worker that writes to the
//! queue; what the copies and dead letters carry is the wire format of `crate::dlq::format`.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dispatch_core::clock::Clock;
use dispatch_core::ports::{QueueId, Queues, Received, MAX_DELAY};
use dispatch_core::retry::Policy;
use dispatch_core::StoreError;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::decide::Decision;
use crate::dlq::format::{self, attempts_of, original_id, waits_of};

/// One queue call of a settle: three tries, 100 ms then 400 ms apart, while its error may pass.
async fn settle_step<T, F, Fut>(step: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    Policy::brief(Duration::from_millis(100))
        .retry(step, StoreError::is_retryable)
        .await
}

/// One settled message's receipt for the delete batcher, and where its outcome goes (`true`: the
/// queue refused to delete it).
type DeleteRequest = (String, oneshot::Sender<Result<bool, StoreError>>);

/// Deletes receipts as they come, in batches of up to ten: whatever has queued up while the
/// previous batch was in flight goes in the next call, so batching adds no wait.
async fn delete_batches(
    queues: Arc<dyn Queues>,
    queue: QueueId,
    mut requests: mpsc::UnboundedReceiver<DeleteRequest>,
) {
    while let Some(first) = requests.recv().await {
        let mut batch = vec![first];
        while batch.len() < 10 {
            match requests.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let receipts: Vec<String> = batch.iter().map(|(r, _)| r.clone()).collect();
        let outcome = settle_step(|| queues.delete(queue, &receipts)).await;
        for (receipt, reply) in batch {
            let _ = reply.send(match &outcome {
                Ok(failed) => Ok(failed.contains(&receipt)),
                Err(e) => Err(StoreError::backend(
                    format!("deleting settled messages from queue {queue}"),
                    e.is_retryable(),
                    e.to_string(),
                )),
            });
        }
    }
}

/// Acts on decisions for the messages of one queue.
pub(crate) struct Settler {
    queue: QueueId,
    queues: Arc<dyn Queues>,
    clock: Arc<dyn Clock>,
    /// Set by [`Settler::start_batcher`]: deletes go through one batcher.
    deletes: OnceLock<mpsc::UnboundedSender<DeleteRequest>>,
}

impl Settler {
    pub(crate) fn new(queue: QueueId, queues: Arc<dyn Queues>, clock: Arc<dyn Clock>) -> Self {
        Self {
            queue,
            queues,
            clock,
            deletes: OnceLock::new(),
        }
    }

    /// Starts the delete batcher (in the current span); deletes go through it from now on.
    pub(crate) fn start_batcher(&self) -> JoinHandle<()> {
        let (deletes, requests) = mpsc::unbounded_channel();
        let batcher = tokio::spawn(
            delete_batches(self.queues.clone(), self.queue, requests).in_current_span(),
        );
        let _ = self.deletes.set(deletes);
        batcher
    }

    /// Sends a message to this queue's DLQ with the reason (the caller deletes the original).
    pub(crate) async fn dead_letter(&self, msg: &Received, reason: &str) -> Result<(), StoreError> {
        let dlq = self.queue.dlq().unwrap_or(QueueId::IngestDlq);
        let out = format::job_dead_letter(msg, self.queue.base_name(), reason, self.clock.now());
        self.queues.send(dlq, &[out]).await?;
        Ok(())
    }

    /// Sends the message again, delayed by `after`, as a fresh copy (see `Worker::resend`).
    pub(crate) async fn resend(
        &self,
        msg: &Received,
        after: Duration,
        failed: bool,
    ) -> Result<(), StoreError> {
        let mut waits = waits_of(msg);
        let attempts = if failed {
            attempts_of(msg)
        } else {
            waits = waits.saturating_add(1);
            attempts_of(msg).saturating_sub(1)
        };
        let out = format::job_copy(msg, attempts, waits).delayed(after.min(MAX_DELAY));
        if !failed {
            tracing::info!(message_id = %msg.message_id, original_id = %original_id(msg), wait_s = after.as_secs(), waits, "job waits for another owner's claim");
        }
        self.queues.send(self.queue, &[out]).await?;
        Ok(())
    }

    /// Deletes a message whose fate is settled (done, dead-lettered, or sent again as a copy).
    async fn delete_settled(&self, msg: &Received) -> Result<(), StoreError> {
        let refused = match self.deletes.get() {
            Some(batcher) => {
                let (tx, rx) = oneshot::channel();
                if batcher.send((msg.receipt.clone(), tx)).is_err() {
                    // The worker's run ended: delete on our own.
                    return self.delete_alone(msg).await;
                }
                rx.await.map_err(|_| {
                    StoreError::backend(
                        "deleting a settled message",
                        true,
                        "the delete batcher stopped",
                    )
                })??
            }
            None => return self.delete_alone(msg).await,
        };
        if refused {
            tracing::warn!(message_id = %msg.message_id, "delete failed; the message will come back and be skipped as done (or run again: it is idempotent)");
        }
        Ok(())
    }

    async fn delete_alone(&self, msg: &Received) -> Result<(), StoreError> {
        let refused = settle_step(|| {
            self.queues
                .delete(self.queue, std::slice::from_ref(&msg.receipt))
        })
        .await?;
        if !refused.is_empty() {
            tracing::warn!(message_id = %msg.message_id, "delete failed; the message will come back and be skipped as done (or run again: it is idempotent)");
        }
        Ok(())
    }

    /// Acts on a decision (long-running mode).
    pub(crate) async fn settle(
        &self,
        msg: &Received,
        decision: &Decision,
    ) -> Result<(), StoreError> {
        // Each step is retried a few times on a passing error: a settle that fails leaves the
        // message to come back after its visibility timeout, spending one of its receives.
        match decision {
            // Deletes retry on their own (in the batcher, or around the single call).
            Decision::Ack { .. } => self.delete_settled(msg).await?,
            Decision::Retry { after, reason } => {
                tracing::warn!(message_id = %msg.message_id, retry_in_s = after.as_secs(), %reason, "job failed; will retry");
                settle_step(|| self.resend(msg, *after, true)).await?;
                self.delete_settled(msg).await?;
            }
            Decision::Defer { after } => {
                settle_step(|| self.resend(msg, *after, false)).await?;
                self.delete_settled(msg).await?;
            }
            Decision::DeadLetter { reason } => {
                tracing::error!(message_id = %msg.message_id, %reason, "message sent to DLQ");
                settle_step(|| self.dead_letter(msg, reason)).await?;
                self.delete_settled(msg).await?;
            }
        }
        Ok(())
    }
}
