//! The engine behind Lambda event source mappings, with partial batch responses.
//!
//! These call exactly the code the long-running mode calls ([`RecordHandler`], [`Worker::execute`]);
//! only the way a result is reported differs: Lambda checkpoints the stream and deletes SQS messages
//! itself, from the failures we report.
//!
//! - Stream batches: records are handled in order; the first record that still fails (for a
//!   reason that may pass) after a few quick tries is reported by its sequence number and nothing
//!   after it is handled: Lambda restarts from it, so the shard waits, as in the long-running
//!   consumer (the template retries without a count limit). A record that can never succeed goes
//!   to `ingest-dlq` (full record, error, event id) and counts as handled. Never a blank
//!   identifier: a record without a sequence number cannot be retried by Lambda, so it is
//!   dead-lettered. A batch Lambda gives up on anyway (older than the mapping's maximum record
//!   age) lands in `stream-failures` as Lambda's metadata-only record; `dispatch dlq replay`
//!   re-reads its range from the stream.
//! - SQS batches: each message is decided by the worker; retries and deferrals are reported by
//!   message id (with the visibility set to the backoff), poison is moved to the DLQ and counts
//!   as handled.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use backon::Retryable;
use chrono::Utc;
use dispatch_core::item::Item;
use dispatch_core::metrics::{self, Counter};
use dispatch_core::ports::{ChangeKind, ChangeRecord, QueueId, Queues, Received};
use dispatch_core::retry::Policy;
use tracing::Instrument;

use crate::dlq::format::dead_letter_message;
use crate::record::RecordHandler;
use crate::worker::{Decision, Worker};

fn image(item: &serde_dynamo::Item) -> Option<Item> {
    let inner: Item = item.inner().clone();
    (!inner.is_empty()).then_some(inner)
}

/// A Lambda stream record as a change record (`None` for an unknown event name).
pub fn change_record(r: &EventRecord) -> Option<ChangeRecord> {
    let kind = match r.event_name.as_str() {
        "INSERT" => ChangeKind::Insert,
        "MODIFY" => ChangeKind::Modify,
        "REMOVE" => ChangeKind::Remove,
        _ => return None,
    };
    let shard_id = r
        .event_source_arn
        .as_deref()
        .unwrap_or_default()
        .to_string();
    Some(ChangeRecord {
        event_id: r.event_id.clone(),
        kind,
        shard_id,
        sequence: r.change.sequence_number.clone().unwrap_or_default(),
        keys: r.change.keys.inner().clone(),
        old_image: image(&r.change.old_image),
        new_image: image(&r.change.new_image),
        created_at: Some(r.change.approximate_creation_date_time),
    })
}

/// Handles DynamoDB stream batches.
pub struct StreamLambda {
    pub handler: Arc<dyn RecordHandler>,
    pub queues: Arc<dyn Queues>,
    /// In-process attempts per record before it is reported failed (Lambda then retries the batch).
    pub attempts: u32,
}

impl StreamLambda {
    async fn dead_letter(&self, record: &ChangeRecord, why: &str) -> Result<(), String> {
        // No clock here: Lambda runs on the system clock, and this is its edge.
        let msg = dead_letter_message(record.shard_id.as_str(), record, why, Utc::now());
        self.queues
            .send(QueueId::IngestDlq, &[msg])
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Handles one batch; the response names the first record to retry, if any.
    pub async fn handle(&self, event: StreamEvent) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        for r in &event.records {
            let span = tracing::info_span!("stream_record", event_id = %r.event_id, sequence = ?r.change.sequence_number);
            let Some(record) = change_record(r) else {
                span.in_scope(
                    || tracing::warn!(event_name = %r.event_name, "unknown stream event skipped"),
                );
                continue;
            };
            let seq = record.sequence.clone();
            let outcome = self.handle_one(&record).instrument(span.clone()).await;
            let failed = match outcome {
                Ok(()) => None,
                Err((true, why)) if !seq.is_empty() => Some(why),
                Err((_, why)) => match self
                    .dead_letter(&record, &why)
                    .instrument(span.clone())
                    .await
                {
                    Ok(()) => {
                        metrics::incr(Counter::RecordsDeadLettered);
                        span.in_scope(
                            || tracing::error!(error = %why, "record sent to ingest-dlq"),
                        );
                        None
                    }
                    Err(e) => Some(format!("{why}; and the dead letter failed: {e}")),
                },
            };
            if let Some(why) = failed {
                span.in_scope(|| tracing::error!(error = %why, "record failed for a reason that may pass; reporting it so Lambda retries from here (the shard waits)"));
                let mut f = DynamoDbBatchItemFailure::default();
                // Never blank: a record without a sequence number was dead-lettered above unless
                // that failed too; then its event id fails the whole batch rather than lose it.
                f.item_identifier = Some(if seq.is_empty() {
                    r.event_id.clone()
                } else {
                    seq
                });
                response.batch_item_failures.push(f);
                break;
            }
        }
        response
    }

    /// Ok, or Err((retryable, reason)). Up to `attempts` tries while the failure may pass,
    /// 100 ms doubling to 2 s apart (jittered).
    async fn handle_one(&self, record: &ChangeRecord) -> Result<(), (bool, String)> {
        let policy = Policy::exponential(Duration::from_millis(100), Duration::from_secs(2))
            .jittered()
            .times(self.attempts.saturating_sub(1) as usize);
        (|| self.handler.handle(record))
            .retry(policy)
            .when(|e| e.retryable)
            .notify(|_, _| metrics::incr(Counter::RecordsRetried))
            .await
            .map(|()| metrics::incr(Counter::RecordsProcessed))
            .map_err(|e| (e.retryable, e.message))
    }
}

/// The queue an SQS event came from, by the last part of its ARN without the prefix.
pub fn queue_of(message: &SqsMessage, prefix: &str) -> Option<QueueId> {
    let arn = message.event_source_arn.as_deref()?;
    let name = arn.rsplit(':').next()?;
    QueueId::parse(name.strip_prefix(prefix)?)
}

fn received(m: &SqsMessage) -> Received {
    Received {
        message_id: m.message_id.clone().unwrap_or_default(),
        receipt: m.receipt_handle.clone().unwrap_or_default(),
        body: m.body.clone().unwrap_or_default(),
        receive_count: m
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|c| c.parse().ok())
            .unwrap_or(1),
        sent_at: None,
        attributes: m
            .message_attributes
            .iter()
            .filter_map(|(k, v)| v.string_value.clone().map(|s| (k.clone(), s)))
            .collect(),
    }
}

/// Handles SQS batches with one worker per source queue.
pub struct SqsLambda {
    pub prefix: String,
    pub workers: Vec<Arc<Worker>>,
}

impl SqsLambda {
    /// Handles one batch; the response names the messages to retry.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for m in &event.records {
            let msg = received(m);
            let span = tracing::info_span!("sqs_message", message_id = %msg.message_id);
            if !self.handle_one(m, msg).instrument(span).await {
                response
                    .batch_item_failures
                    .push(failure(&m.message_id.clone().unwrap_or_default()));
            }
        }
        response
    }

    /// One message; false when it must be reported failed (Lambda then redelivers it).
    async fn handle_one(&self, m: &SqsMessage, msg: Received) -> bool {
        if msg.message_id.is_empty() {
            tracing::error!("message without an id cannot be reported; it is left to Lambda");
            return true;
        }
        let Some(worker) =
            queue_of(m, &self.prefix).and_then(|q| self.workers.iter().find(|w| w.queue == q))
        else {
            tracing::error!(source = ?m.event_source_arn, "message from an unknown queue; reporting it failed");
            return false;
        };
        match worker.execute(&msg).await {
            Decision::Ack { .. } => true,
            Decision::DeadLetter { reason } => match worker.dead_letter(&msg, &reason).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(error = %e, "could not dead-letter; reporting failure");
                    false
                }
            },
            // A wait or a retry: a delayed copy goes back on the queue carrying the attempts so
            // far, and the original is acknowledged, so neither spends the queue's receive budget
            // (waits are not counted at all; failures against the worker's max_attempts).
            Decision::Defer { after } => resent(worker.resend(&msg, after, false).await),
            Decision::Retry { after, .. } => resent(worker.resend(&msg, after, true).await),
        }
    }
}

/// Whether a re-sent message can be acknowledged (else it is reported failed, and Lambda retries).
fn resent(r: Result<(), dispatch_core::StoreError>) -> bool {
    match r {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "could not re-send the message; reporting it failed");
            false
        }
    }
}

fn failure(id: &str) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = id.to_string();
    f
}
