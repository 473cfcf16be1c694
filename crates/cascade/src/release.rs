//! The plan for a charter that is cancelled or removed: withdraw its open offers, release the
//! holds of everyone who was confirmed, tell them once each, and note the cancellation last.
//! Pure, like the rest of the planner.

use std::collections::BTreeSet;

use dispatch_core::domain::{Charter, CrewId, OfferStatus};

use crate::action::{Action, RevokeWhy};
use crate::keys::EntryId;
use crate::slots::unnoted_closed;
use crate::state::State;

/// Appends the release of `c` (`None`: removed, see [`State::gone`]) to `out`.
pub fn plan_release(s: &State<'_>, c: Option<&Charter>, out: &mut Vec<Action>) {
    for o in s.offers.iter().filter(|o| o.status == OfferStatus::Open) {
        out.push(Action::Revoke {
            offer: o.offer_id.clone(),
            why: RevokeWhy::CharterClosed,
        });
    }
    out.extend(unnoted_closed(s).map(|o| Action::NoteClosed {
        offer: o.offer_id.clone(),
    }));
    // Everyone who was confirmed: the charter's crew (or, removed, as last seen) and accepted offers.
    let mut confirmed: BTreeSet<CrewId> = BTreeSet::new();
    let date = match (c, s.gone) {
        (Some(c), _) => {
            confirmed.extend(c.captain_assigned.iter().cloned());
            confirmed.extend(c.crew_assigned.iter().cloned());
            Some(c.charter_date)
        }
        (None, Some(g)) => {
            confirmed.extend(g.assigned.iter().cloned());
            g.charter_date
        }
        (None, None) => None,
    };
    confirmed.extend(
        s.offers
            .iter()
            .filter(|o| o.status == OfferStatus::Accepted)
            .map(|o| o.crew_id.clone()),
    );
    let Some(date) = date.or_else(|| s.offers.first().map(|o| o.charter_date)) else {
        return;
    };
    for crew in &confirmed {
        if s.holds
            .get(crew)
            .is_some_and(|h| &h.charter_id == s.charter_id)
        {
            out.push(Action::ReleaseHold {
                crew: crew.clone(),
                date,
            });
        }
    }
    // Holds it still has on a date it moved from.
    for h in s
        .moved_holds
        .iter()
        .filter(|h| &h.charter_id == s.charter_id && h.date != date)
    {
        out.push(Action::ReleaseHold {
            crew: h.crew_id.clone(),
            date: h.date,
        });
    }
    for crew in &confirmed {
        if !s.noted.contains(EntryId::released(crew).as_str()) {
            out.push(Action::TellReleased {
                crew: crew.clone(),
                date,
            });
        }
    }
    if !s.noted.contains(EntryId::CANCELLED.as_str()) {
        out.push(Action::NoteCancelled);
    }
}
