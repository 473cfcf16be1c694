//! What should happen next for one charter: a pure function from what is true now ([`State`]) to
//! a [`Plan`]: the actions (the table in DESIGN.md, "How the cascade moves") and when to look
//! again. No clock, no I/O: `now` is an input, and so is what the thread already records.
//!
//! Every action is idempotent by a key derived from the state ([`crate::keys`]): offer ids come
//! from (charter, slot, attempt), mail keys from the offer id, thread entries have fixed ids. The
//! plan assumes its own earlier actions succeed (a lapse is followed by the next offer in the
//! same plan), so applying a plan and planning again yields nothing: the plan is a fixed point.
//!
//! The work is split by the charter's state: [`crate::staffing`] for an open charter (with
//! [`crate::hand`] for orders ops gave by hand), [`crate::release`] for a cancelled or removed
//! one. This file only picks between them and says when the charter changes by itself next.

use std::collections::HashSet;

use dispatch_core::domain::{Charter, CharterStatus, OfferId, OfferStatus};

use crate::hand::plan_unassigned_tells;
use crate::release::plan_release;
use crate::staffing::plan_open;

pub use crate::action::{Action, Plan, Requeue, RevokeWhy, Timer};
pub use crate::state::{Gone, State};

// Old paths, kept while code outside the planner still uses them.
pub use crate::keys::{ids, offer_id_for, role_key};
pub use crate::slots::{asked_offers, crew_needed, crew_slots, is_filled, slots};

/// The plan for one charter.
pub fn plan(s: &State<'_>) -> Plan {
    let mut actions = Vec::new();
    match s.charter {
        Some(c) if c.status == CharterStatus::Completed => {}
        Some(c) if c.status == CharterStatus::Cancelled => {
            plan_release(s, Some(c), &mut actions);
            plan_unassigned_tells(s, c, &mut actions);
        }
        None => plan_release(s, None, &mut actions),
        Some(c) => {
            plan_open(s, c, &mut actions);
            plan_unassigned_tells(s, c, &mut actions);
            let requeue = requeue(s, c, &actions);
            return Plan { actions, requeue };
        }
    }
    Plan {
        actions,
        requeue: None,
    }
}

/// The offer left open by `actions` that lapses first (ties: the smaller id), or the next alert
/// threshold of a charter not fully staffed, whichever comes first, and when.
fn requeue(s: &State<'_>, c: &Charter, actions: &[Action]) -> Option<Requeue> {
    let lapse = first_lapse(s, actions);
    let staffed = is_filled(c, s.vessel);
    let alert = s
        .next_alert()
        .filter(|_| !staffed)
        .map(|(at, hours)| Requeue {
            at,
            timer: Timer::Alert { hours },
        });
    match (lapse, alert) {
        (Some(l), Some(a)) if a.at < l.at => Some(a),
        (Some(l), _) => Some(l),
        (None, a) => a,
    }
}

/// The offer left open by `actions` that lapses first (ties: the smaller id), and when.
fn first_lapse(s: &State<'_>, actions: &[Action]) -> Option<Requeue> {
    let closing: HashSet<&OfferId> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Lapse { offer } | Action::Revoke { offer, .. } => Some(offer),
            _ => None,
        })
        .collect();
    let made = actions.iter().filter_map(|a| match a {
        Action::MakeOffer { offer } => Some(offer),
        _ => None,
    });
    s.offers
        .iter()
        .filter(|o| o.status == OfferStatus::Open && !closing.contains(&o.offer_id))
        .chain(made)
        .min_by(|a, b| (a.expires_at, &a.offer_id).cmp(&(b.expires_at, &b.offer_id)))
        .map(|o| Requeue {
            at: o.expires_at,
            timer: Timer::Lapse(o.offer_id.clone()),
        })
}
