//! Reading an `.xlsx` someone uploaded, without trusting its shape.
//!
//! calamine's `worksheet_range` allocates the bounding box of the used cells: one stray cell at
//! `XFD1048576` next to `A1` asks for 17 billion cells (549 GB) and aborts the process. So cells
//! are streamed one at a time ([`calamine::XlsxCellReader`]), empty ones (formatting only) are
//! dropped, and a tab is refused — the whole workbook, naming the tab and the cell — when a cell
//! lies beyond [`MAX_ROWS`] × [`MAX_COLS`] or the tab holds more than [`MAX_CELLS`] cells. The
//! zip's declared sizes are checked before calamine inflates anything, and a file that is not a
//! zip at all gets a message that says what it probably is.
//!
//! A formula without a cached value (a file written by a program that does not calculate) becomes
//! [`Cell::Uncomputed`] and an error cell [`Cell::Error`] with Excel's text (`#DIV/0!`): both are
//! reported by the roster reader, never read as empty.

use std::io::{Cursor, Read, Seek};

use calamine::{open_workbook_from_rs, DataRef, Reader, Xlsx, XlsxError};

use super::{a1, Cell, Tab};
use crate::error::ReportError;

/// Rows an availability tab may use (row numbers beyond are refused).
pub const MAX_ROWS: u32 = 20_000;
/// Columns an availability tab may use (`ALL` is column 1,000).
pub const MAX_COLS: u32 = 1_000;
/// Non-empty cells per tab.
pub const MAX_CELLS: usize = 200_000;
/// Tabs per workbook.
pub const MAX_TABS: usize = 200;
/// Bytes of the workbook file itself.
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;
/// Bytes the workbook's parts may inflate to, in all (a zip bomb is refused before reading).
pub const MAX_INFLATED_BYTES: u64 = 512 * 1024 * 1024;

thread_local! {
    /// Set while this thread is inside calamine (see [`contained`]).
    static IN_CALAMINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// What a workbook that makes the `.xlsx` library give up is told.
const DAMAGED: &str = "the workbook is damaged (the .xlsx reader gave up on it): open it in Excel or Google Sheets, save it again as .xlsx and retry";

/// Runs one calamine call so that a panic inside it is this workbook's error, not the process's:
/// calamine 0.38 overflows (a panic in builds with overflow checks) on a cell reference with a
/// very long column name such as `ZZZZZZZZ1`, found by fuzzing. The panic hook in place stays in
/// charge of every other panic; only one raised on this thread inside the call is kept quiet.
fn contained<T>(f: impl FnOnce() -> Result<T, ReportError>) -> Result<T, ReportError> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_CALAMINE.with(|c| c.get()) {
                previous(info);
            }
        }));
    });
    let was = IN_CALAMINE.with(|c| c.replace(true));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_CALAMINE.with(|c| c.set(was));
    out.unwrap_or_else(|_| Err(refused(DAMAGED)))
}

fn refused(what: impl Into<String>) -> ReportError {
    ReportError::Refused(what.into())
}

/// What a file that is not an `.xlsx` probably is, from its first bytes.
fn sniff(bytes: &[u8]) -> Result<(), ReportError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(refused(format!(
            "the workbook is {} MB; an availability sheet is at most {} MB",
            bytes.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(());
    }
    let hint = if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        "it is an old Excel .xls (or another Office 97 file): save it as .xlsx"
    } else if bytes.is_empty() {
        "the file is empty"
    } else if bytes
        .iter()
        .take(512)
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace() || *b >= 0x80)
    {
        "it looks like text (a .csv?): export the Google Sheet as .xlsx (File > Download > Microsoft Excel)"
    } else {
        "it is not a zip archive"
    };
    Err(refused(format!(
        "not an .xlsx workbook (is it .xls, .csv or a Google Sheet export?): {hint}"
    )))
}

/// Refuses a zip whose parts declare more than [`MAX_INFLATED_BYTES`] in all.
fn check_zip(bytes: &[u8]) -> Result<(), ReportError> {
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        refused(
            "not an .xlsx workbook (is it .xls, .csv or a Google Sheet export?): the zip archive is damaged or cut short: download or export it again",
        )
    })?;
    let mut zip = zip;
    let total: u128 = match zip.decompressed_size() {
        Some(t) => t,
        None => (0..zip.len())
            .map(|i| {
                zip.by_index_raw(i)
                    .map(|f| u128::from(f.size()))
                    .unwrap_or(0)
            })
            .sum(),
    };
    if total > u128::from(MAX_INFLATED_BYTES) {
        return Err(refused(format!(
            "the workbook unpacks to more than {} MB: that is not an availability sheet",
            MAX_INFLATED_BYTES / (1024 * 1024)
        )));
    }
    Ok(())
}

fn from_data(d: &DataRef<'_>) -> Cell {
    match d {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) if s.trim().is_empty() => Cell::Empty,
        DataRef::SharedString(s) if s.trim().is_empty() => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => Cell::DateSerial(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

fn read_error(what: String) -> impl FnOnce(XlsxError) -> ReportError {
    move |source| ReportError::Read { what, source }
}

/// One tab's cells, streamed, within the limits.
fn read_tab<RS: Read + Seek>(wb: &mut Xlsx<RS>, name: &str) -> Result<Tab, ReportError> {
    let mut reader = contained(|| {
        wb.worksheet_cells_reader(name)
            .map_err(read_error(format!("tab `{name}`")))
    })?;
    let mut cells: Vec<(u32, u32, Cell)> = Vec::new();
    let mut last_row = 0u32;
    while let Some(rec) = contained(|| {
        reader
            .next_cell_with_formula()
            .map_err(read_error(format!("tab `{name}`")))
    })? {
        let (r, c) = rec.pos;
        let cell = match (&rec.value, rec.formula.as_deref()) {
            (DataRef::Empty, Some(f)) if !f.trim().is_empty() => Cell::Uncomputed(f.to_string()),
            (v, _) => from_data(v),
        };
        if cell.is_empty() {
            continue; // formatting only
        }
        if r >= MAX_ROWS || c >= MAX_COLS {
            return Err(refused(format!(
                "tab `{name}` has a cell at {} (the tab may use rows 1-{MAX_ROWS} and columns A-{}): \
                 delete the stray cell (Ctrl+End shows the last one) and export again",
                a1(r as usize, c as usize),
                a1(0, MAX_COLS as usize - 1).trim_end_matches('1')
            )));
        }
        if cells.len() >= MAX_CELLS {
            return Err(refused(format!(
                "tab `{name}` holds more than {MAX_CELLS} cells: that is not an availability sheet"
            )));
        }
        last_row = last_row.max(r);
        cells.push((r, c, cell));
    }
    let mut rows: Vec<Vec<Cell>> = if cells.is_empty() {
        Vec::new()
    } else {
        vec![Vec::new(); last_row as usize + 1]
    };
    for (r, c, cell) in cells {
        let (r, c) = (r as usize, c as usize);
        if let Some(row) = rows.get_mut(r) {
            if row.len() <= c {
                row.resize(c + 1, Cell::Empty);
            }
            if let Some(slot) = row.get_mut(c) {
                *slot = cell;
            }
        }
    }
    Ok(Tab {
        name: name.to_string(),
        rows,
    })
}

/// Opens an uploaded workbook after the checks above.
pub(crate) fn open(bytes: &[u8]) -> Result<Xlsx<Cursor<&[u8]>>, ReportError> {
    sniff(bytes)?;
    check_zip(bytes)?;
    contained(|| {
        open_workbook_from_rs(Cursor::new(bytes)).map_err(|source| match source {
            XlsxError::Zip(e) => refused(format!(
                "not an .xlsx workbook (is it .xls, .csv or a Google Sheet export?): {e}"
            )),
            source => ReportError::Read {
                what: "the workbook".into(),
                source,
            },
        })
    })
}

/// Every tab of an `.xlsx`, in order, cells placed by their own references.
pub fn tabs_from_xlsx(bytes: &[u8]) -> Result<Vec<Tab>, ReportError> {
    let mut wb = open(bytes)?;
    let names = wb.sheet_names();
    if names.len() > MAX_TABS {
        return Err(refused(format!(
            "the workbook has {} tabs; at most {MAX_TABS}",
            names.len()
        )));
    }
    names.iter().map(|name| read_tab(&mut wb, name)).collect()
}

/// The first `n` rows with any non-empty cell of tab `name`, streamed: reading stops after them.
pub(crate) fn leading_rows<RS: Read + Seek>(
    wb: &mut Xlsx<RS>,
    name: &str,
    n: usize,
) -> Result<Vec<Vec<Cell>>, ReportError> {
    let mut reader = contained(|| {
        wb.worksheet_cells_reader(name)
            .map_err(read_error(format!("tab `{name}`")))
    })?;
    let mut rows: Vec<(u32, Vec<Cell>)> = Vec::new();
    while let Some(rec) = contained(|| {
        reader
            .next_cell()
            .map_err(read_error(format!("tab `{name}`")))
    })? {
        let (r, c) = (rec.get_position().0, rec.get_position().1);
        let cell = from_data(rec.get_value());
        if cell.is_empty() {
            continue;
        }
        if rows.last().is_none_or(|(r0, _)| r > *r0) {
            if rows.len() == n {
                break;
            }
            rows.push((r, Vec::new()));
        }
        if c >= MAX_COLS {
            return Err(refused(format!(
                "tab `{name}` has a header cell at {}: beyond column {MAX_COLS}",
                a1(r as usize, c as usize)
            )));
        }
        let Some((_, cells)) = rows.last_mut() else {
            continue;
        };
        let c = c as usize;
        if cells.len() <= c {
            cells.resize(c + 1, Cell::Empty);
        }
        if let Some(slot) = cells.get_mut(c) {
            *slot = cell;
        }
    }
    Ok(rows.into_iter().map(|(_, cells)| cells).collect())
}
