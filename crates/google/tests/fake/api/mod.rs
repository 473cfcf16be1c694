//! The fake's Gmail, Drive and Sheets endpoints: the route table and dispatch here, one module
//! per API (Drive's resumable upload sessions apart from its other calls).

mod drive;
mod gmail;
mod sheets;
mod upload;

use axum::http::{HeaderMap, Method};
use axum::response::Response;

use super::{google_error, Shared};

pub use upload::drive_chunk;

type Query = [(String, String)];

fn q<'a>(query: &'a Query, k: &str) -> Option<&'a str> {
    query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// Names the route a request is for.
pub fn route_name(method: &Method, path: &str) -> &'static str {
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), seg.as_slice()) {
        ("POST", ["gmail", "v1", "users", "me", "messages", "send"]) => "gmail.send",
        ("GET", ["gmail", "v1", "users", "me", "messages"]) => "gmail.list",
        ("GET", ["gmail", "v1", "users", "me", "messages", _]) => "gmail.get",
        ("GET", ["drive", "v3", "files"]) => "drive.list",
        ("POST", ["upload", "drive", "v3", "files"]) => "drive.create",
        ("PATCH", ["upload", "drive", "v3", "files", _]) => "drive.update",
        ("PUT", ["upload", "drive", "v3", "files", ..]) => "drive.chunk",
        ("POST", ["drive", "v3", "files", _, "permissions"]) => "drive.permissions",
        ("GET", ["drive", "v3", "files", _, "export"]) => "drive.export",
        ("GET", ["drive", "v3", "files", _]) => "drive.get",
        ("GET", ["v4", "spreadsheets", _, "values:batchGet"]) => "sheets.batchGet",
        ("GET", ["v4", "spreadsheets", _]) => "sheets.get",
        ("PUT", ["v4", "spreadsheets", _, "values", _]) => "sheets.valuesUpdate",
        _ => "unknown",
    }
}

fn bad(msg: &str) -> Response {
    google_error(400, "INVALID_ARGUMENT", "invalid", msg)
}

fn not_found(msg: &str) -> Response {
    google_error(404, "NOT_FOUND", "notFound", msg)
}

/// Serves one authenticated API call.
pub async fn dispatch(
    state: &Shared,
    route: &'static str,
    _m: &Method,
    path: &str,
    query: &Query,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match route {
        "gmail.send" => gmail::gmail_send(state, body),
        "gmail.list" => gmail::gmail_list(state, query),
        "gmail.get" => gmail::gmail_get(state, seg[5], query),
        "drive.list" => drive::drive_list(state, query),
        "drive.create" | "drive.update" => {
            drive::drive_upload(state, route, seg.get(4).copied(), query, headers, body)
        }
        "drive.chunk" => drive_chunk(&mut state.lock().expect("lock"), query, headers, body, None),
        "drive.permissions" => drive::drive_share(state, seg[3], query, body).await,
        "drive.get" => drive::drive_get(state, seg[3], query),
        "drive.export" => drive::drive_export(state, seg[3], query),
        "sheets.get" => sheets::sheets_get(state, seg[2], query),
        "sheets.batchGet" => sheets::sheets_batch_get(state, seg[2], query),
        "sheets.valuesUpdate" => {
            let token = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            sheets::sheets_values_update(state, seg[2], seg[4], query, token, body)
        }
        _ => not_found("no such route in the fake"),
    }
}

/// One page of `items` from `token` (an offset), and the next page's token.
fn page<T: Clone>(items: &[T], token: Option<&str>, size: usize) -> (Vec<T>, Option<String>) {
    let start: usize = token.and_then(|t| t.parse().ok()).unwrap_or(0);
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    (
        items.get(start..end).map(<[T]>::to_vec).unwrap_or_default(),
        next,
    )
}
