//! The fake's Sheets: `spreadsheets.get` (the tabs) and `values.batchGet` (ragged rows, as
//! Google sends them).

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
