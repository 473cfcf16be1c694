//! Dead letters: list and show without consuming, replay all or a filtered subset.
//!
//! SQS has no "peek": listing receives messages with a short visibility timeout and makes each
//! visible again at once, so the messages stay in the DLQ (their receive count goes up; DLQs have
//! no redrive, so nothing moves). Replay sends each chosen message to its source queue first and
//! deletes it from the DLQ only after the send succeeded: an interrupted replay can duplicate a
//! message (harmless, jobs are idempotent) but never lose one. `ingest-dlq` holds stream records;
//! replaying one hands it to the stream's record handler again.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dispatch_core::domain::JobEnvelope;
use dispatch_core::ports::{OutMessage, QueueId, Queues, Received};
use dispatch_core::StoreError;

use crate::consumer::{record_from_dead_letter, RecordHandler};
use crate::worker::dlq_attr;

/// A message in a DLQ, as `dispatch dlq list|show` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    /// The job kind (or `stream_record` in ingest-dlq), if the body says.
    pub kind: Option<String>,
    /// The job's idempotency key, or `shard/sequence` for a stream record.
    pub key: Option<String>,
    pub receive_count: u32,
    pub reason: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub body: String,
}

fn describe(m: &Received) -> DeadLetter {
    let (kind, key) = match JobEnvelope::parse(&m.body) {
        Ok(env) => (Some(env.kind.to_string()), Some(env.key)),
        Err(_) => match serde_json::from_str::<serde_json::Value>(&m.body) {
            Ok(v) if v.get("kind").and_then(|k| k.as_str()) == Some("stream_record") => (
                Some("stream_record".into()),
                Some(format!(
                    "{}/{}",
                    v.get("shard_id").and_then(|x| x.as_str()).unwrap_or("?"),
                    v.get("sequence").and_then(|x| x.as_str()).unwrap_or("?")
                )),
            ),
            _ => (None, None),
        },
    };
    let prior_receives = m
        .attributes
        .get(dlq_attr::RECEIVES)
        .and_then(|r| r.parse().ok());
    DeadLetter {
        message_id: m.message_id.clone(),
        kind,
        key,
        receive_count: prior_receives.unwrap_or(m.receive_count),
        reason: m.attributes.get(dlq_attr::ERROR).cloned(),
        sent_at: m.sent_at,
        body: m.body.clone(),
    }
}

/// Receives everything visible in `queue` (up to `max`), hidden for `hold`, and returns it.
async fn drain(
    queues: &dyn Queues,
    queue: QueueId,
    max: usize,
    hold: Duration,
) -> Result<Vec<Received>, StoreError> {
    let mut all: Vec<Received> = Vec::new();
    while all.len() < max {
        let got = queues
            .receive(queue, 10, Duration::from_secs(1), hold)
            .await?;
        if got.is_empty() {
            break;
        }
        for m in got {
            if !all.iter().any(|x| x.message_id == m.message_id) {
                all.push(m);
            }
        }
    }
    Ok(all)
}

async fn release_all(queues: &dyn Queues, queue: QueueId, msgs: &[Received]) {
    for m in msgs {
        if let Err(e) = queues
            .change_visibility(queue, &m.receipt, Duration::ZERO)
            .await
        {
            tracing::warn!(message_id = %m.message_id, error = %e, "could not make the message visible again; it will be after its visibility timeout");
        }
    }
}

/// Lists up to `max` dead letters without consuming them.
pub async fn list(
    queues: &dyn Queues,
    queue: QueueId,
    max: usize,
) -> Result<Vec<DeadLetter>, StoreError> {
    let msgs = drain(queues, queue, max, Duration::from_secs(30)).await?;
    release_all(queues, queue, &msgs).await;
    Ok(msgs.iter().map(describe).collect())
}

/// Which dead letters to replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayFilter {
    pub kind: Option<String>,
    pub key: Option<String>,
    pub message_id: Option<String>,
}

impl ReplayFilter {
    fn matches(&self, d: &DeadLetter) -> bool {
        self.kind
            .as_ref()
            .is_none_or(|k| d.kind.as_deref() == Some(k.as_str()))
            && self
                .key
                .as_ref()
                .is_none_or(|k| d.key.as_deref() == Some(k.as_str()))
            && self
                .message_id
                .as_ref()
                .is_none_or(|id| &d.message_id == id)
    }
}

/// What a replay did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    pub matched: Vec<DeadLetter>,
    pub replayed: usize,
    /// Messages that did not match the filter, left in the DLQ.
    pub left: usize,
    /// Messages that could not be replayed, left in the DLQ (id, why).
    pub failed: Vec<(String, String)>,
}

/// Replays matching dead letters from `dlq` back to their source (see the module docs).
/// `progress(done, total)` is called after each message.
pub async fn replay(
    queues: Arc<dyn Queues>,
    dlq: QueueId,
    filter: &ReplayFilter,
    dry_run: bool,
    stream_handler: Option<Arc<dyn RecordHandler>>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ReplayReport, StoreError> {
    let msgs = drain(queues.as_ref(), dlq, usize::MAX, Duration::from_secs(300)).await?;
    let mut report = ReplayReport::default();
    let mut keep = Vec::new();
    let (chosen, others): (Vec<_>, Vec<_>) =
        msgs.into_iter().partition(|m| filter.matches(&describe(m)));
    report.left = others.len();
    keep.extend(others);
    let total = chosen.len();
    for (i, m) in chosen.into_iter().enumerate() {
        let d = describe(&m);
        report.matched.push(d);
        if dry_run {
            keep.push(m);
            continue;
        }
        let sent = match dlq.source() {
            Some(source) => {
                let mut out = OutMessage::new(m.body.clone())
                    .attribute("dispatch-replayed-from", dlq.base_name());
                for (k, v) in &m.attributes {
                    if !k.starts_with("dispatch-") {
                        out.attributes.insert(k.clone(), v.clone());
                    }
                }
                queues
                    .send(source, &[out])
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            None => match (&stream_handler, record_from_dead_letter(&m.body)) {
                (Some(h), Ok(record)) => h.handle(&record).await.map_err(|e| e.message),
                (None, _) => Err("replaying ingest-dlq needs the stream handler".into()),
                (_, Err(e)) => Err(format!("not a stream record: {e}")),
            },
        };
        match sent {
            Ok(()) => {
                queues.delete(dlq, std::slice::from_ref(&m.receipt)).await?;
                report.replayed += 1;
            }
            Err(why) => {
                tracing::error!(message_id = %m.message_id, error = %why, "replay failed; message left in the DLQ");
                report.failed.push((m.message_id.clone(), why));
                keep.push(m);
            }
        }
        progress(i + 1, total);
    }
    release_all(queues.as_ref(), dlq, &keep).await;
    Ok(report)
}
