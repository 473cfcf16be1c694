//! The crew page as a captain's browser reaches it in `stuck`: plain HTTP/1.1 to one
//! `dispatch run` process on loopback (which may be down, killed a moment ago), and the offer
//! link read out of the mail in the outbox.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 exchange with a crew page; `None` when the process is down.
fn http(port: u16, request: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    s.write_all(request.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// Answers an offer (its token from the mail) through the crew page on `port`: reads the page
/// for the form guard, then posts the answer. `false` if that process is down right now.
pub fn answer(port: u16, token: &str, accept: bool) -> bool {
    let page = match http(
        port,
        &format!("GET /o/{token} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    ) {
        Some(p) => p,
        None => return false,
    };
    let Some(guard) = page
        .split("name=\"guard\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
    else {
        // Already answered, lapsed or withdrawn: nothing to press.
        return true;
    };
    let body = format!("guard={guard}");
    let what = if accept { "accept" } else { "decline" };
    http(
        port,
        &format!(
            "POST /o/{token}/{what} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .is_some()
}

/// The offer token in an offer mail (the body may be quoted-printable).
pub fn token_in(mail: &Path) -> Option<String> {
    let raw = std::fs::read_to_string(mail).ok()?;
    let text = raw
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let after = text.split("/o/").nth(1)?;
    let token: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .collect();
    (!token.is_empty()).then_some(token)
}
