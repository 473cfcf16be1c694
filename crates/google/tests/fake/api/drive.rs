//! The fake's Drive: list by name and parent (shared drives included), get, export, multipart
//! upload (checked as Drive checks it) and sharing.

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json as j, Value};

use super::super::parse::{boundary, drive_q_literals, header, multipart_parts, split_entity};
use super::super::{google_error, json, FakeFile, Permission, Shared, State};
use super::upload::open_session;
use super::{bad, not_found, page, q, Query};

pub(super) fn drive_list(state: &Shared, query: &Query) -> Response {
    let s = state.lock().expect("lock");
    let qs = q(query, "q").unwrap_or("");
    if !qs.contains("trashed = false") {
        return bad("the fake expects trashed = false");
    }
    if let Some(d) = &s.shared_drive_id {
        let sees_drive = q(query, "supportsAllDrives") == Some("true")
            && q(query, "includeItemsFromAllDrives") == Some("true")
            && q(query, "corpora") == Some("drive")
            && q(query, "driveId") == Some(d.as_str());
        if !sees_drive {
            return json(200, j!({"files": []}));
        }
    }
    let lits = drive_q_literals(qs);
    let (Some(name), Some(parent)) = (lits.first(), lits.get(1)) else {
        return bad("Invalid Value: q");
    };
    let mime = lits.get(2);
    let hits: Vec<&FakeFile> = s
        .files
        .iter()
        .filter(|f| {
            !f.trashed
                && f.name == *name
                && f.parents.contains(parent)
                && mime.is_none_or(|m| f.mime == *m)
        })
        .collect();
    let (items, next) = page(&hits, q(query, "pageToken"), s.page_size);
    let files: Vec<Value> = items
        .iter()
        .map(|f| j!({"id": f.id, "name": f.name, "mimeType": f.mime}))
        .collect();
    let mut out = j!({ "files": files });
    if let Some(n) = next {
        out["nextPageToken"] = Value::String(n);
    }
    json(200, out)
}

/// `files.get?alt=media`: the bytes; a native Google file cannot be downloaded this way.
pub(super) fn drive_get(state: &Shared, id: &str, query: &Query) -> Response {
    let s = state.lock().expect("lock");
    let Some(f) = s.files.iter().find(|f| f.id == id && !f.trashed) else {
        return not_found(&format!("File not found: {id}."));
    };
    if s.shared_drive_id.is_some() && q(query, "supportsAllDrives") != Some("true") {
        return not_found(&format!("File not found: {id}."));
    }
    if q(query, "alt") != Some("media") {
        return json(200, j!({"id": f.id, "name": f.name, "mimeType": f.mime}));
    }
    if f.mime.starts_with("application/vnd.google-apps.") {
        return google_error(
            403,
            "PERMISSION_DENIED",
            "fileNotDownloadable",
            "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
        );
    }
    bytes_response(f.content.clone())
}

/// `files.export`: a native spreadsheet as `.xlsx` (the fake keeps the exported bytes as content).
pub(super) fn drive_export(state: &Shared, id: &str, query: &Query) -> Response {
    let s = state.lock().expect("lock");
    let Some(f) = s.files.iter().find(|f| f.id == id && !f.trashed) else {
        return not_found(&format!("File not found: {id}."));
    };
    if !f.mime.starts_with("application/vnd.google-apps.") {
        return bad("Export only supports Docs Editors files.");
    }
    if q(query, "mimeType") != Some(XLSX_EXPORT) {
        return bad("The requested conversion is not supported.");
    }
    bytes_response(f.content.clone())
}

const XLSX_EXPORT: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn bytes_response(bytes: Vec<u8>) -> Response {
    axum::response::IntoResponse::into_response((
        [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
        bytes,
    ))
}

pub(super) fn drive_upload(
    state: &Shared,
    route: &'static str,
    id: Option<&str>,
    query: &Query,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    if q(query, "supportsAllDrives") != Some("true") {
        return bad("expected supportsAllDrives=true");
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match q(query, "uploadType") {
        Some("multipart") => {}
        Some("resumable") => return open_session(state, route, id, headers, ct, body),
        _ => return bad("expected uploadType=multipart or uploadType=resumable"),
    }
    if body.len() > MULTIPART_LIMIT {
        return google_error(
            413,
            "INVALID_ARGUMENT",
            "uploadTooLarge",
            "Multipart uploads are limited to 5 MB; use a resumable upload.",
        );
    }
    let Some(b) = ct
        .strip_prefix("multipart/related")
        .and_then(|_| boundary(ct))
    else {
        return bad("Content-Type must be multipart/related with a boundary");
    };
    let parts = multipart_parts(body, &b);
    let [meta_part, media_part] = parts.as_slice() else {
        return bad("expected exactly two parts: metadata, then media");
    };
    let (mh, mb) = split_entity(meta_part);
    if !header(&mh, "Content-Type").is_some_and(|c| c.starts_with("application/json")) {
        return bad("the first part must be the JSON metadata");
    }
    let Ok(meta) = serde_json::from_slice::<Value>(&mb) else {
        return bad("metadata part is not JSON");
    };
    let (dh, content) = split_entity(media_part);
    let media_type = header(&dh, "Content-Type")
        .unwrap_or("application/octet-stream")
        .to_owned();
    let mut s = state.lock().expect("lock");
    if let Err(r) = check_upload_meta(&s, route, id, &meta) {
        return r;
    }
    match store_file(&mut s, route, id, &meta, media_type, content) {
        Ok(file) => json(200, file),
        Err(r) => r,
    }
}

/// Google's multipart limit (the metadata part aside, close enough for the fake).
const MULTIPART_LIMIT: usize = 5 * 1024 * 1024 + 64 * 1024;

/// What Drive checks on an upload's metadata before it takes any bytes.
#[allow(clippy::result_large_err)] // the error is the HTTP answer itself
pub(super) fn check_upload_meta(
    s: &State,
    route: &str,
    id: Option<&str>,
    meta: &Value,
) -> Result<(), Response> {
    if route == "drive.create" && meta["name"].as_str().is_none() {
        return Err(bad("metadata needs a name"));
    }
    if route == "drive.update" {
        if meta.get("parents").is_some() {
            return Err(bad(
                "The parents field is not directly writable in update requests.",
            ));
        }
        if !s.files.iter().any(|f| Some(f.id.as_str()) == id) {
            return Err(not_found("File not found."));
        }
    }
    Ok(())
}

/// Creates or replaces a file with `content`; the file's JSON, or the error to answer with.
#[allow(clippy::result_large_err)] // the error is the HTTP answer itself
pub(super) fn store_file(
    s: &mut State,
    route: &str,
    id: Option<&str>,
    meta: &Value,
    media_type: String,
    content: Vec<u8>,
) -> Result<Value, Response> {
    let file = if route == "drive.create" {
        let parents: Vec<String> = meta["parents"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let Some(name) = meta["name"].as_str() else {
            return Err(bad("metadata needs a name"));
        };
        let new = FakeFile {
            id: s.new_id("file-"),
            name: name.to_owned(),
            parents,
            mime: media_type,
            content,
            trashed: false,
        };
        s.files.push(new.clone());
        new
    } else {
        let Some(f) = s.files.iter_mut().find(|f| Some(f.id.as_str()) == id) else {
            return Err(not_found("File not found."));
        };
        f.content = content;
        f.mime = media_type;
        f.clone()
    };
    Ok(j!({"id": file.id, "name": file.name, "mimeType": file.mime}))
}

pub(super) async fn drive_share(
    state: &Shared,
    file_id: &str,
    query: &Query,
    body: &[u8],
) -> Response {
    let v: Value = serde_json::from_slice(body).unwrap_or_default();
    let (Some(email), Some(role)) = (v["emailAddress"].as_str(), v["role"].as_str()) else {
        return bad("permission needs emailAddress and role");
    };
    {
        let mut s = state.lock().expect("lock");
        if !s.files.iter().any(|f| f.id == file_id) {
            return not_found("File not found.");
        }
        s.perm_in_flight += 1;
        s.perm_max_in_flight = s.perm_max_in_flight.max(s.perm_in_flight);
    }
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    let mut s = state.lock().expect("lock");
    s.perm_in_flight -= 1;
    let id = s.new_id("perm-");
    s.permissions.push(Permission {
        file_id: file_id.to_owned(),
        email: email.to_owned(),
        role: role.to_owned(),
        notify: q(query, "sendNotificationEmail") != Some("false"),
    });
    json(200, j!({"id": id, "type": "user", "role": role}))
}
