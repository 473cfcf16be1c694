//! Reads produced workbooks back with calamine and checks the layout the design promises: the
//! revenue workbook (and its prior column order), the same tab written from a stream of rows, and
//! the crew statement. The charter builder and the zip-part reader they share are here.

mod revenue;
mod statements;
mod streaming;

use std::io::Cursor;

use dispatch_core::domain::{Charter, CharterDate, CharterId, CharterStatus, CrewId, Money};

/// A completed charter aboard Sea Lark (captain crew-0001, crew 0002 and 0003), amounts in cents.
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

/// The text of one part of an `.xlsx` (a zip).
fn zip_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("xlsx is a zip");
    let mut part = z.by_name(name).expect("part present");
    let mut s = String::new();
    part.read_to_string(&mut s).expect("utf-8 xml");
    s
}
