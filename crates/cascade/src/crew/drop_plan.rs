//! The planner's half of "I can't make it", pure: a member's request is a `dropped-<offer>`
//! entry in the charter's thread (their accepted offer). While they are still on the charter,
//! their slot is open for asking (the next candidate gets an offer) though it stays filled by
//! them ("still yours until someone takes it"), and ops are told once. When a replacement's
//! accept took them off (`let_go-<offer>`, written by [`crate::crew::drop::make_room`]), they
//! are told once, with a cancelling calendar entry.

use std::collections::HashSet;

use dispatch_core::domain::{Charter, Offer, OfferStatus, Role};

use crate::action::Action;
use crate::keys::{dropped_offer, EntryId};
use crate::state::State;

/// Whether the member of `o` is on `c` in `o`'s role.
pub fn aboard(c: &Charter, o: &Offer) -> bool {
    match o.role {
        Role::Captain => c.captain_assigned.as_ref() == Some(&o.crew_id),
        Role::Crew { .. } => c.crew_assigned.contains(&o.crew_id),
    }
}

/// The accepted offers whose member said "I can't make it", by id order.
pub fn dropped<'a>(s: &'a State<'_>) -> Vec<&'a Offer> {
    let mut ids: Vec<_> = s.noted.iter().filter_map(|e| dropped_offer(e)).collect();
    ids.sort();
    ids.iter()
        .filter_map(|id| s.offers.iter().find(|o| &o.offer_id == id))
        .filter(|o| o.status == OfferStatus::Accepted)
        .collect()
}

/// Opens for asking the slots of members who dropped and are still on `c` (moved from
/// `filled` to `open`), and plans the two notices: ops told of each drop, the member told once
/// a replacement took their place.
pub fn plan_drops(
    s: &State<'_>,
    c: &Charter,
    open: &mut Vec<Role>,
    filled: &mut HashSet<Role>,
    out: &mut Vec<Action>,
) {
    for o in dropped(s) {
        let noted = |e: EntryId| s.noted.contains(e.as_str());
        if aboard(c, o) {
            if filled.remove(&o.role) && !open.contains(&o.role) {
                open.push(o.role);
            }
            if !noted(EntryId::drop_told(&o.offer_id)) {
                out.push(Action::TellDrop {
                    offer: o.offer_id.clone(),
                });
            }
        } else if noted(EntryId::let_go(&o.offer_id)) && !noted(EntryId::let_go_told(&o.offer_id)) {
            out.push(Action::TellLetGo {
                offer: o.offer_id.clone(),
            });
        }
    }
}
