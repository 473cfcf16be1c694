//! The trip's clock in the planner: ops are alerted once per threshold of
//! `alert_before_hours` (72 and 24 here) while a charter is not fully staffed, the plan looks
//! again when the next threshold is crossed, and inside the last one a crew slot is offered to
//! two candidates at once (the first accept wins, the other offer is withdrawn).

use chrono::Duration;
use dispatch_cascade::plan::{self, Action, RevokeWhy, Timer};
use dispatch_core::domain::*;

#[path = "plan/world.rs"]
#[allow(dead_code)] // shared with the property test, which uses all of it
mod world;
use world::{world, World};

const FIT: world::MemberSpec = (true, true, true, true, false, 0);
const UNFIT: world::MemberSpec = (false, false, true, true, false, 0);

fn alerts(actions: &[Action]) -> Vec<u32> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::AlertOps { hours } => Some(*hours),
            _ => None,
        })
        .collect()
}

fn made(actions: &[Action]) -> Vec<&Offer> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::MakeOffer { offer } => Some(offer),
            _ => None,
        })
        .collect()
}

/// Plans, applies and checks the plan is then a fixed point; returns the first plan.
fn step(w: &mut World) -> plan::Plan {
    let p = plan::plan(&w.state());
    w.apply(&p.actions);
    let again = plan::plan(&w.state());
    assert_eq!(again.actions, vec![], "not a fixed point after {p:?}");
    p
}

#[test]
fn an_unstaffed_charter_is_alerted_once_per_threshold_and_looked_at_again_in_time() {
    // Nobody can captain: escalated at once, then only the clock moves the charter.
    let mut w = world(vec![UNFIT, UNFIT], 0, None, vec![], 1, vec![], 0);
    let departs = w.now + Duration::hours(80);
    w.departs_at = Some(departs);
    let p = step(&mut w);
    assert!(matches!(p.actions[..], [Action::Escalate { .. }]), "{p:?}");
    assert_eq!(alerts(&p.actions), Vec::<u32>::new());
    // Escalated, no offer out: look again when the 72 h threshold is crossed.
    assert_eq!(
        p.requeue,
        Some(plan::Requeue {
            at: departs - Duration::hours(72),
            timer: Timer::Alert { hours: 72 }
        })
    );
    // 70 hours before: the 72 h alert, once; next, the 24 h threshold.
    w.now = departs - Duration::hours(70);
    let p = step(&mut w);
    assert_eq!(p.actions, vec![Action::AlertOps { hours: 72 }]);
    assert_eq!(
        p.requeue,
        Some(plan::Requeue {
            at: departs - Duration::hours(24),
            timer: Timer::Alert { hours: 24 }
        })
    );
    // 20 hours before: the 24 h alert, once; no threshold left to wait for.
    w.now = departs - Duration::hours(20);
    let p = step(&mut w);
    assert_eq!(p.actions, vec![Action::AlertOps { hours: 24 }]);
    assert_eq!(p.requeue, None);
    // Departed: nothing more.
    w.now = departs + Duration::hours(1);
    assert_eq!(plan::plan(&w.state()).actions, vec![]);
}

#[test]
fn a_charter_first_seen_inside_the_last_threshold_gets_that_alert_only() {
    let mut w = world(vec![UNFIT], 0, None, vec![], 1, vec![], 0);
    w.departs_at = Some(w.now + Duration::hours(10));
    let p = step(&mut w);
    assert_eq!(alerts(&p.actions), vec![24], "{p:?}");
}

#[test]
fn a_staffed_or_cancelled_charter_gets_no_alert_and_no_alert_timer() {
    // Captain m0 and deckhand m1 aboard, one crew needed: staffed.
    let mut w = world(vec![FIT, FIT], 1, Some(0), vec![1], 1, vec![], 0);
    w.departs_at = Some(w.now + Duration::hours(10));
    let p = step(&mut w);
    assert_eq!(alerts(&p.actions), Vec::<u32>::new(), "{p:?}");
    assert_eq!(p.requeue, None);
    let mut w = world(vec![UNFIT], 2, None, vec![], 1, vec![], 0);
    w.departs_at = Some(w.now + Duration::hours(10));
    let p = step(&mut w);
    assert_eq!(alerts(&p.actions), Vec::<u32>::new(), "{p:?}");
    // Far out and still asking: the offer's lapse comes first.
    let mut w = world(vec![FIT, FIT], 0, None, vec![], 1, vec![], 0);
    w.departs_at = Some(w.now + Duration::hours(100));
    let p = step(&mut w);
    assert!(matches!(
        p.requeue,
        Some(plan::Requeue {
            timer: Timer::Lapse(_),
            ..
        })
    ));
}

#[test]
fn inside_the_last_threshold_a_crew_slot_is_offered_to_two_at_once() {
    // Captain m0 aboard; m1..m4 deckhands; one crew slot.
    let mut w = world(vec![FIT; 5], 0, Some(0), vec![], 1, vec![], 0);
    w.departs_at = Some(w.now + Duration::hours(30));
    let p = plan::plan(&w.state());
    assert_eq!(made(&p.actions).len(), 1, "outside the last threshold: one");
    w.departs_at = Some(w.now + Duration::hours(20));
    let p = step(&mut w);
    let two = made(&p.actions);
    assert_eq!(two.len(), 2, "{p:?}");
    assert!(two.iter().all(|o| o.role == Role::Crew { slot: 0 }));
    assert_ne!(two[0].crew_id, two[1].crew_id);
    assert_ne!(two[0].offer_id, two[1].offer_id);
    // The first accepts: the other offer is withdrawn, the charter staffed.
    let (won, other) = (two[0].offer_id.clone(), two[1].offer_id.clone());
    let winner = two[0].crew_id.clone();
    accept(&mut w, &won, &winner);
    let p = step(&mut w);
    assert!(
        p.actions.contains(&Action::Revoke {
            offer: other,
            why: RevokeWhy::SlotFilled
        }),
        "{p:?}"
    );
    assert!(p.actions.contains(&Action::MarkStaffed), "{p:?}");
    assert_eq!(made(&p.actions).len(), 0, "{p:?}");
}

#[test]
fn the_captain_slot_is_still_offered_to_one_at_a_time() {
    let mut w = world(vec![FIT; 4], 0, None, vec![], 1, vec![], 0);
    w.departs_at = Some(w.now + Duration::hours(5));
    let p = step(&mut w);
    assert_eq!(made(&p.actions).len(), 1, "{p:?}");
}

#[test]
fn two_accepts_of_one_slot_fill_the_crew_and_close_the_other_slots_offers() {
    // Two crew slots, each offered to two (m1, m2 for slot 0; m3, m4 for slot 1).
    let mut w = world(vec![FIT; 6], 0, Some(0), vec![], 2, vec![], 0);
    w.departs_at = Some(w.now + Duration::hours(20));
    let p = step(&mut w);
    let offers: Vec<Offer> = made(&p.actions).into_iter().cloned().collect();
    assert_eq!(offers.len(), 4, "{p:?}");
    // Both of slot 0's candidates accept (the accept only checks the crew is not full).
    for o in offers.iter().filter(|o| o.role == Role::Crew { slot: 0 }) {
        accept(&mut w, &o.offer_id, &o.crew_id);
    }
    let p = step(&mut w);
    for o in offers.iter().filter(|o| o.role == Role::Crew { slot: 1 }) {
        assert!(
            p.actions.contains(&Action::Revoke {
                offer: o.offer_id.clone(),
                why: RevokeWhy::SlotFilled
            }),
            "{p:?}"
        );
    }
    assert!(p.actions.contains(&Action::MarkStaffed), "{p:?}");
    assert_eq!(made(&p.actions).len(), 0, "{p:?}");
    assert_eq!(alerts(&p.actions), Vec::<u32>::new(), "{p:?}");
}

/// What the accept transaction does: the offer accepted, the member on the crew, held.
fn accept(w: &mut World, offer: &OfferId, crew: &CrewId) {
    let o = w.offers.iter_mut().find(|o| &o.offer_id == offer).unwrap();
    o.status = OfferStatus::Accepted;
    let date = o.charter_date;
    w.charter.as_mut().unwrap().crew_assigned.push(crew.clone());
    w.noted
        .insert(plan::ids::closed(OfferStatus::Accepted, offer));
    w.holds.insert(
        crew.clone(),
        dispatch_core::ports::Hold {
            crew_id: crew.clone(),
            date,
            charter_id: w.id.clone(),
            taken_at: w.now,
        },
    );
}
