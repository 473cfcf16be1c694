//! `reconcile(charter)`: read what is true now, ask [`crate::plan`] what should happen next, do
//! it. Every trigger — a new charter, an accept, a decline, a lapse timer, a cancellation, an ops
//! command, the sweep — only asks for this; none relies on the step before it having run.
//!
//! A failure between two writes only delays the outcome until the next pass: the next reconcile
//! reads the state the failure left and plans from there. Two reconciles of one charter at once
//! reach the same state, because every action is keyed by the state (offer ids from charter,
//! slot and attempt; mails by key under a claim; thread entries by id). The plan also says when
//! to look again; the lapse timer toward it is armed here ([`crate::requeue`]), before the plan's
//! actions, or, for the first link toward an offer the plan mails, with that mail and under its
//! claim; either way an offer's `offer_sent` note (written last) says its timer exists.
//!
//! The reconcile also keeps the sparse index of unsettled charters true (`index`): the
//! charter goes in before any action on it (a failed mark fails the pass, so its trigger tries
//! again), gets a fresh mark after acting, and comes out, under the mark this pass read, once
//! nothing is left to do or wait for.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dispatch_core::domain::{CharterId, CharterStatus, CrewMember, Offer};
use dispatch_core::ports::{unsettled_mark, IdempotencyClaim, OfferOpening};
use tracing::Instrument;

use crate::action::{Action, Requeue, Timer};
use crate::deliver::offer_mail_claim;
use crate::deliver::Applied;
use crate::effects::{apply, make_offer};
use crate::index;
use crate::notify;
use crate::plan::plan;
use crate::requeue::{self, Wake};
use crate::snapshot::{self, DayReads, Snapshot};
use crate::state::Gone;

// The context types; also their old path, which the crew page's modules import them from.
pub use crate::service::{Cascade, CascadeError, CascadeSettings};

/// What one reconcile did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reconciled {
    /// Actions carried out (0: the charter was already where it should be).
    pub actions: usize,
    /// When the charter last changed before this reconcile (its newest offer change, or its
    /// creation): how long it had been waiting, for the sweep's log.
    pub since: Option<DateTime<Utc>>,
    /// The charter's status after it.
    pub status: Option<CharterStatus>,
    /// Nothing is left to do or to wait for (no action planned, no open offer): the charter is
    /// out of the index of unsettled charters (see [`crate::sweep`]).
    pub settled: bool,
}

/// Passes per reconcile: each re-reads after a conflict. More than a handful means the charter
/// is being changed faster than it can be read; the next trigger or sweep carries on.
const MAX_PASSES: usize = 5;

/// Brings a charter to where it should be (see the module docs). `gone`: what a removed charter
/// left behind; `wake`: what asked for it (a lapse timer chains its next link from here).
pub async fn reconcile(
    cx: &Cascade,
    charter: &CharterId,
    gone: Option<Gone>,
    wake: Wake,
) -> Result<Reconciled, CascadeError> {
    let span = tracing::info_span!("reconcile", charter_id = %charter);
    passes(cx, charter, gone, None, None, wake)
        .instrument(span)
        .await
}

/// [`reconcile`] with a roster already read by a caller reconciling many charters at once (a
/// sweep, a roster change): one read of the roster for all of them, shared, not one each; and,
/// when they are all of one date, that day's holds and counts read once for all of them (`day`,
/// used by the first pass only: a pass after a conflict reads its own).
pub async fn reconcile_with_roster(
    cx: &Cascade,
    charter: &CharterId,
    roster: Arc<[CrewMember]>,
    day: Option<Arc<DayReads>>,
    wake: Wake,
) -> Result<Reconciled, CascadeError> {
    let span = tracing::info_span!("reconcile", charter_id = %charter);
    passes(cx, charter, None, Some(roster), day, wake)
        .instrument(span)
        .await
}

async fn passes(
    cx: &Cascade,
    charter: &CharterId,
    gone: Option<Gone>,
    roster: Option<Arc<[CrewMember]>>,
    day: Option<Arc<DayReads>>,
    wake: Wake,
) -> Result<Reconciled, CascadeError> {
    let mut done = Reconciled::default();
    for pass in 0..MAX_PASSES {
        let shared = day.as_deref().filter(|_| pass == 0);
        let snap =
            snapshot::read_sharing(cx, charter, gone.clone(), roster.clone(), shared).await?;
        if pass == 0 {
            done.since = snap.last_change();
        }
        done.status = snap.charter.as_ref().map(|c| c.status);
        let state = snapshot::state(cx, &snap);
        // One reading of the clock for the plan and its timer: the link to arm is decided at
        // the time the plan was made, so a deadline passing in between never drops the chain.
        let now = state.now;
        let planned = plan(&state);
        // In the index before acting: whatever stops this pass, the sweep finds the charter.
        // A failed mark fails the pass, so its trigger tries again. A plan that starts with a
        // new offer puts the mark in the offer's transaction (a request saved).
        let mut mark_with_offer = None;
        if !planned.actions.is_empty() && snap.mark.is_none() {
            match (&snap.charter, planned.actions.first()) {
                (Some(_), Some(Action::MakeOffer { .. })) => {
                    mark_with_offer = Some(unsettled_mark(cx.now()));
                }
                _ => index::mark(cx, &snap).await?,
            }
        }
        let mut busy: Option<CascadeError> = None;
        // Link 0 toward an offer this plan mails goes with the mail, under its claim.
        let mut with_mail: Option<Requeue> = None;
        match requeue::link_for(&wake, &planned, now) {
            Some((rq, 0)) if planned.mails_offer_of(&rq.timer) => with_mail = Some(rq),
            Some((rq, link)) => match requeue::arm(cx, charter, &rq, link).await {
                Ok(()) => {}
                Err(e @ CascadeError::Busy { .. }) => busy = Some(e),
                Err(e) => return Err(e),
            },
            None => {}
        }
        if planned.actions.is_empty() {
            done.settled = index::keep(cx, &snap).await?;
            return busy.map_or(Ok(done), Err);
        }
        let along = Along {
            timer: with_mail.as_ref(),
            mark: mark_with_offer.as_deref(),
        };
        let conflict = run(cx, &snap, &planned.actions, along, &mut done, &mut busy).await?;
        if let Some(e) = busy {
            return Err(e);
        }
        // The plan already counted on its own actions (a lapse and the next offer, in one
        // plan): with no conflict there is nothing left to look at again. A fresh mark after
        // acting: a reconcile that read the charter before these actions and found it settled
        // takes it out of the index only under the mark it read, which this replaces. The next
        // pass (a trigger or the sweep) takes it out once settled.
        if !conflict {
            index::mark(cx, &snap).await?;
            return Ok(done);
        }
    }
    Ok(done)
}

/// What rides along with a plan's actions, each a request saved.
#[derive(Clone, Copy)]
struct Along<'a> {
    /// Link 0 of the lapse timer of an offer the plan mails, armed with its mail.
    timer: Option<&'a Requeue>,
    /// The charter's mark in the unsettled index, put with the plan's first action (a new
    /// offer).
    mark: Option<&'a str>,
}

/// Carries out a plan's actions in order until one meets a conflict (returns `true`: read
/// again). Someone else sending one of its mails right now is `busy`: the rest still run.
async fn run(
    cx: &Cascade,
    snap: &Snapshot,
    actions: &[Action],
    along: Along<'_>,
    done: &mut Reconciled,
    busy: &mut Option<CascadeError>,
) -> Result<bool, CascadeError> {
    // Offers this pass stored new, with their mail's claim if it was taken with them: mailed
    // as written, without reading each back.
    let mut made: Vec<(&Offer, Option<IdempotencyClaim>)> = Vec::new();
    for (n, action) in actions.iter().enumerate() {
        let applied = match action {
            Action::MakeOffer { offer } => {
                let mails = snap.member(&offer.crew_id).is_some()
                    && actions.iter().any(
                        |a| matches!(a, Action::SendOffer { offer: o } if *o == offer.offer_id),
                    );
                let claim = mails.then(|| offer_mail_claim(cx, &offer.offer_id));
                // The mark goes only with the plan's first action (see `passes`).
                let key = along.mark.filter(|_| n == 0).zip(snap.charter.as_ref());
                let key = key.map(|(m, c)| (c.key(), m));
                let opening = OfferOpening {
                    unsettled: key.as_ref().map(|(k, m)| (k, *m)),
                    mail_claim: claim.as_ref(),
                };
                let applied = make_offer(cx, offer, opening).await;
                if let Ok(Applied::Done) = applied {
                    made.push((offer, claim));
                }
                applied
            }
            Action::SendOffer { offer } => {
                let timer = along
                    .timer
                    .filter(|rq| rq.timer == Timer::Lapse(offer.clone()));
                match made.iter().find(|(o, _)| &o.offer_id == offer) {
                    Some((o, claim)) => {
                        notify::send_made_offer(cx, snap, o, timer, claim.as_ref()).await
                    }
                    None => notify::send_offer(cx, snap, offer, timer).await,
                }
            }
            _ => apply(cx, snap, action).await,
        };
        match applied {
            Ok(Applied::Done) => done.actions += 1,
            Ok(Applied::Conflict) => {
                tracing::debug!(?action, "the charter changed under the plan; reading again");
                return Ok(true);
            }
            Err(e @ CascadeError::Busy { .. }) => *busy = Some(e),
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}
