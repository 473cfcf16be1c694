//! The benchmark's input: a deterministic month of charters, the roster names, and the JSON the
//! openpyxl script reads.

use std::collections::HashMap;
use std::path::Path;

use dispatch_core::domain::{Charter, CharterDate, CharterId, CharterStatus, CrewId, Money, Month};
use dispatch_reporting::revenue::Column;

const VESSELS: [&str; 6] = [
    "Sea Lark",
    "Blue Heron",
    "Osprey",
    "Kittiwake",
    "Tern",
    "Wind Dancer",
];
const FIRST: [&str; 12] = [
    "Ann", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo", "Kim", "Lu",
];
const LAST: [&str; 10] = [
    "Lee", "Park", "Dorn", "Ash", "Moss", "Nix", "Ott", "Roe", "Fang", "Ode",
];

pub fn month() -> Month {
    Month::new(2024, 5).expect("valid month")
}

/// Roster names: crew-0000..0059, the last ten without a name (shown as their id).
pub fn names() -> HashMap<CrewId, String> {
    (0..50)
        .map(|i| {
            let id = CrewId::parse(&format!("crew-{i:04}")).expect("valid id");
            (id, format!("{} {}", FIRST[i % 12], LAST[i % 10]))
        })
        .collect()
}

/// `n` charters of May 2024 in report order, deterministic (xorshift), all reportable.
pub fn charters(n: usize) -> impl Iterator<Item = Charter> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move |m: u64| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s % m
    };
    let crew_id = |i: u64| CrewId::parse(&format!("crew-{i:04}")).expect("valid id");
    (0..n).map(move |i| {
        let day = 1 + (i * 31 / n.max(1)) as u32;
        let guests: Vec<String> = (0..1 + rnd(12))
            .map(|_| format!("{} {}", FIRST[rnd(12) as usize], LAST[rnd(10) as usize]))
            .collect();
        Charter {
            charter_id: CharterId::parse(&format!("00000000-0000-4000-8000-{i:012}"))
                .expect("uuid"),
            created_at: format!("2024-04-01T00:00:00.{i:06}Z"),
            charter_date: CharterDate::parse(&format!("2024-05-{day:02}")).expect("date"),
            vessel_name: VESSELS[rnd(6) as usize].to_string(),
            captain_assigned: (rnd(20) != 0).then(|| crew_id(rnd(60))),
            crew_assigned: (0..1 + rnd(3)).map(|_| crew_id(rnd(60))).collect(),
            guest_count: guests.len() as u32,
            guest_names: guests,
            reportable_revenue: Money::from_cents(50_000 + rnd(450_000) as i64),
            tips: Money::from_cents(rnd(80_000) as i64),
            status: CharterStatus::Completed,
            crew_needed: None,
        }
    })
}

/// The JSON the Python script reads: the rows it must write, in order, names resolved.
pub fn python_input(n: usize, path: &Path) {
    let names = names();
    let name = |id: &CrewId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let rows: Vec<serde_json::Value> = charters(n)
        .map(|c| {
            serde_json::json!([
                c.charter_date.to_string(),
                c.vessel_name,
                c.guest_names,
                c.guest_count,
                c.reportable_revenue.to_string(),
                c.tips.to_string(),
                c.captain_assigned.as_ref().map(name).unwrap_or_default(),
                c.crew_assigned.iter().map(name).collect::<Vec<_>>(),
            ])
        })
        .collect();
    let doc = serde_json::json!({
        "title": month().title(),
        "columns": Column::ALL.map(Column::header),
        "widths": Column::ALL.map(Column::width),
        "rows": rows,
    });
    std::fs::write(path, serde_json::to_vec(&doc).expect("json")).expect("write json");
}
