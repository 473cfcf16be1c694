//! What ops need to see of a charter at a glance: who is on it by name, how many crew it needs
//! (the real number, also when it comes from the guest count), whom we are waiting on and until
//! when, and why it needs attention, with the names to call. One pure function over the same
//! [`State`] the planner reads, shared by `dispatch charter list`, `charter show` and the ops
//! board; [`Cascade::overview`] and [`Cascade::overviews`] read that state through the ports.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{
    unfit, CharterDate, CharterId, CharterStatus, CrewId, OfferStatus, Role,
};
use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::engine::{self, CrewSet, Exclusion, Situation};
use crate::keys::EntryId;
use crate::plan::{self, State};
use crate::reconcile::{Cascade, CascadeError};
use crate::snapshot;

/// A member, by id and name (the id when they left the roster).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub crew_id: CrewId,
    pub name: String,
}

/// An open offer we are waiting on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiting {
    /// `captain` or `crew (slot N)`.
    pub role: String,
    pub who: Person,
    /// When the offer lapses.
    pub until: DateTime<Utc>,
    /// Past its time: the next reconcile (at most a minute away) lapses it and asks the next.
    pub overdue: bool,
    /// Its mail has not gone out yet: since when it has been tried (the offer's making). The
    /// last error is the thread entry [`crate::keys::EntryId::undelivered`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undelivered_since: Option<DateTime<Utc>>,
}

/// One charter as ops see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overview {
    pub charter_id: CharterId,
    pub charter_date: CharterDate,
    pub vessel: String,
    pub status: CharterStatus,
    pub guest_count: u32,
    pub captain: Option<Person>,
    pub crew: Vec<Person>,
    /// Crew slots besides the captain (the charter's, else the vessel's, else from guests).
    pub crew_needed: u32,
    pub waiting: Vec<Waiting>,
    /// Why it needs attention, each reason naming the people concerned; empty when it does not.
    pub attention: Vec<String>,
}

impl Overview {
    pub fn needs_attention(&self) -> bool {
        !self.attention.is_empty()
    }
}

/// Who to call, for a slot nobody is left to ask for: the people who were asked first (they know
/// the charter), then those booked or not available that day. Certification and activity are
/// not a phone call away, so they are left out.
fn names_to_call(s: &State<'_>, excluded: &[(&CrewId, Exclusion)]) -> String {
    let order = [
        Exclusion::Lapsed,
        Exclusion::Declined,
        Exclusion::AlreadyAsked,
        Exclusion::HeldThatDate,
        Exclusion::NotAvailable,
    ];
    let groups: Vec<String> = order
        .iter()
        .filter_map(|why| {
            let names: Vec<String> = excluded
                .iter()
                .filter(|(_, w)| w == why)
                .map(|(m, _)| name(s, m))
                .collect();
            (!names.is_empty()).then(|| format!("{}: {}", why.as_str(), names.join(", ")))
        })
        .collect();
    if groups.is_empty() {
        "nobody on the roster could be asked".into()
    } else {
        groups.join("; ")
    }
}

fn name(s: &State<'_>, id: &CrewId) -> String {
    s.roster
        .iter()
        .find(|m| &m.crew_id == id)
        .map(|m| m.name.clone())
        .unwrap_or_else(|| id.to_string())
}

fn person(s: &State<'_>, id: &CrewId) -> Person {
    Person {
        crew_id: id.clone(),
        name: name(s, id),
    }
}

/// The overview of a charter (`None` if it was removed).
pub fn overview(s: &State<'_>) -> Option<Overview> {
    let c = s.charter?;
    let mut out = Overview {
        charter_id: c.charter_id.clone(),
        charter_date: c.charter_date,
        vessel: c.vessel_name.clone(),
        status: c.status,
        guest_count: c.guest_count,
        captain: c.captain_assigned.as_ref().map(|m| person(s, m)),
        crew: c.crew_assigned.iter().map(|m| person(s, m)).collect(),
        crew_needed: plan::crew_needed(c, s.vessel),
        waiting: Vec::new(),
        attention: Vec::new(),
    };
    if matches!(
        c.status,
        CharterStatus::Cancelled | CharterStatus::Completed
    ) {
        return Some(out);
    }
    let (open_slots, _) = plan::slots(s, c);
    let mut live: Vec<Role> = Vec::new();
    for o in s.offers.iter().filter(|o| o.status == OfferStatus::Open) {
        if open_slots.contains(&o.role) && !live.contains(&o.role) {
            live.push(o.role);
            out.waiting.push(Waiting {
                role: o.role.to_string(),
                who: person(s, &o.crew_id),
                until: o.expires_at,
                overdue: s.now >= o.expires_at,
                undelivered_since: (!s.noted.contains(EntryId::sent(&o.offer_id).as_str())
                    && !s
                        .noted
                        .contains(EntryId::by_hand(&o.offer_id, &o.crew_id).as_str()))
                .then_some(o.created_at),
            });
        }
    }
    // Assigned members booked on another charter that day.
    for m in c.captain_assigned.iter().chain(c.crew_assigned.iter()) {
        if let Some(h) = s.holds.get(m).filter(|h| &h.charter_id != s.charter_id) {
            out.attention.push(format!(
                "{} is assigned here but booked on charter {} that day",
                name(s, m),
                h.charter_id
            ));
        }
    }
    // Assigned members the roster no longer lists as fit for their place (not taken off: ops
    // decide, after a phone call).
    let unfit_aboard = c
        .captain_assigned
        .iter()
        .map(|m| (m, Role::Captain))
        .chain(c.crew_assigned.iter().map(|m| (m, Role::Crew { slot: 0 })));
    for (m, role) in unfit_aboard {
        let member = s.roster.iter().find(|x| &x.crew_id == m);
        if let Some(why) = unfit(member, &engine::needs(role, c, s.vessel), c.charter_date) {
            let place = match role {
                Role::Captain => "captain",
                Role::Crew { .. } => "crew",
            };
            // A paper that runs out or is too small is said as it is, not as a state.
            out.attention.push(if why.is_papers() {
                format!("{} is assigned as {place} but: {why}", name(s, m))
            } else {
                format!("{} is assigned as {place} but is now {why}", name(s, m))
            });
        }
    }
    // Slots with no live offer and nobody left to ask.
    let held: CrewSet = s
        .holds
        .iter()
        .filter(|(_, h)| &h.charter_id != s.charter_id)
        .map(|(m, _)| m.clone())
        .collect();
    let asked = plan::asked_offers(s);
    for role in open_slots.iter().filter(|r| !live.contains(r)) {
        let sit = Situation {
            charter: c,
            roster: s.roster,
            held: &held,
            offers: &asked,
            load: s.load,
            vessel: s.vessel,
        };
        let slate = engine::slate(&sit, *role);
        if slate.candidates.is_empty() {
            let what = match role {
                Role::Captain => "no captain".to_string(),
                Role::Crew { .. } => format!("{role} open"),
            };
            out.attention.push(format!(
                "{what} and nobody left to ask ({})",
                names_to_call(s, &slate.excluded)
            ));
        }
    }
    Some(out)
}

/// How many charters are read at once for a list.
const OVERVIEW_CONCURRENCY: usize = 8;

impl Cascade {
    /// The overview of one charter, read now (`None` if there is no such charter).
    pub async fn overview(&self, id: &CharterId) -> Result<Option<Overview>, CascadeError> {
        let roster = self.backend.roster.list().await?.items;
        let snap = self.read_with(id, None, Some(roster.into())).await?;
        Ok(overview(&self.state(&snap)))
    }

    /// The overviews of every charter dated `from..=to`, by date then vessel. The roster is read
    /// once; each day through the date index.
    pub async fn overviews(
        &self,
        from: CharterDate,
        to: CharterDate,
    ) -> Result<Vec<Overview>, CascadeError> {
        let mut dates = Vec::new();
        let mut d = from.naive();
        while d <= to.naive() {
            dates.push(CharterDate::from_naive(d));
            let Some(next) = d.succ_opt() else { break };
            d = next;
        }
        let listings: Vec<_> = stream::iter(dates)
            .map(|d| self.backend.charters.on_date(d))
            .buffered(OVERVIEW_CONCURRENCY)
            .collect()
            .await;
        let roster: std::sync::Arc<[_]> = self.backend.roster.list().await?.items.into();
        let mut seen: std::collections::HashSet<CharterId> = Default::default();
        let mut days: Vec<(CharterDate, Vec<CharterId>, Vec<CrewId>)> = Vec::new();
        for l in listings {
            let l = l?;
            let mut ids = Vec::new();
            let mut aboard = Vec::new();
            let mut date = None;
            for c in l.items {
                // Several versions of one charter (against the rules): read it once.
                if seen.insert(c.charter_id.clone()) {
                    date = Some(c.charter_date);
                    aboard.extend(c.captain_assigned.iter().cloned());
                    aboard.extend(c.crew_assigned.iter().cloned());
                    ids.push(c.charter_id);
                }
            }
            if let Some(date) = date {
                days.push((date, ids, aboard));
            }
        }
        // Per day: what its charters share, read once; then each charter's own reads.
        let mut read = Vec::new();
        for (date, ids, aboard) in days {
            let day = std::sync::Arc::new(
                snapshot::read_day(self, date, &roster, aboard.into_iter()).await?,
            );
            let snaps: Vec<_> = stream::iter(ids)
                .map(|id| {
                    let (roster, day) = (roster.clone(), day.clone());
                    async move {
                        snapshot::read_sharing(self, &id, None, Some(roster), Some(&day)).await
                    }
                })
                .buffered(OVERVIEW_CONCURRENCY)
                .collect()
                .await;
            read.extend(snaps);
        }
        let mut out = Vec::new();
        for snap in read {
            if let Some(o) = overview(&self.state(&snap?)) {
                out.push(o);
            }
        }
        out.sort_by(|a, b| {
            (a.charter_date, &a.vessel, &a.charter_id).cmp(&(
                b.charter_date,
                &b.vessel,
                &b.charter_id,
            ))
        });
        Ok(out)
    }
}

#[cfg(test)]
#[path = "overview_tests.rs"]
mod tests;
