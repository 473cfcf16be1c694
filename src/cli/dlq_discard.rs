//! `dispatch dlq discard`: a dead letter removed for good, on purpose. It is printed first, then
//! kept in a `discarded#<queue>#<message id>` record of the idempotency store (the reason, who
//! ran it, the whole message) and noted in its charter's thread when it names one; only then
//! is it deleted.

use std::process::ExitCode;

use anyhow::{bail, Context};
use dispatch_core::domain::{ThreadEntry, ThreadKind};
use dispatch_core::idempotency::{run_once, IdempotencyConfig, Once};
use dispatch_core::ports::QueueId;
use dispatch_core::Backend;
use dispatch_ingest::dlq::{self, discard::discard};

use super::dlq::full;
use super::dlq_charter::charter_named;

/// How long a `discarded` record is kept.
const KEPT: std::time::Duration = std::time::Duration::from_secs(400 * 24 * 3600);

/// The key of the record a discarded dead letter leaves.
pub fn discarded_key(queue: QueueId, message_id: &str) -> String {
    format!("discarded#{queue}#{message_id}")
}

/// Discards dead letter `id` of `queue` with `reason`.
pub async fn run(
    backend: &Backend,
    queue: QueueId,
    id: &str,
    reason: &str,
) -> anyhow::Result<ExitCode> {
    let reason = reason.trim();
    if reason.is_empty() {
        bail!("--reason must say why the dead letter is discarded; nothing was discarded");
    }
    let letters = dlq::list(backend.queues.as_ref(), queue, usize::MAX)
        .await
        .with_context(|| format!("reading {queue}"))?;
    let Some(d) = letters
        .into_iter()
        .find(|d| d.message_id == id || d.original_id.as_deref() == Some(id))
    else {
        bail!("no dead letter with id {id} in {queue}: run `dispatch dlq list --queue {queue}` to see the ids");
    };
    println!("discarding:\n{}", full(queue, &d));
    let key = discarded_key(queue, &d.message_id);
    let record = serde_json::json!({
        "queue": queue.base_name(),
        "message_id": d.message_id,
        "original_id": d.original_id,
        "kind": d.kind,
        "key": d.key,
        "error": d.reason,
        "reason": reason,
        "body": d.body,
    });
    let config = IdempotencyConfig {
        expiry: KEPT,
        ..IdempotencyConfig::default()
    };
    let at = chrono::Utc::now().to_rfc3339();
    let kept = run_once(
        backend.idempotency.as_ref(),
        &key,
        &record,
        config,
        || async { Ok::<_, std::convert::Infallible>(at.clone()) },
    )
    .await
    .with_context(|| format!("writing the discarded record {key}"))?;
    if let Once::InProgress { .. } = kept {
        bail!("another `dlq discard` of {id} is running; nothing was discarded");
    }
    let charter = charter_named(&d);
    if let Some(charter) = &charter {
        let mut entry = ThreadEntry::new(
            charter.clone(),
            ThreadKind::Note,
            None,
            format!(
                "dead letter {} ({}) discarded from {queue}: {reason} (it failed with: {})",
                d.message_id,
                d.kind.as_deref().unwrap_or("?"),
                d.reason.as_deref().unwrap_or("no reason recorded")
            ),
        );
        entry.id = format!("discarded-{}", d.message_id);
        backend
            .thread
            .append(&entry)
            .await
            .with_context(|| format!("noting the discard in charter {charter}'s thread"))?;
    }
    match discard(backend.queues.as_ref(), queue, &d.message_id).await? {
        Some(_) => {
            println!(
                "discarded {} from {queue}; kept as record {key}{}",
                d.message_id,
                charter.map_or(String::new(), |c| format!(" and noted in charter {c}'s thread"))
            );
            Ok(ExitCode::SUCCESS)
        }
        None => bail!("dead letter {id} left {queue} while it was being discarded (replayed or discarded by someone else)"),
    }
}
