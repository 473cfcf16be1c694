//! Availability workbooks made to hurt: a stray cell at XFD1048576, a text file named `.xlsx`, an
//! old `.xls`, a damaged zip, formulas without cached values, error cells, a sheet without a
//! Crew ID column for members stored under other ids. Each is refused or reported by tab and
//! cell, and nothing stored is lost.

use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};

use dispatch_core::domain::{CharterDate, CrewId, CrewMember, EmailAddress};
use dispatch_reporting::sheet::roster::{plan, read_sheet};
use dispatch_reporting::sheet::{tabs_from_xlsx, Cell};
use rust_xlsxwriter::{Formula, Workbook};

fn dates(list: &[&str]) -> BTreeSet<CharterDate> {
    list.iter()
        .map(|d| CharterDate::parse(d).unwrap())
        .collect()
}

fn stored(id: &str, name: &str, email: &str, d: &[&str]) -> CrewMember {
    CrewMember {
        crew_id: CrewId::parse(id).unwrap(),
        name: name.into(),
        email: EmailAddress::parse(email).unwrap(),
        phone: None,
        captain_certified: false,
        available_dates: dates(d),
        certifications: BTreeSet::new(),
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
    }
}

/// Rewrites one part of a zip (stored, uncompressed).
fn patch(bytes: &[u8], part: &str, f: impl Fn(String) -> String) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..zin.len() {
        let mut file = zin.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut text = Vec::new();
        file.read_to_end(&mut text).unwrap();
        if name == part {
            text = f(String::from_utf8(text).unwrap()).into_bytes();
        }
        out.start_file(name, opts).unwrap();
        out.write_all(&text).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn roster_book(extra: impl FnOnce(&mut Workbook)) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Roster").unwrap();
    ws.write_string(0, 0, "Name").unwrap();
    ws.write_string(0, 1, "E-mail").unwrap();
    ws.write_string(1, 0, "Ana Silva").unwrap();
    ws.write_string(1, 1, "ana@example.com").unwrap();
    ws.write_string(2, 0, "Bo Lee").unwrap();
    ws.write_string(2, 1, "bo@example.com").unwrap();
    extra(&mut wb);
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_stray_cell_at_xfd1048576_is_refused_naming_tab_and_cell() {
    let bytes = roster_book(|wb| {
        let ws = wb.worksheet_from_name("Roster").unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
    });
    assert!(bytes.len() < 10_000, "{} bytes", bytes.len());
    let e = tabs_from_xlsx(&bytes).unwrap_err().to_string();
    assert!(
        e.contains("`Roster`") && e.contains("XFD1048576") && e.contains("stray cell"),
        "{e}"
    );
}

#[test]
fn a_declared_huge_dimension_with_few_cells_reads_fine() {
    // Formatting-only cells and a <dimension> claiming the whole sheet cost nothing.
    let bytes = roster_book(|_| {});
    let bytes = patch(&bytes, "xl/worksheets/sheet1.xml", |x| {
        let x = x.replace(
            "<dimension ref=\"A1:B3\"/>",
            "<dimension ref=\"A1:XFD1048576\"/>",
        );
        x.replace(
            "</sheetData>",
            "<row r=\"1048576\"><c r=\"XFD1048576\" s=\"0\"/></row></sheetData>",
        )
    });
    let tabs = tabs_from_xlsx(&bytes).unwrap();
    assert_eq!(tabs[0].rows.len(), 3);
}

#[test]
fn files_that_are_not_xlsx_say_what_they_are() {
    for (bytes, hint) in [
        (b"Name,E-mail\nAna,ana@example.com\n".to_vec(), ".csv"),
        (
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
            ".xls",
        ),
        (Vec::new(), "empty"),
        (b"PK\x03\x04garbage".to_vec(), "damaged"),
        (vec![0u8, 1, 2, 3, 255, 254], "not a zip"),
    ] {
        let e = tabs_from_xlsx(&bytes).unwrap_err().to_string();
        assert!(
            e.contains("not an .xlsx workbook") && e.contains(hint),
            "{hint}: {e}"
        );
        assert!(!e.contains("EOCD"), "{e}");
    }
}

/// An `Available` tab where Ana's dates are a formula without a cached value and an error, and
/// Bo's are readable.
fn unreadable_book() -> Vec<u8> {
    let bytes = roster_book(|wb| {
        let av = wb.add_worksheet();
        av.set_name("Available").unwrap();
        av.write_string(0, 0, "Ana Silva").unwrap();
        av.write_formula(0, 1, Formula::new("=DATE(2024,5,3)"))
            .unwrap();
        av.write_formula(0, 2, Formula::new("=1/0").set_result("#DIV/0!"))
            .unwrap();
        av.write_formula(0, 3, Formula::new("=NA()").set_result("#N/A"))
            .unwrap();
        av.write_string(1, 0, "Bo Lee").unwrap();
        av.write_string(1, 1, "5/4/2024").unwrap();
    });
    // Drop the cached value of B1: a file written by a program that does not calculate.
    patch(&bytes, "xl/worksheets/sheet2.xml", |x| {
        x.replacen("<f>DATE(2024,5,3)</f><v>0</v>", "<f>DATE(2024,5,3)</f>", 1)
    })
}

#[test]
fn formula_cells_without_values_and_error_cells_are_reported_and_keep_stored_dates() {
    let tabs = tabs_from_xlsx(&unreadable_book()).unwrap();
    let av = tabs.iter().find(|t| t.name == "Available").unwrap();
    assert_eq!(av.rows[0][1], Cell::Uncomputed("DATE(2024,5,3)".into()));
    assert_eq!(av.rows[0][2], Cell::Error("#DIV/0!".into()));
    assert_eq!(av.rows[0][3], Cell::Error("#N/A".into()));
    let sheet = read_sheet(&tabs, 2024);
    let refs: Vec<String> = sheet
        .problems
        .iter()
        .map(|p| format!("{}!{}", p.tab, p.cell))
        .collect();
    assert_eq!(refs, ["Available!B1", "Available!C1", "Available!D1"]);
    assert!(sheet.problems[1].to_string().contains("#DIV/0!"));
    assert!(sheet.problems[2].to_string().contains("#N/A"));
    assert!(
        sheet.problems[0]
            .why
            .contains("stored availability is kept"),
        "{}",
        sheet.problems[0]
    );
    let ana_id = dispatch_reporting::sheet::roster::id_for_email(
        &EmailAddress::parse("ana@example.com").unwrap(),
    );
    let bo_id = dispatch_reporting::sheet::roster::id_for_email(
        &EmailAddress::parse("bo@example.com").unwrap(),
    );
    let existing = vec![
        stored(
            ana_id.as_str(),
            "Ana Silva",
            "ana@example.com",
            &["2024-05-10", "2024-05-11"],
        ),
        stored(bo_id.as_str(), "Bo Lee", "bo@example.com", &["2024-05-20"]),
    ];
    let p = plan(sheet, &existing);
    // Ana's unreadable cells change nothing of hers; Bo's readable ones replace his dates.
    assert_eq!(p.updated, vec![bo_id.clone()]);
    assert_eq!(p.to_write.len(), 1);
    assert_eq!(p.to_write[0].available_dates, dates(&["2024-05-04"]));
    assert!(p.unchanged.contains(&ana_id));
}

#[test]
fn a_sheet_without_crew_ids_updates_members_stored_under_other_ids() {
    let tabs = tabs_from_xlsx(&roster_book(|wb| {
        let av = wb.add_worksheet();
        av.set_name("Available").unwrap();
        av.write_string(0, 0, "ana@example.com").unwrap();
        av.write_string(0, 1, "5/3/2024").unwrap();
    }))
    .unwrap();
    let existing = vec![
        stored("crew-0001", "Ana Silva", "Ana@example.com", &["2024-05-10"]),
        stored("crew-0002", "Bo Lee", "bo@example.com", &[]),
    ];
    let p = plan(read_sheet(&tabs, 2024), &existing);
    assert!(p.created.is_empty(), "created {:?}", p.created);
    assert_eq!(p.updated, vec![CrewId::parse("crew-0001").unwrap()]);
    assert_eq!(p.to_write[0].available_dates, dates(&["2024-05-03"]));
    assert_eq!(p.unchanged, vec![CrewId::parse("crew-0002").unwrap()]);
    assert!(p.not_in_sheet.is_empty());
}

#[test]
fn an_explicit_id_that_disagrees_with_the_stored_owner_of_the_email_is_skipped() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Roster").unwrap();
    for (c, h) in ["Crew ID", "Name", "E-mail"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["crew-9999", "Ana Silva", "ana@example.com"]
        .iter()
        .enumerate()
    {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    let tabs = tabs_from_xlsx(&wb.save_to_buffer().unwrap()).unwrap();
    let existing = vec![stored(
        "crew-0001",
        "Ana Silva",
        "ana@example.com",
        &["2024-05-10"],
    )];
    let p = plan(read_sheet(&tabs, 2024), &existing);
    assert!(p.to_write.is_empty());
    assert_eq!(p.problems.len(), 1);
    assert_eq!(
        format!("{}!{}", p.problems[0].tab, p.problems[0].cell),
        "Roster!C2"
    );
    assert!(p.problems[0].why.contains("crew-0001"), "{}", p.problems[0]);
}

#[test]
fn overlong_names_are_skipped_by_cell() {
    let tabs = tabs_from_xlsx(&roster_book(|wb| {
        let ws = wb.worksheet_from_name("Roster").unwrap();
        ws.write_string(3, 0, "N".repeat(5000)).unwrap();
        ws.write_string(3, 1, "long@example.com").unwrap();
    }))
    .unwrap();
    let sheet = read_sheet(&tabs, 2024);
    assert_eq!(sheet.members.len(), 2);
    assert_eq!(sheet.problems.len(), 1);
    assert_eq!(sheet.problems[0].cell, "A4");
    assert!(
        sheet.problems[0].why.contains("at most 200"),
        "{}",
        sheet.problems[0]
    );
}

#[test]
fn a_charter_the_report_cannot_hold_is_named_and_the_rest_written() {
    use calamine::{open_workbook_from_rs, Reader, Xlsx};
    use dispatch_core::domain::{Charter, CharterId, CharterStatus, Money, Month};
    use dispatch_reporting::revenue::RevenueReport;
    let charter = |vessel: String, day: &str| Charter {
        charter_id: CharterId::new_random(),
        created_at: "2024-04-01T10:00:00Z".into(),
        charter_date: CharterDate::parse(day).unwrap(),
        vessel_name: vessel,
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: 4,
        guest_names: vec![],
        reportable_revenue: Money::parse("100").unwrap(),
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: None,
    };
    let long = charter("V".repeat(32_768), "2024-05-03");
    let good = [
        charter("Marlin".into(), "2024-05-02"),
        charter("Osprey".into(), "2024-05-04"),
    ];
    let all = vec![good[0].clone(), long.clone(), good[1].clone()];
    let names = Default::default();
    let month = Month::parse("2024-05").unwrap();
    let report = RevenueReport::new(month, &names);
    let e = report
        .workbook(&all, &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(long.charter_id.as_str()) && e.contains("32767"),
        "{e}"
    );
    let out = report.workbook_leaving_out(&all, &mut |_, _| {}).unwrap();
    assert_eq!(out.left_out.len(), 1);
    assert_eq!(out.left_out[0].charter_id, long.charter_id.to_string());
    assert!(
        out.left_out[0]
            .to_string()
            .contains("vessel name is 32768 characters"),
        "{}",
        out.left_out[0]
    );
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(out.bytes)).unwrap();
    let range = wb.worksheet_range("May 2024").unwrap();
    // Title row, header row, then the data.
    let vessels: Vec<String> = range
        .rows()
        .skip(2)
        .take(2)
        .map(|r| r[1].to_string())
        .collect();
    assert_eq!(vessels, ["Marlin", "Osprey"]);
}

/// Found by fuzzing: a cell reference with a column name too long for calamine's arithmetic
/// (an overflow panic in builds with overflow checks). The reader says the workbook is damaged.
#[test]
fn a_reference_calamine_cannot_count_is_a_damaged_workbook() {
    let bytes = include_bytes!("fixtures/column-reference-overflow.xlsx");
    match tabs_from_xlsx(bytes) {
        Ok(tabs) => assert!(!tabs.is_empty()), // a build without overflow checks reads on
        Err(e) => assert!(
            e.to_string().contains("damaged") || e.to_string().contains("tab"),
            "{e}"
        ),
    }
}
