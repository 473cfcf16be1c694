//! The fake's Gmail, Drive and Sheets endpoints.

use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::{json as j, Value};

use super::parse::{
    addresses, b64url, boundary, decode_body, drive_q_literals, header, multipart_parts,
    split_entity,
};
use super::{
    failure_response, google_error, json, Failure, FakeFile, Permission, SentMail, Shared, State,
    Upload,
};

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
        "gmail.send" => gmail_send(state, body),
        "gmail.list" => gmail_list(state, query),
        "gmail.get" => gmail_get(state, seg[5], query),
        "drive.list" => drive_list(state, query),
        "drive.create" | "drive.update" => {
            drive_upload(state, route, seg.get(4).copied(), query, headers, body)
        }
        "drive.chunk" => drive_chunk(&mut state.lock().expect("lock"), query, headers, body, None),
        "drive.permissions" => drive_share(state, seg[3], query, body).await,
        "drive.get" => drive_get(state, seg[3], query),
        "drive.export" => drive_export(state, seg[3], query),
        "sheets.get" => sheets_get(state, seg[2], query),
        "sheets.batchGet" => sheets_batch_get(state, seg[2], query),
        _ => not_found("no such route in the fake"),
    }
}

/// Parses a raw RFC 5322 mail the way Gmail would need it.
pub fn parse_mail(raw: &[u8]) -> Result<SentMail, String> {
    let (hs, body) = split_entity(raw);
    let from = header(&hs, "From").ok_or("no From header")?.to_owned();
    let to = addresses(header(&hs, "To").ok_or("Recipient address required")?);
    let cc = header(&hs, "Cc").map(addresses).unwrap_or_default();
    let subject = super::parse::decode_words(header(&hs, "Subject").unwrap_or(""));
    let message_id = header(&hs, "Message-ID").unwrap_or("").trim().to_owned();
    let mut mail = SentMail {
        message_id,
        from,
        to,
        cc,
        subject,
        ..SentMail::default()
    };
    let ct = header(&hs, "Content-Type")
        .unwrap_or("text/plain")
        .to_owned();
    if ct.starts_with("multipart/") {
        let b = boundary(&ct).ok_or("multipart without boundary")?;
        for part in multipart_parts(&body, &b) {
            let (ph, pb) = split_entity(&part);
            let pct = header(&ph, "Content-Type")
                .unwrap_or("text/plain")
                .to_owned();
            let disposition = header(&ph, "Content-Disposition").unwrap_or("");
            if disposition.starts_with("attachment") {
                let name = disposition
                    .split("filename=")
                    .nth(1)
                    .map(|n| n.trim_matches('"').to_owned())
                    .unwrap_or_default();
                let ctype = pct.split(';').next().unwrap_or("").trim().to_owned();
                mail.attachments.push((name, ctype, decode_body(&ph, &pb)));
            } else if pct.starts_with("text/plain") {
                mail.text = String::from_utf8_lossy(&decode_body(&ph, &pb)).into_owned();
            }
        }
    } else {
        mail.text = String::from_utf8_lossy(&decode_body(&hs, &body)).into_owned();
    }
    Ok(mail)
}

fn gmail_send(state: &Shared, body: &[u8]) -> Response {
    let v: Value = serde_json::from_slice(body).unwrap_or_default();
    let Some(raw) = v["raw"].as_str().and_then(b64url) else {
        return bad("Invalid value at 'message.raw' (TYPE_BYTES)");
    };
    let mut mail = match parse_mail(&raw) {
        Ok(m) => m,
        Err(e) => return bad(&e),
    };
    let mut s = state.lock().expect("lock");
    if !addresses(&mail.from).iter().any(|a| *a == s.mailbox) {
        return bad("From must be the delegated mailbox or a verified alias");
    }
    mail.id = s.new_id("msg-");
    if mail.message_id.is_empty() {
        // Gmail gives a mail without a Message-ID one of its own.
        mail.message_id = format!("<{}@mail.gmail.com>", mail.id);
    }
    let id = mail.id.clone();
    s.sent.push(mail);
    json(200, j!({"id": id, "threadId": id, "labelIds": ["SENT"]}))
}

fn page<T: Clone>(items: &[T], token: Option<&str>, size: usize) -> (Vec<T>, Option<String>) {
    let start: usize = token.and_then(|t| t.parse().ok()).unwrap_or(0);
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    (
        items.get(start..end).map(<[T]>::to_vec).unwrap_or_default(),
        next,
    )
}

/// The `q=` operators the fake understands: `to:ADDR`, `in:sent`, `subject:"phrase"` /
/// `subject:word` (case-insensitive word match, as Gmail does), `rfc822msgid:ID` (with or
/// without the angle brackets). Anything else is refused, so a query the code sends is one the
/// fake really checked.
enum GmailFilter {
    To(String),
    Subject(String),
    MessageId(String),
}

impl GmailFilter {
    fn matches(&self, m: &super::SentMail) -> bool {
        match self {
            GmailFilter::To(w) => m.to.contains(w) || m.cc.contains(w),
            GmailFilter::MessageId(id) => {
                let bare = |s: &str| {
                    s.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_owned()
                };
                !id.is_empty() && bare(&m.message_id) == bare(id)
            }
            GmailFilter::Subject(p) => {
                let words = |s: &str| -> Vec<String> {
                    s.split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .map(str::to_lowercase)
                        .collect()
                };
                let (hay, needle) = (words(&m.subject), words(p));
                !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle.as_slice())
            }
        }
    }
}

fn gmail_query(q: &str) -> Result<Vec<GmailFilter>, String> {
    let mut out = Vec::new();
    let mut rest = q.trim();
    while !rest.is_empty() {
        let (term, tail) = if let Some(after) = rest.strip_prefix("subject:\"") {
            let end = after.find('"').ok_or("unclosed quote")?;
            (format!("subject:{}", &after[..end]), &after[end + 1..])
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            (rest[..end].to_string(), &rest[end..])
        };
        rest = tail.trim_start();
        if let Some(a) = term.strip_prefix("to:") {
            out.push(GmailFilter::To(a.to_string()));
        } else if let Some(id) = term.strip_prefix("rfc822msgid:") {
            out.push(GmailFilter::MessageId(id.to_string()));
        } else if let Some(p) = term.strip_prefix("subject:") {
            out.push(GmailFilter::Subject(p.to_string()));
        } else if term == "in:sent" {
            // Every mail the fake keeps was sent by the mailbox.
        } else {
            return Err(format!("the fake does not know `{term}`"));
        }
    }
    Ok(out)
}

fn gmail_list(state: &Shared, query: &Query) -> Response {
    let max: usize = q(query, "maxResults")
        .and_then(|m| m.parse().ok())
        .unwrap_or(100);
    if max > 500 {
        return bad("Invalid maxResults: at most 500");
    }
    let s = state.lock().expect("lock");
    let filters = match gmail_query(q(query, "q").unwrap_or("")) {
        Ok(f) => f,
        Err(e) => return bad(&format!("Invalid query: {e}")),
    };
    let ids: Vec<String> = s
        .sent
        .iter()
        .filter(|m| filters.iter().all(|f| f.matches(m)))
        .map(|m| m.id.clone())
        .collect();
    let (items, next) = page(&ids, q(query, "pageToken"), s.page_size.min(max));
    let mut out = j!({"resultSizeEstimate": ids.len()});
    if !items.is_empty() {
        out["messages"] = items
            .iter()
            .map(|id| j!({"id": id, "threadId": id}))
            .collect();
    }
    if let Some(n) = next {
        out["nextPageToken"] = Value::String(n);
    }
    json(200, out)
}

fn gmail_get(state: &Shared, id: &str, query: &Query) -> Response {
    if q(query, "format") != Some("metadata") {
        return bad("the fake serves format=metadata only");
    }
    let s = state.lock().expect("lock");
    let Some(m) = s.sent.iter().find(|m| m.id == id) else {
        return not_found("Requested entity was not found.");
    };
    let all = [
        ("From", m.from.clone()),
        ("To", m.to.join(", ")),
        ("Cc", m.cc.join(", ")),
        ("Subject", m.subject.clone()),
    ];
    let wanted: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "metadataHeaders")
        .map(|(_, v)| v.as_str())
        .collect();
    let headers: Vec<Value> = all
        .iter()
        .filter(|(n, v)| !v.is_empty() && wanted.iter().any(|w| w.eq_ignore_ascii_case(n)))
        .map(|(n, v)| j!({"name": n, "value": v}))
        .collect();
    json(
        200,
        j!({"id": m.id, "threadId": m.id, "payload": {"headers": headers}}),
    )
}

fn drive_list(state: &Shared, query: &Query) -> Response {
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
fn drive_get(state: &Shared, id: &str, query: &Query) -> Response {
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
fn drive_export(state: &Shared, id: &str, query: &Query) -> Response {
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

fn drive_upload(
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
/// Resumable chunks other than the last must be multiples of this.
const CHUNK_GRANULE: usize = 256 * 1024;

/// What Drive checks on an upload's metadata before it takes any bytes.
#[allow(clippy::result_large_err)] // the error is the HTTP answer itself
fn check_upload_meta(
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
fn store_file(
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

/// `uploadType=resumable`: checks the metadata and answers with the session URI in `Location`.
fn open_session(
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

async fn drive_share(state: &Shared, file_id: &str, query: &Query, body: &[u8]) -> Response {
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

fn sheets_get(state: &Shared, id: &str, query: &Query) -> Response {
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

fn sheets_batch_get(state: &Shared, id: &str, query: &Query) -> Response {
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
