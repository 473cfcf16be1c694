//! The trip's clock: an offer's window is the offer timeout or a quarter of the time left
//! before the vessel's start, whichever is shorter, never under ten minutes. A charter leaving
//! in three hours no longer gives each captain two hours in turn. Ops are alerted once per
//! threshold of `alert_before_hours` (72 and 24) while the charter is not fully staffed, and
//! inside the last one a crew slot is offered to two candidates at once.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use dispatch_cascade::engine::VesselConfig;
use dispatch_cascade::Answer;
use dispatch_cascade::Cascade;
use dispatch_core::domain::*;
use dispatch_core::ports::QueueId;

use crate::common::{charter, member, Kind, TestApp};

crate::both!(
    offer_windows_shrink_as_the_departure_nears,
    ops_are_alerted_once_per_threshold_on_the_trips_clock,
    inside_the_last_threshold_a_crew_slot_is_offered_to_two_at_once,
);

pub async fn offer_windows_shrink_as_the_departure_nears(kind: &Kind) {
    // Marlin leaves at 08:30 (the business in UTC) on a day ten days out.
    let day = (Utc::now().date_naive() + chrono::Days::new(10))
        .format("%Y-%m-%d")
        .to_string();
    let date = CharterDate::parse(&day).unwrap();
    let departs = Utc.from_utc_datetime(
        &date
            .naive()
            .and_time(NaiveTime::from_hms_opt(8, 30, 0).unwrap()),
    );
    let r = TestApp::on(*kind)
        .manual_clock(departs - Duration::days(2))
        .offer_timeout(std::time::Duration::from_secs(2 * 3600))
        .build()
        .await;
    let cascade = r.cascade_tuned(|cfg| {
        cfg.zone = dispatch_core::zone::BusinessZone::utc();
        cfg.vessels.insert(
            "Marlin".into(),
            VesselConfig {
                start_time: Some("08:30".into()),
                ..Default::default()
            },
        );
    });
    let caps: Vec<CrewMember> = (0..6)
        .map(|i| member(&format!("cap-{i}"), true, false, &[day.as_str()]))
        .collect();
    r.world.backend.roster.upsert_batch(&caps).await.unwrap();
    let c = charter(&day, 4, Some(0));
    r.world.backend.charters.insert(&c).await.unwrap();

    // Two days out: the full offer timeout.
    cascade.reconcile(&c.charter_id).await.unwrap();
    let first = open_offer(&r, &c).await;
    assert_eq!(first.expires_at - first.created_at, Duration::hours(2));

    // Three hours before departure: a quarter of what is left (45 minutes).
    r.clock().set(departs - Duration::hours(3));
    cascade.reconcile(&c.charter_id).await.unwrap();
    let second = open_offer(&r, &c).await;
    assert_ne!(
        second.offer_id, first.offer_id,
        "the first lapsed, the next was asked"
    );
    assert_eq!(second.expires_at - second.created_at, Duration::minutes(45));

    // Twenty minutes before: never under ten minutes.
    r.clock().set(departs - Duration::minutes(20));
    cascade.reconcile(&c.charter_id).await.unwrap();
    let third = open_offer(&r, &c).await;
    assert_ne!(third.offer_id, second.offer_id);
    assert_eq!(third.expires_at - third.created_at, Duration::minutes(10));
}

/// The one open captain offer of `c`.
async fn open_offer(r: &TestApp, c: &Charter) -> Offer {
    let open: Vec<Offer> = r
        .offers(c)
        .await
        .into_iter()
        .filter(|o| o.status == OfferStatus::Open)
        .collect();
    assert_eq!(open.len(), 1, "{open:?}");
    open.into_iter().next().unwrap()
}

/// Ten days out, the day Marlin (leaving at 08:30, the business in UTC) departs, and when.
fn departure() -> (String, DateTime<Utc>) {
    let day = (Utc::now().date_naive() + chrono::Days::new(10))
        .format("%Y-%m-%d")
        .to_string();
    let date = CharterDate::parse(&day).unwrap();
    let departs = Utc.from_utc_datetime(
        &date
            .naive()
            .and_time(NaiveTime::from_hms_opt(8, 30, 0).unwrap()),
    );
    (day, departs)
}

/// An app on a manual clock set to `at`, and its cascade knowing Marlin's start time.
async fn on_the_clock(kind: &Kind, at: DateTime<Utc>) -> (TestApp, Arc<Cascade>) {
    let r = TestApp::on(*kind)
        .manual_clock(at)
        .offer_timeout(std::time::Duration::from_secs(2 * 3600))
        .build()
        .await;
    let cascade = r.cascade_tuned(|cfg| {
        cfg.zone = dispatch_core::zone::BusinessZone::utc();
        cfg.vessels.insert(
            "Marlin".into(),
            VesselConfig {
                start_time: Some("08:30".into()),
                ..Default::default()
            },
        );
    });
    (r, cascade)
}

/// The alert timer's job for `hours`, link 0, as the queue delivers it.
fn alert_timer(c: &Charter, hours: u32) -> JobEnvelope {
    JobEnvelope::new(
        JobKind::OfferTimeout,
        format!("alert_timer#{}#{hours}h#0", c.charter_id),
        serde_json::json!({"charter_id": c.charter_id, "alert_hours": hours, "chain": 0}),
    )
}

pub async fn ops_are_alerted_once_per_threshold_on_the_trips_clock(kind: &Kind) {
    let (day, departs) = departure();
    let (r, cascade) = on_the_clock(kind, departs - Duration::hours(80)).await;
    // Nobody can captain: the charter is escalated at once.
    let deck = member("deck-0", false, true, &[day.as_str()]);
    r.world.backend.roster.upsert_batch(&[deck]).await.unwrap();
    let c = charter(&day, 4, Some(1));
    r.world.backend.charters.insert(&c).await.unwrap();
    cascade.reconcile(&c.charter_id).await.unwrap();
    assert_eq!(r.mails_to("mail#escalate#"), 1);
    assert_eq!(r.mails_to("mail#alert#"), 0, "80 hours out: no alert yet");
    // No offer out, yet a timer waits for the 72 h threshold (the alert needs no event).
    let q = r.backend().queues.depth(QueueId::Cascade).await.unwrap();
    assert_eq!(q.delayed + q.visible, 1, "the alert timer");

    // 70 hours before: the timer's reconcile alerts ops, once however often it runs.
    r.clock().set(departs - Duration::hours(70));
    let jobs = dispatch_cascade::jobs::CascadeJobs(cascade.clone());
    for _ in 0..2 {
        dispatch_ingest::worker::JobHandler::handle(&jobs, &alert_timer(&c, 72))
            .await
            .unwrap();
    }
    cascade.reconcile(&c.charter_id).await.unwrap();
    let key = |h: u32| format!("mail#alert#{}#{h}h", c.charter_id);
    assert_eq!(r.mails_to(&key(72)), 1, "one 72 h alert per ops address");
    assert_eq!(r.mails_to(&key(24)), 0);
    assert!(r.thread(&c).await.contains(&"alerted-72h".to_string()));

    // 20 hours before: the 24 h alert, once.
    r.clock().set(departs - Duration::hours(20));
    cascade.reconcile(&c.charter_id).await.unwrap();
    cascade.reconcile(&c.charter_id).await.unwrap();
    assert_eq!(r.mails_to(&key(72)), 1);
    assert_eq!(r.mails_to(&key(24)), 1, "one 24 h alert");
    let thread = r.thread(&c).await;
    assert_eq!(
        thread.iter().filter(|e| e.starts_with("alerted-")).count(),
        2
    );
    assert_eq!(r.mails_to("mail#escalate#"), 1, "escalated once");
}

pub async fn inside_the_last_threshold_a_crew_slot_is_offered_to_two_at_once(kind: &Kind) {
    let (day, departs) = departure();
    let (r, cascade) = on_the_clock(kind, departs - Duration::hours(30)).await;
    let mut roster = vec![member("cap", true, false, &[day.as_str()])];
    roster.extend((0..4).map(|i| member(&format!("deck-{i}"), false, true, &[day.as_str()])));
    r.world.backend.roster.upsert_batch(&roster).await.unwrap();
    let mut c = charter(&day, 4, Some(1));
    c.captain_assigned = Some(CrewId::parse("cap").unwrap());
    r.world.backend.charters.insert(&c).await.unwrap();

    // 30 hours before: one crew offer at a time.
    cascade.reconcile(&c.charter_id).await.unwrap();
    assert_eq!(r.open_offers(std::slice::from_ref(&c)).await.len(), 1);

    // 20 hours before (inside 24 h): two at once for the one slot.
    r.clock().set(departs - Duration::hours(20));
    cascade.reconcile(&c.charter_id).await.unwrap();
    cascade.reconcile(&c.charter_id).await.unwrap();
    let open = r.open_offers(std::slice::from_ref(&c)).await;
    assert_eq!(open.len(), 2, "{open:?}");
    assert!(open.iter().all(|o| o.role == Role::Crew { slot: 0 }));
    assert_ne!(open[0].crew_id, open[1].crew_id);

    // The first accept wins; the other offer is withdrawn and its accept refused.
    let won = cascade.accept(&open[0]).await.unwrap();
    assert!(matches!(won, Answer::Accepted { staffed: true }), "{won:?}");
    cascade.reconcile(&c.charter_id).await.unwrap();
    let lost = cascade.accept(&open[1]).await.unwrap();
    assert!(
        matches!(lost, Answer::AlreadyAnswered(OfferStatus::Revoked)),
        "{lost:?}"
    );
    let after = r.offers(&c).await;
    let status = |o: &Offer| {
        after
            .iter()
            .find(|a| a.offer_id == o.offer_id)
            .unwrap()
            .status
    };
    assert_eq!(
        (status(&open[0]), status(&open[1])),
        (OfferStatus::Accepted, OfferStatus::Revoked)
    );
    let now = r
        .backend()
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.crew_assigned, vec![open[0].crew_id.clone()]);
    assert_eq!(now.status, CharterStatus::Staffed);
}
