//! The test's own world: a whole charter state it owns, built from a compact spec, with the
//! planner's actions applied to it in memory as the effects would apply them.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use dispatch_cascade::engine::CrewMap;
use dispatch_cascade::plan::{self, ids, Action, State};
use dispatch_core::domain::*;
use dispatch_core::ports::Hold;
use proptest::prelude::*;

/// A whole state the test owns, so actions can be applied to it as the effects would.
#[derive(Debug, Clone)]
pub struct World {
    pub id: CharterId,
    pub charter: Option<Charter>,
    pub offers: Vec<Offer>,
    pub roster: Vec<CrewMember>,
    pub holds: CrewMap<Hold>,
    /// This charter's holds on other dates (it moved).
    pub moved_holds: Vec<Hold>,
    pub load: CrewMap<u32>,
    pub noted: HashSet<String>,
    pub cleared: CrewMap<chrono::DateTime<Utc>>,
    pub now: chrono::DateTime<Utc>,
}

impl World {
    pub fn state(&self) -> State<'_> {
        State {
            charter_id: &self.id,
            charter: self.charter.as_ref(),
            gone: None,
            offers: &self.offers,
            roster: &self.roster,
            holds: &self.holds,
            moved_holds: &self.moved_holds,
            load: &self.load,
            vessel: None,
            noted: &self.noted,
            cleared: &self.cleared,
            now: self.now,
            offer_timeout: chrono::Duration::hours(2),
            departs_at: None,
        }
    }

    fn close(&mut self, id: &OfferId, to: OfferStatus) {
        if let Some(o) = self.offers.iter_mut().find(|o| &o.offer_id == id) {
            if o.status == OfferStatus::Open {
                o.status = to;
                self.noted.insert(ids::closed(to, id));
            }
        }
    }

    /// What the effects do, in memory.
    pub fn apply(&mut self, actions: &[Action]) {
        for a in actions {
            match a {
                Action::Lapse { offer } => self.close(offer, OfferStatus::Lapsed),
                Action::Revoke { offer, .. } => self.close(offer, OfferStatus::Revoked),
                Action::MakeOffer { offer } => {
                    if !self.offers.iter().any(|o| o.offer_id == offer.offer_id) {
                        self.offers.push(offer.clone());
                    }
                }
                Action::SendOffer { offer } => {
                    self.noted.insert(ids::sent(offer));
                }
                Action::Confirm { offer } => {
                    self.noted.insert(ids::confirmed(offer));
                }
                Action::TellWithdrawn { offer, .. } => {
                    self.noted.insert(ids::closed(OfferStatus::Revoked, offer));
                }
                Action::NoteClosed { offer } => {
                    if let Some(o) = self.offers.iter().find(|o| &o.offer_id == offer) {
                        self.noted.insert(ids::closed(o.status, offer));
                    }
                }
                Action::TakeHold { crew } => {
                    let date = self.charter.as_ref().unwrap().charter_date;
                    self.holds.entry(crew.clone()).or_insert(Hold {
                        crew_id: crew.clone(),
                        date,
                        charter_id: self.id.clone(),
                        taken_at: self.now,
                    });
                }
                Action::ReportConflict { crew, .. } => {
                    self.noted.insert(ids::conflict(crew));
                }
                Action::MarkStaffed => {
                    let c = self.charter.as_mut().unwrap();
                    if c.status == CharterStatus::Booked {
                        c.status = CharterStatus::Staffed;
                    }
                    self.noted.insert(ids::STAFFED.into());
                }
                Action::Unstaff => self.charter.as_mut().unwrap().status = CharterStatus::Booked,
                Action::Escalate { role, attempts, .. } => {
                    self.noted.insert(ids::escalated(*role, *attempts));
                }
                Action::ReleaseHold { crew, date }
                    if self
                        .charter
                        .as_ref()
                        .is_some_and(|c| c.charter_date != *date) =>
                {
                    self.moved_holds.retain(|h| {
                        !(&h.crew_id == crew && h.date == *date && h.charter_id == self.id)
                    });
                }
                Action::ReleaseHold { crew, .. } | Action::ReleaseStrayHold { crew, .. } => {
                    if self
                        .holds
                        .get(crew)
                        .is_some_and(|h| h.charter_id == self.id)
                    {
                        self.holds.remove(crew);
                    }
                }
                Action::TellReleased { crew, .. } => {
                    self.noted.insert(ids::released(crew));
                }
                Action::NoteCancelled => {
                    self.noted.insert(ids::CANCELLED.into());
                }
                Action::TellDrop { offer } => {
                    self.noted
                        .insert(dispatch_cascade::keys::EntryId::drop_told(offer).into());
                }
                Action::TellLetGo { offer } => {
                    self.noted
                        .insert(dispatch_cascade::keys::EntryId::let_go_told(offer).into());
                }
                Action::TellUnassigned { crew, at_ms } => {
                    self.noted.insert(
                        dispatch_cascade::keys::EntryId::unassigned_told(crew, *at_ms).into(),
                    );
                }
            }
        }
    }
}

pub const DATE: &str = "2024-05-03";

pub fn cid(i: usize) -> CrewId {
    CrewId::parse(&format!("m{i}")).unwrap()
}

/// (captain certified, deckhand, available, active, held by another charter, load)
pub type MemberSpec = (bool, bool, bool, bool, bool, u32);
/// (member, role slot (0 = captain, n = crew n-1), status 0..5, minutes until it lapses)
pub type OfferSpec = (usize, u32, u8, i64);

pub fn world(
    members: Vec<MemberSpec>,
    status: u8,
    captain: Option<usize>,
    crew: Vec<usize>,
    needed: u32,
    offers: Vec<OfferSpec>,
    noted_mask: u64,
) -> World {
    let now = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    let date = CharterDate::parse(DATE).unwrap();
    let id = CharterId::parse("0b4c6a9e-0000-4000-8000-000000000001").unwrap();
    let other = CharterId::parse("0b4c6a9e-0000-4000-8000-000000000002").unwrap();
    let n = members.len();
    let roster: Vec<CrewMember> = members
        .iter()
        .enumerate()
        .map(|(i, (cap, deck, avail, active, _, _))| CrewMember {
            crew_id: cid(i),
            name: format!("Member {i}"),
            email: EmailAddress::parse(&format!("m{i}@example.com")).unwrap(),
            phone: None,
            captain_certified: *cap,
            available_dates: if *avail {
                [date].into()
            } else {
                Default::default()
            },
            certifications: if *deck {
                ["deckhand".to_string()].into()
            } else {
                Default::default()
            },
            active: *active,
            updated_at: None,
            links_not_before: None,
        })
        .collect();
    let mut holds = CrewMap::default();
    let mut load = CrewMap::default();
    for (i, m) in members.iter().enumerate() {
        if m.4 {
            holds.insert(
                cid(i),
                Hold {
                    crew_id: cid(i),
                    date,
                    charter_id: other.clone(),
                    taken_at: now,
                },
            );
        }
        load.insert(cid(i), m.5);
    }
    let captain = captain.map(|c| cid(c % n));
    let mut crew_ids: Vec<CrewId> = Vec::new();
    for c in crew {
        let m = cid(c % n);
        if Some(&m) != captain.as_ref() && !crew_ids.contains(&m) {
            crew_ids.push(m);
        }
    }
    let charter = Charter {
        charter_id: id.clone(),
        created_at: "2024-04-01T10:00:00.000Z".into(),
        charter_date: date,
        vessel_name: "Sea Breeze".into(),
        captain_assigned: captain,
        crew_assigned: crew_ids,
        guest_count: 10,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: [
            CharterStatus::Booked,
            CharterStatus::Staffed,
            CharterStatus::Cancelled,
        ][status as usize % 3],
        crew_needed: Some(needed),
    };
    // Offers: at most one per member (the cascade never asks twice); attempts numbered per slot.
    let mut seen = HashSet::new();
    let mut per_slot: std::collections::HashMap<Role, usize> = Default::default();
    let mut out = Vec::new();
    for (m, slot, st, mins) in offers {
        let m = m % n;
        if !seen.insert(m) {
            continue;
        }
        let role = if slot == 0 {
            Role::Captain
        } else {
            Role::Crew {
                slot: (slot - 1) % needed.max(1),
            }
        };
        let k = per_slot.entry(role).or_default();
        let status = [
            OfferStatus::Open,
            OfferStatus::Accepted,
            OfferStatus::Declined,
            OfferStatus::Lapsed,
            OfferStatus::Revoked,
        ][st as usize % 5];
        out.push(Offer {
            offer_id: plan::offer_id_for(&id, role, *k),
            charter_id: id.clone(),
            charter_date: date,
            crew_id: cid(m),
            role,
            status,
            created_at: now - chrono::Duration::hours(3),
            expires_at: now + chrono::Duration::minutes(mins),
            updated_at: now - chrono::Duration::hours(1),
        });
        *k += 1;
    }
    // Holds of this charter for what is accepted and assigned, as accept writes them.
    for m in charter
        .captain_assigned
        .iter()
        .chain(charter.crew_assigned.iter())
    {
        if !holds.contains_key(m) && noted_mask & 1 == 0 {
            holds.insert(
                m.clone(),
                Hold {
                    crew_id: m.clone(),
                    date,
                    charter_id: id.clone(),
                    taken_at: now,
                },
            );
        }
    }
    let mut noted = HashSet::new();
    for (i, o) in out.iter().enumerate() {
        if noted_mask & (1 << (1 + i % 60)) != 0 {
            noted.insert(ids::sent(&o.offer_id));
            noted.insert(ids::closed(o.status, &o.offer_id));
        }
    }
    World {
        id,
        charter: Some(charter),
        offers: out,
        roster,
        holds,
        moved_holds: Vec::new(),
        load,
        noted,
        cleared: CrewMap::default(),
        now,
    }
}

/// The date the charter was on before it moved to [`DATE`].
pub const OLD_DATE: &str = "2024-05-02";

/// Moves `w`'s charter: it was on [`OLD_DATE`] when the offers picked by `mask` were made, and
/// its assigned members picked by `mask` still hold that day for it.
pub fn moved(mut w: World, mask: u64) -> World {
    let old = CharterDate::parse(OLD_DATE).unwrap();
    for (i, o) in w.offers.iter_mut().enumerate() {
        if mask & (1 << (i % 32)) != 0 {
            o.charter_date = old;
        }
    }
    if let Some(c) = &w.charter {
        for (i, m) in c
            .captain_assigned
            .iter()
            .chain(c.crew_assigned.iter())
            .enumerate()
        {
            if mask & (1 << (32 + i % 32)) != 0 {
                w.moved_holds.push(Hold {
                    crew_id: m.clone(),
                    date: old,
                    charter_id: w.id.clone(),
                    taken_at: w.now,
                });
            }
        }
    }
    w
}

/// Why `m` may not be offered `role` on the charter's date, if they may not.
pub fn unfit_for(w: &World, crew: &CrewId, role: Role) -> Option<Unfit> {
    let c = w.charter.as_ref().unwrap();
    let needs = dispatch_cascade::engine::needs(role, None);
    unfit(
        w.roster.iter().find(|m| &m.crew_id == crew),
        &needs,
        c.charter_date,
    )
}

pub fn member_spec() -> impl Strategy<Value = MemberSpec> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.2),
        0u32..4,
    )
}
