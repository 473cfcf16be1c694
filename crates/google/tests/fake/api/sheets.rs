//! The fake's Sheets: `spreadsheets.get` (the tabs), `values.batchGet` (ragged rows, as
//! Google sends them) and `values.update` (cells written, checked as Google checks them).

use axum::response::Response;
use serde_json::{json as j, Value};

use super::super::{json, Shared};
use super::{bad, not_found, q, Query};

pub(super) fn sheets_get(state: &Shared, id: &str, query: &Query) -> Response {
    let s = state.lock().expect("lock");
    let Some(tabs) = s.sheets.get(id) else {
        return not_found("Requested entity was not found.");
    };
    if q(query, "fields") != Some("sheets.properties") {
        return bad("the fake expects fields=sheets.properties");
    }
    let sheets: Vec<Value> = tabs
        .iter()
        .enumerate()
        .map(|(i, (t, _))| j!({"properties": {"sheetId": i * 100, "title": t, "index": i}}))
        .collect();
    json(200, j!({ "sheets": sheets }))
}

pub(super) fn sheets_batch_get(state: &Shared, id: &str, query: &Query) -> Response {
    if q(query, "valueRenderOption") != Some("UNFORMATTED_VALUE")
        || q(query, "dateTimeRenderOption") != Some("SERIAL_NUMBER")
    {
        return bad("the fake expects UNFORMATTED_VALUE and SERIAL_NUMBER");
    }
    let s = state.lock().expect("lock");
    let Some(tabs) = s.sheets.get(id) else {
        return not_found("Requested entity was not found.");
    };
    let mut ranges = Vec::new();
    for (_, r) in query.iter().filter(|(k, _)| k == "ranges") {
        let title = r
            .strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
            .map(|t| t.replace("''", "'"))
            .unwrap_or_else(|| r.clone());
        let Some((_, rows)) = tabs.iter().find(|(t, _)| *t == title) else {
            return bad(&format!("Unable to parse range: {r}"));
        };
        let mut vr = j!({"range": format!("{r}!A1:Z1000"), "majorDimension": "ROWS"});
        if !rows.is_empty() {
            vr["values"] = j!(rows);
        }
        ranges.push(vr);
    }
    json(200, j!({"spreadsheetId": id, "valueRanges": ranges}))
}

/// Scopes that let a token write a spreadsheet (Google's list for `values.update`).
const WRITE_SCOPES: [&str; 3] = [
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
];

/// `values.update`: checks what Google checks (a token with a write scope, `valueInputOption`,
/// an A1 range inside an existing tab, the body's `range`, `majorDimension` and `values`
/// fitting that range), writes the cells (an empty string blanks one) and records the call.
pub(super) fn sheets_values_update(
    state: &Shared,
    id: &str,
    raw_range: &str,
    query: &Query,
    token: Option<&str>,
    body: &[u8],
) -> Response {
    let mut s = state.lock().expect("lock");
    let scopes = token
        .and_then(|t| s.token_scopes.get(t))
        .cloned()
        .unwrap_or_default();
    if !scopes.iter().any(|sc| WRITE_SCOPES.contains(&sc.as_str())) {
        return super::super::google_error(
            403,
            "PERMISSION_DENIED",
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "Request had insufficient authentication scopes.",
        );
    }
    match q(query, "valueInputOption") {
        Some("RAW" | "USER_ENTERED") => {}
        None => return bad("'valueInputOption' is required but not specified"),
        Some(other) => {
            return bad(&format!(
                "Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), \"{other}\""
            ))
        }
    }
    let range = super::super::parse::percent_decode(raw_range);
    let Some((title, cells)) = split_a1(&range) else {
        return bad(&format!("Unable to parse range: {range}"));
    };
    let Some((c0, r0, c1, r1)) = parse_cells(&cells) else {
        return bad(&format!("Unable to parse range: {range}"));
    };
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return bad("Invalid JSON payload received.");
    };
    if let Some(r) = v.get("range") {
        if r.as_str() != Some(range.as_str()) {
            return bad(&format!(
                "Requested writing within range [{range}], but tried writing to [{}]",
                r.as_str().unwrap_or_default()
            ));
        }
    }
    match v.get("majorDimension").and_then(Value::as_str) {
        None | Some("ROWS") => {}
        Some(other) => {
            return bad(&format!(
                "the fake writes majorDimension ROWS only, not {other}"
            ))
        }
    }
    let Some(rows) = v.get("values").and_then(Value::as_array) else {
        return bad("Invalid JSON payload received. 'values' must be a list of lists.");
    };
    let Some(rows): Option<Vec<Vec<Value>>> = rows.iter().map(|r| r.as_array().cloned()).collect()
    else {
        return bad("Invalid JSON payload received. 'values' must be a list of lists.");
    };
    if rows.len() > r1 - r0 + 1 {
        return bad(&format!(
            "Requested writing within range [{range}], but tried writing to row [{}]",
            r0 + rows.len()
        ));
    }
    if let Some(wide) = rows.iter().find(|r| r.len() > c1 - c0 + 1) {
        return bad(&format!(
            "Requested writing within range [{range}], but tried writing to column [{}]",
            c0 + wide.len()
        ));
    }
    let Some(tabs) = s.sheets.get_mut(id) else {
        return not_found("Requested entity was not found.");
    };
    let Some((_, grid)) = tabs.iter_mut().find(|(t, _)| *t == title) else {
        return bad(&format!("Unable to parse range: {range}"));
    };
    for (i, row) in rows.iter().enumerate() {
        if grid.len() <= r0 + i {
            grid.resize(r0 + i + 1, Vec::new());
        }
        let line = &mut grid[r0 + i];
        for (j, cell) in row.iter().enumerate() {
            if line.len() <= c0 + j {
                line.resize(c0 + j + 1, Value::String(String::new()));
            }
            line[c0 + j] = cell.clone();
        }
    }
    // Google drops trailing blank cells and rows when it reads them back.
    let blank = |c: &Value| c.is_null() || c.as_str() == Some("");
    for line in grid.iter_mut() {
        while line.last().is_some_and(blank) {
            line.pop();
        }
    }
    while grid.last().is_some_and(Vec::is_empty) {
        grid.pop();
    }
    let cells: usize = rows.iter().map(Vec::len).sum();
    s.sheet_updates
        .push((id.to_string(), range.clone(), j!(rows)));
    json(
        200,
        j!({"spreadsheetId": id, "updatedRange": range, "updatedRows": rows.len(),
            "updatedColumns": rows.iter().map(Vec::len).max().unwrap_or(0), "updatedCells": cells}),
    )
}

/// `'Tab'!A1:C3` or `Tab!A1` into the tab's title and the cells part.
fn split_a1(range: &str) -> Option<(String, String)> {
    let (tab, cells) = range.rsplit_once('!')?;
    let title = match tab.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        Some(t) => t.replace("''", "'"),
        None if !tab.contains('\'') && !tab.is_empty() => tab.to_string(),
        None => return None,
    };
    Some((title, cells.to_string()))
}

/// `A1:C3` (or `B2`) into zero-based (first column, first row, last column, last row).
fn parse_cells(cells: &str) -> Option<(usize, usize, usize, usize)> {
    let one = |a1: &str| -> Option<(usize, usize)> {
        let letters: String = a1.chars().take_while(char::is_ascii_uppercase).collect();
        let digits = &a1[letters.len()..];
        if letters.is_empty() || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let col = letters
            .bytes()
            .fold(0usize, |n, b| n * 26 + usize::from(b - b'A' + 1));
        let row: usize = digits.parse().ok()?;
        (row > 0).then(|| (col - 1, row - 1))
    };
    let (a, b) = cells.split_once(':').unwrap_or((cells, cells));
    let ((c0, r0), (c1, r1)) = (one(a)?, one(b)?);
    (c0 <= c1 && r0 <= r1).then_some((c0, r0, c1, r1))
}
