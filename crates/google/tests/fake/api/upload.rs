//! The fake's Drive resumable uploads: a session opened with the metadata, chunks checked for
//! their ranges and granule, status queries, and the file stored with the last chunk.

use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json as j, Value};

use super::super::{failure_response, google_error, json, Failure, Shared, State, Upload};
use super::drive::{check_upload_meta, store_file};
use super::{bad, q, Query};

/// Resumable chunks other than the last must be multiples of this.
const CHUNK_GRANULE: usize = 256 * 1024;

/// `uploadType=resumable`: checks the metadata and answers with the session URI in `Location`.
pub(super) fn open_session(
    state: &Shared,
    route: &'static str,
    id: Option<&str>,
    headers: &HeaderMap,
    content_type: &str,
    body: &[u8],
) -> Response {
    if !content_type.starts_with("application/json") {
        return bad("a resumable session starts with the JSON metadata (application/json)");
    }
    let Ok(meta) = serde_json::from_slice::<Value>(body) else {
        return bad("metadata is not JSON");
    };
    let text = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let declared = match text("x-upload-content-length").map(str::parse::<usize>) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return bad("X-Upload-Content-Length is not a number"),
    };
    let media_type = text("x-upload-content-type")
        .map(str::to_owned)
        .or_else(|| meta["mimeType"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let mut s = state.lock().expect("lock");
    if let Err(r) = check_upload_meta(&s, route, id, &meta) {
        return r;
    }
    let upload_id = s.new_id("upload-");
    let base = s.token_uri.trim_end_matches("/token").to_owned();
    let path = match id {
        Some(id) => format!("/upload/drive/v3/files/{id}"),
        None => "/upload/drive/v3/files".to_owned(),
    };
    s.uploads.insert(
        upload_id.clone(),
        Upload {
            route,
            file_id: id.map(str::to_owned),
            meta,
            media_type,
            declared,
            received: Vec::new(),
            done: None,
        },
    );
    let mut r = json(200, j!({}));
    let location = format!("{base}{path}?uploadType=resumable&upload_id={upload_id}");
    r.headers_mut()
        .insert("location", location.parse().expect("header"));
    r
}

/// `308 Resume Incomplete` with what the session kept.
fn resume_incomplete(kept: usize) -> Response {
    let mut r = Response::builder()
        .status(308)
        .body(axum::body::Body::empty())
        .expect("response");
    if kept > 0 {
        r.headers_mut().insert(
            "range",
            format!("bytes=0-{}", kept - 1).parse().expect("header"),
        );
    }
    r
}

/// A `PUT` to a session URI: a chunk (`Content-Range: bytes a-b/total`) or a status query
/// (`bytes */total`), checked the way Drive checks them.
pub fn drive_chunk(
    s: &mut State,
    query: &Query,
    headers: &HeaderMap,
    body: &[u8],
    fault: Option<Failure>,
) -> Response {
    let Some(upload_id) = q(query, "upload_id").map(str::to_owned) else {
        return bad("PUT to an upload URL needs upload_id");
    };
    if fault == Some(Failure::SessionGone) {
        s.uploads.remove(&upload_id);
    }
    let Some(up) = s.uploads.get(&upload_id) else {
        return google_error(404, "NOT_FOUND", "notFound", "Upload session not found");
    };
    let Some(range) = headers
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes "))
        .map(str::to_owned)
    else {
        return bad("a chunk needs Content-Range: bytes a-b/total");
    };
    let Some((span, total)) = range.split_once('/') else {
        return bad("Content-Range is bytes a-b/total or bytes */total");
    };
    let total: Option<usize> = if total == "*" {
        None
    } else {
        match total.parse() {
            Ok(t) => Some(t),
            Err(_) => return bad("Content-Range total is not a number"),
        }
    };
    if let (Some(t), Some(d)) = (total, up.declared) {
        if t != d {
            return bad("Content-Range total differs from X-Upload-Content-Length");
        }
    }
    if span == "*" {
        if !body.is_empty() {
            return bad("a status query (bytes */total) has no body");
        }
        return match &up.done {
            Some(file) => json(200, file.clone()),
            None => resume_incomplete(up.received.len()),
        };
    }
    let Some((a, b)) = span
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
    else {
        return bad("Content-Range is bytes a-b/total");
    };
    if b < a || body.len() != b - a + 1 {
        return bad("the body length does not match Content-Range");
    }
    if up.done.is_some() {
        return bad("this upload is already complete");
    }
    let kept = up.received.len();
    if a > kept {
        return bad(&format!(
            "Invalid request. The upload offset is {a} bytes, which exceeds the {kept} bytes already uploaded."
        ));
    }
    let last = total.is_some_and(|t| b + 1 == t);
    if total.is_some_and(|t| b + 1 > t) {
        return bad("Content-Range goes past the total size");
    }
    if !last && !body.len().is_multiple_of(CHUNK_GRANULE) {
        return bad("Chunks other than the last must be a multiple of 256 KiB.");
    }
    let up = s.uploads.get_mut(&upload_id).expect("checked above");
    let fresh = body.get(kept - a..).unwrap_or_default();
    if fault == Some(Failure::Truncated) {
        up.received.extend_from_slice(&fresh[..fresh.len() / 2]);
        return failure_response(Failure::Unavailable);
    }
    up.received.extend_from_slice(fresh);
    if !last {
        return resume_incomplete(up.received.len());
    }
    let up = s.uploads.get(&upload_id).expect("checked above").clone();
    match store_file(
        s,
        up.route,
        up.file_id.as_deref(),
        &up.meta,
        up.media_type,
        up.received,
    ) {
        Ok(file) => {
            if let Some(u) = s.uploads.get_mut(&upload_id) {
                u.done = Some(file.clone());
            }
            json(200, file)
        }
        Err(r) => r,
    }
}
