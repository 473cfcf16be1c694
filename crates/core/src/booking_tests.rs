//! Tests of `booking`.

use super::*;
use crate::domain::{CrewId, Money};
use crate::local::Local;

fn charter(id: &CharterId, date: &str) -> Charter {
    Charter {
        charter_id: id.clone(),
        created_at: "2024-04-01T00:00:00.000Z".into(),
        charter_date: CharterDate::parse(date).unwrap(),
        vessel_name: "Blue Fin".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: 6,
        guest_names: vec![],
        reportable_revenue: Money::parse("1200").unwrap(),
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: None,
    }
}

#[test]
fn the_cascade_fields_are_not_booking_details() {
    let id = CharterId::new_random();
    let a = charter(&id, "2024-05-03");
    let mut b = a.clone();
    b.captain_assigned = Some(CrewId::parse("ana").unwrap());
    b.status = CharterStatus::Staffed;
    assert!(
        same_booking(&b, &a),
        "captain and a cascade status are not booking details"
    );
    b.status = CharterStatus::Booked;
    let mut cancelled = a.clone();
    cancelled.status = CharterStatus::Cancelled;
    assert!(
        !same_booking(&b, &cancelled),
        "a cancellation from the booking side counts"
    );
    b.tips = Money::parse("10").unwrap();
    assert!(!same_booking(&b, &a));
}

#[tokio::test]
async fn one_charter_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let local = Local::open_path(&dir.path().join("db.sqlite3"), "", 5).unwrap();
    let backend = local.backend();
    backend.admin.bootstrap().await.unwrap();
    let charters = backend.charters.as_ref();
    let id = CharterId::new_random();
    let may3 = charter(&id, "2024-05-03");
    assert!(matches!(
        store_charter(charters, &may3, false).await.unwrap(),
        Stored::New
    ));
    assert!(matches!(
        store_charter(charters, &may3, false).await.unwrap(),
        Stored::Unchanged
    ));

    let mut more = may3.clone();
    more.guest_count = 8;
    let Stored::Refused(why) = store_charter(charters, &more, false).await.unwrap() else {
        panic!("a changed booking without --update was stored")
    };
    assert!(
        why.to_string()
            .contains("already exists (2024-05-03 aboard Blue Fin, booked)"),
        "{why}"
    );
    let Stored::Updated(now) = store_charter(charters, &more, true).await.unwrap() else {
        panic!("--update did not update")
    };
    assert_eq!(now.guest_count, 8);

    // A captain (here from the booking record) holds the day: the charter is not moved.
    let other = CharterId::new_random();
    let mut captained = charter(&other, "2024-05-03");
    captained.captain_assigned = Some(CrewId::parse("ana").unwrap());
    let moved = charter(&other, "2024-05-04");
    let report = store_all(charters, &[captained, more, moved], true)
        .await
        .unwrap();
    assert_eq!(
        (report.new, report.unchanged, report.updated),
        (1, 1, 0),
        "{report:?}"
    );
    assert!(
        matches!(report.refused[..], [Refusal::CrewHeldOnDay { .. }]),
        "{report:?}"
    );
    assert!(report.refused[0]
        .to_string()
        .contains("unassign them first"));
}

#[tokio::test]
async fn a_booking_by_reference_is_stored_once_and_keeps_its_first_time() {
    let dir = tempfile::tempdir().unwrap();
    let local = Local::open_path(&dir.path().join("db.sqlite3"), "", 5).unwrap();
    let backend = local.backend();
    backend.admin.bootstrap().await.unwrap();
    let charters = backend.charters.as_ref();
    let row = |now: &str| {
        let mut item = Item::new();
        item.insert(attr::BOOKING_REF.into(), AV::S(" hl-1207-osp ".into()));
        item.insert(attr::CHARTER_DATE.into(), AV::S("2024-05-03".into()));
        item.insert(attr::VESSEL_NAME.into(), AV::S("Osprey".into()));
        let now = chrono::DateTime::parse_from_rfc3339(now).unwrap().to_utc();
        let r = identify(&mut item, now).unwrap().unwrap();
        (Charter::from_item(&item).unwrap(), r)
    };
    let (first, r) = row("2024-04-01T10:00:00Z");
    assert_eq!(r.as_str(), "HL-1207-OSP");
    assert_eq!(first.charter_id, r.charter_id());
    assert_eq!(first.created_at, "2024-04-01T10:00:00.000Z");
    assert!(matches!(
        store_booking(charters, &first, Some(&r), false)
            .await
            .unwrap(),
        Stored::New
    ));
    // The same row a day later: nothing new, the first time kept, the reference stored.
    let (again, r) = row("2024-04-02T10:00:00Z");
    assert!(matches!(
        store_booking(charters, &again, Some(&r), false)
            .await
            .unwrap(),
        Stored::Unchanged
    ));
    let stored = charters.get(&r.charter_id()).await.unwrap().unwrap();
    assert_eq!(stored.created_at, "2024-04-01T10:00:00.000Z");
    assert_eq!(
        charters.booking_ref(&r.charter_id()).await.unwrap(),
        Some(r)
    );

    // A row with its own id keeps it; a bad reference names the attribute.
    let mut item = Item::new();
    item.insert(attr::BOOKING_REF.into(), AV::S("HL-1".into()));
    item.insert(
        attr::CHARTER_ID.into(),
        AV::S("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a".into()),
    );
    identify(&mut item, chrono::Utc::now()).unwrap();
    assert_eq!(
        item[attr::CHARTER_ID],
        AV::S("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a".into())
    );
    let mut item = Item::new();
    item.insert(attr::BOOKING_REF.into(), AV::S("HL 1207".into()));
    let e = identify(&mut item, chrono::Utc::now()).unwrap_err();
    assert!(e.contains("`booking_ref`"), "{e}");
    // Without a reference nothing is filled in.
    let mut item = Item::new();
    assert_eq!(identify(&mut item, chrono::Utc::now()).unwrap(), None);
    assert!(item.is_empty());
}
