//! The planner's promises, for any state: applying a plan and planning again yields nothing (a
//! fixed point), and no plan offers a slot to someone booked that day, already on the charter,
//! already asked for it, or not certified for it; nor keeps open an offer to a member who no
//! longer fits the slot (inactive, not certified, a captain's licence too small for the guests
//! or run out, a needed certification run out, not available) or for a date the charter moved
//! from, nor keeps a hold on that date.

use std::collections::HashSet;

use dispatch_cascade::plan::{self, ids, Action};
use dispatch_core::domain::*;
use proptest::prelude::*;

#[path = "plan/papers.rs"]
mod papers;
#[path = "plan/world.rs"]
mod world;
use papers::{papers_spec, with_papers};
use world::{cid, member_spec, moved, unfit_for, world};

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
        moved_mask in prop::option::weighted(0.3, any::<u64>()),
        papers in prop::option::weighted(0.5, prop::collection::vec(papers_spec(), 10)),
        departs_in in prop::option::of(-120i64..6000),
    ) {
        let mut w = world(members, status, captain, crew, needed, offers, noted_mask);
        if let Some(p) = papers {
            w = with_papers(w, &p);
        }
        if let Some(mask) = moved_mask {
            w = moved(w, mask);
        }
        // The trip's clock: departing in minutes, hours or days (or gone), or no start time.
        w.departs_at = departs_in.map(|m| w.now + chrono::Duration::minutes(m));
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
                    prop_assert_eq!(offer.expires_at, w.now + w.state().window(), "a renewed offer has a fresh deadline");
                    continue;
                }
                let c = w.charter.as_ref().unwrap();
                let m = w.roster.iter().find(|m| m.crew_id == offer.crew_id).unwrap();
                prop_assert!(m.active, "offered an inactive member");
                prop_assert!(m.is_available(c.charter_date), "offered a member not available");
                prop_assert!(!w.holds.contains_key(&m.crew_id), "offered a member booked that day");
                prop_assert!(c.captain_assigned.as_ref() != Some(&m.crew_id) && !c.crew_assigned.contains(&m.crew_id), "offered a member already on the charter");
                // (An offer made for a date the charter moved from does not count: it is no
                // answer for the new date. Without a move every offer is on the charter's date.)
                prop_assert!(!w.offers.iter().any(|o| o.crew_id == m.crew_id && o.charter_date == c.charter_date), "offered a member already asked");
                match offer.role {
                    Role::Captain => prop_assert!(m.captain_certified, "uncertified captain"),
                    Role::Crew { .. } => prop_assert!(m.has_certification("deckhand"), "uncertified deckhand"),
                }
                // The whole rule, the captain's licence and certification expiry included.
                prop_assert_eq!(unfit_for(&w, &m.crew_id, offer.role), None, "offered a member who does not fit");
            }
        }
        let makes: Vec<&CrewId> = first.iter().filter_map(|a| match a { Action::MakeOffer { offer } => Some(&offer.crew_id), _ => None }).collect();
        let distinct: HashSet<&&CrewId> = makes.iter().collect();
        prop_assert_eq!(distinct.len(), makes.len(), "one plan asked someone for two slots");
        // Ops alerted only for a charter departing within a threshold and not fully staffed,
        // once per plan.
        let alerts: Vec<u32> = first.iter().filter_map(|a| match a { Action::AlertOps { hours } => Some(*hours), _ => None }).collect();
        prop_assert!(alerts.len() <= 1, "{:?}", alerts);
        if let Some(h) = alerts.first() {
            let c = w.charter.as_ref().unwrap();
            let left = w.departs_at.unwrap() - w.now;
            prop_assert!(left > chrono::Duration::zero() && left < chrono::Duration::hours(i64::from(*h)), "alerted {}h with {:?} left", h, left);
            prop_assert!(!plan::is_filled(c, None) && c.status != CharterStatus::Cancelled, "alerted for a staffed or cancelled charter");
        }
        w.apply(&first);
        // Never more than two open offers per slot, two only for a crew slot inside the last
        // threshold.
        let inside_last = w.departs_at.is_some_and(|d| d - w.now < chrono::Duration::hours(24));
        let mut open_per_slot: std::collections::HashMap<Role, usize> = Default::default();
        for o in w.offers.iter().filter(|o| o.status == OfferStatus::Open) {
            *open_per_slot.entry(o.role).or_default() += 1;
        }
        for (role, n) in open_per_slot {
            let most = if inside_last && matches!(role, Role::Crew { .. }) { 2 } else { 1 };
            prop_assert!(n <= most, "{} open offers for {:?} (inside the last threshold: {})", n, role, inside_last);
        }
        let c = w.charter.clone().unwrap();
        if c.status != CharterStatus::Cancelled {
            // Nothing left open to a member who no longer fits, or for another date.
            for o in w.offers.iter().filter(|o| o.status == OfferStatus::Open) {
                prop_assert_eq!(o.charter_date, c.charter_date, "kept open an offer for the old date");
                prop_assert_eq!(unfit_for(&w, &o.crew_id, o.role), None, "kept open an offer to a member who no longer fits");
            }
        }
        prop_assert!(w.moved_holds.is_empty(), "kept a hold on the date the charter moved from: {:?}", w.moved_holds);
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
    assert!(
        matches!(&p[1], Action::MakeOffer { offer } if offer.crew_id.as_str() == "m1"),
        "{p:?}"
    );
    assert!(matches!(p[2], Action::SendOffer { .. }), "{p:?}");
}

#[test]
fn an_offer_never_mailed_and_past_or_near_its_deadline_is_made_again_with_a_fresh_one() {
    // m0 captain with an offer whose mail never went out (its job waited in a DLQ): overdue,
    // or 10 minutes left of 2 hours. The same member is asked again, with a fresh deadline.
    let spec = (true, true, true, true, false, 0);
    for minutes in [-5i64, 10] {
        let w = world(
            vec![spec, spec],
            0,
            None,
            vec![],
            1,
            vec![(0, 0, 0, minutes)],
            0,
        );
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
        assert_eq!(
            p[2],
            Action::SendOffer {
                offer: offer.offer_id.clone()
            }
        );
        assert_eq!(p.len(), 3, "{p:?}");
    }
    // Mailed and 10 minutes left: nothing to do; mailed and overdue: it lapses.
    let w = world(vec![spec, spec], 0, None, vec![], 1, vec![(0, 0, 0, 10)], 2);
    assert_eq!(plan::plan(&w.state()).actions, vec![]);
    // Unsent with most of its time left: mailed as it is.
    let w = world(vec![spec, spec], 0, None, vec![], 1, vec![(0, 0, 0, 90)], 0);
    let p = plan::plan(&w.state()).actions;
    assert_eq!(
        p,
        vec![Action::SendOffer {
            offer: w.offers[0].offer_id.clone()
        }]
    );
}

#[test]
fn staffed_is_never_planned_over_cancelled() {
    let spec = (true, true, true, true, false, 0);
    let w = world(vec![spec, spec], 2, Some(0), vec![1], 1, vec![], 0);
    let p = plan::plan(&w.state()).actions;
    assert!(!p.contains(&Action::MarkStaffed), "{p:?}");
    assert!(p.contains(&Action::NoteCancelled), "{p:?}");
}

#[test]
fn the_plan_says_when_to_look_again() {
    let spec = (true, true, true, true, false, 0);
    // A mailed offer with 90 minutes left: nothing to do until it lapses.
    let w = world(vec![spec, spec], 0, None, vec![], 1, vec![(0, 0, 0, 90)], 2);
    let p = plan::plan(&w.state());
    assert!(p.actions.is_empty(), "{p:?}");
    assert_eq!(
        p.requeue,
        Some(plan::Requeue {
            at: w.offers[0].expires_at,
            timer: plan::Timer::Lapse(w.offers[0].offer_id.clone())
        })
    );
    // Overdue: it lapses and the next is asked; look again at the new offer's deadline.
    let w = world(vec![spec, spec], 0, None, vec![], 1, vec![(0, 0, 0, -5)], 2);
    let p = plan::plan(&w.state());
    let Some(Action::MakeOffer { offer }) = p.actions.get(1) else {
        panic!("{p:?}")
    };
    assert_eq!(
        p.requeue,
        Some(plan::Requeue {
            at: w.now + chrono::Duration::hours(2),
            timer: plan::Timer::Lapse(offer.offer_id.clone())
        })
    );
    // Cancelled: nothing will change by itself.
    let w = world(vec![spec, spec], 2, None, vec![], 1, vec![(0, 0, 0, 90)], 2);
    assert_eq!(plan::plan(&w.state()).requeue, None);
}

#[test]
fn a_hand_order_withdraws_the_slot_and_makes_an_offer_never_mailed() {
    let spec = (true, true, true, true, false, 0);
    // m0 is asked to captain (mailed); ops put m1 on the captain's slot by hand.
    let mut w = world(vec![spec, spec], 0, None, vec![], 1, vec![(0, 0, 0, 90)], 2);
    let ordered = plan::offer_id_for(&w.id, Role::Captain, 1);
    let m1 = cid(1);
    w.noted
        .insert(dispatch_cascade::keys::EntryId::by_hand(&ordered, &m1).into());
    let p = plan::plan(&w.state());
    assert_eq!(
        p.actions[0],
        Action::Revoke {
            offer: w.offers[0].offer_id.clone(),
            why: plan::RevokeWhy::ByHand { by: m1.clone() }
        },
        "{p:?}"
    );
    let Action::MakeOffer { offer } = &p.actions[1] else {
        panic!("{p:?}")
    };
    assert_eq!(
        (&offer.offer_id, &offer.crew_id, offer.role),
        (&ordered, &m1, Role::Captain)
    );
    assert_eq!(offer.expires_at, w.now + chrono::Duration::minutes(5));
    assert_eq!(p.actions.len(), 2, "never mailed: {p:?}");
    w.apply(&p.actions);
    assert_eq!(plan::plan(&w.state()).actions, vec![], "a fixed point");
    // An order for an attempt the slot has moved past is void.
    let mut w = world(vec![spec, spec], 0, None, vec![], 1, vec![(0, 0, 0, 90)], 2);
    w.noted.insert(
        dispatch_cascade::keys::EntryId::by_hand(&plan::offer_id_for(&w.id, Role::Captain, 0), &m1)
            .into(),
    );
    assert_eq!(plan::plan(&w.state()).actions, vec![]);
}

#[test]
fn an_offer_to_a_member_who_no_longer_fits_is_withdrawn_and_the_next_asked() {
    // m0 was offered the captain's place (mailed), then lost their certificate; m1 is next.
    let cert = (true, true, true, true, false, 0);
    let lost = (false, true, true, true, false, 0);
    let w = world(vec![lost, cert], 0, None, vec![], 1, vec![(0, 0, 0, 60)], 2);
    let p = plan::plan(&w.state()).actions;
    assert!(
        matches!(
            &p[0],
            Action::Revoke {
                why: plan::RevokeWhy::Unfit(Unfit::NotCaptainCertified),
                ..
            }
        ),
        "{p:?}"
    );
    assert!(
        matches!(&p[1], Action::MakeOffer { offer } if offer.crew_id.as_str() == "m1"),
        "{p:?}"
    );
    // Made inactive: the same.
    let inactive = (true, true, true, false, false, 0);
    let w = world(
        vec![inactive, cert],
        0,
        None,
        vec![],
        1,
        vec![(0, 0, 0, 60)],
        2,
    );
    let p = plan::plan(&w.state()).actions;
    assert!(
        matches!(
            &p[0],
            Action::Revoke {
                why: plan::RevokeWhy::Unfit(Unfit::Inactive),
                ..
            }
        ),
        "{p:?}"
    );
    // Withdrawn, but the thread has no entry (the mail may not have gone): told, not just noted.
    let w = world(vec![lost, cert], 0, None, vec![], 1, vec![(0, 0, 4, 60)], 0);
    let p = plan::plan(&w.state()).actions;
    assert!(
        p.iter().any(|a| matches!(
            a,
            Action::TellWithdrawn {
                why: plan::RevokeWhy::Unfit(Unfit::NotCaptainCertified),
                ..
            }
        )),
        "{p:?}"
    );
    assert!(
        !p.iter().any(|a| matches!(a, Action::NoteClosed { .. })),
        "{p:?}"
    );
}

#[test]
fn a_moved_charter_withdraws_offers_for_the_old_date_and_releases_its_holds_there() {
    // m0 captain (assigned, held on the old date); m1 offered crew slot 0 for the old date.
    let spec = (true, true, true, true, false, 0);
    let w = world(
        vec![spec, spec, spec],
        0,
        Some(0),
        vec![],
        1,
        vec![(1, 1, 0, 60)],
        2,
    );
    let w = moved(w, u64::MAX);
    let p = plan::plan(&w.state()).actions;
    let old = CharterDate::parse(world::OLD_DATE).unwrap();
    assert!(
        p.iter().any(|a| matches!(a, Action::Revoke { why: plan::RevokeWhy::DateMoved { offered, .. }, .. } if *offered == old)),
        "{p:?}"
    );
    assert!(
        p.iter().any(
            |a| matches!(a, Action::ReleaseHold { crew, date } if crew == &cid(0) && *date == old)
        ),
        "{p:?}"
    );
    // The slot is asked again for the new date (m1 too may be asked: the old offer was no
    // answer for this date).
    let new: Vec<&Offer> = p
        .iter()
        .filter_map(|a| match a {
            Action::MakeOffer { offer } => Some(offer),
            _ => None,
        })
        .collect();
    assert_eq!(new.len(), 1, "{p:?}");
    assert_eq!(
        new[0].charter_date,
        CharterDate::parse(world::DATE).unwrap()
    );
}

#[test]
fn a_member_ops_took_off_is_told_once_unless_back_aboard_or_long_after_the_day() {
    use chrono::{TimeZone, Utc};
    use dispatch_cascade::keys::EntryId;
    // m0 captain aboard; m1 taken off by ops twice (told the first time), m2 once.
    let spec = (true, true, true, true, false, 0);
    let mut w = world(vec![spec, spec, spec], 1, Some(0), vec![], 0, vec![], 0);
    for (m, at) in [(1, 100), (1, 200), (2, 150)] {
        w.noted.insert(EntryId::unassigned(&cid(m), at).into());
    }
    w.noted
        .insert(EntryId::unassigned_told(&cid(1), 100).into());
    let tells = |w: &world::World| -> Vec<(String, i64)> {
        plan::plan(&w.state())
            .actions
            .into_iter()
            .filter_map(|a| match a {
                Action::TellUnassigned { crew, at_ms } => Some((crew.to_string(), at_ms)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(tells(&w), vec![("m1".into(), 200), ("m2".into(), 150)]);
    let first = plan::plan(&w.state()).actions;
    w.apply(&first);
    assert_eq!(tells(&w), vec![], "told once");
    // Back aboard before being told: not told they are free.
    let mut back = world(vec![spec, spec, spec], 1, Some(0), vec![2], 1, vec![], 0);
    back.noted.insert(EntryId::unassigned(&cid(2), 150).into());
    assert_eq!(tells(&back), vec![]);
    // Two days after the charter's day: nobody is told any more.
    let mut late = world(vec![spec, spec, spec], 1, Some(0), vec![], 0, vec![], 0);
    late.noted.insert(EntryId::unassigned(&cid(2), 150).into());
    late.now = Utc.with_ymd_and_hms(2024, 5, 5, 12, 0, 0).unwrap();
    assert_eq!(tells(&late), vec![]);
    late.now = Utc.with_ymd_and_hms(2024, 5, 4, 12, 0, 0).unwrap();
    assert_eq!(tells(&late), vec![("m2".into(), 150)]);
}
