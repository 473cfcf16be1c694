//! `dispatch charter import`: the good rows of a JSON file stored under the booking rules, the
//! bad rows named, a vessel the settings do not know warned about per row; and [`report_bad`],
//! how every file import names its bad rows.

use std::path::Path;
use std::process::ExitCode;

use dispatch_core::booking::store_all_bookings;
use dispatch_core::{Backend, Settings};

use super::vessel;
use crate::import;

/// `dispatch charter import FILE [--update] [--vessel-unknown-ok]`.
pub async fn run(
    settings: &Settings,
    backend: &Backend,
    file: &Path,
    update: bool,
    vessel_unknown_ok: bool,
) -> anyhow::Result<ExitCode> {
    let parsed = import::bookings_from_file(file)?;
    if !vessel_unknown_ok {
        for (row, b) in parsed.good_rows.iter().zip(&parsed.good) {
            if let Some(why) = vessel::unknown(settings, &b.charter.vessel_name) {
                eprintln!("  warning: row {row}: {why}");
            }
        }
    }
    let r = store_all_bookings(backend.charters.as_ref(), &parsed.good, update).await?;
    let changed = if r.updated + r.refused.len() > 0 {
        format!("; {} updated, {} refused", r.updated, r.refused.len())
    } else {
        String::new()
    };
    println!(
        "{}: {} charters stored, {} already there, {} bad rows{changed}",
        file.display(),
        r.new,
        r.unchanged,
        parsed.bad.len()
    );
    for why in &r.refused {
        eprintln!("  refused {why}");
    }
    if !r.refused.is_empty() && parsed.bad.is_empty() {
        eprintln!("import the file again with --update to change the charters refused above");
        return Ok(ExitCode::from(2));
    }
    report_bad(&parsed.bad)
}

/// Names each bad row of a file on stderr; exit code 2 if there was one.
pub fn report_bad(bad: &[import::BadRow]) -> anyhow::Result<ExitCode> {
    if bad.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for b in bad {
        eprintln!("  skipped {b}");
    }
    eprintln!(
        "fix the rows above and import the file again (rows already stored are left as they are)"
    );
    Ok(ExitCode::from(2))
}
