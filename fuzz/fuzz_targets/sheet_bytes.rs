//! Fuzzes the availability-sheet reader over arbitrary bytes (calamine underneath): a workbook is
//! read or refused with a message, never a panic and never an allocation the size of the sheet's
//! bounding box. Readable tabs go through the roster reader and the sync plan.
#![no_main]

use dispatch_reporting::sheet::roster::{plan, read_sheet};
use dispatch_reporting::sheet::tabs_from_xlsx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tabs) = tabs_from_xlsx(data) {
        let _ = plan(read_sheet(&tabs, 2024), &[]).summary();
    }
});
