//! The dead letters of one charter, as `dispatch charter show` prints them ([`lines_for`]), and
//! the charter a dead letter names ([`charter_named`], for `dlq discard`'s thread entry).

use chrono::Utc;
use dispatch_core::domain::CharterId;
use dispatch_core::ports::QueueId;
use dispatch_core::Backend;
use dispatch_ingest::dlq::{self, DeadLetter};

use super::dlq::replay_command;

/// The DLQs whose messages can name a charter: cascade jobs, and the stream records of ingest
/// (Lambda's on-failure records in `stream-failures` hold only a shard range, so they are
/// searched but name a charter only if its id is in them).
const CHARTER_DLQS: [QueueId; 3] = [
    QueueId::CascadeDlq,
    QueueId::IngestDlq,
    QueueId::StreamFailures,
];

/// Messages read from each DLQ when looking for one charter.
const SCAN_MAX: usize = 1000;

/// Whether a dead letter is about `charter`: its job payload's `charter_id`, or (a stream
/// record) the charter id anywhere in the record's keys or images.
pub fn names_charter(d: &DeadLetter, charter: &CharterId) -> bool {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&d.body) else {
        return d.body.contains(charter.as_str());
    };
    if let Some(id) = v.pointer("/payload/charter_id").and_then(|x| x.as_str()) {
        return id == charter.as_str();
    }
    d.body.contains(charter.as_str())
}

/// The lines `charter show` prints: one per dead letter of the charter, each followed by its
/// replay command, or one line saying there is none (or that a DLQ could not be read).
pub async fn lines_for(backend: &Backend, charter: &CharterId) -> Vec<String> {
    let mut out = Vec::new();
    for q in CHARTER_DLQS {
        // An empty DLQ needs no (long-polled) read.
        if let Ok(d) = backend.queues.depth(q).await {
            if d.visible + d.in_flight + d.delayed == 0 {
                continue;
            }
        }
        match dlq::list(backend.queues.as_ref(), q, SCAN_MAX).await {
            Err(e) => out.push(format!(
                "dead letters: could not read {q} ({e}); run `dispatch dlq list --queue {q}`"
            )),
            Ok(letters) => {
                for d in letters.iter().filter(|d| names_charter(d, charter)) {
                    let age = d
                        .sent_at
                        .map(|t| format!(", {} min old", (Utc::now() - t).num_minutes()))
                        .unwrap_or_default();
                    out.push(format!(
                        "DEAD LETTER in {q}: {} job for this charter is waiting (message {}, {} receives{age}): {}",
                        d.kind.as_deref().unwrap_or("a"),
                        d.message_id,
                        d.receive_count,
                        d.reason.as_deref().unwrap_or("moved by the redrive policy")
                    ));
                    out.push(format!("  replay it: {}", replay_command(q, d)));
                }
            }
        }
    }
    if out.is_empty() {
        out.push("dead letters: none for this charter".into());
    }
    out
}

/// The charter a dead letter is about, if it names one: its job payload's `charter_id`, or the
/// `charter_id` of a stream record's keys or images.
pub fn charter_named(d: &DeadLetter) -> Option<CharterId> {
    let v = serde_json::from_str::<serde_json::Value>(&d.body).ok()?;
    [
        "/payload/charter_id",
        "/keys/charter_id/S",
        "/new_image/charter_id/S",
        "/old_image/charter_id/S",
    ]
    .iter()
    .find_map(|p| v.pointer(p).and_then(|x| x.as_str()))
    .and_then(|id| CharterId::parse(id).ok())
}
