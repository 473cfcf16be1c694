//! What is true now for one charter ([`Snapshot`]), read in one go: the charter, its offers and
//! thread, the roster, the holds and assignment counts that matter. The reconcile plans from it
//! ([`state`] turns it into the planner's [`State`]) and the effects carry the plan out with it.
//!
//! A listing of many charters (the overview: `charter list`, the ops board) reads what the
//! charters of one day share once ([`read_day`]: the holds that day and the month's counts of
//! the members free or aboard that day) instead of once per charter.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dispatch_core::domain::{
    Charter, CharterDate, CharterId, CharterStatus, CrewId, CrewMember, Offer, OfferId, ThreadEntry,
};
use dispatch_core::ports::Hold;

use crate::engine::CrewMap;
use crate::keys::EntryId;
use crate::service::{Cascade, CascadeError};
use crate::slots::is_filled;
use crate::state::{Gone, State};

/// What was read for one charter.
pub struct Snapshot {
    pub charter_id: CharterId,
    pub charter: Option<Charter>,
    /// The charter's mark in the index of unsettled charters, as read (`None`: not in it).
    pub mark: Option<String>,
    pub gone: Option<Gone>,
    pub offers: Vec<Offer>,
    /// Shared with the other charters a caller reads at once (a sweep, a roster change, a list).
    pub roster: Arc<[CrewMember]>,
    pub holds: CrewMap<Hold>,
    /// This charter's holds on other dates (it moved).
    pub moved_holds: Vec<Hold>,
    pub load: CrewMap<u32>,
    pub noted: HashSet<String>,
    /// Members ops cleared to be asked again, with when (the newest `reoffer-` entry each).
    pub cleared: CrewMap<DateTime<Utc>>,
}

impl Snapshot {
    pub fn member(&self, id: &CrewId) -> Option<&CrewMember> {
        self.roster.iter().find(|m| &m.crew_id == id)
    }
    pub fn offer(&self, id: &OfferId) -> Option<&Offer> {
        self.offers.iter().find(|o| &o.offer_id == id)
    }
    /// A member's name for people to read (their id if they left the roster).
    pub fn name(&self, id: &CrewId) -> String {
        self.member(id)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| id.to_string())
    }
    /// When the charter last changed: its newest offer change, else its creation time.
    pub fn last_change(&self) -> Option<DateTime<Utc>> {
        let offered = self.offers.iter().map(|o| o.updated_at).max();
        let created = self
            .charter
            .as_ref()
            .and_then(|c| DateTime::parse_from_rfc3339(&c.created_at).ok())
            .map(|t| t.with_timezone(&Utc));
        offered.or(created)
    }
}

/// The planner's view of a snapshot, now.
pub fn state<'a>(cx: &'a Cascade, s: &'a Snapshot) -> State<'a> {
    State {
        charter_id: &s.charter_id,
        charter: s.charter.as_ref(),
        gone: s.gone.as_ref(),
        offers: &s.offers,
        roster: &s.roster,
        holds: &s.holds,
        moved_holds: &s.moved_holds,
        load: &s.load,
        vessel: s.charter.as_ref().and_then(|c| cx.vessel(c)),
        noted: &s.noted,
        cleared: &s.cleared,
        now: cx.now(),
        offer_timeout: cx.offer_timeout(),
        departs_at: s.charter.as_ref().and_then(|c| {
            let start = cx.vessel(c)?.start()?;
            cx.cfg.zone.at_local(c.charter_date.naive(), start)
        }),
        alert_before: &cx.cfg.alert_before_hours,
    }
}

/// Reads everything the planner needs (`roster`: already read by a caller looking at many
/// charters). Costs O(roster) for the candidates of this charter, never a read of the month's
/// other charters (assignment counts are kept with the holds).
pub async fn read(
    cx: &Cascade,
    id: &CharterId,
    gone: Option<Gone>,
    roster: Option<Arc<[CrewMember]>>,
) -> Result<Snapshot, CascadeError> {
    read_sharing(cx, id, gone, roster, None).await
}

/// What the charters of one day share, read once for a listing ([`read_day`]).
#[derive(Debug, Default)]
pub struct DayReads {
    pub date: Option<CharterDate>,
    /// Holds that day of the members in `covers`.
    holds: CrewMap<Hold>,
    /// The month's assignment counts of the members in `covers` who are free that day.
    load: CrewMap<u32>,
    /// The members read.
    covers: HashSet<CrewId>,
}

/// The holds on `date` and the month's counts of the members free or aboard that day (the
/// roster's active members available then, and `aboard`: those assigned to its charters): two
/// batched reads for every charter of the day.
pub async fn read_day(
    cx: &Cascade,
    date: CharterDate,
    roster: &[CrewMember],
    aboard: impl Iterator<Item = CrewId>,
) -> Result<DayReads, CascadeError> {
    let mut who: Vec<CrewId> = roster
        .iter()
        .filter(|m| m.active && m.is_available(date))
        .map(|m| m.crew_id.clone())
        .chain(aboard)
        .collect();
    who.sort();
    who.dedup();
    let (held, load) = cx.backend.holds.day_of(date, &who).await?;
    let holds = held.into_iter().map(|h| (h.crew_id.clone(), h)).collect();
    let load = load.into_iter().collect();
    Ok(DayReads {
        date: Some(date),
        holds,
        load,
        covers: who.into_iter().collect(),
    })
}

/// [`read`] for a listing: the holds and counts of the charter's day come from `day` where it
/// covers them (only members it does not, e.g. someone offered who is no longer free that day,
/// are read here).
pub async fn read_sharing(
    cx: &Cascade,
    id: &CharterId,
    gone: Option<Gone>,
    roster: Option<Arc<[CrewMember]>>,
    day: Option<&DayReads>,
) -> Result<Snapshot, CascadeError> {
    let b = &cx.backend;
    let (marked, offers, thread) = futures::try_join!(
        b.charters.get_marked(id),
        b.offers.for_charter(id),
        b.thread.list(id),
    )?;
    let (charter, mark) = match marked {
        Some((c, m)) => (Some(c), m),
        None => (None, None),
    };
    let noted: HashSet<String> = thread.iter().map(|e: &ThreadEntry| e.id.clone()).collect();
    let mut cleared: CrewMap<DateTime<Utc>> = CrewMap::default();
    for e in &thread {
        if let (true, Some(m)) = (e.id.starts_with(EntryId::CLEARED_PREFIX), &e.crew_id) {
            let at = cleared.entry(m.clone()).or_insert(e.ts);
            *at = (*at).max(e.ts);
        }
    }
    let open = charter.as_ref().is_some_and(|c| {
        !matches!(
            c.status,
            CharterStatus::Cancelled | CharterStatus::Completed
        )
    });
    let roster = match (open, roster) {
        (_, Some(r)) => r,
        (false, None) => Arc::from(Vec::new()),
        (true, None) => Arc::from(b.roster.list().await?.items),
    };
    let date = charter
        .as_ref()
        .map(|c| c.charter_date)
        .or_else(|| gone.as_ref().and_then(|g| g.charter_date))
        .or_else(|| offers.first().map(|o| o.charter_date));
    let mut holds = CrewMap::default();
    let mut load = CrewMap::default();
    if let Some(date) = date {
        let mut who: Vec<CrewId> = roster
            .iter()
            .filter(|m| m.active && m.is_available(date))
            .map(|m| m.crew_id.clone())
            .collect();
        if let Some(c) = &charter {
            who.extend(c.captain_assigned.iter().cloned());
            who.extend(c.crew_assigned.iter().cloned());
        }
        if let Some(g) = &gone {
            who.extend(g.assigned.iter().cloned());
        }
        who.extend(offers.iter().map(|o| o.crew_id.clone()));
        who.sort();
        who.dedup();
        let day = day.filter(|d| d.date == Some(date));
        let unread: Vec<CrewId> = match day {
            Some(d) => {
                for m in who.iter().filter(|m| d.covers.contains(*m)) {
                    if let Some(h) = d.holds.get(m) {
                        holds.insert(m.clone(), h.clone());
                    }
                }
                who.iter()
                    .filter(|m| !d.covers.contains(*m))
                    .cloned()
                    .collect()
            }
            None => who.clone(),
        };
        let wants_candidates = charter
            .as_ref()
            .is_some_and(|c| open && !is_filled(c, cx.vessel(c)));
        // The counts of the free members `day` does not cover come with their holds.
        let mut unread_load = std::collections::HashMap::new();
        if !unread.is_empty() {
            let held = if wants_candidates {
                let (held, counts) = b.holds.day_of(date, &unread).await?;
                unread_load = counts;
                held
            } else {
                b.holds.among(date, &unread).await?
            };
            for h in held {
                holds.insert(h.crew_id.clone(), h);
            }
        }
        if wants_candidates {
            for m in who.iter().filter(|m| !holds.contains_key(*m)) {
                let n = match day {
                    Some(d) if d.covers.contains(m) => d.load.get(m),
                    _ => unread_load.get(m),
                };
                if let Some(n) = n {
                    load.insert(m.clone(), *n);
                }
            }
        }
    }
    let moved_holds = match &charter {
        Some(c) => moved_holds(cx, c, &offers, gone.as_ref()).await?,
        None => Vec::new(),
    };
    Ok(Snapshot {
        charter_id: id.clone(),
        charter,
        mark,
        gone,
        offers,
        roster,
        holds,
        moved_holds,
        load,
        noted,
        cleared,
    })
}

/// The holds `c` has on dates other than its own: on the dates its offers were made for and the
/// one the change record that woke us names (`was`), among the members it assigned or offered.
/// No read at all unless the charter moved.
async fn moved_holds(
    cx: &Cascade,
    c: &Charter,
    offers: &[Offer],
    was: Option<&Gone>,
) -> Result<Vec<Hold>, CascadeError> {
    let mut dates: Vec<_> = offers
        .iter()
        .map(|o| o.charter_date)
        .chain(was.and_then(|g| g.charter_date))
        .filter(|d| *d != c.charter_date)
        .collect();
    dates.sort();
    dates.dedup();
    if dates.is_empty() {
        return Ok(Vec::new());
    }
    let mut who: Vec<CrewId> = offers
        .iter()
        .map(|o| o.crew_id.clone())
        .chain(c.captain_assigned.iter().cloned())
        .chain(c.crew_assigned.iter().cloned())
        .chain(was.into_iter().flat_map(|g| g.assigned.iter().cloned()))
        .collect();
    who.sort();
    who.dedup();
    let mut out = Vec::new();
    for d in dates {
        out.extend(
            cx.backend
                .holds
                .among(d, &who)
                .await?
                .into_iter()
                .filter(|h| h.charter_id == c.charter_id),
        );
    }
    Ok(out)
}
