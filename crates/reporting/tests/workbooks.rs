//! Reads produced workbooks back with calamine and checks the layout the design promises.
//!
//! Over 400 lines on purpose: one test per promise of DESIGN.md's workbook layout, all sharing
//! the one reader below; kept together so the layout is checked in one place.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use dispatch_core::domain::{
    Charter, CharterDate, CharterId, CharterStatus, CrewId, CrewMember, EmailAddress, Money, Month,
};
use dispatch_reporting::prior::prior_columns;
use dispatch_reporting::revenue::{revenue_workbook, RevenueReport};
use dispatch_reporting::statement::{statements_for_month, Statement};
use dispatch_reporting::statement_book::{statement_file_name, statement_workbook, HEADERS};
use dispatch_reporting::ReportError;

fn charter(id: &str, date: &str, created: &str, revenue: i64, tips: i64) -> Charter {
    Charter {
        charter_id: CharterId::parse(id).expect("valid id"),
        created_at: created.to_string(),
        charter_date: CharterDate::parse(date).expect("valid date"),
        vessel_name: "Sea Lark".to_string(),
        captain_assigned: Some(CrewId::parse("crew-0001").expect("valid")),
        crew_assigned: vec![
            CrewId::parse("crew-0002").expect("valid"),
            CrewId::parse("crew-0003").expect("valid"),
        ],
        guest_count: 2,
        guest_names: vec!["Ann Lee".into(), "Bo Park".into()],
        reportable_revenue: Money::from_cents(revenue),
        tips: Money::from_cents(tips),
        status: CharterStatus::Completed,
        crew_needed: None,
    }
}

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

fn zip_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("xlsx is a zip");
    let mut part = z.by_name(name).expect("part present");
    let mut s = String::new();
    part.read_to_string(&mut s).expect("utf-8 xml");
    s
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

/// `n` reportable charters of May 2024 in report order (dates ascending, then `created_at`).
fn month_of(n: usize) -> Vec<Charter> {
    (0..n)
        .map(|i| {
            let day = 1 + (i * 31 / n.max(1)) as u32;
            charter(
                &format!("00000000-0000-4000-8000-{i:012}"),
                &format!("2024-05-{day:02}"),
                &format!("2024-04-01T00:00:00.{i:06}Z"),
                10_000 + i as i64,
                (i % 7) as i64 * 100,
            )
        })
        .collect()
}

fn month_tab(bytes: &[u8], title: &str) -> (Vec<Vec<Data>>, Vec<String>) {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("readable xlsx");
    let rows = wb
        .worksheet_range(title)
        .expect("month tab")
        .rows()
        .map(|r| r.to_vec())
        .collect();
    let formulas = wb
        .worksheet_formula(title)
        .expect("formulas")
        .cells()
        .map(|(_, _, s)| s.clone())
        .filter(|s| !s.is_empty())
        .collect();
    (rows, formulas)
}

#[test]
fn streamed_rows_give_the_same_tab_as_the_slice_with_progress_to_the_end() {
    let month = Month::new(2024, 5).expect("valid month");
    let names = HashMap::new();
    let mut charters = month_of(2_500);
    charters[7].reportable_revenue = Money::ZERO; // skipped by both paths
    let report = RevenueReport::new(month, &names);

    let mut calls = Vec::new();
    let mut out = Vec::new();
    let written = report
        .write_sorted(
            charters.iter(),
            charters.len(),
            &mut |done, total| calls.push((done, total)),
            &mut out,
        )
        .expect("streamed workbook");
    assert_eq!(written, 2_499);
    assert_eq!(calls.first(), Some(&(0, 2_500)));
    assert_eq!(calls[1], (RevenueReport::PROGRESS_EVERY, 2_500));
    assert_eq!(calls.last(), Some(&(2_500, 2_500)));
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0));

    let mut reversed = charters.clone();
    reversed.reverse(); // the slice path sorts
    let from_slice = revenue_workbook(&reversed, month, &names, None).expect("workbook");
    let (rows, formulas) = month_tab(&out, "May 2024");
    assert_eq!((rows, formulas), month_tab(&from_slice, "May 2024"));
}

#[test]
fn big_month_keeps_every_row_names_the_full_ranges_and_caches_exact_totals() {
    let month = Month::new(2024, 5).expect("valid month");
    let charters = month_of(20_000);
    let bytes = revenue_workbook(&charters, month, &HashMap::new(), None).expect("workbook");
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(&bytes[..])).expect("readable xlsx");
    let defined: HashMap<_, _> = wb.defined_names().iter().cloned().collect();
    assert_eq!(
        defined.get("Revenue").map(String::as_str),
        Some("'May 2024'!$E$3:$E$20002")
    );
    let tab = wb.worksheet_range("May 2024").expect("month tab");
    let rows: Vec<_> = tab.rows().collect();
    assert_eq!(rows.len(), 20_003, "title, header, every charter, total");
    assert_eq!(rows[20_001][4], Data::Float(100.0 + 19_999.0 / 100.0));
    assert_eq!(rows[20_002][0], Data::String("Total".into()));
    // Cached results: sum of 10_000..30_000 cents, guest count 2 each, tips (i % 7) dollars.
    let revenue: i64 = (0..20_000i64).map(|i| 10_000 + i).sum();
    let tips: i64 = (0..20_000i64).map(|i| (i % 7) * 100).sum();
    assert_eq!(rows[20_002][3], Data::Float(40_000.0));
    assert_eq!(rows[20_002][4], Data::Float(revenue as f64 / 100.0));
    assert_eq!(rows[20_002][5], Data::Float(tips as f64 / 100.0));
}

#[test]
fn streamed_rows_out_of_order_are_refused_and_nothing_is_written() {
    let month = Month::new(2024, 5).expect("valid month");
    let names = HashMap::new();
    let mut charters = month_of(10);
    charters.swap(3, 8);
    let mut out = Vec::new();
    let err = RevenueReport::new(month, &names)
        .write_sorted(charters, 10, &mut |_, _| {}, &mut out)
        .expect_err("out of order");
    assert!(matches!(err, ReportError::OutOfOrder(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("charter 00000000-0000-4000-8000-000000000004"),
        "{msg}"
    );
    assert!(
        msg.contains("came after 00000000-0000-4000-8000-000000000008"),
        "{msg}"
    );
    assert!(out.is_empty());
}

fn statement_of_may() -> Statement {
    let month = Month::new(2024, 5).expect("valid month");
    let mut a = charter(
        "00000000-0000-4000-8000-00000000000a",
        "2024-05-03",
        "2024-04-02T00:00:00Z",
        100_050,
        1_000,
    );
    a.vessel_name = "Blue Heron".into();
    let b = charter(
        "00000000-0000-4000-8000-00000000000b",
        "2024-05-10",
        "2024-04-01T00:00:00Z",
        150_000,
        20_000,
    );
    let roster = [member("crew-0002", "Bo Lee")];
    statements_for_month(&[b, a], &roster, month)
        .into_iter()
        .find(|s| s.crew_id.as_str() == "crew-0002")
        .expect("a statement for crew-0002")
}

fn member(id: &str, name: &str) -> CrewMember {
    CrewMember {
        crew_id: CrewId::parse(id).expect("valid"),
        name: name.into(),
        email: EmailAddress::parse("bo@example.com").expect("valid"),
        phone: None,
        captain_certified: false,
        available_dates: Default::default(),
        certifications: Default::default(),
        active: true,
        updated_at: None,
    }
}

#[test]
fn statement_workbook_reads_back_with_title_header_lines_and_total_formula() {
    let st = statement_of_may();
    assert_eq!(statement_file_name(&st), "Statement 2024-05 Bo Lee.xlsx");
    let bytes = statement_workbook(&st).expect("statement workbook");
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(&bytes[..])).expect("readable xlsx");
    assert_eq!(wb.sheet_names(), ["May 2024"]);
    let range = wb.worksheet_range("May 2024").expect("tab");
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    let s = |x: &str| Data::String(x.into());
    assert_eq!(rows[0][0], s("Crew statement"));
    assert_eq!(rows[1][0], s("Bo Lee"));
    assert_eq!(rows[2][0], s("May 2024"));
    assert_eq!(rows[4], HEADERS.map(s).to_vec());
    // Captain crew-0001, crew crew-0002 and crew-0003: 10.00 tips → 3.34/3.33/3.33; 200.00 → 66.67/66.67/66.66.
    assert_eq!(rows[5][1], s("Blue Heron"));
    assert_eq!(rows[5][2], s("Crew"));
    assert_eq!(rows[5][3], Data::Float(1000.50));
    assert_eq!(rows[5][4], Data::Float(10.0));
    assert_eq!(rows[5][5], Data::Float(3.33));
    assert_eq!(rows[6][1], s("Sea Lark"));
    assert_eq!(rows[6][5], Data::Float(66.67));
    match &rows[5][0] {
        Data::DateTime(d) => assert_eq!(d.as_f64(), 45415.0),
        other => panic!("date cell was {other:?}"),
    }
    assert_eq!(rows[7][0], s("Total"));
    assert_eq!(rows[7][5], Data::Float(70.0), "cached total = total_share");
    assert_eq!(st.total_share, Money::from_cents(7_000));
    assert_eq!(rows.len(), 8);

    let formulas = wb.worksheet_formula("May 2024").expect("formulas");
    let f: Vec<_> = formulas.cells().filter(|(_, _, s)| !s.is_empty()).collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].2, "SUM(F6:F7)");
    assert_eq!(formulas.start().map(|(r, _)| r + f[0].0 as u32), Some(7));

    let styles = wb.worksheet_style("May 2024").expect("styles");
    let fmt = |r: u32, c: u32| {
        styles
            .get((r, c))
            .and_then(|s| s.number_format.as_ref())
            .map(|n| n.format_code.clone())
    };
    assert_eq!(fmt(5, 0).as_deref(), Some("yyyy-mm-dd"));
    for c in 3..=5 {
        assert_eq!(fmt(6, c).as_deref(), Some("$#,##0.00"));
    }
    assert_eq!(fmt(7, 5).as_deref(), Some("$#,##0.00"));

    let sheet = zip_part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(r#"ySplit="5""#),
        "title block and header frozen"
    );
    assert!(sheet.contains(r#"topLeftCell="A6""#));
    assert!(
        sheet.contains(r#"<col min="4" max="4" width="16.7109375""#),
        "{sheet}"
    );
}

#[test]
fn statement_without_lines_still_has_header_and_a_zero_total() {
    let mut st = statement_of_may();
    st.lines.clear();
    st.total_share = Money::ZERO;
    let bytes = statement_workbook(&st).expect("statement workbook");
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(&bytes[..])).expect("readable xlsx");
    let formulas = wb.worksheet_formula("May 2024").expect("formulas");
    let f: Vec<_> = formulas
        .cells()
        .map(|(_, _, s)| s.clone())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(f, ["SUM(F6:F6)"]);
    let range = wb.worksheet_range("May 2024").expect("tab");
    assert_eq!(range.get_value((6, 0)), Some(&Data::String("Total".into())));
    assert_eq!(range.get_value((6, 5)), Some(&Data::Float(0.0)));
}
