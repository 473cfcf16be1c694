//! The sparse index of unsettled charters, as the reconcile keeps it: a charter is in it while
//! something is left to do or to wait for (an open offer's lapse), so the sweep finds every such
//! charter with one Query, whatever its date ([`crate::sweep`]). The mark is when the charter
//! went in plus a random part; taking a charter out is conditional on the mark read, so a
//! reconcile that found it settled never takes out a charter another pass has just acted on.

use dispatch_core::domain::OfferStatus;
use dispatch_core::ports::unsettled_mark;

use crate::service::{Cascade, CascadeError};
use crate::snapshot::Snapshot;

/// Puts the charter in the index of unsettled charters with a fresh mark.
pub async fn mark(cx: &Cascade, snap: &Snapshot) -> Result<(), CascadeError> {
    let Some(c) = &snap.charter else {
        return Ok(());
    };
    let mark = unsettled_mark(cx.now());
    cx.backend.charters.mark_unsettled(&c.key(), &mark).await?;
    Ok(())
}

/// After a pass with nothing to do: keeps the index true. A charter with an open offer (its
/// lapse is still to come) stays in, or goes in if it was not (a charter booked before the
/// index existed, or whose mark was lost); one with nothing left to wait for comes out,
/// under the mark this pass read. Whether it is settled.
pub async fn keep(cx: &Cascade, snap: &Snapshot) -> Result<bool, CascadeError> {
    let waiting = snap.offers.iter().any(|o| o.status == OfferStatus::Open);
    let (Some(c), false) = (&snap.charter, waiting) else {
        if waiting && snap.mark.is_none() {
            mark(cx, snap).await?;
        }
        return Ok(!waiting);
    };
    if let Some(mark) = &snap.mark {
        // Losing this race (someone marked it since) keeps it in: the next pass decides.
        if let Err(e) = cx.backend.charters.clear_unsettled(&c.key(), mark).await {
            tracing::warn!(error = %e, "could not take a settled charter out of the unsettled index; the sweep tries again");
        }
    }
    Ok(true)
}
