//! The reconcile after a hand action, and what happens when it cannot finish here.
//!
//! The action itself (the order in the thread, the accept transaction, the unassign, the
//! status) is done and recorded before this runs; the reconcile does the rest (offers, holds,
//! mails). Where it stops for a reason that may pass — the web function sends no mail (its
//! mailer leaves every mail to the worker), Gmail or DynamoDB has an outage, someone else is
//! sending one of the mails right now — the rest is left to the worker: a reconcile of the
//! charter goes on the `cascade` queue under its own key, and the action still answers "done"
//! with a line saying so. Level, not edge: the worker's reconcile plans from what is true then,
//! and the sweep is the net under a lost message. A failure that will not pass (a denied call,
//! a bad record) is the command's error.

use dispatch_core::domain::{CharterId, JobEnvelope, JobKind};
use dispatch_core::ports::{OutMessage, QueueId};

use super::OpsError;
use crate::keys::JobKey;
use crate::reconcile::{reconcile, Reconciled};
use crate::requeue::Wake;
use crate::service::Cascade;

/// What the operator is told when the rest went to the worker.
pub const LEFT_TO_WORKER: &str =
    "the rest (the mails) is left to the worker: a reconcile of the charter is queued";

/// Reconciles `id` after a hand action; on a failure that may pass, or where this process
/// sends no mail (the web function: its role may not do all a reconcile does either, e.g.
/// release holds), queues the reconcile for the worker and says so in `lines`.
pub(super) async fn settle(
    cx: &Cascade,
    id: &CharterId,
    lines: &mut Vec<String>,
) -> Result<Reconciled, OpsError> {
    if !cx.mailer.sends_here() {
        tracing::info!(charter_id = %id, "this process sends no mail: the reconcile after a hand action is the worker's");
        return Ok(left_to_worker(cx, id, lines).await);
    }
    match reconcile(cx, id, None, Wake::Event).await {
        Ok(r) => Ok(r),
        Err(e) if e.is_retryable() => {
            tracing::info!(charter_id = %id, error = %e, "reconcile after a hand action left to the worker");
            Ok(left_to_worker(cx, id, lines).await)
        }
        Err(e) => Err(e.into()),
    }
}

async fn left_to_worker(cx: &Cascade, id: &CharterId, lines: &mut Vec<String>) -> Reconciled {
    leave_to_worker(cx, id).await;
    if !lines.iter().any(|l| l == LEFT_TO_WORKER) {
        lines.push(LEFT_TO_WORKER.to_string());
    }
    Reconciled::default()
}

/// Queues a reconcile of `id` (keyed by this moment, so a later action's is not taken for it);
/// if even that fails, the sweep finds the charter (it is in the unsettled index).
async fn leave_to_worker(cx: &Cascade, id: &CharterId) {
    let key = JobKey::hand_reconcile(id, cx.now().timestamp_millis());
    let job = JobEnvelope::new(
        JobKind::Reconcile,
        key.as_str(),
        serde_json::json!({ "charter_id": id }),
    );
    if let Err(e) = cx
        .backend
        .queues
        .send(QueueId::Cascade, &[OutMessage::new(job.to_body())])
        .await
    {
        tracing::error!(charter_id = %id, error = %e, "could not queue the reconcile either; the sweep will");
    }
}
