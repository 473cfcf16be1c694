//! What the planner says to do: the [`Action`]s that move a charter on, and when to look at it
//! again ([`Plan::requeue`]). Pure data, shared by the planner that makes them and the effects
//! that carry them out.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{CharterDate, CharterId, CrewId, Offer, OfferId, Role, Unfit};

use crate::engine::Exclusion;

/// Why an open offer is withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeWhy {
    CharterClosed,
    SlotFilled,
    /// The member is now on this charter in another role or slot.
    OnThisCharter,
    /// The member got booked on another charter that day.
    BookedElsewhere(CharterId),
    /// The slot no longer exists (fewer crew needed).
    SlotGone,
    /// Never mailed, and its deadline is past or too near to answer (its send job waited, e.g.
    /// in a DLQ until replayed): the member is asked again with a fresh deadline.
    Renewed,
    /// Ops put `by` on the slot by hand.
    ByHand {
        by: CrewId,
    },
    /// The member no longer meets the slot's rules on the roster (the member is told).
    Unfit(Unfit),
    /// The charter moved from the date the offer was made for (the member is told).
    DateMoved {
        offered: CharterDate,
        now: CharterDate,
    },
}

impl RevokeWhy {
    pub fn text(&self) -> String {
        match self {
            Self::CharterClosed => "offer withdrawn: charter cancelled".into(),
            Self::SlotFilled => "offer withdrawn: the slot was filled".into(),
            Self::OnThisCharter => "offer withdrawn: already on this charter".into(),
            Self::BookedElsewhere(c) => format!("offer withdrawn: booked on charter {c} that day"),
            Self::SlotGone => "offer withdrawn: fewer crew needed".into(),
            Self::Renewed => {
                "offer withdrawn unsent (too late to answer); asked again with a fresh deadline"
                    .into()
            }
            Self::ByHand { .. } => "offer withdrawn: assigned by hand".into(),
            Self::Unfit(why) => format!("offer withdrawn: the member is now {why}"),
            Self::DateMoved { offered, now } => {
                format!("offer withdrawn: the charter moved from {offered} to {now}")
            }
        }
    }

    /// Whether the member is told by mail that the offer is no longer available (the reasons
    /// that are news to them; the others they see on their page or caused themselves).
    pub fn tells_member(&self) -> bool {
        // A member whose open offer ops gave to someone else is told it is no longer available.
        matches!(
            self,
            Self::Unfit(_) | Self::DateMoved { .. } | Self::ByHand { .. }
        )
    }
}

/// One step towards where the charter should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Close an open offer whose time has passed (open → lapsed).
    Lapse { offer: OfferId },
    /// Withdraw an open offer (open → revoked).
    Revoke { offer: OfferId, why: RevokeWhy },
    /// Store a new offer (its id is derived from charter, slot and attempt). An offer ops
    /// ordered by hand is made the same way and never mailed.
    MakeOffer { offer: Offer },
    /// Mail the offer, then note it in the thread (`offer_sent-<id>`): the note is written
    /// last, so its presence says the mail went (the lapse timer is armed before the plan runs).
    SendOffer { offer: OfferId },
    /// Write the missing thread entry of a closed offer (`<status>-<id>`).
    NoteClosed { offer: OfferId },
    /// Tell the member of an offer withdrawn for `why` (one that [`RevokeWhy::tells_member`])
    /// that it is no longer available, then write its `revoked-<id>` entry: planned for such an
    /// offer whose entry is missing (the revoke's own mail did not get out).
    TellWithdrawn { offer: OfferId, why: RevokeWhy },
    /// Mail the member of an accepted offer their confirmation (with a calendar entry), then
    /// note it (`confirmed-<id>`).
    Confirm { offer: OfferId },
    /// Take the crew-day hold of a member assigned outside the cascade.
    TakeHold { crew: CrewId },
    /// An assigned member holds that day for another charter: note it and tell ops, once.
    ReportConflict { crew: CrewId, other: CharterId },
    /// Every slot is filled: `booked` → `staffed`, and note it.
    MarkStaffed,
    /// A slot opened again on a staffed charter (someone was unassigned): back to `booked`.
    Unstaff,
    /// Nobody left for a slot: mail ops and note it, once per slot and attempt count.
    Escalate {
        role: Role,
        attempts: usize,
        /// Who was not asked or said no, with why, for the people who pick up the phone.
        excluded: Vec<(CrewId, Exclusion)>,
    },
    /// The charter departs in under `hours` hours and is not fully staffed: mail ops and note
    /// it (`alerted-<hours>h`), once per threshold of `alert_before_hours`.
    AlertOps { hours: u32 },
    /// Release a member's hold on this charter's day.
    ReleaseHold { crew: CrewId, date: CharterDate },
    /// Release a hold this open charter has for a member no longer on it (unassigned by ops); the
    /// effect reads the charter again first, so an accept that just landed keeps its hold.
    ReleaseStrayHold { crew: CrewId, date: CharterDate },
    /// Tell a member who was confirmed that the charter is cancelled, and note it.
    TellReleased { crew: CrewId, date: CharterDate },
    /// Note the cancellation once all else is done.
    NoteCancelled,
    /// Tell ops that the member of accepted offer `offer` can't make it (their slot is being
    /// offered while they stay on it), then note it (`drop_told-<offer>`).
    TellDrop { offer: OfferId },
    /// Tell the member of dropped offer `offer`, taken off when a replacement accepted, that
    /// they are released (with a cancelling calendar entry), then note it
    /// (`let_go_told-<offer>`).
    TellLetGo { offer: OfferId },
    /// Tell a member ops took off the charter at `at_ms` (its `unassigned-<crew>-<ms>` entry)
    /// that they are free that day, then note it (`unassigned_told-<crew>-<ms>`): a mail that
    /// failed is sent by the next reconcile.
    TellUnassigned { crew: CrewId, at_ms: i64 },
}

impl Action {
    /// Whether the action changes what the cascade decides on (as opposed to telling people).
    pub fn is_transition(&self) -> bool {
        matches!(
            self,
            Self::Lapse { .. } | Self::Revoke { .. } | Self::MakeOffer { .. }
        )
    }
}

/// What a timer waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timer {
    /// The deadline of an open offer (its lapse timer is named after it).
    Lapse(OfferId),
    /// The moment the charter departs in under `hours` hours (an alert to ops if unstaffed).
    Alert { hours: u32 },
}

/// When the charter changes by itself next, once the plan has run: the deadline of the offer
/// that lapses first, or the next alert threshold of an unstaffed charter, whichever is sooner
/// (a tie: the lapse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requeue {
    pub at: DateTime<Utc>,
    pub timer: Timer,
}

/// What the planner says: the actions, in order, and when to look again (like kube-runtime's
/// `Action::requeue`; `None`: nothing will change by itself, so only an event or the sweep
/// needs to look).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub requeue: Option<Requeue>,
}

impl Plan {
    /// Whether the plan mails an offer (a new lapse timer is then due).
    pub fn sends_offer(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a, Action::SendOffer { .. }))
    }

    /// Whether the plan mails the offer whose lapse `timer` is.
    pub fn mails_offer_of(&self, timer: &Timer) -> bool {
        let Timer::Lapse(lapsing) = timer else {
            return false;
        };
        self.actions
            .iter()
            .any(|a| matches!(a, Action::SendOffer { offer } if offer == lapsing))
    }
}
