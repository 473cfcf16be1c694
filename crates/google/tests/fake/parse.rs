//! Parsing the fake needs: query strings, lenient base64url, RFC 5322 mail, multipart bodies.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

/// `a=1&b=2&b=3` into ordered pairs (`+` and `%XX` decoded).
pub fn query_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Base64url with or without padding, as Google accepts.
pub fn b64url(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// Headers (unfolded, in order) and the body of a MIME entity.
pub fn split_entity(raw: &[u8]) -> (Vec<(String, String)>, Vec<u8>) {
    // Binary-safe: only the header block is text; the body (an uploaded workbook) stays bytes.
    let (head, body) = match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => (
            String::from_utf8_lossy(&raw[..i]).into_owned(),
            raw[i + 4..].to_vec(),
        ),
        None => (String::from_utf8_lossy(raw).into_owned(), Vec::new()),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    (headers, body)
}

/// The value of header `name`.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `boundary=...` from a Content-Type value.
pub fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|p| {
        let p = p.trim();
        p.strip_prefix("boundary=")
            .map(|b| b.trim_matches('"').to_owned())
    })
}

/// The parts of a multipart body, as raw entities.
pub fn multipart_parts(body: &[u8], boundary: &str) -> Vec<Vec<u8>> {
    let delim = format!("--{boundary}");
    let text = body;
    let mut parts = Vec::new();
    let mut starts = Vec::new();
    let d = delim.as_bytes();
    let mut i = 0;
    while i + d.len() <= text.len() {
        if &text[i..i + d.len()] == d && (i == 0 || text[..i].ends_with(b"\n")) {
            starts.push(i);
            i += d.len();
        } else {
            i += 1;
        }
    }
    for w in starts.windows(2) {
        let mut part = &text[w[0] + d.len()..w[1]];
        part = part.strip_prefix(b"\r\n").unwrap_or(part);
        part = part.strip_suffix(b"\r\n").unwrap_or(part);
        parts.push(part.to_vec());
    }
    parts
}

/// An address list header into bare addresses (`"A" <a@x>, b@y` → `a@x`, `b@y`).
pub fn addresses(v: &str) -> Vec<String> {
    v.split(',')
        .map(|a| {
            let a = a.trim();
            match (a.find('<'), a.find('>')) {
                (Some(s), Some(e)) if s < e => a[s + 1..e].to_owned(),
                _ => a.to_owned(),
            }
        })
        .filter(|a| !a.is_empty())
        .collect()
}

/// A part's body decoded per its Content-Transfer-Encoding.
pub fn decode_body(headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    match header(headers, "Content-Transfer-Encoding")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("base64") => {
            let compact: Vec<u8> = body
                .iter()
                .copied()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            STANDARD.decode(compact).unwrap_or_default()
        }
        _ => body.to_vec(),
    }
}

/// The quoted literals of a Drive `q`, unescaped, in order.
pub fn drive_q_literals(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = q.chars();
    while let Some(c) = chars.next() {
        if c == '\'' {
            let mut lit = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => lit.extend(chars.next()),
                    '\'' => break,
                    c => lit.push(c),
                }
            }
            out.push(lit);
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?...?=` and `?q?`), as Gmail shows a subject.
pub fn decode_words(v: &str) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    let mut last_was_word = false;
    for token in v.split(' ') {
        let word = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                let (_charset, enc, text) = (parts.next()?, parts.next()?, parts.next()?);
                let bytes = match enc.to_ascii_lowercase().as_str() {
                    "b" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?,
                    "q" => text.replace('_', " ").into_bytes(),
                    _ => return None,
                };
                String::from_utf8(bytes).ok()
            });
        match word {
            Some(w) => {
                if !out.is_empty() && !last_was_word {
                    out.push(' ');
                }
                out.push_str(&w);
                last_was_word = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(token);
                last_was_word = false;
            }
        }
    }
    out
}
