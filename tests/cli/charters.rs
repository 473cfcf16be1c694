//! Charters in through the command line: an import keeps its good rows and names the bad ones,
//! `charter add` validates what it is given.

use crate::common::{dispatch, text};

#[test]
fn import_keeps_good_rows_and_names_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    assert!(dispatch(dir.path(), &["bootstrap"], &[]).status.success());
    let file = dir.path().join("charters.json");
    std::fs::write(
        &file,
        r#"[
          {"charter_id": "0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-05-03", "vessel_name": "A", "guest_count": 4},
          {"charter_id": "1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-02-30", "vessel_name": "B"},
          {"charter_id": "2b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-05-04", "vessel_name": "C", "reportable_revenue": "12.50"}
        ]"#,
    )
    .unwrap();
    let out = dispatch(
        dir.path(),
        &["charter", "import", file.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("2 charters stored, 0 already there, 1 bad rows"),
        "{t}"
    );
    assert!(
        t.contains("row 2: record charter_id=1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a"),
        "{t}"
    );
    assert!(t.contains("charter_date"), "{t}");
    let again = dispatch(
        dir.path(),
        &["charter", "import", file.to_str().unwrap()],
        &[],
    );
    assert!(
        text(&again).contains("0 charters stored, 2 already there"),
        "{}",
        text(&again)
    );
    let not_json = dir.path().join("bad.json");
    std::fs::write(&not_json, "{oops").unwrap();
    let out = dispatch(
        dir.path(),
        &["charter", "import", not_json.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("not valid JSON"), "{}", text(&out));
}

#[test]
fn charter_add_validates_input() {
    let dir = tempfile::tempdir().unwrap();
    assert!(dispatch(dir.path(), &["bootstrap"], &[]).status.success());
    let ok = dispatch(
        dir.path(),
        &[
            "charter",
            "add",
            "--date",
            "2024-05-03",
            "--vessel",
            "Marlin",
            "--guests",
            "12",
            "--revenue",
            "1200.50",
        ],
        &[],
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("booked charter"));
    let bad = dispatch(
        dir.path(),
        &["charter", "add", "--date", "May 3", "--vessel", "Marlin"],
        &[],
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("--date"), "{}", text(&bad));
    let bad = dispatch(
        dir.path(),
        &[
            "charter",
            "add",
            "--date",
            "2024-05-03",
            "--vessel",
            "Marlin",
            "--revenue",
            "$12",
        ],
        &[],
    );
    assert!(text(&bad).contains("--revenue"), "{}", text(&bad));
}
