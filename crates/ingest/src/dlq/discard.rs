//! Removing a dead letter for good (`dispatch dlq discard`): the engineer on call decided it
//! will never be replayed. The caller records what it was and why before it goes; this module
//! only finds it and deletes it, leaving every other message as it was.

use std::time::Duration;

use dispatch_core::ports::{QueueId, Queues};
use dispatch_core::StoreError;

use super::{describe, drain, release_all, DeadLetter};

/// Deletes the dead letter `id` (its DLQ message id or its original id) from `dlq`. The letter
/// as it was, or `None` if no message has that id.
pub async fn discard(
    queues: &dyn Queues,
    dlq: QueueId,
    id: &str,
) -> Result<Option<DeadLetter>, StoreError> {
    let msgs = drain(queues, dlq, usize::MAX, Duration::from_secs(60)).await?;
    let (chosen, others): (Vec<_>, Vec<_>) = msgs.into_iter().partition(|m| {
        let d = describe(m);
        d.message_id == id || d.original_id.as_deref() == Some(id)
    });
    release_all(queues, dlq, &others).await;
    let Some(m) = chosen.into_iter().next() else {
        return Ok(None);
    };
    let failed = queues.delete(dlq, std::slice::from_ref(&m.receipt)).await?;
    if !failed.is_empty() {
        return Err(StoreError::Invalid(format!(
            "dead letter {id} could not be deleted from {dlq} (its receipt expired): run the command again"
        )));
    }
    tracing::info!(message_id = %m.message_id, queue = %dlq, "dead letter discarded");
    Ok(Some(describe(&m)))
}
