//! The charters table: create-only inserts, versions read as the newest, in-place booking
//! updates that keep the cascade's fields, and the month query.

use std::collections::HashSet;
use std::time::Duration;

use dispatch_core::domain::*;
use dispatch_core::ports::*;

use crate::common::{eventually, World};
use crate::{charter, crew, stored};

both!(
    charter_insert_is_create_only,
    charter_versions_read_as_the_newest,
    booking_update_is_in_place_and_keeps_the_cascades_fields,
    month_query_returns_exactly_the_month,
);

pub async fn charter_insert_is_create_only(w: &World) {
    let c = stored(w, "2024-05-03").await;
    let mut changed = c.clone();
    changed.vessel_name = "Other".into();
    assert_eq!(
        w.backend.charters.insert(&changed).await.unwrap(),
        Inserted::AlreadyExists
    );
    assert_eq!(
        w.backend.charters.get(&c.charter_id).await.unwrap(),
        Some(c)
    );
    assert_eq!(
        w.backend
            .charters
            .get(&CharterId::new_random())
            .await
            .unwrap(),
        None
    );
}

/// Several items with one `charter_id` (old data) are versions: `get`, `on_date` and
/// `in_month` all give the newest `created_at` only, and a version superseded by one on
/// another date is not on its old date.
pub async fn charter_versions_read_as_the_newest(w: &World) {
    let mut old = charter("2024-05-07");
    old.created_at = "2024-04-01T10:00:00.000Z".into();
    old.reportable_revenue = Money::parse("100").unwrap();
    let mut same_day = old.clone();
    same_day.created_at = "2024-04-02T10:00:00.000Z".into();
    same_day.reportable_revenue = Money::parse("200").unwrap();
    let mut moved = old.clone();
    moved.created_at = "2024-04-03T10:00:00.000Z".into();
    moved.charter_date = CharterDate::parse("2024-05-09").unwrap();
    moved.reportable_revenue = Money::parse("300").unwrap();
    for c in [&same_day, &old, &moved] {
        assert_eq!(w.backend.charters.insert(c).await.unwrap(), Inserted::New);
    }
    let other = stored(w, "2024-05-07").await;
    assert_eq!(
        w.backend.charters.get(&old.charter_id).await.unwrap(),
        Some(moved.clone())
    );
    let day7 = w
        .backend
        .charters
        .on_date(old.charter_date)
        .await
        .unwrap()
        .items;
    assert_eq!(
        day7,
        vec![other.clone()],
        "the superseded versions are not on May 7"
    );
    let day9 = w
        .backend
        .charters
        .on_date(moved.charter_date)
        .await
        .unwrap()
        .items;
    assert_eq!(day9, vec![moved.clone()]);
    let month = w
        .backend
        .charters
        .in_month(Month::parse("2024-05").unwrap())
        .await
        .unwrap()
        .items;
    let ids: Vec<&CharterId> = month.iter().map(|c| &c.charter_id).collect();
    assert_eq!(
        ids,
        vec![&other.charter_id, &moved.charter_id],
        "each charter once"
    );
    assert_eq!(month[1].reportable_revenue, Money::parse("300").unwrap());
}

/// `update_booking` rewrites the booking fields of one stored item in place (no second
/// version, the same key), keeps captain, crew and status, applies a `cancelled` status,
/// and says when there is nothing to update.
pub async fn booking_update_is_in_place_and_keeps_the_cascades_fields(w: &World) {
    let c = stored(w, "2024-05-13").await;
    let AssignOutcome::Assigned(_) = w
        .backend
        .charters
        .assign_captain(&c.key(), &crew("cap-a"))
        .await
        .unwrap()
    else {
        panic!("captain")
    };
    assert!(w
        .backend
        .charters
        .set_status(&c.key(), CharterStatus::Staffed)
        .await
        .unwrap());
    let mut booking = charter("2024-05-13");
    booking.charter_id = c.charter_id.clone();
    booking.vessel_name = "Blue Heron".into();
    booking.guest_count = 7;
    booking.guest_names = vec![];
    booking.reportable_revenue = Money::parse("990.10").unwrap();
    booking.tips = Money::ZERO;
    booking.crew_needed = None;
    let now = w
        .backend
        .charters
        .update_booking(&c.key(), &booking)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.created_at, c.created_at, "same key: updated in place");
    assert_eq!(now.vessel_name, "Blue Heron");
    assert_eq!(now.guest_count, 7);
    assert!(now.guest_names.is_empty());
    assert_eq!(now.reportable_revenue, Money::parse("990.10").unwrap());
    assert_eq!(now.crew_needed, None, "an absent crew_needed is removed");
    assert_eq!(
        now.captain_assigned,
        Some(crew("cap-a")),
        "the captain is kept"
    );
    assert_eq!(
        now.status,
        CharterStatus::Staffed,
        "a booked booking keeps the status"
    );
    assert_eq!(
        w.backend.charters.get(&c.charter_id).await.unwrap(),
        Some(now.clone())
    );
    let day = w
        .backend
        .charters
        .on_date(c.charter_date)
        .await
        .unwrap()
        .items;
    assert_eq!(
        day.iter().filter(|x| x.charter_id == c.charter_id).count(),
        1
    );

    booking.status = CharterStatus::Cancelled;
    let now = w
        .backend
        .charters
        .update_booking(&c.key(), &booking)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        now.status,
        CharterStatus::Cancelled,
        "the booking system cancelled it"
    );

    let mut missing = c.key();
    missing.charter_id = CharterId::new_random();
    assert_eq!(
        w.backend
            .charters
            .update_booking(&missing, &booking)
            .await
            .unwrap(),
        None
    );
}

pub async fn month_query_returns_exactly_the_month(w: &World) {
    let mut in_may = Vec::new();
    for d in [
        "2024-04-30",
        "2024-05-01",
        "2024-05-15",
        "2024-05-15",
        "2024-05-31",
        "2024-06-01",
    ] {
        let c = stored(w, d).await;
        if d.starts_with("2024-05") {
            in_may.push(c);
        }
    }
    let month = Month::parse("2024-05").unwrap();
    // The GSI is eventually consistent on AWS: poll with a deadline.
    let got = eventually("the month's charters", Duration::from_secs(10), || async {
        let l = w.backend.charters.in_month(month).await.unwrap();
        (l.items.len() >= in_may.len()).then_some(l)
    })
    .await;
    assert!(got.skipped.is_empty());
    let ids: Vec<_> = got.items.iter().map(|c| c.charter_id.clone()).collect();
    let want: HashSet<_> = in_may.iter().map(|c| c.charter_id.clone()).collect();
    assert_eq!(ids.len(), want.len(), "{ids:?}");
    assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), want);
    let dates: Vec<_> = got.items.iter().map(|c| c.charter_date).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "month listing is in date order");
    let day = w
        .backend
        .charters
        .on_date(CharterDate::parse("2024-05-15").unwrap())
        .await
        .unwrap();
    assert_eq!(day.items.len(), 2);
}
