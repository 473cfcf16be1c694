//! The trip's clock: an offer's window is the offer timeout or a quarter of the time left
//! before the vessel's start, whichever is shorter, never under ten minutes. A charter leaving
//! in three hours no longer gives each captain two hours in turn.

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use dispatch_cascade::engine::VesselConfig;
use dispatch_core::domain::*;

use crate::common::{charter, member, Kind, TestApp};

crate::both!(offer_windows_shrink_as_the_departure_nears);

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
