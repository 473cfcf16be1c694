//! Pure views of a charter's slots that the planner, the ops commands and the overview all need:
//! how many crew it takes, which slots are open or filled, and which offers count as "already
//! asked".

use std::collections::HashSet;

use dispatch_core::domain::{Charter, CrewId, Offer, OfferStatus, Role};

use crate::engine::{self, VesselConfig};
use crate::keys::EntryId;
use crate::state::State;

/// Crew slots of a charter (see [`engine::crew_needed`]).
pub fn crew_needed(charter: &Charter, vessel: Option<&VesselConfig>) -> u32 {
    engine::crew_needed(charter, vessel)
}

/// Whether a charter has its captain and every crew slot.
pub fn is_filled(charter: &Charter, vessel: Option<&VesselConfig>) -> bool {
    charter.captain_assigned.is_some()
        && charter.crew_assigned.len() >= crew_needed(charter, vessel) as usize
}

/// Which slots of an open charter are open and which filled: the captain's if unset; crew slots
/// once a captain is set (see [`crew_slots`]).
pub fn slots(s: &State<'_>, c: &Charter) -> (Vec<Role>, HashSet<Role>) {
    let mut open_slots: Vec<Role> = Vec::new();
    let mut filled_slots: HashSet<Role> = HashSet::new();
    if c.captain_assigned.is_none() {
        open_slots.push(Role::Captain);
    } else {
        filled_slots.insert(Role::Captain);
        let (open, filled) = crew_slots(s, c);
        open_slots.extend(open.into_iter().map(|slot| Role::Crew { slot }));
        filled_slots.extend(filled.into_iter().map(|slot| Role::Crew { slot }));
    }
    (open_slots, filled_slots)
}

/// The crew slots (open, filled), whether or not a captain is set: filled by an accepted offer
/// of a member still on the crew, or one per other member on the crew (put there by hand, or
/// the second of two offers of one slot accepted at once inside the last alert threshold: the
/// accept only checks the crew is not full) in the lowest free slots; the rest are open.
pub fn crew_slots(s: &State<'_>, c: &Charter) -> (Vec<u32>, HashSet<u32>) {
    let needed = crew_needed(c, s.vessel);
    let mut by_offer: HashSet<u32> = HashSet::new();
    let mut covered: HashSet<&CrewId> = HashSet::new();
    for o in s.offers {
        if let (OfferStatus::Accepted, Role::Crew { slot }) = (o.status, o.role) {
            if c.crew_assigned.contains(&o.crew_id)
                && !by_offer.contains(&slot)
                && covered.insert(&o.crew_id)
            {
                by_offer.insert(slot);
            }
        }
    }
    let mut by_hand = c
        .crew_assigned
        .iter()
        .filter(|m| !covered.contains(m))
        .count();
    let (mut open, mut filled) = (Vec::new(), HashSet::new());
    for slot in 0..needed {
        if by_offer.contains(&slot) {
            filled.insert(slot);
        } else if by_hand > 0 {
            by_hand -= 1;
            filled.insert(slot);
        } else {
            open.push(slot);
        }
    }
    (open, filled)
}

/// The offers that count as "already asked": all of them, less the closed offers made before ops
/// cleared their member to be asked again, and less those made for another date (the charter
/// moved: being asked, or saying no, for one day is not an answer for another).
pub fn asked_offers(s: &State<'_>) -> Vec<Offer> {
    let date = s.charter.map(|c| c.charter_date);
    s.offers
        .iter()
        .filter(|o| date.is_none_or(|d| o.charter_date == d))
        .filter(|o| {
            o.status == OfferStatus::Open
                || s.cleared
                    .get(&o.crew_id)
                    .is_none_or(|at| o.created_at >= *at)
        })
        .cloned()
        .collect()
}

/// Offers made so far for `role` (the next one's attempt number).
pub fn attempts(offers: &[Offer], role: Role) -> usize {
    offers.iter().filter(|o| o.role == role).count()
}

/// Closed offers whose thread entry is missing (a crash between the change and its note).
pub fn unnoted_closed<'a>(s: &'a State<'_>) -> impl Iterator<Item = &'a Offer> + 'a {
    s.offers.iter().filter(|o| {
        o.status != OfferStatus::Open
            && !s
                .noted
                .contains(EntryId::closed(o.status, &o.offer_id).as_str())
    })
}
