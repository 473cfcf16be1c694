//! The input hygiene at the edge: vessel typos, blank names, a list range over 400 days.

use super::*;

#[test]
fn a_vessel_typo_is_refused_by_add_and_warned_about_by_import() {
    let dir = season();
    let d = dir.path();
    let t = fails(
        d,
        &[
            "charter",
            "add",
            "--date",
            &day(9),
            "--vessel",
            "Ospery",
            "--ref",
            "HL-9001-OSP",
        ],
    );
    assert!(
        t.contains("vessel `Ospery` is not in the settings' vessels")
            && t.contains("did you mean `Osprey`?")
            && t.contains("nothing was booked"),
        "{t}"
    );
    let out = ok(
        d,
        &[
            "charter",
            "add",
            "--date",
            &day(9),
            "--vessel",
            " Osprey ",
            "--ref",
            "HL-9001-OSP",
        ],
    );
    let id = BookingRef::parse("HL-9001-OSP").unwrap().charter_id();
    assert!(
        out.contains(&format!("booked charter {id} (booking HL-9001-OSP)")),
        "{out}"
    );
    // The same reference again books nothing new.
    let again = ok(
        d,
        &[
            "charter",
            "add",
            "--date",
            &day(9),
            "--vessel",
            "Osprey",
            "--ref",
            "HL-9001-OSP",
        ],
    );
    assert!(again.contains("already stored like this"), "{again}");
    ok(
        d,
        &[
            "charter",
            "add",
            "--date",
            &day(9),
            "--vessel",
            "Ospery",
            "--vessel-unknown-ok",
        ],
    );

    write(
        d,
        "typo.json",
        &json!([
            {"booking_ref": "HL-9101-OSP", "charter_date": day(10), "vessel_name": "Osprey"},
            {"booking_ref": "HL-9102-OSP", "charter_date": day(10), "vessel_name": "Sea Breze"},
        ]),
    );
    let out = dispatch(d, &["charter", "import", "typo.json"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("warning: row 2: vessel `Sea Breze` is not in the settings' vessels")
            && t.contains("did you mean `Sea Breeze`?")
            && !t.contains("row 1:")
            && t.contains("2 charters stored"),
        "{t}"
    );
    let quiet = ok(
        d,
        &["charter", "import", "typo.json", "--vessel-unknown-ok"],
    );
    assert!(!quiet.contains("warning"), "{quiet}");

    // An operator without vessel settings is never blocked.
    let bare = tempfile::tempdir().unwrap();
    ok(bare.path(), &["bootstrap"]);
    ok(
        bare.path(),
        &[
            "charter",
            "add",
            "--date",
            &day(9),
            "--vessel",
            "Anything Goes",
        ],
    );
}

#[test]
fn blank_names_are_refused_naming_the_row() {
    let dir = season();
    let d = dir.path();
    write(
        d,
        "blank.json",
        &json!([
            {"crew_id": "crew-0009", "name": "Dee Stone", "email": "dee@crew.example.com"},
            {"crew_id": "crew-0010", "name": "   ", "email": "nobody@crew.example.com"},
        ]),
    );
    let out = dispatch(d, &["roster", "import", "blank.json"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("row 2: `name` is blank for crew id `crew-0010`")
            && t.contains("1 members upserted"),
        "{t}"
    );
    write(
        d,
        "blank_vessel.json",
        &json!([{"booking_ref": "HL-9201-OSP", "charter_date": day(5), "vessel_name": " "}]),
    );
    let out = dispatch(d, &["charter", "import", "blank_vessel.json"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("row 1: `vessel_name` is blank"), "{t}");
    let t = fails(d, &["charter", "add", "--date", &day(5), "--vessel", "  "]);
    assert!(t.contains("--vessel must not be empty"), "{t}");
    // A row with neither id nor reference says what to give.
    write(
        d,
        "anon.json",
        &json!([{"charter_date": day(5), "vessel_name": "Osprey"}]),
    );
    let t = text(&dispatch(d, &["charter", "import", "anon.json"]));
    assert!(
        t.contains("row 1: `charter_id` is missing") && t.contains("booking_ref"),
        "{t}"
    );
}

#[test]
fn a_list_range_over_400_days_is_refused() {
    let dir = season();
    let d = dir.path();
    let t = fails(
        d,
        &[
            "charter",
            "list",
            "--from",
            "2024-01-01",
            "--to",
            "2025-02-04",
        ],
    );
    assert!(
        t.contains("is 401 days") && t.contains("at most 400 days"),
        "{t}"
    );
    let out = ok(
        d,
        &[
            "charter",
            "list",
            "--from",
            "2024-01-01",
            "--to",
            "2025-02-03",
        ],
    );
    assert!(
        out.contains("no charters from 2024-01-01 to 2025-02-03"),
        "{out}"
    );
}
