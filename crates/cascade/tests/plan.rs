//! The planner's promises, for any state: applying a plan and planning again yields nothing (a
//! fixed point), and no plan offers a slot to someone booked that day, already on the charter,
//! already asked for it, or not certified for it.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use dispatch_cascade::engine::CrewMap;
use dispatch_cascade::plan::{self, ids, Action, State};
use dispatch_core::domain::*;
use dispatch_core::ports::Hold;
use proptest::prelude::*;

/// A whole state the test owns, so actions can be applied to it as the effects would.
#[derive(Debug, Clone)]
struct World {
    id: CharterId,
    charter: Option<Charter>,
    offers: Vec<Offer>,
    roster: Vec<CrewMember>,
    holds: CrewMap<Hold>,
    load: CrewMap<u32>,
    noted: HashSet<String>,
    cleared: CrewMap<chrono::DateTime<Utc>>,
    now: chrono::DateTime<Utc>,
}

impl World {
    fn state(&self) -> State<'_> {
        State {
            charter_id: &self.id,
            charter: self.charter.as_ref(),
            gone: None,
            offers: &self.offers,
            roster: &self.roster,
            holds: &self.holds,
            load: &self.load,
            vessel: None,
            noted: &self.noted,
            cleared: &self.cleared,
            now: self.now,
            offer_timeout: chrono::Duration::hours(2),
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
    fn apply(&mut self, actions: &[Action]) {
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
                Action::ReleaseHold { crew, .. } | Action::ReleaseStrayHold { crew, .. } => {
                    if self.holds.get(crew).is_some_and(|h| h.charter_id == self.id) {
                        self.holds.remove(crew);
                    }
                }
                Action::TellReleased { crew, .. } => {
                    self.noted.insert(ids::released(crew));
                }
                Action::NoteCancelled => {
                    self.noted.insert(ids::CANCELLED.into());
                }
            }
        }
    }
}

const DATE: &str = "2024-05-03";

fn cid(i: usize) -> CrewId {
    CrewId::parse(&format!("m{i}")).unwrap()
}

/// (captain certified, deckhand, available, active, held by another charter, load)
type MemberSpec = (bool, bool, bool, bool, bool, u32);
/// (member, role slot (0 = captain, n = crew n-1), status 0..5, minutes until it lapses)
type OfferSpec = (usize, u32, u8, i64);

fn world(
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
            available_dates: if *avail { [date].into() } else { Default::default() },
            certifications: if *deck { ["deckhand".to_string()].into() } else { Default::default() },
            active: *active,
            updated_at: None,
        })
        .collect();
    let mut holds = CrewMap::default();
    let mut load = CrewMap::default();
    for (i, m) in members.iter().enumerate() {
        if m.4 {
            holds.insert(cid(i), Hold { crew_id: cid(i), date, charter_id: other.clone(), taken_at: now });
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
        status: [CharterStatus::Booked, CharterStatus::Staffed, CharterStatus::Cancelled][status as usize % 3],
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
        let role = if slot == 0 { Role::Captain } else { Role::Crew { slot: (slot - 1) % needed.max(1) } };
        let k = per_slot.entry(role).or_default();
        let status = [OfferStatus::Open, OfferStatus::Accepted, OfferStatus::Declined, OfferStatus::Lapsed, OfferStatus::Revoked][st as usize % 5];
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
    for m in charter.captain_assigned.iter().chain(charter.crew_assigned.iter()) {
        if !holds.contains_key(m) && noted_mask & 1 == 0 {
            holds.insert(m.clone(), Hold { crew_id: m.clone(), date, charter_id: id.clone(), taken_at: now });
        }
    }
    let mut noted = HashSet::new();
    for (i, o) in out.iter().enumerate() {
        if noted_mask & (1 << (1 + i % 60)) != 0 {
            noted.insert(ids::sent(&o.offer_id));
            noted.insert(ids::closed(o.status, &o.offer_id));
        }
    }
    World { id, charter: Some(charter), offers: out, roster, holds, load, noted, cleared: CrewMap::default(), now }
}

fn member_spec() -> impl Strategy<Value = MemberSpec> {
    (any::<bool>(), any::<bool>(), prop::bool::weighted(0.8), prop::bool::weighted(0.9), prop::bool::weighted(0.2), 0u32..4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn a_plan_applied_is_a_fixed_point_and_never_offers_the_wrong_person(
        members in prop::collection::vec(member_spec(), 1..10),
        status in 0u8..3,
        captain in prop::option::of(0usize..10),
        crew in prop::collection::vec(0usize..10, 0..3),
        needed in 1u32..4,
        offers in prop::collection::vec((0usize..10, 0u32..4, 0u8..5, -180i64..180), 0..8),
        noted_mask in any::<u64>(),
    ) {
        let mut w = world(members, status, captain, crew, needed, offers, noted_mask);
        let first = plan::plan(&w.state()).actions;
        // Offers withdrawn unsent to be made again, fresh, to the same member.
        let renewed: Vec<&Offer> = first.iter().filter_map(|a| match a {
            Action::Revoke { offer, why: plan::RevokeWhy::Renewed } => w.offers.iter().find(|o| &o.offer_id == offer),
            _ => None,
        }).collect();
        for o in &renewed {
            prop_assert!(!w.noted.contains(&ids::sent(&o.offer_id)), "renewed an offer that was mailed");
            prop_assert!(o.expires_at - w.now < chrono::Duration::hours(1), "renewed an offer with time left");
        }
        for a in &first {
            if let Action::MakeOffer { offer } = a {
                if let Some(old) = renewed.iter().find(|o| o.crew_id == offer.crew_id && o.role == offer.role) {
                    prop_assert!(offer.offer_id != old.offer_id);
                    prop_assert_eq!(offer.expires_at, w.now + chrono::Duration::hours(2), "a renewed offer has a fresh deadline");
                    continue;
                }
                let c = w.charter.as_ref().unwrap();
                let m = w.roster.iter().find(|m| m.crew_id == offer.crew_id).unwrap();
                prop_assert!(m.active, "offered an inactive member");
                prop_assert!(m.is_available(c.charter_date), "offered a member not available");
                prop_assert!(!w.holds.contains_key(&m.crew_id), "offered a member booked that day");
                prop_assert!(c.captain_assigned.as_ref() != Some(&m.crew_id) && !c.crew_assigned.contains(&m.crew_id), "offered a member already on the charter");
                prop_assert!(!w.offers.iter().any(|o| o.crew_id == m.crew_id), "offered a member already asked");
                match offer.role {
                    Role::Captain => prop_assert!(m.captain_certified, "uncertified captain"),
                    Role::Crew { .. } => prop_assert!(m.has_certification("deckhand"), "uncertified deckhand"),
                }
            }
        }
        let makes: Vec<&CrewId> = first.iter().filter_map(|a| match a { Action::MakeOffer { offer } => Some(&offer.crew_id), _ => None }).collect();
        let distinct: HashSet<&&CrewId> = makes.iter().collect();
        prop_assert_eq!(distinct.len(), makes.len(), "one plan asked someone for two slots");
        w.apply(&first);
        let second = plan::plan(&w.state()).actions;
        prop_assert!(second.is_empty(), "not a fixed point: after {:?}\nplanned again {:?}", first, second);
    }
}

#[test]
fn a_lapsed_offer_is_followed_by_the_next_in_the_same_plan() {
    // m0 captain with an overdue offer, m1 the next captain.
    let spec = (true, true, true, true, false, 0);
    // Offer 0 was mailed (bit 1 of the mask notes it).
    let w = world(vec![spec, spec], 0, None, vec![], 1, vec![(0, 0, 0, -5)], 2);
    let p = plan::plan(&w.state()).actions;
    assert!(matches!(p[0], Action::Lapse { .. }), "{p:?}");
    assert!(matches!(&p[1], Action::MakeOffer { offer } if offer.crew_id.as_str() == "m1"), "{p:?}");
    assert!(matches!(p[2], Action::SendOffer { .. }), "{p:?}");
}

#[test]
fn an_offer_never_mailed_and_past_or_near_its_deadline_is_made_again_with_a_fresh_one() {
    // m0 captain with an offer whose mail never went out (its job waited in a DLQ): overdue,
    // or 10 minutes left of 2 hours. The same member is asked again, with a fresh deadline.
    let spec = (true, true, true, true, false, 0);
    for minutes in [-5i64, 10] {
        let w = world(vec![spec, spec], 0, None, vec![], 1, vec![(0, 0, 0, minutes)], 0);
        let old = w.offers[0].clone();
        assert!(!w.noted.contains(&ids::sent(&old.offer_id)));
        let p = plan::plan(&w.state()).actions;
        assert!(
            matches!(&p[0], Action::Revoke { offer, why: plan::RevokeWhy::Renewed } if offer == &old.offer_id),
            "{p:?}"
        );
        let Action::MakeOffer { offer } = &p[1] else {
            panic!("{p:?}")
        };
        assert_eq!(offer.crew_id, old.crew_id, "the same member is asked again");
        assert_ne!(offer.offer_id, old.offer_id);
        assert_eq!(offer.expires_at, w.now + chrono::Duration::hours(2));
        assert_eq!(p[2], Action::SendOffer { offer: offer.offer_id.clone() });
        assert_eq!(p.len(), 3, "{p:?}");
    }
    // Mailed and 10 minutes left: nothing to do; mailed and overdue: it lapses.
    let w = world(vec![spec, spec], 0, None, vec![], 1, vec![(0, 0, 0, 10)], 2);
    assert_eq!(plan::plan(&w.state()).actions, vec![]);
    // Unsent with most of its time left: mailed as it is.
    let w = world(vec![spec, spec], 0, None, vec![], 1, vec![(0, 0, 0, 90)], 0);
    let p = plan::plan(&w.state()).actions;
    assert_eq!(p, vec![Action::SendOffer { offer: w.offers[0].offer_id.clone() }]);
}

#[test]
fn staffed_is_never_planned_over_cancelled() {
    let spec = (true, true, true, true, false, 0);
    let w = world(vec![spec, spec], 2, Some(0), vec![1], 1, vec![], 0);
    let p = plan::plan(&w.state()).actions;
    assert!(!p.contains(&Action::MarkStaffed), "{p:?}");
    assert!(p.contains(&Action::NoteCancelled), "{p:?}");
}
