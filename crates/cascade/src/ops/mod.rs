//! What ops do by hand after a phone call (from the CLI or the ops board: the same functions),
//! each a thin step followed by a reconcile, which does the rest (the next offer, withdrawals,
//! staffing, releases). Each records in the thread who gave it ([`By`]) and returns what
//! changed ([`Done::changes`]: who was offered, withdrawn, told).
//!
//! - [`assign`] (in `assign.rs`): put a member on a slot, refusing the unfit unless told why.
//! - [`unassign`]: take a member off; reconcile releases their hold and tells them they are
//!   free that day (an effect: `crate::told`, planned by [`crate::hand`]); an offer the
//!   member's assignment had withdrawn is given back first (`give_back.rs`).
//! - [`cancel`]: status `cancelled`; reconcile withdraws offers, releases holds, tells crew.
//! - [`reoffer`]: clear "already asked" for some members (a `reoffer-` thread entry the
//!   planner reads), so an escalated charter is offered again.
//!
//! The reconcile after each one may stop short where this process cannot finish it (the web
//! function sends no mail, or an outage): the rest is then queued for the worker
//! (`settle.rs`), and the command still says what it did.

mod assign;
mod changes;
mod give_back;
mod settle;

use dispatch_core::domain::{
    Charter, CharterId, CharterStatus, CrewId, CrewMember, OfferStatus, ThreadKind,
};

use crate::deliver::note;
use crate::hand::Refusal;
use crate::keys::EntryId;
use crate::notes::{self, entry};
use crate::reconcile::Reconciled;
use crate::service::{Cascade, CascadeError};
use crate::snapshot::Snapshot;

pub use crate::hand::SlotKind;
pub use assign::assign;
pub use changes::{offer_changes, By};
pub use settle::LEFT_TO_WORKER;

/// An ops command could not be done.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("no charter {0} in crew-dispatch (check the id and DISPATCH_PREFIX; `dispatch charter list` shows them)")]
    NoCharter(CharterId),
    #[error("no member `{0}` in crew-roster (use the crew id, e.g. from `dispatch charter show`)")]
    NoMember(CrewId),
    /// Refused, with what to do instead.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Cascade(#[from] CascadeError),
}

impl From<dispatch_core::StoreError> for OpsError {
    fn from(e: dispatch_core::StoreError) -> Self {
        Self::Cascade(e.into())
    }
}

/// What an ops command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// One line for the operator.
    pub summary: String,
    /// The reconcile that followed.
    pub reconciled: Reconciled,
    /// What else changed, one line each: who was offered, whose offer was withdrawn, who was
    /// told.
    pub changes: Vec<String>,
}

/// What a closed charter's refusal says to assign and re-offer.
const NOTHING_TO_OFFER: &str = "nothing can be assigned or offered";

/// The charter, if it exists; refused when it is cancelled or completed, with `closed` saying
/// what that means for the command.
async fn open_charter(cx: &Cascade, id: &CharterId, closed: &str) -> Result<Charter, OpsError> {
    let c = charter(cx, id).await?;
    if matches!(
        c.status,
        CharterStatus::Cancelled | CharterStatus::Completed
    ) {
        return Err(OpsError::Refused(format!(
            "charter {id} is {}: {closed}",
            c.status.as_str()
        )));
    }
    Ok(c)
}

/// The charter, or [`OpsError::NoCharter`].
async fn charter(cx: &Cascade, id: &CharterId) -> Result<Charter, OpsError> {
    cx.backend
        .charters
        .get(id)
        .await?
        .ok_or_else(|| OpsError::NoCharter(id.clone()))
}

async fn member_named(cx: &Cascade, m: &CrewId) -> Result<CrewMember, OpsError> {
    cx.backend
        .roster
        .get(m)
        .await?
        .ok_or_else(|| OpsError::NoMember(m.clone()))
}

fn refused(r: Refusal, id: &CharterId, m: &CrewMember, snap: &Snapshot) -> OpsError {
    OpsError::Refused(match r {
        Refusal::CaptainTaken(cap) => format!(
            "charter {id} already has {} as captain: run `dispatch charter unassign {id} {cap}` first",
            snap.name(&cap)
        ),
        Refusal::NotCaptainCertified => format!(
            "{} is not captain certified in crew-roster: update the roster (captain_certified) first",
            m.name
        ),
        Refusal::CrewFull { needed } => format!(
            "all {needed} crew slots of charter {id} are filled: run `dispatch charter unassign {id} MEMBER` first"
        ),
    })
}

/// Takes `member` off the charter; reconcile releases their hold, tells them (an effect keyed
/// by this moment: see `crate::told`) and offers the slot again, first to the member whose open
/// offer their assignment withdrew, if any (and still fit).
/// Refused on a completed or cancelled charter: its crew is history (statements).
pub async fn unassign(
    cx: &Cascade,
    id: &CharterId,
    member: &CrewId,
    by: &By,
) -> Result<Done, OpsError> {
    let c = open_charter(
        cx,
        id,
        "its crew is kept as it was (statements use it); nothing was changed",
    )
    .await?;
    let roster_member = cx.backend.roster.get(member).await?;
    let name = roster_member
        .as_ref()
        .map(|m| m.name.clone())
        .unwrap_or_else(|| member.to_string());
    let role = if c.captain_assigned.as_ref() == Some(member) {
        "captain"
    } else if c.crew_assigned.contains(member) {
        "crew"
    } else {
        return Err(OpsError::Refused(format!(
            "{name} is not on charter {id}: see `dispatch charter show {id}`"
        )));
    };
    let before = changes::offers(cx, id).await?;
    cx.backend.charters.unassign(&c.key(), member).await?;
    let now = cx.now();
    let at = now.timestamp_millis();
    tracing::info!(charter_id = %id, crew_id = %member, "unassigned by hand");
    let e = entry(
        id,
        EntryId::unassigned(member, at),
        now,
        ThreadKind::Note,
        Some(member),
        notes::unassigned(&name, role),
    );
    // The entry is the order: the reconcile below mails the member that they are free that
    // day (a planned effect with its own key, so a failed mail is sent by the next reconcile).
    note(cx, e).await?;
    let mut lines = Vec::new();
    let summary = format!("{name} is off charter {id}; the {role} slot is open again");
    changes::record(cx, id, by, "unassign", Some(member), &summary).await?;
    let back = give_back::give_back(cx, id, member, &before, by).await?;
    let mut queued = Vec::new();
    let reconciled = settle::settle(cx, id, &mut queued).await?;
    if roster_member.is_some() {
        lines.push(if queued.is_empty() {
            format!("told {name} by mail that they are free that day")
        } else {
            format!("{name} is to be told by mail that they are free that day")
        });
    }
    lines.extend(back);
    let after = changes::offers(cx, id).await?;
    lines.extend(offer_changes(&before, &after, changes::names(cx).await?));
    lines.extend(queued);
    Ok(Done {
        summary,
        reconciled,
        changes: lines,
    })
}

/// Cancels the charter; reconcile withdraws its offers, releases holds and tells the crew.
pub async fn cancel(cx: &Cascade, id: &CharterId, by: &By) -> Result<Done, OpsError> {
    let c = charter(cx, id).await?;
    let before = changes::offers(cx, id).await?;
    let summary = format!(
        "charter {id} ({} on {}) is cancelled",
        c.vessel_name, c.charter_date
    );
    match c.status {
        CharterStatus::Completed => {
            return Err(OpsError::Refused(format!(
                "charter {id} is completed: a completed charter is not cancelled"
            )))
        }
        CharterStatus::Cancelled => {}
        _ => {
            cx.backend
                .charters
                .set_status(&c.key(), CharterStatus::Cancelled)
                .await?;
            tracing::info!(charter_id = %id, "cancelled by hand");
            changes::record(cx, id, by, "cancel", None, &summary).await?;
        }
    }
    let mut queued = Vec::new();
    let reconciled = settle::settle(cx, id, &mut queued).await?;
    let after = changes::offers(cx, id).await?;
    let name_of = changes::names(cx).await?;
    let mut lines = offer_changes(&before, &after, &name_of);
    let told: Vec<String> = c
        .captain_assigned
        .iter()
        .chain(c.crew_assigned.iter())
        .map(&name_of)
        .collect();
    if !told.is_empty() && c.status != CharterStatus::Cancelled {
        lines.push(format!("told the assigned crew: {}", told.join(", ")));
    }
    lines.extend(queued);
    Ok(Done {
        summary,
        reconciled,
        changes: lines,
    })
}

/// Clears "already asked" for `include` (or, if empty, everyone who let an offer of this
/// charter lapse), then reconciles: they can be offered the open slots again. A named member
/// who could not be offered (inactive, not certified for any open slot, not available or
/// booked that day) is refused with the reason, and nothing changes.
pub async fn reoffer(
    cx: &Cascade,
    id: &CharterId,
    include: &[CrewId],
    by: &By,
) -> Result<Done, OpsError> {
    let c = open_charter(cx, id, NOTHING_TO_OFFER).await?;
    let offers = cx.backend.offers.for_charter(id).await?;
    let mut who: Vec<CrewId> = if include.is_empty() {
        offers
            .iter()
            .filter(|o| o.status == OfferStatus::Lapsed)
            .map(|o| o.crew_id.clone())
            .collect()
    } else {
        include.to_vec()
    };
    who.sort();
    who.dedup();
    if who.is_empty() {
        return Err(OpsError::Refused(format!(
            "nobody let an offer of charter {id} lapse: name the members to ask again with --include MEMBER"
        )));
    }
    let mut members = Vec::new();
    for m in &who {
        let member = member_named(cx, m).await?;
        if c.captain_assigned.as_ref() == Some(m) || c.crew_assigned.contains(m) {
            return Err(OpsError::Refused(format!(
                "{} is already on charter {id}",
                member.name
            )));
        }
        if !include.is_empty() {
            give_back::askable(cx, &c, &member).await?;
        }
        members.push(member);
    }
    let now = cx.now();
    let mut names = Vec::new();
    for member in members {
        let m = &member.crew_id;
        let e = entry(
            id,
            EntryId::cleared(m, now.timestamp_millis()),
            now,
            ThreadKind::Note,
            Some(m),
            notes::cleared(&member.name),
        );
        note(cx, e).await?;
        names.push(member.name);
    }
    tracing::info!(charter_id = %id, members = who.len(), "cleared to be asked again");
    let summary = format!("charter {id}: {} may be asked again", names.join(", "));
    changes::record(cx, id, by, "reoffer", None, &summary).await?;
    let mut queued = Vec::new();
    let reconciled = settle::settle(cx, id, &mut queued).await?;
    let after = cx.backend.offers.for_charter(id).await?;
    let mut lines = offer_changes(&offers, &after, changes::names(cx).await?);
    lines.extend(queued);
    Ok(Done {
        summary,
        reconciled,
        changes: lines,
    })
}

fn booked_elsewhere(m: &CrewMember, c: &Charter, other: &CharterId) -> OpsError {
    OpsError::Refused(format!(
        "{} is already booked on charter {other} on {}: run `dispatch charter unassign {other} {}` first, or pick someone else",
        m.name, c.charter_date, m.crew_id
    ))
}
