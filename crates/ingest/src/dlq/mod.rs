//! Dead letters: list and show without consuming, replay all or a filtered subset.
//!
//! Listing and showing peek ([`Queues::peek`]): the embedded queue is read as it is; SQS has no
//! peek, so it receives with a visibility timeout of 0 (the queue's own receive count goes up,
//! but the count shown is the failed attempts the dead letter carries). Replay sends each chosen message to its source queue first and
//! deletes it from the DLQ only after the send succeeded: an interrupted replay can duplicate a
//! message (harmless, jobs are idempotent) but never lose one. `ingest-dlq` holds stream records;
//! replaying one hands it to the stream's record handler again. `stream-failures` holds the
//! stream Lambda's on-failure records (where a batch was, not the batch): replaying one re-reads
//! that range from the stream ([`stream_failure`]), or says exactly why it cannot. A stream
//! record is replayed with the charter as stored now ([`reread`]), so a repaired item replays
//! and a deleted one replays as its REMOVE. [`discard`] removes a dead letter for good.
//!
//! Every dead letter written by crew-dispatch names the id of what failed in the attribute
//! [`ORIGINAL_MESSAGE_ID`] (the source queue's message id, or a stream record's event id): the
//! id the logs carry. A message moved by SQS's redrive policy keeps its id, so for those the
//! DLQ's own id is the original one. What dead letters carry, and how, is [`format`].

pub mod discard;
pub mod format;
pub mod reread;
pub mod stream_failure;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dispatch_core::domain::JobEnvelope;
use dispatch_core::ports::{OutMessage, QueueId, Queues, Received};
use dispatch_core::StoreError;

use dispatch_core::ports::{ChangeFeed, Charters};

use crate::record::RecordHandler;
use format::{attr, record_from_dead_letter};
use stream_failure::FailedBatch;

pub use format::ORIGINAL_MESSAGE_ID;

/// The kind `dlq list` gives the stream Lambda's on-failure records.
pub const STREAM_BATCH: &str = "stream_batch";

/// The DLQ an operator means by `name`: a DLQ's own name, or a source's (`cascade` is
/// `cascade-dlq`, `stream` and `ingest` are `ingest-dlq`).
pub fn dlq_named(name: &str) -> Result<QueueId, String> {
    let name = name.trim();
    let q = match name {
        "stream" | "ingest" => Some(QueueId::IngestDlq),
        _ => QueueId::parse(name),
    }
    .ok_or_else(|| {
        format!(
            "unknown queue `{name}`: use cascade-dlq, reports-dlq, roster-dlq, ingest-dlq or              stream-failures (or a source queue's name: cascade, reports, roster)"
        )
    })?;
    if q.is_dlq() {
        Ok(q)
    } else {
        q.dlq()
            .ok_or_else(|| format!("`{name}` has no dead-letter queue"))
    }
}

/// A message in a DLQ, as `dispatch dlq list|show` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    /// The id of what failed, as the logs name it: the source queue's message id, or a stream
    /// record's event id. `None` when nothing says (a Lambda on-failure record).
    pub original_id: Option<String>,
    /// The job kind (`stream_record` in ingest-dlq, `stream_batch` for a Lambda on-failure
    /// record), if the body says.
    pub kind: Option<String>,
    /// The job's idempotency key, `shard/sequence` for a stream record, `shard/first..last` for
    /// a Lambda on-failure record.
    pub key: Option<String>,
    pub receive_count: u32,
    pub reason: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub body: String,
}

/// How `dlq list|show` describe one message.
pub fn describe(m: &Received) -> DeadLetter {
    if let Some(batch) = FailedBatch::parse(&m.body) {
        return DeadLetter {
            message_id: m.message_id.clone(),
            original_id: m.attributes.get(ORIGINAL_MESSAGE_ID).cloned(),
            kind: Some(STREAM_BATCH.into()),
            key: Some(batch.key()),
            receive_count: m.receive_count,
            reason: Some(batch.reason()),
            sent_at: m.sent_at,
            body: m.body.clone(),
        };
    }
    let (kind, key) = match JobEnvelope::parse(&m.body) {
        Ok(env) => (Some(env.kind.to_string()), Some(env.key)),
        Err(_) => match serde_json::from_str::<serde_json::Value>(&m.body)
            .ok()
            .and_then(|v| format::stream_record_key(&v))
        {
            Some(key) => (Some(format::STREAM_RECORD.into()), Some(key)),
            None => (None, None),
        },
    };
    let prior_receives = m
        .attributes
        .get(attr::RECEIVES)
        .and_then(|r| r.parse().ok());
    let reason = m.attributes.get(attr::ERROR).cloned();
    // Written by crew-dispatch: the attribute says. Moved by the redrive policy (no reason):
    // SQS keeps the message id, so this id is the original.
    let original_id = m
        .attributes
        .get(ORIGINAL_MESSAGE_ID)
        .cloned()
        .or_else(|| reason.is_none().then(|| m.message_id.clone()));
    DeadLetter {
        message_id: m.message_id.clone(),
        original_id,
        kind,
        key,
        receive_count: prior_receives.unwrap_or(m.receive_count),
        reason,
        sent_at: m.sent_at,
        body: m.body.clone(),
    }
}

/// Receives everything visible in `queue` (up to `max`), hidden for `hold`, and returns it.
pub(crate) async fn drain(
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

pub(crate) async fn release_all(queues: &dyn Queues, queue: QueueId, msgs: &[Received]) {
    for m in msgs {
        if let Err(e) = queues
            .change_visibility(queue, &m.receipt, Duration::ZERO)
            .await
        {
            tracing::warn!(message_id = %m.message_id, error = %e, "could not make the message visible again; it will be after its visibility timeout");
        }
    }
}

/// Lists up to `max` dead letters without consuming them (a peek: see the module docs).
pub async fn list(
    queues: &dyn Queues,
    queue: QueueId,
    max: usize,
) -> Result<Vec<DeadLetter>, StoreError> {
    Ok(queues
        .peek(queue, max)
        .await?
        .iter()
        .map(describe)
        .collect())
}

/// Which dead letters to replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayFilter {
    pub kind: Option<String>,
    pub key: Option<String>,
    /// A DLQ message id or an original message id.
    pub message_id: Option<String>,
}

/// What replaying stream dead letters needs: the record handler, and the feed to re-read the
/// ranges that Lambda's on-failure records name.
#[derive(Clone)]
pub struct StreamReplay {
    pub handler: Arc<dyn RecordHandler>,
    pub feed: Option<Arc<dyn ChangeFeed>>,
    /// The charters table, to replay a record with its item as stored now ([`reread`]);
    /// `None` replays the image the dead letter holds.
    pub charters: Option<Arc<dyn Charters>>,
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
            && self.message_id.as_ref().is_none_or(|id| {
                &d.message_id == id || d.original_id.as_deref() == Some(id.as_str())
            })
    }
}

/// What a replay did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    pub matched: Vec<DeadLetter>,
    pub replayed: usize,
    /// The DLQ message ids of the letters replayed (and deleted from the DLQ).
    pub replayed_ids: Vec<String>,
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
    stream: Option<StreamReplay>,
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
            _ if FailedBatch::parse(&m.body).is_some() => {
                replay_batch(stream.as_ref(), &m.body).await
            }
            Some(source) => {
                let mut out =
                    OutMessage::new(m.body.clone()).attribute(attr::REPLAYED_FROM, dlq.base_name());
                for (k, v) in &m.attributes {
                    if !k.starts_with(attr::PREFIX) {
                        out.attributes.insert(k.clone(), v.clone());
                    }
                }
                if let Some(id) = describe(&m).original_id {
                    out.attributes.insert(ORIGINAL_MESSAGE_ID.into(), id);
                }
                queues
                    .send(source, &[out])
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            None => match (&stream, record_from_dead_letter(&m.body)) {
                (Some(s), Ok(record)) => replay_record(s, record).await,
                (None, _) => Err("replaying ingest-dlq needs the stream handler".into()),
                (_, Err(e)) => Err(format!("not a stream record: {e}")),
            },
        };
        match sent {
            Ok(()) => {
                queues.delete(dlq, std::slice::from_ref(&m.receipt)).await?;
                report.replayed += 1;
                report.replayed_ids.push(m.message_id.clone());
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

/// Replays one stream record, with its charter as stored now when the table is at hand.
async fn replay_record(
    s: &StreamReplay,
    record: dispatch_core::ports::ChangeRecord,
) -> Result<(), String> {
    let record = match &s.charters {
        Some(charters) => reread::current(charters.as_ref(), record).await?,
        None => record,
    };
    s.handler.handle(&record).await.map_err(|e| e.message)
}

/// Replays a Lambda on-failure record by re-reading its range (see [`stream_failure`]).
async fn replay_batch(stream: Option<&StreamReplay>, body: &str) -> Result<(), String> {
    let batch = FailedBatch::parse(body).ok_or("not a Lambda on-failure record")?;
    let Some(s) = stream else {
        return Err("replaying a Lambda on-failure record needs the stream handler".into());
    };
    let Some(feed) = &s.feed else {
        return Err(
            "replaying a Lambda on-failure record needs the stream to re-read it from".into(),
        );
    };
    let n = stream_failure::reread(feed.as_ref(), s.handler.as_ref(), &batch).await?;
    tracing::info!(shard_id = %batch.shard_id, start = %batch.start_sequence, end = %batch.end_sequence, records = n, "stream batch re-read and handled");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(body: &str, attrs: &[(&str, &str)]) -> Received {
        Received {
            message_id: "dlq-id-1".into(),
            receipt: "r".into(),
            body: body.into(),
            receive_count: 1,
            sent_at: None,
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_source_queue_name_means_its_dlq() {
        assert_eq!(dlq_named("cascade"), Ok(QueueId::CascadeDlq));
        assert_eq!(dlq_named("reports-dlq"), Ok(QueueId::ReportsDlq));
        assert_eq!(dlq_named(" roster "), Ok(QueueId::RosterDlq));
        assert_eq!(dlq_named("stream"), Ok(QueueId::IngestDlq));
        assert_eq!(dlq_named("stream-failures"), Ok(QueueId::StreamFailures));
        assert!(dlq_named("casade")
            .unwrap_err()
            .contains("unknown queue `casade`"));
    }

    #[test]
    fn the_original_id_is_the_attribute_or_for_a_redriven_message_its_own_id() {
        let job = JobEnvelope::new(
            dispatch_core::domain::JobKind::MonthlyReport,
            "report#2024-05",
            serde_json::json!({}),
        )
        .to_body();
        let ours = describe(&received(
            &job,
            &[(attr::ERROR, "gave up"), (ORIGINAL_MESSAGE_ID, "src-9")],
        ));
        assert_eq!(ours.original_id.as_deref(), Some("src-9"));
        assert_eq!(ours.key.as_deref(), Some("report#2024-05"));
        let redriven = describe(&received(&job, &[]));
        assert_eq!(redriven.original_id.as_deref(), Some("dlq-id-1"));
        let filter = ReplayFilter {
            message_id: Some("src-9".into()),
            ..Default::default()
        };
        assert!(filter.matches(&ours) && !filter.matches(&redriven));
    }
}
