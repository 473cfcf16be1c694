//! The `Roster` tab's licence and expiry columns: read into the member, a member the sheet lists
//! without them keeps the stored ones, an unreadable cell leaves that part as it was.

use dispatch_core::domain::{CaptainLicence, CharterDate, CrewId, CrewMember, EmailAddress};
use dispatch_reporting::sheet::roster::{plan, read_sheet};
use dispatch_reporting::sheet::Tab;
use serde_json::{json, Value};

fn d(s: &str) -> CharterDate {
    CharterDate::parse(s).unwrap()
}

fn roster(header: &[&str], row: &[Value]) -> Tab {
    Tab::from_json(
        "Roster",
        &[header.iter().map(|h| json!(h)).collect(), row.to_vec()],
    )
}

fn ana() -> CrewMember {
    CrewMember {
        crew_id: CrewId::parse("crew-ana").unwrap(),
        name: "Ana Silva".into(),
        email: EmailAddress::parse("ana@example.com").unwrap(),
        phone: None,
        captain_certified: true,
        available_dates: Default::default(),
        certifications: ["deckhand".to_string(), "first_aid".to_string()].into(),
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: Some(CaptainLicence {
            class: "OUPV".into(),
            max_passengers: Some(6),
            expires: Some(d("2026-06-30")),
        }),
        certification_expiry: [("first_aid".to_string(), d("2026-06-30"))].into(),
    }
}

const BASE: [&str; 5] = [
    "Crew ID",
    "Name",
    "Email",
    "Captain certified",
    "Certifications",
];

fn base_row() -> Vec<Value> {
    vec![
        json!("crew-ana"),
        json!("Ana Silva"),
        json!("ana@example.com"),
        json!("yes"),
        json!("deckhand, first aid"),
    ]
}

#[test]
fn licence_and_expiry_columns_are_read_and_missing_ones_keep_stored_values() {
    let stored = ana();
    // The sheet says it all.
    let mut header = BASE.to_vec();
    header.extend([
        "Licence class",
        "Licence max passengers",
        "Licence expires",
        "Certification expiry",
    ]);
    let mut row = base_row();
    row.extend([
        json!("Master"),
        json!(12),
        json!("2027-01-03"),
        json!("First Aid: 2027-01-03; deckhand 12/31/2026"),
    ]);
    let sheet = read_sheet(&[roster(&header, &row)], 2026);
    assert!(sheet.problems.is_empty(), "{:?}", sheet.problems);
    let p = plan(sheet, std::slice::from_ref(&stored));
    assert_eq!(
        p.updated,
        std::slice::from_ref(&stored.crew_id),
        "{}",
        p.summary()
    );
    let m = &p.to_write[0];
    assert_eq!(
        m.captain_licence,
        Some(CaptainLicence {
            class: "Master".into(),
            max_passengers: Some(12),
            expires: Some(d("2027-01-03")),
        })
    );
    assert_eq!(
        m.certification_expiry,
        [
            ("first_aid".to_string(), d("2027-01-03")),
            ("deckhand".to_string(), d("2026-12-31"))
        ]
        .into()
    );

    // A sheet without those columns keeps them, and says nothing new about it.
    let p = plan(
        read_sheet(&[roster(&BASE, &base_row())], 2026),
        std::slice::from_ref(&stored),
    );
    assert_eq!(
        p.unchanged,
        std::slice::from_ref(&stored.crew_id),
        "{}",
        p.summary()
    );
    assert!(!p.summary().contains("Licence"), "{}", p.summary());

    // Only the expiry column: the licence stays; a blank cell clears the expiry map.
    let mut header = BASE.to_vec();
    header.push("Certification expiry");
    let mut row = base_row();
    row.push(json!(""));
    let p = plan(
        read_sheet(&[roster(&header, &row)], 2026),
        std::slice::from_ref(&stored),
    );
    assert_eq!(
        p.updated,
        std::slice::from_ref(&stored.crew_id),
        "{}",
        p.summary()
    );
    assert_eq!(p.to_write[0].captain_licence, stored.captain_licence);
    assert!(p.to_write[0].certification_expiry.is_empty());

    // An unreadable cell is reported and leaves that part as it was.
    let mut header = BASE.to_vec();
    header.extend(["Licence max passengers", "Licence expires"]);
    let mut row = base_row();
    row.extend([json!("lots"), json!("2027-02-01")]);
    let p = plan(
        read_sheet(&[roster(&header, &row)], 2026),
        std::slice::from_ref(&stored),
    );
    assert!(p.summary().contains("left as it was"), "{}", p.summary());
    let l = p.to_write[0].captain_licence.clone().unwrap();
    assert_eq!(l.max_passengers, Some(6), "kept");
    assert_eq!(l.expires, Some(d("2027-02-01")), "what the sheet says");
    assert_eq!(l.class, "OUPV", "no class column: kept");
}
