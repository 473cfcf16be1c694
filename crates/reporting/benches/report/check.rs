//! Proof that the contenders wrote the same workbook: every cell read back with calamine.

use std::path::Path;

use calamine::{open_workbook, Reader, Xlsx};

/// Defined names, then per tab each non-empty cell as `tab!row,col=value` or `tab!row,col==formula`.
/// A formula cell's cached value is left out (openpyxl stores none).
pub fn cells(path: &Path) -> Result<Vec<String>, String> {
    let mut wb: Xlsx<_> = open_workbook(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out: Vec<String> = wb
        .defined_names()
        .iter()
        .map(|(n, r)| format!("{n}={r}"))
        .collect();
    out.sort();
    for tab in wb.sheet_names() {
        let values = wb.worksheet_range(&tab).map_err(|e| e.to_string())?;
        let formulas = wb.worksheet_formula(&tab).map_err(|e| e.to_string())?;
        let (r0, c0) = values.start().unwrap_or((0, 0));
        for (r, c, v) in values.used_cells() {
            let at = (r0 + r as u32, c0 + c as u32);
            if formulas.get_value(at).is_some_and(|f| !f.is_empty()) {
                continue;
            }
            out.push(format!("{tab}!{},{}={v:?}", at.0, at.1));
        }
        let (r0, c0) = formulas.start().unwrap_or((0, 0));
        for (r, c, f) in formulas.used_cells() {
            if !f.is_empty() {
                out.push(format!("{tab}!{},{}=={f}", r0 + r as u32, c0 + c as u32));
            }
        }
    }
    Ok(out)
}

/// `yes`, or where the first difference from `reference` is.
pub fn same_as(reference: &[String], path: &Path) -> String {
    match cells(path) {
        Err(e) => format!("unreadable: {e}"),
        Ok(got) if got == reference => "yes".into(),
        Ok(got) => {
            let at = got
                .iter()
                .zip(reference)
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(reference.len()));
            format!("NO at {}", got.get(at).map_or("<missing>", String::as_str))
        }
    }
}
