//! The sparse index of unsettled charters, as the reconcile keeps it: a charter is in it while
//! something is left to do or to wait for (an open offer's lapse), so the sweep finds every such
//! charter with one Query, whatever its date ([`crate::sweep`]). An escalated charter is out of
//! it (it waits for a person); when a hold on its date is released (another charter cancelled or
//! removed, a member taken off), [`member_freed`] puts it back, so the sweep offers the slot to
//! the member who came free. The mark is when the charter
//! went in plus a random part; taking a charter out is conditional on the mark read, so a
//! reconcile that found it settled never takes out a charter another pass has just acted on.

use std::future::Future;

use dispatch_core::domain::{CharterDate, CharterId, CharterStatus, OfferStatus};
use dispatch_core::ports::unsettled_mark;

use crate::service::{Cascade, CascadeError};
use crate::slots::is_filled;
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

/// Releases a member's hold on `date` (`release`) and puts the other booked, unstaffed charters
/// of that date in the index: the member may be who an escalated one was waiting for, and no
/// event about that charter says so. Marked before the release (if marking fails, the release
/// has not happened and is planned again) and after it (a reconcile of such a charter that
/// read the hold still held, and took the charter out, is overruled by the fresh mark).
pub async fn member_freed<F, Fut>(
    cx: &Cascade,
    date: CharterDate,
    from: &CharterId,
    release: F,
) -> Result<(), CascadeError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), CascadeError>>,
{
    mark_unstaffed_on(cx, date, from).await?;
    release().await?;
    mark_unstaffed_on(cx, date, from).await
}

/// Marks every booked, unstaffed charter dated `date` but `except` (one Query on the date
/// index, a write for each such charter).
async fn mark_unstaffed_on(
    cx: &Cascade,
    date: CharterDate,
    except: &CharterId,
) -> Result<(), CascadeError> {
    let charters = cx.backend.charters.on_date(date).await?.items;
    for c in charters.iter().filter(|c| {
        &c.charter_id != except && c.status == CharterStatus::Booked && !is_filled(c, cx.vessel(c))
    }) {
        let mark = unsettled_mark(cx.now());
        cx.backend.charters.mark_unsettled(&c.key(), &mark).await?;
        tracing::debug!(charter_id = %c.charter_id, "a member came free on its date: in the index again");
    }
    Ok(())
}
