//! A moved charter (its offers and holds), and an assigned member who no longer fits.

use dispatch_cascade::Answer;
use dispatch_core::domain::*;

use super::{date, day, id, Rig};
use crate::common::{charter, member};

/// The booking system moves a charter: the captain already on it keeps the place, their hold
/// and count move to the new day; the open crew offer, made for the old day, is refused when
/// accepted (no hold left on the old day) and withdrawn, and the slot is offered for the new
/// day.
pub async fn a_moved_charter_refuses_the_old_offer_and_moves_its_holds(r: &Rig) {
    let (d1, d2) = (day(10), day(12));
    let c = charter(&d1, 4, Some(1));
    let roster = [
        member("cap", true, false, &[d1.as_str(), d2.as_str()]),
        member("deck-a", false, true, &[d1.as_str(), d2.as_str()]),
        member("deck-b", false, true, &[d1.as_str(), d2.as_str()]),
    ];
    r.book(&roster, &c).await;
    let cap = r.open(&c, Role::Captain).await.remove(0);
    assert!(matches!(
        r.accept(&cap).await.unwrap(),
        Answer::Accepted { .. }
    ));
    assert_eq!(r.hold("cap", &d1).await, Some(c.charter_id.clone()));
    let deck = r.open(&c, Role::Crew { slot: 0 }).await.remove(0);
    assert_eq!(deck.charter_date, date(&d1));

    // The booking system rewrites the item with a new date.
    let mut moved = r.charter(&c).await;
    moved.charter_date = date(&d2);
    r.world
        .backend
        .charters
        .update_booking(&c.key(), &moved)
        .await
        .unwrap();

    let answer = r.accept(&deck).await.unwrap();
    assert_eq!(
        answer,
        Answer::DateMoved {
            offered: date(&d1),
            now: date(&d2)
        }
    );
    let after = r.charter(&c).await;
    assert!(after.crew_assigned.is_empty(), "{after:?}");
    assert_eq!(
        r.hold(deck.crew_id.as_str(), &d1).await,
        None,
        "no hold on the day the member agreed to but the charter left"
    );
    assert_eq!(
        r.hold(deck.crew_id.as_str(), &d2).await,
        None,
        "nor on a day they never agreed to"
    );
    let offers = r.offers(&c).await;
    let old = offers.iter().find(|o| o.offer_id == deck.offer_id).unwrap();
    assert_eq!(old.status, OfferStatus::Revoked);
    let new = r.open(&c, Role::Crew { slot: 0 }).await;
    assert_eq!(new.len(), 1, "{offers:?}");
    assert_eq!(new[0].charter_date, date(&d2), "offered for the new day");
    assert_eq!(r.mails(&format!("mail#withdrawn#{}", deck.offer_id)), 1);
    // The captain stays on, booked on the new day and free on the old one, counted once.
    assert_eq!(after.captain_assigned, Some(id("cap")));
    assert_eq!(r.hold("cap", &d1).await, None, "the old day is released");
    assert_eq!(r.hold("cap", &d2).await, Some(c.charter_id.clone()));
    let mut months = vec![date(&d1).month(), date(&d2).month()];
    months.dedup();
    let mut count = 0;
    for m in months {
        count += r
            .world
            .backend
            .holds
            .loads(m, &[id("cap")])
            .await
            .unwrap()
            .values()
            .sum::<u32>();
    }
    assert_eq!(count, 1, "one assignment, not two");
}

/// A captain typed into the booking record (no offer) holds the day; when the record moves,
/// the change record's job (the stream's MODIFY) releases the old day.
pub async fn a_moved_charter_releases_the_old_day_of_a_captain_set_in_the_record(r: &Rig) {
    use dispatch_ingest::worker::JobHandler;
    let (d1, d2) = (day(10), day(12));
    r.world
        .backend
        .roster
        .upsert_batch(&[member("cap", true, false, &[d1.as_str(), d2.as_str()])])
        .await
        .unwrap();
    let mut c = charter(&d1, 4, Some(0));
    c.captain_assigned = Some(id("cap"));
    r.world.backend.charters.insert(&c).await.unwrap();
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    assert_eq!(r.hold("cap", &d1).await, Some(c.charter_id.clone()));
    let mut moved = c.clone();
    moved.charter_date = date(&d2);
    r.world
        .backend
        .charters
        .update_booking(&c.key(), &moved)
        .await
        .unwrap();
    let job = dispatch_ingest::sink::job_for(&dispatch_ingest::route::DomainEvent::CharterMoved {
        charter: moved.clone(),
        from: c.charter_date,
        was_assigned: vec![id("cap")],
    });
    dispatch_cascade::jobs::CascadeJobs(r.cascade.clone())
        .handle(&job)
        .await
        .unwrap();
    assert_eq!(r.hold("cap", &d1).await, None);
    assert_eq!(r.hold("cap", &d2).await, Some(c.charter_id.clone()));
}

/// An assigned captain who loses the certificate stays on (ops decide), and the charter is
/// flagged as needing attention, naming them and why.
pub async fn an_assigned_captain_decertified_is_flagged(r: &Rig) {
    let d = day(10);
    r.world
        .backend
        .roster
        .upsert_batch(&[member("cap", true, false, &[d.as_str()])])
        .await
        .unwrap();
    let c = charter(&d, 4, Some(0));
    r.world.backend.charters.insert(&c).await.unwrap();
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    let offer = r.open(&c, Role::Captain).await.remove(0);
    assert_eq!(
        r.accept(&offer).await.unwrap(),
        Answer::Accepted { staffed: true }
    );
    let before = r.cascade.overview(&c.charter_id).await.unwrap().unwrap();
    assert!(!before.needs_attention(), "{:?}", before.attention);

    r.set(member("cap", false, false, &[d.as_str()])).await;
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    let now = r.charter(&c).await;
    assert_eq!(now.captain_assigned, Some(id("cap")), "not taken off");
    let o = r.cascade.overview(&c.charter_id).await.unwrap().unwrap();
    assert!(o.needs_attention());
    assert!(
        o.attention
            .iter()
            .any(|a| a.contains("cap is assigned as captain but is now not captain certified")),
        "{:?}",
        o.attention
    );
}
