//! What the planner looks at for one charter ([`State`]): what is true now, read by
//! the reconcile's snapshot. Pure data, so the planner, the slot views and the overview share it
//! without depending on each other.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use dispatch_core::domain::{Charter, CharterDate, CharterId, CrewId, CrewMember, Offer};
use dispatch_core::ports::Hold;

use crate::engine::{CrewMap, VesselConfig};
use crate::keys::HandOrder;

/// What the charter was before the change that woke this reconcile (from the stream's old
/// image): a removed charter's date and crew, so its holds can still be found and released; a
/// moved charter's old date and crew, so its holds there are released.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Gone {
    pub charter_date: Option<CharterDate>,
    pub assigned: Vec<CrewId>,
}

/// Everything the planner looks at for one charter.
pub struct State<'a> {
    pub charter_id: &'a CharterId,
    /// `None`: the charter was removed.
    pub charter: Option<&'a Charter>,
    /// For a removed (or moved) charter: its date and crew, as last seen.
    pub gone: Option<&'a Gone>,
    /// Every offer of the charter, oldest first.
    pub offers: &'a [Offer],
    pub roster: &'a [CrewMember],
    /// Holds on the charter's date of the members that matter (available, assigned, offered).
    pub holds: &'a CrewMap<Hold>,
    /// Holds this charter has on other dates (it moved since they were taken: the dates its
    /// offers were made for, and the one its change record names), to be released.
    pub moved_holds: &'a [Hold],
    /// Assignments per member in the charter's month.
    pub load: &'a CrewMap<u32>,
    pub vessel: Option<&'a VesselConfig>,
    /// Ids of the entries the charter's thread already has: the record of effects done, and
    /// the orders ops gave by hand ([`HandOrder`]).
    pub noted: &'a HashSet<String>,
    /// Members ops cleared to be asked again (`dispatch charter reoffer`), with when: their closed
    /// offers made before then no longer count as "already asked".
    pub cleared: &'a CrewMap<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// How long a new offer stays open at most ([`State::window`] may make it shorter).
    pub offer_timeout: chrono::Duration,
    /// When the trip departs: the vessel's start time on the charter's date in the business's
    /// zone (`None` without a start time: the trip's clock then does not shorten offers).
    pub departs_at: Option<DateTime<Utc>>,
    /// `alert_before_hours`: ops are alerted once per threshold when the charter departs in
    /// under that many hours and is not fully staffed; inside the last (smallest) one, crew
    /// slots are offered to two candidates at once. Largest first.
    pub alert_before: &'a [u32],
}

/// The shortest window an offer gets, however near the departure.
pub const MIN_WINDOW_MINUTES: i64 = 10;

/// The share of the time left before departure one offer may take (1/4: with three hours
/// left, four candidates in turn can still be asked).
pub const WINDOW_SHARE_OF_TIME_LEFT: i32 = 4;

fn hours(h: u32) -> chrono::Duration {
    chrono::Duration::hours(i64::from(h))
}

impl State<'_> {
    /// How long an offer made now stays open: the offer timeout, or a quarter of the time left
    /// before departure when that is shorter, never under ten minutes (never over the timeout
    /// either: a test's two-second timeout stays two seconds).
    pub fn window(&self) -> chrono::Duration {
        let Some(departs) = self.departs_at else {
            return self.offer_timeout;
        };
        let share = (departs - self.now) / WINDOW_SHARE_OF_TIME_LEFT;
        share
            .max(chrono::Duration::minutes(MIN_WINDOW_MINUTES))
            .min(self.offer_timeout)
    }

    /// The thresholds (hours) the time left before departure is under, largest first (none
    /// without a departure time or once it has passed).
    pub fn thresholds_crossed(&self) -> impl Iterator<Item = u32> + '_ {
        let left = self.departs_at.map(|d| d - self.now);
        self.alert_before
            .iter()
            .copied()
            .filter(move |h| left.is_some_and(|l| l > chrono::Duration::zero() && l < hours(*h)))
    }

    /// The threshold ops are to be alerted for now, if any: the smallest one crossed (a
    /// charter first seen inside 24 h gets the 24 h alert, not a stale 72 h one too).
    pub fn alert_due(&self) -> Option<u32> {
        self.thresholds_crossed().min()
    }

    /// When the next threshold is crossed, and which, if one is still ahead.
    pub fn next_alert(&self) -> Option<(DateTime<Utc>, u32)> {
        let departs = self.departs_at?;
        self.alert_before
            .iter()
            .map(|h| (departs - hours(*h), *h))
            .filter(|(at, _)| *at > self.now)
            .min()
    }

    /// Whether the departure is inside the last (smallest) threshold: crew slots are then
    /// offered to two candidates at once.
    pub fn inside_last_threshold(&self) -> bool {
        let last = self.alert_before.iter().copied().min();
        match (self.departs_at, last) {
            (Some(d), Some(h)) => d - self.now < hours(h),
            _ => false,
        }
    }

    /// How many offers of one slot may be open at once: two for a crew slot inside the last
    /// threshold (the first accept wins, the other is withdrawn), otherwise one.
    pub fn offers_per_slot(&self, role: dispatch_core::domain::Role) -> usize {
        match role {
            dispatch_core::domain::Role::Crew { .. } if self.inside_last_threshold() => 2,
            _ => 1,
        }
    }

    /// The orders ops gave by hand (`dispatch charter assign`), in the order of their offer ids.
    pub fn hand_orders(&self) -> Vec<HandOrder> {
        let mut out: Vec<HandOrder> = self
            .noted
            .iter()
            .filter_map(|id| HandOrder::parse(id))
            .collect();
        out.sort_by(|a, b| (&a.offer, &a.crew).cmp(&(&b.offer, &b.crew)));
        out
    }
}
