//! Golden test: the May 2024 revenue workbook of five fixed charters, read back and rendered as
//! text (every cell's value or formula with its number format and style, defined names, frozen
//! panes, column widths), compared with `tests/golden/may-2024.txt`.
//!
//! Not the raw xlsx bytes: they carry a creation timestamp. After an intended layout change,
//! review the diff and rewrite the snapshot with
//! `UPDATE_GOLDEN=1 cargo test -p dispatch-reporting --test golden`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Cursor, Read};
use std::path::PathBuf;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use dispatch_core::domain::{Charter, CharterDate, CharterId, CharterStatus, CrewId, Money, Month};
use dispatch_reporting::revenue::{revenue_workbook, RevenueReport};

fn id(s: &str) -> CrewId {
    CrewId::parse(s).expect("valid crew id")
}

#[allow(clippy::too_many_arguments)]
fn charter(
    n: u32,
    date: &str,
    created: &str,
    vessel: &str,
    guests: &[&str],
    captain: Option<&str>,
    crew: &[&str],
    revenue_cents: i64,
    tips_cents: i64,
) -> Charter {
    Charter {
        charter_id: CharterId::parse(&format!("6d1c0c52-7e55-4c1e-9a51-{n:012}")).expect("uuid"),
        created_at: created.to_string(),
        charter_date: CharterDate::parse(date).expect("valid date"),
        vessel_name: vessel.to_string(),
        captain_assigned: captain.map(id),
        crew_assigned: crew.iter().map(|c| id(c)).collect(),
        guest_count: guests.len() as u32,
        guest_names: guests.iter().map(|g| g.to_string()).collect(),
        reportable_revenue: Money::from_cents(revenue_cents),
        tips: Money::from_cents(tips_cents),
        status: CharterStatus::Completed,
        crew_needed: None,
    }
}

/// Five charters, given out of order; one has no reportable revenue and must not appear.
fn may_2024() -> Vec<Charter> {
    vec![
        charter(
            5,
            "2024-05-18",
            "2024-04-20T09:00:00Z",
            "Blue Heron",
            &["Kim Ode", "Lu Fang", "Max Roe"],
            Some("crew-0002"),
            &["crew-0001"],
            240_000,
            36_000,
        ),
        charter(
            1,
            "2024-05-03",
            "2024-04-02T10:15:00Z",
            "Sea Lark",
            &["Ann Lee", "Bo Park"],
            Some("crew-0001"),
            &["crew-0002", "crew-0003"],
            100_050,
            10_001,
        ),
        charter(
            3,
            "2024-05-03",
            "2024-04-01T08:00:00Z",
            "Blue Heron",
            &["Cy Dorn"],
            Some("crew-0002"),
            &[],
            45_000,
            0,
        ),
        charter(
            4,
            "2024-05-11",
            "2024-04-03T12:00:00Z",
            "Sea Lark",
            &["Dee Ash", "Eli Moss", "Fay Nix", "Gus Ott"],
            None,
            &["crew-0009"],
            180_025,
            2_550,
        ),
        charter(
            2,
            "2024-05-04",
            "2024-04-03T00:00:00Z",
            "Sea Lark",
            &["No Show"],
            Some("crew-0001"),
            &[],
            0,
            5_000,
        ),
        // Cancelled: never on the month tab, whatever its revenue.
        Charter {
            status: CharterStatus::Cancelled,
            ..charter(
                7,
                "2024-05-11",
                "2024-04-05T00:00:00Z",
                "Sea Lark",
                &["Cancelled Guest"],
                Some("crew-0001"),
                &[],
                185_000,
                0,
            )
        },
        // An older version of charter 5 (the same charter_id, an earlier created_at): only the
        // newest version counts.
        charter(
            5,
            "2024-05-18",
            "2024-04-19T09:00:00Z",
            "Blue Heron",
            &["Stale Version"],
            Some("crew-0002"),
            &["crew-0001"],
            185_000,
            0,
        ),
    ]
}

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/may-2024.txt")
}

#[test]
fn may_2024_revenue_workbook_matches_the_golden_snapshot() {
    let names: HashMap<CrewId, String> = [("crew-0001", "Ana Silva"), ("crew-0002", "Bo Lee")]
        .into_iter()
        .map(|(i, n)| (id(i), n.to_string()))
        .collect();
    let month = Month::new(2024, 5).expect("valid month");
    let generated = chrono::DateTime::parse_from_rfc3339("2024-06-01T08:00:00Z")
        .expect("valid time")
        .to_utc();
    let bytes = RevenueReport::new(month, &names)
        .titled("JADA Charters", generated)
        .workbook(&may_2024(), &mut |_, _| {})
        .expect("workbook");
    let got = render(&bytes);
    // The plain entry point writes the same rows (title without business and time).
    let plain = render(&revenue_workbook(&may_2024(), month, &names, None).expect("workbook"));
    assert!(plain.contains("A1 = \"Revenue May 2024\""), "{plain}");

    // The snapshot must hold the data, not just a frame: every reportable charter's guests and
    // the totals, and never the charter without revenue.
    for needle in [
        "\"Ann Lee, Bo Park\"",
        "\"Cy Dorn\"",
        "\"Dee Ash, Eli Moss, Fay Nix, Gus Ott\"",
        "\"Kim Ode, Lu Fang, Max Roe\"",
        "\"Ana Silva\"",
        "\"crew-0009\"",
        "=SUM(Revenue) -> 5650.75",
        "Revenue = 'May 2024'!$E$3:$E$6",
        "A1 = \"JADA Charters · Revenue May 2024 · generated 2024-06-01 08:00 UTC\"",
        "I2 = \"Status\"",
        "J2 = \"Charter id\"",
        "\"6d1c0c52-7e55-4c1e-9a51-000000000005\"",
        "\"completed\"",
        "opens on: May 2024",
    ] {
        assert!(got.contains(needle), "rendering lacks {needle}:\n{got}");
    }
    for absent in ["No Show", "Cancelled Guest", "Stale Version", "cancelled"] {
        assert!(!got.contains(absent), "rendering holds {absent}:\n{got}");
    }

    let path = snapshot_path();
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("golden dir");
        std::fs::write(&path, &got).expect("write snapshot");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with UPDATE_GOLDEN=1 cargo test -p dispatch-reporting --test golden",
            path.display()
        )
    });
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(g, w)| g != w)
            .unwrap_or(got.lines().count().min(want.lines().count()));
        panic!(
            "the workbook differs from {} from line {}:\n  want: {}\n  got:  {}\n\
             If the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff.\n\n{got}",
            path.display(),
            first + 1,
            want.lines().nth(first).unwrap_or("<end of file>"),
            got.lines().nth(first).unwrap_or("<end of file>"),
        );
    }
}

/// The workbook's content as text, one fact per line.
fn render(bytes: &[u8]) -> String {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("readable xlsx");
    let mut out = String::from(
        "# Revenue workbook for May 2024 from the charters in crates/reporting/tests/golden.rs.\n\
         # Regenerate: UPDATE_GOLDEN=1 cargo test -p dispatch-reporting --test golden\n",
    );
    // The tab the workbook opens on (`activeTab`, 0-based; absent means the first).
    let book = zip_part(bytes, "xl/workbook.xml");
    let active = elements(&book, "workbookView")
        .first()
        .and_then(|v| v.split("activeTab=\"").nth(1))
        .and_then(|v| v.split('"').next())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "opens on: {}",
        wb.sheet_names().get(active).cloned().unwrap_or_default()
    );
    let mut defined = wb.defined_names().to_vec();
    defined.sort();
    out.push_str("\n[defined names]\n");
    for (name, range) in defined {
        let _ = writeln!(out, "{name} = {range}");
    }
    for (i, sheet) in wb.sheet_names().into_iter().enumerate() {
        let xml = zip_part(bytes, &format!("xl/worksheets/sheet{}.xml", i + 1));
        let _ = writeln!(out, "\n[sheet {sheet}]");
        for pane in elements(&xml, "pane") {
            let _ = writeln!(out, "frozen pane: {pane}");
        }
        for col in elements(&xml, "col") {
            let _ = writeln!(out, "column: {col}");
        }
        let values = wb.worksheet_range(&sheet).expect("values");
        let formulas = wb.worksheet_formula(&sheet).expect("formulas");
        let styles = wb.worksheet_style(&sheet).expect("styles");
        for (r, c, v) in values.used_cells() {
            let (r, c) = (
                r as u32 + values.start().map_or(0, |s| s.0),
                c as u32 + values.start().map_or(0, |s| s.1),
            );
            let cell = format!("{}{}", letter(c), r + 1);
            let shown = match v {
                Data::String(s) => format!("{s:?}"),
                Data::Float(f) => format!("{f}"),
                Data::Int(n) => format!("{n}"),
                Data::DateTime(d) => format!("{} (date serial)", d.as_f64()),
                other => format!("{other:?}"),
            };
            let formula = formulas
                .get_value((r, c))
                .filter(|f| !f.is_empty())
                .map(|f| format!("={f} -> "))
                .unwrap_or_default();
            let style = styles.get((r, c));
            let num_fmt = style
                .and_then(|s| s.number_format.as_ref())
                .map_or("General".to_string(), |n| n.format_code.clone());
            let bold = style
                .and_then(|s| s.font.as_ref())
                .is_some_and(|f| f.is_bold());
            let rule = style
                .and_then(|s| s.borders.as_ref())
                .is_some_and(|b| b.bottom.is_visible());
            let _ = writeln!(
                out,
                "{cell} = {formula}{shown} | {num_fmt}{}{}",
                if bold { " | bold" } else { "" },
                if rule { " | ruled below" } else { "" },
            );
        }
    }
    out
}

/// Attributes of every `<name .../>` element, e.g. `xSplit="0" ySplit="1" …`.
fn elements(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name} ");
    xml.match_indices(&open)
        .filter_map(|(at, _)| {
            let rest = &xml[at + open.len()..];
            rest.find("/>").map(|end| rest[..end].trim().to_string())
        })
        .collect()
}

fn letter(mut c: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(char::from(b'A' + (c % 26) as u8));
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.iter().rev().collect()
}

fn zip_part(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("xlsx is a zip");
    let mut part = z.by_name(name).expect("part present");
    let mut s = String::new();
    part.read_to_string(&mut s).expect("utf-8 xml");
    s
}
