//! Fuzzes the availability-sheet reader over real workbooks with hostile shapes: cells anywhere up
//! to XFD1048576, formulas with and without cached values, error results, long texts, many tabs,
//! odd tab names, written by rust_xlsxwriter from the fuzzer's choices. The reader must refuse far
//! cells with a message naming tab and cell (never allocate the bounding box), and read the rest
//! through the roster reader and sync plan without a panic.
#![no_main]

use arbitrary::Arbitrary;
use dispatch_reporting::sheet::roster::{plan, read_sheet};
use dispatch_reporting::sheet::tabs_from_xlsx;
use libfuzzer_sys::fuzz_target;
use rust_xlsxwriter::{Formula, Workbook};

#[derive(Arbitrary, Debug)]
enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
    Formula(String, Option<String>),
}

#[derive(Arbitrary, Debug)]
struct Put {
    tab: u8,
    /// Mostly near the top left, sometimes anywhere on the sheet.
    far: bool,
    row: u32,
    col: u16,
    value: Value,
}

#[derive(Arbitrary, Debug)]
struct Book {
    tabs: Vec<String>,
    cells: Vec<Put>,
}

fuzz_target!(|book: Book| {
    let mut wb = Workbook::new();
    let mut names: Vec<String> = vec!["Roster".into()];
    names.extend(book.tabs.into_iter().take(8));
    let mut sheets = Vec::new();
    for name in &names {
        let ws = wb.add_worksheet();
        if ws.set_name(name).is_err() {
            continue;
        }
        sheets.push(name.clone());
    }
    for put in book.cells.iter().take(64) {
        let Some(name) = sheets.get(usize::from(put.tab) % sheets.len().max(1)) else {
            return;
        };
        let Ok(ws) = wb.worksheet_from_name(name) else {
            continue;
        };
        let (row, col) = if put.far {
            (put.row % 1_048_576, put.col % 16_384)
        } else {
            (put.row % 40, put.col % 12)
        };
        let _ = match &put.value {
            Value::Text(t) => ws.write_string(row, col, t).map(|_| ()),
            Value::Number(n) => ws.write_number(row, col, *n).map(|_| ()),
            Value::Bool(b) => ws.write_boolean(row, col, *b).map(|_| ()),
            Value::Formula(f, result) => {
                let mut formula = Formula::new(f);
                if let Some(r) = result {
                    formula = formula.set_result(r);
                }
                ws.write_formula(row, col, formula).map(|_| ())
            }
        };
    }
    let Ok(bytes) = wb.save_to_buffer() else {
        return;
    };
    match tabs_from_xlsx(&bytes) {
        Ok(tabs) => {
            let _ = plan(read_sheet(&tabs, 2024), &[]).summary();
        }
        Err(e) => {
            let text = e.to_string();
            assert!(!text.is_empty());
        }
    }
});
