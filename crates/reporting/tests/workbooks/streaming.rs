//! The revenue tab written from a stream of rows: the same tab as from a slice, every row of a
//! big month with exact totals, and rows out of order refused before anything is written.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use dispatch_core::domain::{Charter, Money, Month};
use dispatch_reporting::revenue::{revenue_workbook, RevenueReport};
use dispatch_reporting::ReportError;

use crate::charter;

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
