//! The crew statement workbook: title, header, one line per charter and a total formula; a
//! statement without lines still has its header and a zero total.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use dispatch_core::domain::{CrewId, CrewMember, EmailAddress, Money, Month};
use dispatch_reporting::statement::{statements_for_month, Statement};
use dispatch_reporting::statement_book::{statement_file_name, statement_workbook, HEADERS};

use crate::{charter, zip_part};

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
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
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
