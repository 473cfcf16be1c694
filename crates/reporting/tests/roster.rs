//! The availability sheet as people really keep it: a title and a merged header above the real
//! header, blank rows, header typos, e-mails in odd case, yes/x/no flags, dates in every form (date
//! cells, serial numbers, text, ranges), a date that does not exist, garbage, an unknown member.
//! Good cells sync; each bad one is reported by tab and A1 reference.
//!
//! Over 400 lines on purpose: one sheet per case, built cell by cell so the shape people keep is
//! visible next to what the sync makes of it; the licence and expiry columns are in
//! `roster/papers.rs`.

use std::collections::BTreeSet;

use dispatch_core::domain::{CharterDate, CrewId, CrewMember, EmailAddress};
use dispatch_reporting::sheet::roster::{id_for_email, plan, read_sheet};
use dispatch_reporting::sheet::sample::sample_availability_workbook;
use dispatch_reporting::sheet::{tabs_from_xlsx, Tab};
use rust_xlsxwriter::{Format, Workbook};

#[path = "roster/papers.rs"]
mod papers;

fn dates(list: &[&str]) -> BTreeSet<CharterDate> {
    list.iter()
        .map(|d| CharterDate::parse(d).unwrap())
        .collect()
}

fn messy_workbook(extra_members: usize) -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("m/d/yyyy");
    let ws = wb.add_worksheet();
    ws.set_name("Roster").unwrap();
    ws.merge_range(0, 0, 0, 5, "JADA crew — season 2024", &Format::new())
        .unwrap();
    ws.merge_range(1, 0, 1, 1, "Contact", &Format::new())
        .unwrap();
    // Row 3 (index 2) blank; real header on row 4 with a typo and synonyms.
    for (c, h) in ["Full name", "Emial", "Mobile", "Captain?", "Certs", "Notes"]
        .iter()
        .enumerate()
    {
        ws.write_string(3, c as u16, *h).unwrap();
    }
    let rows: Vec<[&str; 5]> = vec![
        [
            "Ana Silva",
            " Ana@Example.com ",
            "+1 555 0100",
            "Yes",
            "deckhand, First Aid",
        ],
        ["Bo Lee", "bo@example.com", "", "x", "deckhand"],
        ["", "", "", "", ""],                                   // blank row
        ["Cy Diaz", "cy@example", "", "no", ""],                // bad e-mail: row skipped
        ["Di Park", "di@example.com", "", "maybe", "deckhand"], // bad flag: kept, not captain
        ["Ana Again", "ana@example.com", "", "no", ""],         // duplicate e-mail
    ];
    for (i, r) in rows.iter().enumerate() {
        for (c, v) in r.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(4 + i as u32, c as u16, *v).unwrap();
            }
        }
    }
    for k in 0..extra_members {
        let r = 20 + k as u32;
        ws.write_string(r, 0, format!("Extra {k}")).unwrap();
        ws.write_string(r, 1, format!("extra{k}@example.com"))
            .unwrap();
        ws.write_string(r, 3, "no").unwrap();
    }
    // Availability by status.
    let av = wb.add_worksheet();
    av.set_name("Available").unwrap();
    av.write_string(0, 0, "Member").unwrap();
    av.write_string(0, 1, "Dates").unwrap();
    av.write_string(1, 0, "Ana Silva").unwrap();
    av.write_number_with_format(1, 1, 45415.0, &date).unwrap(); // 2024-05-03 as a date cell
    av.write_string(1, 2, "5/10/2024").unwrap();
    av.write_string(1, 3, "May 11").unwrap();
    av.write_string(1, 4, "5/20-5/22").unwrap();
    av.write_string(1, 5, "2/30").unwrap(); // does not exist → Available!F2
    av.write_string(2, 0, "bo@example.com").unwrap();
    av.write_string(2, 1, "2024-05-03, 3 May 2024; 5/4")
        .unwrap();
    av.write_string(2, 2, "whenever").unwrap(); // garbage → Available!C3
    av.write_number(2, 3, 45418.0).unwrap(); // a bare serial number: 2024-05-06
    av.write_string(3, 0, "Zed Unknown").unwrap(); // unknown member → Available!A4
    av.write_string(3, 1, "5/3").unwrap();
    let un = wb.add_worksheet();
    un.set_name("unavailable").unwrap();
    un.write_string(0, 0, "Ana Silva").unwrap();
    un.write_string(0, 1, "May 21").unwrap();
    // One tab per member works too: Di's own tab.
    let di = wb.add_worksheet();
    di.set_name("Di Park").unwrap();
    di.write_string(0, 0, "Available dates").unwrap();
    di.write_string(1, 0, "May 3-4").unwrap();
    let notes = wb.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(0, 0, "remember the fuel").unwrap();
    wb.save_to_buffer().unwrap()
}

fn find<'a>(members: &'a [CrewMember], email: &str) -> &'a CrewMember {
    members
        .iter()
        .find(|m| m.email.as_str() == email)
        .unwrap_or_else(|| panic!("{email} not synced"))
}

#[test]
fn a_messy_sheet_syncs_its_good_cells_and_names_the_bad_ones() {
    let tabs = tabs_from_xlsx(&messy_workbook(0)).unwrap();
    let sheet = read_sheet(&tabs, 2024);
    let refs: Vec<String> = sheet
        .problems
        .iter()
        .map(|p| format!("{}!{}", p.tab, p.cell))
        .collect();
    assert_eq!(
        refs,
        [
            "Roster!B8",
            "Roster!D9",
            "Roster!B10",
            "Available!F2",
            "Available!C3",
            "Available!A4"
        ],
        "{:#?}",
        sheet.problems
    );
    assert!(
        sheet.problems[3].why.contains("exists"),
        "{}",
        sheet.problems[3]
    );
    assert_eq!(sheet.ignored_tabs, ["Notes"]);
    let m = &sheet.members;
    assert_eq!(m.len(), 3, "Ana, Bo, Di: {m:#?}");
    let ana = find(m, "ana@example.com");
    assert_eq!(ana.name, "Ana Silva");
    assert!(ana.captain_certified);
    assert_eq!(
        ana.certifications,
        ["deckhand".to_string(), "first_aid".to_string()].into()
    );
    assert_eq!(ana.phone.as_deref(), Some("+1 555 0100"));
    assert_eq!(
        ana.crew_id,
        id_for_email(&EmailAddress::parse("ana@example.com").unwrap())
    );
    assert_eq!(
        ana.available_dates,
        dates(&[
            "2024-05-03",
            "2024-05-10",
            "2024-05-11",
            "2024-05-20",
            "2024-05-22"
        ]),
        "May 21 is on the unavailable tab"
    );
    let bo = find(m, "bo@example.com");
    assert!(bo.captain_certified, "`x` is yes");
    assert_eq!(
        bo.available_dates,
        dates(&["2024-05-03", "2024-05-04", "2024-05-06"])
    );
    let di = find(m, "di@example.com");
    assert!(
        !di.captain_certified,
        "`maybe` is reported and not taken as yes"
    );
    assert_eq!(di.available_dates, dates(&["2024-05-03", "2024-05-04"]));
}

#[test]
fn syncing_twice_changes_nothing_and_reordering_keeps_ids() {
    let tabs = tabs_from_xlsx(&messy_workbook(30)).unwrap();
    let first = plan(read_sheet(&tabs, 2024), &[]);
    assert_eq!(first.created.len(), 33);
    assert_eq!(first.to_write.len(), 33);
    let stored = first.to_write.clone();
    let second = plan(read_sheet(&tabs, 2024), &stored);
    assert!(second.to_write.is_empty() && second.created.is_empty() && second.updated.is_empty());
    assert_eq!(second.unchanged.len(), 33);

    // The same roster with its rows reversed: same ids, nothing to write.
    let mut reversed = tabs.clone();
    let roster = reversed.iter_mut().find(|t| t.name == "Roster").unwrap();
    // (Without the duplicate-e-mail row: with duplicates, the first one in the sheet wins.)
    roster
        .rows
        .retain(|r| r.first() != Some(&dispatch_reporting::sheet::Cell::Text("Ana Again".into())));
    let header_end = 4;
    roster.rows[header_end..].reverse();
    let third = plan(read_sheet(&reversed, 2024), &stored);
    assert!(third.to_write.is_empty(), "{:?}", third.updated);

    // A change in the sheet is one update; stored members off the sheet are left alone.
    let mut ghost = stored[0].clone();
    ghost.crew_id = CrewId::parse("crew-gone").unwrap();
    ghost.email = EmailAddress::parse("gone@example.com").unwrap();
    let mut with_change = stored.clone();
    with_change[1].phone = Some("old".into());
    with_change.push(ghost);
    let fourth = plan(read_sheet(&tabs, 2024), &with_change);
    assert_eq!(fourth.updated, [with_change[1].crew_id.clone()]);
    assert_eq!(fourth.not_in_sheet, [CrewId::parse("crew-gone").unwrap()]);
    assert!(
        fourth.summary().contains("updated 1"),
        "{}",
        fourth.summary()
    );
}

#[test]
fn google_sheets_json_reads_the_same() {
    use serde_json::json;
    let roster = Tab::from_json(
        "Roster",
        &[
            vec![
                json!("Crew ID"),
                json!("Name"),
                json!("Email"),
                json!("Captain certified"),
            ],
            vec![
                json!("crew-ana"),
                json!("Ana Silva"),
                json!("ana@example.com"),
                json!(true),
            ],
            vec![], // Google drops empty rows only at the end; a blank middle row is []
            vec![json!("crew-bo"), json!("Bo Lee"), json!("bo@example.com")], // ragged: no flag
        ],
    );
    let available = Tab::from_json(
        "Available",
        &[vec![json!("crew-bo"), json!(45415), json!("5/4")]],
    );
    let sheet = read_sheet(&[roster, available], 2024);
    assert!(sheet.problems.is_empty(), "{:?}", sheet.problems);
    assert_eq!(sheet.members.len(), 2);
    assert_eq!(sheet.members[0].crew_id.as_str(), "crew-ana");
    assert!(sheet.members[0].captain_certified);
    assert_eq!(
        sheet.members[1].available_dates,
        dates(&["2024-05-03", "2024-05-04"])
    );
}

#[test]
fn the_sample_workbook_reads_back_as_written() {
    let member = |id: &str, name: &str, captain: bool, ds: &[&str]| CrewMember {
        crew_id: CrewId::parse(id).unwrap(),
        name: name.into(),
        email: EmailAddress::parse(&format!("{id}@example.com")).unwrap(),
        phone: Some("+1-555-0100".into()),
        captain_certified: captain,
        available_dates: dates(ds),
        certifications: ["deckhand".to_string()].into(),
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
    };
    let members = vec![
        member(
            "crew-ana",
            "Ana Silva",
            true,
            &["2024-05-03", "2024-05-04", "2024-05-31"],
        ),
        member("crew-bo", "Bo Lee", false, &["2024-05-10"]),
    ];
    let bytes = sample_availability_workbook(&members, "Crew availability").unwrap();
    let sheet = read_sheet(&tabs_from_xlsx(&bytes).unwrap(), 2024);
    assert!(sheet.problems.is_empty(), "{:?}", sheet.problems);
    assert_eq!(sheet.members, members);
}

#[test]
fn dates_without_a_year_are_the_next_occurrence_or_the_tabs_agreed_year() {
    use dispatch_reporting::sheet::dates::YearRule;
    use serde_json::json;
    let roster = Tab::from_json(
        "Roster",
        &[
            vec![json!("Crew ID"), json!("Name"), json!("Email")],
            vec![
                json!("crew-ana"),
                json!("Ana Silva"),
                json!("ana@example.com"),
            ],
            vec![json!("crew-bo"), json!("Bo Lee"), json!("bo@example.com")],
        ],
    );
    // In December, `1/5` is next January; `12/24` is this December.
    let available = Tab::from_json(
        "Available",
        &[vec![json!("crew-ana"), json!("1/5"), json!("12/24")]],
    );
    // A tab whose other dates all say 2027 puts its yearless dates in 2027.
    let bo = Tab::from_json(
        "Bo Lee",
        &[vec![json!("5/3/2027"), json!("May 4"), json!("2027-05-05")]],
    );
    let december = YearRule::NextFrom(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    let sheet = read_sheet(&[roster.clone(), available.clone(), bo], december);
    assert!(sheet.problems.is_empty(), "{:?}", sheet.problems);
    assert_eq!(
        sheet.members[0].available_dates,
        dates(&["2026-12-24", "2027-01-05"])
    );
    assert_eq!(
        sheet.members[1].available_dates,
        dates(&["2027-05-03", "2027-05-04", "2027-05-05"])
    );
    // A fixed season (the roster_year setting) still wins.
    let fixed = read_sheet(&[roster, available], 2026);
    assert_eq!(
        fixed.members[0].available_dates,
        dates(&["2026-01-05", "2026-12-24"])
    );
}

/// The hostile-input finding: a roster sheet without the "Captain certified" and
/// "Certifications" columns de-certified every captain. A missing column leaves every stored
/// value of it alone, and the summary says which columns were missing; a column that is there
/// still sets the value (a blank cell in it is "no").
#[test]
fn a_sheet_without_the_optional_columns_leaves_stored_values_alone() {
    use serde_json::json;
    let mut ana = CrewMember {
        crew_id: CrewId::parse("crew-ana").unwrap(),
        name: "Ana Silva".into(),
        email: EmailAddress::parse("ana@example.com").unwrap(),
        phone: Some("+1 555 0101".into()),
        captain_certified: true,
        available_dates: dates(&["2024-05-03"]),
        certifications: ["deckhand".to_string()].into(),
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
    };
    let names_only = Tab::from_json(
        "Roster",
        &[
            vec![json!("Crew ID"), json!("Name"), json!("Email")],
            vec![
                json!("crew-ana"),
                json!("Ana Silva"),
                json!("ana@example.com"),
            ],
        ],
    );
    let p = plan(read_sheet(&[names_only], 2024), std::slice::from_ref(&ana));
    assert_eq!(p.unchanged, [ana.crew_id.clone()], "{}", p.summary());
    assert!(
        p.summary().contains(
            "columns not in the sheet (stored values kept): Phone, Captain certified, Certifications, Active"
        ),
        "{}",
        p.summary()
    );

    // With the column, a "no" (or a blank cell) is what the sheet says.
    let with_column = Tab::from_json(
        "Roster",
        &[
            vec![
                json!("Crew ID"),
                json!("Name"),
                json!("Email"),
                json!("Captain certified"),
            ],
            vec![
                json!("crew-ana"),
                json!("Ana Silva"),
                json!("ana@example.com"),
                json!("no"),
            ],
        ],
    );
    let p = plan(read_sheet(&[with_column], 2024), std::slice::from_ref(&ana));
    assert_eq!(p.updated, [ana.crew_id.clone()]);
    assert!(!p.to_write[0].captain_certified);
    assert_eq!(
        p.to_write[0].certifications, ana.certifications,
        "no Certifications column"
    );

    // An unreadable cell is "left as it was", as the problem says.
    let unreadable = Tab::from_json(
        "Roster",
        &[
            vec![
                json!("Crew ID"),
                json!("Name"),
                json!("Email"),
                json!("Captain certified"),
            ],
            vec![
                json!("crew-ana"),
                json!("Ana Silva"),
                json!("ana@example.com"),
                json!("perhaps"),
            ],
        ],
    );
    ana.phone = None;
    let p = plan(read_sheet(&[unreadable], 2024), std::slice::from_ref(&ana));
    assert_eq!(p.unchanged, [ana.crew_id.clone()], "{}", p.summary());
    assert!(p.summary().contains("left as it was"), "{}", p.summary());
}
