//! The ops session on the wire: the cookie (`dispatch_ops`: HttpOnly, SameSite=Strict, Secure
//! when the public URL is https, scoped to the board's path), reading it back into a
//! [`Signed`] person, and the checks every ops POST passes before it changes anything: not
//! from another site, and the session's CSRF field. A POST that fails them gets the plain 403.

use axum::http::{header, HeaderMap, HeaderValue};

use crate::board::access::{Signed, OPS_SESSION_HOURS};
use crate::html::WebError;
use crate::Cascade;

/// The session cookie's name.
pub(super) const COOKIE: &str = "dispatch_ops";

/// The `Set-Cookie` value that opens `signed`'s session.
pub(super) fn set_cookie(cascade: &Cascade, signed: &Signed) -> Option<HeaderValue> {
    let secure = if cascade.cfg.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let path = cascade.link_maker().local_path("/ops");
    HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path={path}; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        signed.cookie_value(),
        OPS_SESSION_HOURS * 3600
    ))
    .ok()
}

/// The session cookie's value, if the request carries one.
fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// The signed-in person of a request; a request without a live session gets the plain 403
/// (`page` names it in the log).
pub(super) async fn signed_in(
    cascade: &Cascade,
    headers: &HeaderMap,
    page: &'static str,
) -> Result<Signed, WebError> {
    let Some(value) = cookie(headers) else {
        return Err(WebError::BadLink { page, reason: None });
    };
    cascade
        .ops_session(value)
        .await
        .map_err(WebError::failed(page))?
        .ok_or(WebError::BadLink { page, reason: None })
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split('/').next().unwrap_or("");
    format!("{scheme}://{host}")
}

/// Refuses a POST from another site (`Sec-Fetch-Site: cross-site`, or an `Origin` naming
/// another site; `Origin: null` is what our own forms send under `no-referrer`).
pub(super) fn same_site(cascade: &Cascade, headers: &HeaderMap) -> Result<(), WebError> {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return Err(WebError::Refused);
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None | Some("null") => Ok(()),
        Some(o) if o == origin_of(&cascade.cfg.public_url) => Ok(()),
        Some(_) => Err(WebError::Refused),
    }
}

/// The signed-in person of an ops POST whose CSRF field is theirs; anything else is refused
/// with 403 before any change.
pub(super) async fn acting(
    cascade: &Cascade,
    headers: &HeaderMap,
    csrf: &str,
    page: &'static str,
) -> Result<Signed, WebError> {
    same_site(cascade, headers)?;
    let signed = match signed_in(cascade, headers, page).await {
        Ok(s) => s,
        // No session at all on a POST: refused like a forged one.
        Err(WebError::BadLink { .. }) => return Err(WebError::Refused),
        Err(e) => return Err(e),
    };
    if !cascade.ops_csrf_ok(&signed, csrf) {
        return Err(WebError::Refused);
    }
    Ok(signed)
}
