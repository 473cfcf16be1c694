//! The fake's Gmail: send (the raw MIME parsed), list with the search operators the code uses,
//! and get.

use axum::response::Response;
use serde_json::{json as j, Value};

use super::super::parse::{
    addresses, b64url, boundary, decode_body, header, multipart_parts, split_entity,
};
use super::super::{json, SentMail, Shared};
use super::{bad, not_found, page, q, Query};

/// Parses a raw RFC 5322 mail the way Gmail would need it.
pub fn parse_mail(raw: &[u8]) -> Result<SentMail, String> {
    let (hs, body) = split_entity(raw);
    let from = header(&hs, "From").ok_or("no From header")?.to_owned();
    let to = addresses(header(&hs, "To").ok_or("Recipient address required")?);
    let cc = header(&hs, "Cc").map(addresses).unwrap_or_default();
    let subject = super::super::parse::decode_words(header(&hs, "Subject").unwrap_or(""));
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

pub(super) fn gmail_send(state: &Shared, body: &[u8]) -> Response {
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
    fn matches(&self, m: &SentMail) -> bool {
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

pub(super) fn gmail_list(state: &Shared, query: &Query) -> Response {
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

pub(super) fn gmail_get(state: &Shared, id: &str, query: &Query) -> Response {
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
