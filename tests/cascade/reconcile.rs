//! The reconciler's flows on both backends: a mail outage just as an offer lapses, two
//! reconciles of one charter at once, members assigned by hand (holds, double bookings), and
//! `staffed` never written over `cancelled`. The sweep's own cases are in `sweep`.

use std::time::Duration;

use chrono::Utc;
use dispatch_cascade::plan::ids;
use dispatch_core::clock::Clock;
use dispatch_core::domain::*;
use dispatch_core::faults::When;

use crate::common::{charter, member, Kind, TestApp};

/// Ten days from now: inside the sweep's horizon.
pub fn day() -> String {
    (Utc::now().date_naive() + chrono::Days::new(10))
        .format("%Y-%m-%d")
        .to_string()
}

/// The cascade on `kind` with injected faults (seed 7) and a clock the test moves.
pub async fn rig(kind: Kind) -> TestApp {
    TestApp::on(kind)
        .faults(7)
        .manual_clock(Utc::now())
        .build()
        .await
}

/// The rig with `roster` (id, captain, deckhand) available on [`day`] and a stored charter that
/// day for 4 guests and one deckhand (not yet reconciled).
async fn booked(kind: Kind, roster: &[(&str, bool, bool)]) -> (TestApp, Charter) {
    let r = rig(kind).await;
    let day = day();
    let members: Vec<CrewMember> = roster
        .iter()
        .map(|(id, captain, deckhand)| member(id, *captain, *deckhand, &[day.as_str()]))
        .collect();
    r.world.backend.roster.upsert_batch(&members).await.unwrap();
    let c = charter(&day, 4, Some(1));
    r.world.backend.charters.insert(&c).await.unwrap();
    (r, c)
}

both!(
    a_mail_outage_as_an_offer_lapses_does_not_leave_the_slot_stuck,
    a_replayed_offer_job_past_its_deadline_sends_a_fresh_offer,
    two_reconciles_at_once_reach_the_same_state,
    members_assigned_by_hand_get_their_hold_and_double_bookings_are_reported_once,
    staffed_only_from_booked,
);

/// The case: mail is down just as an offer lapses. The lapse and the next offer
/// happen, its mail fails; once mail is back, the next sweep mails it and arms its timer.
pub async fn a_mail_outage_as_an_offer_lapses_does_not_leave_the_slot_stuck(kind: &Kind) {
    let (r, c) = booked(*kind, &[("cap-a", true, false), ("cap-b", true, false)]).await;
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    let first = r.offers(&c).await;
    assert_eq!(first.len(), 1);
    assert_eq!(r.mails_to("mail#offer#"), 1);
    // Two hours later nobody answered, and mail is down.
    r.clock().advance(chrono::Duration::hours(2));
    r.faults.fail("mail.send", When::Always);
    assert!(
        r.cascade.reconcile(&c.charter_id).await.is_err(),
        "the mail of the next offer failed"
    );
    let offers = r.offers(&c).await;
    assert_eq!(offers[0].status, OfferStatus::Lapsed);
    assert_eq!(offers.len(), 2, "the next captain was asked: {offers:?}");
    assert_eq!(offers[1].status, OfferStatus::Open);
    assert!(!r.thread(&c).await.contains(&ids::sent(&offers[1].offer_id)));
    // Still down: a sweep changes nothing and sends nothing.
    let s = r.cascade.sweep().await.unwrap();
    assert_eq!((s.failed, r.mails_to("mail#offer#")), (1, 1));
    // Mail is back: the next sweep mails the offer, once, and notes it.
    r.faults.clear();
    let s = r.cascade.sweep().await.unwrap();
    assert_eq!((s.moved, s.failed), (1, 0), "{s:?}");
    assert_eq!(r.mails_to(&format!("mail#offer#{}", offers[1].offer_id)), 1);
    assert!(r.thread(&c).await.contains(&ids::sent(&offers[1].offer_id)));
    let again = r.cascade.sweep().await.unwrap();
    assert_eq!(again.moved, 0, "settled");
    assert_eq!(r.mails_to("mail#offer#"), 2);
    // And the slot keeps moving: B lapses too, ops hear once.
    r.clock().advance(chrono::Duration::hours(2));
    r.cascade.sweep().await.unwrap();
    r.cascade.sweep().await.unwrap();
    assert_eq!(r.mails_to("mail#escalate#"), 1);
}

/// An offer job that waited in the DLQ past the offer's deadline (its mail never went out) is
/// replayed: the member gets a fresh offer with a fresh deadline, not a mail about an offer
/// that lapses a moment later; the stale offer is withdrawn unsent.
pub async fn a_replayed_offer_job_past_its_deadline_sends_a_fresh_offer(kind: &Kind) {
    use dispatch_ingest::worker::JobHandler;
    let (r, c) = booked(*kind, &[("cap-a", true, false), ("cap-b", true, false)]).await;
    // Mail is down when the offer is made: the job fails (and ends in the DLQ).
    r.faults.fail("mail.send", When::Always);
    assert!(r.cascade.reconcile(&c.charter_id).await.is_err());
    let stale = r.offers(&c).await.remove(0);
    assert_eq!(r.mails_to("mail#offer#"), 0);
    // Hours later someone fixes mail and replays the job.
    r.clock().advance(chrono::Duration::hours(3));
    assert!(r.clock().now() > stale.expires_at);
    r.faults.clear();
    let job = JobEnvelope::new(
        JobKind::OfferSend,
        format!("offer_send#{}", stale.offer_id),
        serde_json::json!({ "charter_id": c.charter_id, "offer_id": stale.offer_id }),
    );
    dispatch_cascade::jobs::CascadeJobs(r.cascade.clone())
        .handle(&job)
        .await
        .unwrap();
    let offers = r.offers(&c).await;
    assert_eq!(offers.len(), 2, "{offers:?}");
    let old = offers
        .iter()
        .find(|o| o.offer_id == stale.offer_id)
        .unwrap();
    assert_eq!(
        old.status,
        OfferStatus::Revoked,
        "the stale offer is withdrawn, not lapsed"
    );
    let fresh = offers
        .iter()
        .find(|o| o.offer_id != stale.offer_id)
        .unwrap();
    assert_eq!(
        fresh.crew_id, stale.crew_id,
        "the same member is asked again"
    );
    assert_eq!(fresh.status, OfferStatus::Open);
    // A fresh deadline: an hour from now (stored to the millisecond).
    let off = fresh.expires_at - (r.clock().now() + chrono::Duration::hours(1));
    assert!(
        off.num_milliseconds().abs() <= 1,
        "a fresh deadline: {} vs now {}",
        fresh.expires_at,
        r.clock().now()
    );
    assert_eq!(
        r.mails_to(&format!("mail#offer#{}", stale.offer_id)),
        0,
        "never mailed"
    );
    assert_eq!(r.mails_to(&format!("mail#offer#{}", fresh.offer_id)), 1);
    assert!(r.thread(&c).await.contains(&ids::sent(&fresh.offer_id)));
    // Replaying once more changes nothing and sends nothing.
    dispatch_cascade::jobs::CascadeJobs(r.cascade.clone())
        .handle(&job)
        .await
        .unwrap();
    assert_eq!(r.offers(&c).await.len(), 2);
    assert_eq!(r.mails_to("mail#offer#"), 1);
}

/// Two reconciles of one charter at once: the same offers, each to a different member, each
/// mailed once.
pub async fn two_reconciles_at_once_reach_the_same_state(kind: &Kind) {
    #[allow(non_snake_case)]
    let DAY = day();
    let r = rig(*kind).await;
    let b = &r.world.backend;
    let mut roster = vec![member("cap", true, false, &[DAY.as_str()])];
    for i in 0..4 {
        roster.push(member(&format!("deck{i}"), false, true, &[DAY.as_str()]));
    }
    b.roster.upsert_batch(&roster).await.unwrap();
    let mut c = charter(&DAY, 20, Some(3));
    c.captain_assigned = Some(CrewId::parse("cap").unwrap());
    b.charters.insert(&c).await.unwrap();
    let (x, y) = tokio::join!(
        r.cascade.reconcile(&c.charter_id),
        r.cascade.reconcile(&c.charter_id)
    );
    // One may have waited for the other's mail claim; a second pass finishes either way.
    if x.is_err() || y.is_err() {
        crate::common::eventually("the waiting reconcile", Duration::from_secs(40), || async {
            r.cascade.reconcile(&c.charter_id).await.ok()
        })
        .await;
    }
    let offers = r.offers(&c).await;
    assert_eq!(offers.len(), 3, "{offers:?}");
    let people: std::collections::HashSet<_> = offers.iter().map(|o| &o.crew_id).collect();
    assert_eq!(people.len(), 3, "someone was offered two slots: {offers:?}");
    let mut sent = r.mailer.sent();
    sent.sort();
    let n = sent.len();
    sent.dedup();
    assert_eq!((n, sent.len()), (3, 3), "{sent:?}");
}

/// A captain in the booking record gets the day's hold when reconciled; the same person set
/// by hand on another charter that day is reported to ops once, and never offered.
pub async fn members_assigned_by_hand_get_their_hold_and_double_bookings_are_reported_once(
    kind: &Kind,
) {
    #[allow(non_snake_case)]
    let DAY = day();
    let r = rig(*kind).await;
    let b = &r.world.backend;
    b.roster
        .upsert_batch(&[
            member("cap", true, true, &[DAY.as_str()]),
            member("deck", false, true, &[DAY.as_str()]),
        ])
        .await
        .unwrap();
    let mut a = charter(&DAY, 4, Some(1));
    a.captain_assigned = Some(CrewId::parse("cap").unwrap());
    b.charters.insert(&a).await.unwrap();
    r.cascade.reconcile(&a.charter_id).await.unwrap();
    let hold = b
        .holds
        .get(&CrewId::parse("cap").unwrap(), a.charter_date)
        .await
        .unwrap();
    assert_eq!(hold.map(|h| h.charter_id), Some(a.charter_id.clone()));
    let loads = b
        .holds
        .loads(a.charter_date.month(), &[CrewId::parse("cap").unwrap()])
        .await
        .unwrap();
    assert_eq!(
        loads.values().copied().collect::<Vec<_>>(),
        vec![1],
        "the hold counts an assignment"
    );
    // The crew offer goes to deck, never to the captain.
    let offers = r.offers(&a).await;
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].crew_id.as_str(), "deck");
    // Another charter that day with the same captain typed in by hand.
    let mut other = charter(&DAY, 4, Some(1));
    other.captain_assigned = Some(CrewId::parse("cap").unwrap());
    b.charters.insert(&other).await.unwrap();
    for _ in 0..3 {
        r.cascade.reconcile(&other.charter_id).await.unwrap();
    }
    assert!(r
        .thread(&other)
        .await
        .contains(&ids::conflict(&CrewId::parse("cap").unwrap())));
    assert_eq!(r.mails_to("mail#conflict#"), 1, "ops told once");
    let hold = b
        .holds
        .get(&CrewId::parse("cap").unwrap(), a.charter_date)
        .await
        .unwrap();
    assert_eq!(
        hold.map(|h| h.charter_id),
        Some(a.charter_id.clone()),
        "the first booking keeps the day"
    );
}

/// A full crew marks the charter staffed, but never over a cancellation.
pub async fn staffed_only_from_booked(kind: &Kind) {
    let (r, c) = booked(*kind, &[("cap", true, false), ("deck", false, true)]).await;
    let b = &r.world.backend;
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    let cap = r.offers(&c).await.remove(0);
    r.accept(&cap).await.unwrap();
    let deck = r
        .offers(&c)
        .await
        .into_iter()
        .find(|o| o.status == OfferStatus::Open)
        .unwrap();
    // Cancelled between the crew member's page load and their click.
    b.charters
        .set_status(&c.key(), CharterStatus::Cancelled)
        .await
        .unwrap();
    let _ = r.accept(&deck).await.unwrap();
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    let now = b.charters.get(&c.charter_id).await.unwrap().unwrap();
    assert_eq!(now.status, CharterStatus::Cancelled);
    assert!(
        b.holds
            .get(&CrewId::parse("cap").unwrap(), c.charter_date)
            .await
            .unwrap()
            .is_none(),
        "released"
    );
    assert!(!b
        .charters
        .set_status_from(&c.key(), CharterStatus::Booked, CharterStatus::Staffed)
        .await
        .unwrap());
}
