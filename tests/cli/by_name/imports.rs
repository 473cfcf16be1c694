//! Charters by booking reference, members by name or e-mail, `roster list|show`.

use super::*;

#[test]
fn a_week_imported_by_booking_reference_twice_is_stored_once_under_uuid_v5_ids() {
    let dir = season();
    let d = dir.path();
    let again = ok(d, &["charter", "import", "week.json"]);
    assert!(
        again.contains("0 charters stored, 7 already there, 0 bad rows"),
        "{again}"
    );
    let rows = list_json(d);
    assert_eq!(rows.len(), 7, "{rows:#?}");
    for n in 1..=7 {
        let r = reference(n);
        let row = rows
            .iter()
            .find(|row| row["booking_ref"] == r.as_str())
            .unwrap_or_else(|| panic!("{r} not listed: {rows:#?}"));
        let id = uuid::Uuid::parse_str(row["charter_id"].as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 5, "{row}");
        assert_eq!(id, uuid::Uuid::new_v5(&BOOKING_REF_NAMESPACE, r.as_bytes()));
        assert_eq!(row["charter_date"], day(n).as_str());
        // The vessel was trimmed on the way in.
        assert!(
            row["vessel"] == "Osprey" || row["vessel"] == "Sea Breeze",
            "{row}"
        );
    }
    // The plain list shows the reference; `charter show` takes it.
    let list = ok(d, &["charter", "list"]);
    assert!(
        list.lines().next().unwrap().ends_with("REF") && list.contains("HL-1203-OSP"),
        "{list}"
    );
    let r3 = reference(3);
    let show = ok(d, &["charter", "show", &r3]);
    let id3 = BookingRef::parse(&r3).unwrap().charter_id();
    assert!(
        show.contains(&format!("charter {id3} (booking HL-1203-OSP) on")),
        "{show}"
    );
    // Lower case names the same booking; an unknown one says where to look.
    ok(d, &["charter", "show", "hl-1203-osp"]);
    let none = fails(d, &["charter", "show", "HL-9999-XXX"]);
    assert!(
        none.contains("no charter was imported under the booking reference HL-9999-XXX"),
        "{none}"
    );
}

#[test]
fn members_are_named_by_full_name_or_email_and_a_doubtful_name_lists_the_candidates() {
    let dir = season();
    let d = dir.path();
    let r1 = reference(1);
    let out = ok(d, &["charter", "assign", &r1, "--captain", " ana LOPEZ "]);
    assert!(out.contains("captain: Ana Lopez (crew-0001)"), "{out}");
    let out = ok(
        d,
        &[
            "charter",
            "assign",
            &r1,
            "--crew",
            "Ben.Ortiz@crew.example.com",
        ],
    );
    assert!(
        out.contains("crew: 1 of 1 needed: Ben Ortiz (crew-0002)"),
        "{out}"
    );

    // Two members are called Sam Reed: nothing is done, both are listed.
    let r2 = reference(2);
    let t = fails(d, &["charter", "assign", &r2, "--crew", "sam reed"]);
    assert!(
        t.contains("2 members are called `sam reed`")
            && t.contains("Sam Reed (id crew-0003, sam.reed@crew.example.com)")
            && t.contains("Sam Reed (id crew-0004, sam.r@crew.example.com)"),
        "{t}"
    );
    // Unknown: a near miss is offered, a stranger is pointed at the roster.
    let t = fails(d, &["charter", "assign", &r2, "--captain", "Ana Lopes"]);
    assert!(
        t.contains("no member has the crew id, e-mail or name `Ana Lopes`; did you mean:")
            && t.contains("Ana Lopez (id crew-0001, ana@crew.example.com)"),
        "{t}"
    );
    let t = fails(d, &["charter", "unassign", &r1, "Zed Quux"]);
    assert!(t.contains("dispatch roster list"), "{t}");
    let t = fails(d, &["charter", "reoffer", &r2, "--include", "Sam Reed"]);
    assert!(t.contains("--include: 2 members"), "{t}");
    let list = list_json(d);
    let row = list
        .iter()
        .find(|r| r["booking_ref"] == r2.as_str())
        .unwrap();
    assert!(
        row["captain"].is_null() && row["crew"] == json!([]),
        "{row}"
    );

    // Unassign by name too.
    let out = ok(d, &["charter", "unassign", &r1, "Ben Ortiz"]);
    assert!(out.contains("crew: 0 of 1 needed"), "{out}");
}

#[test]
fn roster_list_and_show() {
    let dir = season();
    let d = dir.path();
    ok(
        d,
        &["charter", "assign", &reference(2), "--captain", "Ana Lopez"],
    );
    let list = ok(d, &["roster", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("NEXT AVAILABLE"),
        "{list}"
    );
    let ana = lines.iter().find(|l| l.starts_with("Ana Lopez ")).unwrap();
    let next = format!("{}, ", day(1));
    assert!(
        ana.contains("crew-0001")
            && ana.contains("captain, crew")
            && ana.contains("deckhand")
            && ana.contains("yes")
            && ana.contains(&next)
            && ana.contains(&day(3))
            && !ana.contains(&day(4)),
        "{ana}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("Sam Reed")).count(),
        2,
        "{list}"
    );
    assert!(list.contains("4 members (4 active)"), "{list}");

    let show = ok(d, &["roster", "show", "ana@crew.example.com"]);
    assert!(
        show.starts_with("Ana Lopez (crew-0001)")
            && show.contains("e-mail: ana@crew.example.com")
            && show.contains("roles: captain, crew")
            && show.contains("available from today (7 days)"),
        "{show}"
    );
    let id2 = BookingRef::parse(&reference(2)).unwrap().charter_id();
    let held = show.lines().find(|l| l.contains("charters from")).unwrap();
    assert!(
        held.contains(&format!("charters from {} to ", day(0))) && held.ends_with(": 1"),
        "{held}"
    );
    let line = show
        .lines()
        .find(|l| l.contains(id2.as_str()))
        .unwrap_or_else(|| panic!("{show}"));
    assert!(
        line.contains(&day(2))
            && line.contains("captain")
            && line.contains("Sea Breeze")
            && line.contains("(HL-1202-OSP)"),
        "{line}"
    );
    let t = fails(d, &["roster", "show", "Sam Reed"]);
    assert!(t.contains("crew-0003") && t.contains("crew-0004"), "{t}");
}
