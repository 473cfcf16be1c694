use std::collections::BTreeSet;

use dispatch_core::domain::{CharterDate, CrewMember};
use serde_json::{json, Value};

use super::*;
use crate::sheet::roster::read_sheet;

/// Column and row (zero-based) of an A1 reference such as `C7`.
fn cell_of(a1: &str) -> (usize, usize) {
    let letters: String = a1.chars().take_while(char::is_ascii_alphabetic).collect();
    let col = letters
        .bytes()
        .fold(0usize, |n, b| n * 26 + usize::from(b - b'A' + 1))
        - 1;
    let row: usize = a1[letters.len()..].parse::<usize>().unwrap() - 1;
    (col, row)
}

/// What Sheets does with the writes: cells set, rows and columns grown; "" is a blank cell.
fn apply(tabs: &mut [(String, Vec<Vec<Value>>)], writes: &[RangeWrite]) {
    for w in writes {
        let (_, rows) = tabs.iter_mut().find(|(t, _)| *t == w.tab).unwrap();
        let start = w.range.split(':').next().unwrap();
        let (c0, r0) = cell_of(start);
        for (i, vals) in w.values.iter().enumerate() {
            if rows.len() <= r0 + i {
                rows.resize(r0 + i + 1, Vec::new());
            }
            let row = &mut rows[r0 + i];
            for (j, v) in vals.iter().enumerate() {
                if row.len() <= c0 + j {
                    row.resize(c0 + j + 1, json!(""));
                }
                row[c0 + j] = json!(v);
            }
        }
    }
}

fn tabs_of(raw: &[(String, Vec<Vec<Value>>)]) -> Vec<Tab> {
    raw.iter()
        .map(|(n, rows)| Tab::from_json(n, rows))
        .collect()
}

fn roster() -> (String, Vec<Vec<Value>>) {
    (
        "Roster".into(),
        vec![
            vec![json!("Name"), json!("Email")],
            vec![json!("Ana Lima"), json!("ana@example.com")],
            vec![json!("Bo Berg"), json!("bo@example.com")],
        ],
    )
}

fn with_days(tabs: &[Tab], name: &str, days: &[&str]) -> CrewMember {
    let mut m = read_sheet(tabs, 2026)
        .members
        .into_iter()
        .find(|m| m.name == name)
        .unwrap();
    m.available_dates = days
        .iter()
        .map(|d| CharterDate::parse(d).unwrap())
        .collect();
    m
}

fn read_back(raw: &[(String, Vec<Vec<Value>>)], name: &str) -> BTreeSet<CharterDate> {
    read_sheet(&tabs_of(raw), 2026)
        .members
        .into_iter()
        .find(|m| m.name == name)
        .unwrap()
        .available_dates
}

#[test]
fn a_members_row_in_the_available_tab_is_rewritten_and_read_back() {
    let mut raw = vec![
        roster(),
        (
            "Available".into(),
            vec![
                vec![json!("Member"), json!("Dates")],
                vec![
                    json!("Ana Lima"),
                    json!("May 3"),
                    json!("May 4"),
                    json!("May 5"),
                ],
                vec![json!("Bo Berg"), json!("May 9")],
            ],
        ),
        (
            "Unavailable".into(),
            vec![vec![json!("ana@example.com"), json!("2026-06-01")]],
        ),
    ];
    let m = with_days(&tabs_of(&raw), "Ana Lima", &["2026-05-04", "2026-06-01"]);
    let w = availability_writes(&tabs_of(&raw), &m).unwrap();
    assert_eq!(
        w[0],
        RangeWrite {
            tab: "Available".into(),
            range: "B2:D2".into(),
            values: vec![vec!["2026-05-04".into(), "2026-06-01".into(), "".into()]],
        }
    );
    assert_eq!(w[1].range, "B1:B1", "her unavailable row blanked");
    apply(&mut raw, &w);
    assert_eq!(read_back(&raw, "Ana Lima"), m.available_dates);
    // Bo is untouched.
    assert_eq!(
        read_back(&raw, "Bo Berg"),
        [CharterDate::parse("2026-05-09").unwrap()].into()
    );
}

#[test]
fn a_member_without_a_row_gets_one_and_a_member_tab_keeps_its_labels() {
    let mut raw = vec![
        roster(),
        (
            "Available".into(),
            vec![vec![json!("Bo Berg"), json!("May 9")]],
        ),
    ];
    let m = with_days(&tabs_of(&raw), "Ana Lima", &["2026-05-07"]);
    let w = availability_writes(&tabs_of(&raw), &m).unwrap();
    assert_eq!(w[0].range, "A2:B2");
    apply(&mut raw, &w);
    assert_eq!(read_back(&raw, "Ana Lima"), m.available_dates);

    let mut raw = vec![
        roster(),
        (
            "Ana Lima".into(),
            vec![
                vec![json!("Days free"), json!("May 3")],
                vec![json!("May 4")],
            ],
        ),
    ];
    let m = with_days(&tabs_of(&raw), "Ana Lima", &["2026-05-10", "2026-05-11"]);
    let w = availability_writes(&tabs_of(&raw), &m).unwrap();
    assert_eq!(w[0].range, "A1:B4");
    apply(&mut raw, &w);
    assert_eq!(raw[1].1[0][0], json!("Days free"));
    assert_eq!(read_back(&raw, "Ana Lima"), m.available_dates);

    // No place for it: said so.
    let raw = vec![roster()];
    let m = with_days(&tabs_of(&raw), "Ana Lima", &["2026-05-10"]);
    let e = availability_writes(&tabs_of(&raw), &m).unwrap_err();
    assert!(e.contains("no `Available` tab"), "{e}");
}
