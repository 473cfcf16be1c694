//! The revenue workbook: tabs, headers, names, formulas and sorted rows; the prior month's column
//! order followed and read back; frozen header rows, money and date formats.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use dispatch_core::domain::{CrewId, Month};
use dispatch_reporting::prior::prior_columns;
use dispatch_reporting::revenue::revenue_workbook;

use crate::{charter, zip_part};

#[test]
fn revenue_workbook_reads_back_with_tabs_headers_names_formulas_and_sorted_rows() {
    let charters = vec![
        charter(
            "00000000-0000-4000-8000-00000000000b",
            "2024-05-10",
            "2024-04-01T00:00:00Z",
            150_000,
            20_000,
        ),
        charter(
            "00000000-0000-4000-8000-00000000000a",
            "2024-05-03",
            "2024-04-02T00:00:00Z",
            100_050,
            10_001,
        ),
        charter(
            "00000000-0000-4000-8000-00000000000f",
            "2024-05-04",
            "2024-04-03T00:00:00Z",
            0,
            5_000,
        ), // not reportable
    ];
    let mut names = HashMap::new();
    names.insert(
        CrewId::parse("crew-0001").expect("valid"),
        "Ana Silva".to_string(),
    );
    let month = Month::new(2024, 5).expect("valid month");
    let bytes = revenue_workbook(&charters, month, &names, None).expect("workbook");

    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("readable xlsx");
    assert_eq!(wb.sheet_names(), ["Template", "May 2024"]);
    let defined: HashMap<_, _> = wb.defined_names().iter().cloned().collect();
    assert_eq!(
        defined.get("Revenue").map(String::as_str),
        Some("'May 2024'!$E$3:$E$4")
    );
    assert_eq!(
        defined.get("Tips").map(String::as_str),
        Some("'May 2024'!$F$3:$F$4")
    );
    assert_eq!(
        defined.get("GuestCount").map(String::as_str),
        Some("'May 2024'!$D$3:$D$4")
    );

    let headers = [
        "Date",
        "Vessel",
        "Guests",
        "Guest count",
        "Revenue",
        "Tips",
        "Captain",
        "Crew",
        "Status",
        "Charter id",
    ];
    let template = wb.worksheet_range("Template").expect("template tab");
    let row0: Vec<String> = template
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(row0, headers);

    let tab = wb.worksheet_range("May 2024").expect("month tab");
    let rows: Vec<_> = tab.rows().collect();
    assert_eq!(
        rows.len(),
        5,
        "title, header, two reportable charters, total"
    );
    assert_eq!(rows[0][0], Data::String("Revenue May 2024".into()));
    let row1: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    assert_eq!(row1, headers);
    // Sorted by date: May 3 first. Dates are real Excel dates (serial 45415 = 2024-05-03).
    match &rows[2][0] {
        Data::DateTime(d) => assert_eq!(d.as_f64(), 45415.0),
        Data::Float(f) => assert_eq!(*f, 45415.0),
        other => panic!("date cell was {other:?}"),
    }
    assert_eq!(rows[2][2], Data::String("Ann Lee, Bo Park".into()));
    assert_eq!(rows[2][4], Data::Float(1000.50));
    assert_eq!(rows[3][5], Data::Float(200.0));
    assert_eq!(rows[2][6], Data::String("Ana Silva".into()));
    assert_eq!(rows[2][7], Data::String("crew-0002, crew-0003".into()));
    assert_eq!(rows[2][8], Data::String("completed".into()));
    assert_eq!(
        rows[2][9],
        Data::String("00000000-0000-4000-8000-00000000000a".into())
    );
    assert_eq!(rows[4][0], Data::String("Total".into()));

    let formulas = wb.worksheet_formula("May 2024").expect("formulas");
    let f: Vec<String> = formulas
        .cells()
        .map(|(_, _, s)| s.clone())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(f, ["SUM(GuestCount)", "SUM(Revenue)", "SUM(Tips)"]);
}

#[test]
fn prior_column_order_is_followed() {
    let prior: Vec<String> = ["Vessel", "Date", "Revenue"].map(String::from).into();
    let month = Month::new(2024, 6).expect("valid month");
    let bytes = revenue_workbook(&[], month, &HashMap::new(), Some(&prior)).expect("workbook");
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("readable xlsx");
    let tab = wb.worksheet_range("June 2024").expect("month tab");
    let row0: Vec<String> = tab
        .rows()
        .nth(1)
        .expect("header under the title")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(&row0[..4], ["Vessel", "Date", "Revenue", "Guests"]);
    let defined: HashMap<_, _> = wb.defined_names().iter().cloned().collect();
    assert_eq!(
        defined.get("Revenue").map(String::as_str),
        Some("'June 2024'!$C$3:$C$3")
    );
}

#[test]
fn prior_columns_round_trip_and_garbage_is_an_error() {
    let prior: Vec<String> = ["Tips", "Date", "Vessel"].map(String::from).into();
    let month = Month::new(2024, 4).expect("valid month");
    let bytes = revenue_workbook(&[], month, &HashMap::new(), Some(&prior)).expect("workbook");
    let cols = prior_columns(&bytes, None).expect("header row");
    assert_eq!(&cols[..3], ["Tips", "Date", "Vessel"]);
    assert_eq!(cols.len(), 10);
    assert_eq!(
        prior_columns(&bytes, Some("April 2024")).expect("by title"),
        cols
    );
    // A workbook from before the title row has its header on the first row (like Template).
    assert_eq!(
        prior_columns(&bytes, Some("Template")).expect("header on row 1"),
        cols
    );
    assert!(prior_columns(&bytes, Some("May 2024")).is_err());
    assert!(prior_columns(b"not a zip", None).is_err());
}

#[test]
fn header_rows_are_frozen_and_money_and_dates_are_formatted() {
    let month = Month::new(2024, 5).expect("valid month");
    let bytes = revenue_workbook(
        &[charter(
            "00000000-0000-4000-8000-00000000000a",
            "2024-05-03",
            "2024-04-02T00:00:00Z",
            100,
            1,
        )],
        month,
        &HashMap::new(),
        None,
    )
    .expect("workbook");
    // Template: its header; the month tab: title and header.
    for (sheet, split) in [
        ("xl/worksheets/sheet1.xml", r#"ySplit="1""#),
        ("xl/worksheets/sheet2.xml", r#"ySplit="2""#),
    ] {
        let xml = zip_part(&bytes, sheet);
        assert!(
            xml.contains(r#"state="frozen""#),
            "{sheet} has a frozen pane"
        );
        assert!(xml.contains(split), "{sheet} freezes its top rows: {split}");
    }
    // The workbook opens on the month tab (the second).
    let book = zip_part(&bytes, "xl/workbook.xml");
    assert!(book.contains(r#"activeTab="1""#), "{book}");
    let styles = zip_part(&bytes, "xl/styles.xml");
    assert!(styles.contains("$#,##0.00"), "currency format");
    assert!(styles.contains("yyyy-mm-dd"), "date format");
}
