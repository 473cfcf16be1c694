//! `dispatch roster sync --file X.xlsx` with hostile workbooks. Before each case Ana
//! (`crew-0001`, available 2024-05-10) and Bo (`crew-0002`, 2024-05-20) are stored; afterwards no
//! e-mail is held by two members, and Ana's dates are what the case expects (her stored ones
//! unless the sheet readably changes them).

mod build;

use std::collections::BTreeSet;
use std::io::{Cursor, Write};

use dispatch_core::domain::*;
use rust_xlsxwriter::Workbook;

use crate::{expect, Env, Tally};
use build::{available, book, formulas, patch};

struct Case {
    name: &'static str,
    book: fn() -> Vec<u8>,
    exit: i32,
    fragment: &'static str,
    /// Ana's dates afterwards; empty means her stored ones.
    ana: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "stray_cell_xfd1048576",
        book: || {
            book(|wb| {
                wb.worksheet_from_name("Roster")
                    .unwrap()
                    .write_string(1_048_575, 16_383, "x")
                    .unwrap();
            })
        },
        exit: 1,
        fragment: "tab `Roster` has a cell at XFD1048576",
        ana: &[],
    },
    Case {
        name: "stray_cell_row_25001",
        book: || {
            book(|wb| {
                available(wb, &["5/3/2024"]);
                wb.worksheet_from_name("Available")
                    .unwrap()
                    .write_string(25_000, 0, "x")
                    .unwrap();
            })
        },
        exit: 1,
        fragment: "tab `Available` has a cell at A25001",
        ana: &[],
    },
    Case {
        name: "declared_dimension_whole_sheet",
        book: || {
            patch(
                &book(|wb| available(wb, &["5/3/2024"])),
                "xl/worksheets/sheet1.xml",
                |x| {
                    x.replace(
                        "<dimension ref=\"A1:C3\"/>",
                        "<dimension ref=\"A1:XFD1048576\"/>",
                    )
                },
            )
        },
        exit: 0,
        // Bo is unchanged: the sheet has no captain or certification column, so his stored ones stay.
        fragment: "created 0, updated 1, unchanged 1",
        ana: &["2024-05-03"],
    },
    Case {
        name: "text_named_xlsx",
        book: || b"Name,E-mail\nAna,ana@example.com\n".to_vec(),
        exit: 1,
        fragment: "not an .xlsx workbook (is it .xls, .csv or a Google Sheet export?)",
        ana: &[],
    },
    Case {
        name: "old_xls",
        book: || vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0],
        exit: 1,
        fragment: "old Excel .xls",
        ana: &[],
    },
    Case {
        name: "empty_file",
        book: Vec::new,
        exit: 1,
        fragment: "the file is empty",
        ana: &[],
    },
    Case {
        name: "cut_in_half",
        book: || {
            let b = book(|wb| available(wb, &["5/3/2024"]));
            b[..b.len() / 2].to_vec()
        },
        exit: 1,
        fragment: "damaged or cut short",
        ana: &[],
    },
    Case {
        name: "zip_without_workbook",
        book: || {
            let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
            z.start_file("hello.txt", zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(b"hi").unwrap();
            z.finish().unwrap().into_inner()
        },
        exit: 1,
        fragment: "workbook",
        ana: &[],
    },
    Case {
        name: "no_roster_tab",
        book: || {
            let mut wb = Workbook::new();
            wb.add_worksheet().set_name("People").unwrap();
            wb.save_to_buffer().unwrap()
        },
        exit: 2,
        fragment: "the workbook has no `Roster` tab (tabs: People)",
        ana: &[],
    },
    Case {
        name: "roster_without_header",
        book: || {
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name("Roster").unwrap();
            ws.write_string(0, 0, "just text").unwrap();
            wb.save_to_buffer().unwrap()
        },
        exit: 2,
        fragment: "no header row with a name and an e-mail column",
        ana: &[],
    },
    Case {
        name: "formula_without_cached_value",
        book: || formulas(&[("=DATE(2024,5,3)", None)]),
        exit: 2,
        fragment: "Available!B1 \"=DATE(2024,5,3)\": a formula whose value the file does not carry",
        ana: &[],
    },
    Case {
        name: "div0_error_cell",
        book: || formulas(&[("=1/0", Some("#DIV/0!"))]),
        exit: 2,
        fragment: "Available!B1 \"#DIV/0!\": the cell's formula gives #DIV/0!",
        ana: &[],
    },
    Case {
        name: "all_cells_na",
        book: || formulas(&[("=NA()", Some("#N/A")), ("=NA()", Some("#N/A"))]),
        exit: 2,
        fragment: "Ana Silva's stored availability is kept",
        ana: &[],
    },
    Case {
        name: "one_good_one_error_cell",
        book: || {
            formulas(&[
                ("=DATE(2024,5,3)", Some("45415")),
                ("=1/0", Some("#DIV/0!")),
            ])
        },
        exit: 2,
        fragment: "Available!C1",
        ana: &[],
    },
    Case {
        name: "no_crew_id_column",
        book: || {
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name("Roster").unwrap();
            ws.write_string(0, 0, "Name").unwrap();
            ws.write_string(0, 1, "Email").unwrap();
            ws.write_string(1, 0, "Ana Silva").unwrap();
            ws.write_string(1, 1, "ANA@example.com").unwrap();
            available(&mut wb, &["5/4/2024"]);
            wb.save_to_buffer().unwrap()
        },
        exit: 0,
        fragment: "created 0, updated 1",
        ana: &["2024-05-04"],
    },
    Case {
        name: "explicit_id_other_owner",
        book: || {
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
            wb.save_to_buffer().unwrap()
        },
        exit: 2,
        fragment: "this e-mail belongs to stored member crew-0001",
        ana: &[],
    },
    Case {
        name: "unknown_member",
        book: || {
            book(|wb| {
                let av = wb.add_worksheet();
                av.set_name("Available").unwrap();
                av.write_string(0, 0, "Zed Nobody").unwrap();
                av.write_string(0, 1, "5/3").unwrap();
            })
        },
        exit: 2,
        fragment: "Available!A1 \"Zed Nobody\": no member with this name",
        ana: &[],
    },
    Case {
        name: "range_too_long",
        book: || book(|wb| available(wb, &["5/1/2024-9/1/2024"])),
        exit: 2,
        fragment: "spans more than 93 days",
        ana: &[],
    },
    Case {
        name: "date_that_does_not_exist",
        book: || book(|wb| available(wb, &["2/30/2024"])),
        exit: 2,
        fragment: "Available!B1",
        ana: &[],
    },
    Case {
        name: "name_over_limit",
        book: || {
            book(|wb| {
                let ws = wb.worksheet_from_name("Roster").unwrap();
                ws.write_string(3, 1, "N".repeat(5000)).unwrap();
                ws.write_string(3, 2, "long@example.com").unwrap();
            })
        },
        exit: 2,
        fragment: "Roster!B4",
        ana: &[],
    },
    Case {
        name: "three_hundred_tabs",
        book: || {
            book(|wb| {
                for i in 0..300 {
                    wb.add_worksheet().set_name(format!("T{i}")).unwrap();
                }
            })
        },
        exit: 1,
        fragment: "the workbook has 301 tabs; at most 200",
        ana: &[],
    },
    Case {
        name: "column_reference_overflow",
        book: || {
            include_bytes!("../../crates/reporting/tests/fixtures/column-reference-overflow.xlsx")
                .to_vec()
        },
        exit: 1,
        fragment: "the workbook is damaged (the .xlsx reader gave up on it)",
        ana: &[],
    },
    Case {
        name: "missing_file",
        book: || b"{NOFILE}".to_vec(),
        exit: 1,
        fragment: "no availability workbook at",
        ana: &[],
    },
];

pub const COUNT: usize = CASES.len();

fn stored() -> Vec<CrewMember> {
    let mut ana = crate::common::member("crew-0001", true, true, &["2024-05-10"]);
    ana.name = "Ana Silva".into();
    ana.email = EmailAddress::parse("ana@example.com").unwrap();
    let mut bo = crate::common::member("crew-0002", false, true, &["2024-05-20"]);
    bo.name = "Bo Lee".into();
    bo.email = EmailAddress::parse("bo@example.com").unwrap();
    vec![ana, bo]
}

async fn check(env: &Env, ana_want: &[&str]) -> Option<String> {
    let list = env.backend.roster.list().await.unwrap().items;
    let mut emails = BTreeSet::new();
    for m in &list {
        if !emails.insert(m.email.as_str().to_ascii_lowercase()) {
            return Some(format!("two members hold {}", m.email));
        }
    }
    let ana = list.iter().find(|m| m.crew_id.as_str() == "crew-0001")?;
    let want: BTreeSet<CharterDate> = if ana_want.is_empty() {
        ["2024-05-10"].as_slice()
    } else {
        ana_want
    }
    .iter()
    .map(|d| CharterDate::parse(d).unwrap())
    .collect();
    (ana.available_dates != want).then(|| {
        format!(
            "Ana's dates are {:?}, expected {want:?}",
            ana.available_dates
        )
    })
}

pub async fn run(env: &Env) {
    let mut tally = Tally::default();
    for case in CASES {
        env.backend.roster.upsert_batch(&stored()).await.unwrap();
        let bytes = (case.book)();
        let path = if bytes == b"{NOFILE}" {
            env.dir.path().join("nowhere.xlsx")
        } else {
            env.file(&format!("{}.xlsx", case.name), &bytes)
        };
        let (code, out) = env.dispatch(
            &["roster", "sync", "--file", path.to_str().unwrap()],
            &[("DISPATCH_ROSTER_YEAR", "2024")],
        );
        let problem = match expect(code, case.exit, &out, case.fragment) {
            Some(p) => Some(p),
            None => match env
                .backend
                .roster
                .list()
                .await
                .unwrap()
                .items
                .iter()
                .find(|m| m.crew_id.as_str() == "crew-0001")
            {
                None => Some("Ana is gone".into()),
                Some(_) => check(env, case.ana).await,
            },
        };
        tally.check(&format!("{}/{}", env.kind, case.name), problem, &out);
    }
    tally.finish("workbooks");
}
