//! The fake token endpoint: verifies the JWT-bearer assertion as Google does.

use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use sha2::Sha256;

use super::parse::{b64url, query_pairs};
use super::State;

/// Google's refusal: status, `error`, `error_description`.
pub type Refusal = (u16, &'static str, String);

const KNOWN_SCOPES: [&str; 5] = [
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/spreadsheets",
];

fn grant(d: &str) -> Refusal {
    (400, "invalid_grant", d.to_owned())
}

/// The scopes of a JWT-bearer form's assertion (read after [`verify`] accepted it).
pub fn scopes_of(body: &[u8]) -> Vec<String> {
    let form = query_pairs(&String::from_utf8_lossy(body));
    let claims: Option<serde_json::Value> = form
        .iter()
        .find(|(n, _)| n == "assertion")
        .and_then(|(_, a)| a.split('.').nth(1).and_then(b64url))
        .and_then(|b| serde_json::from_slice(&b).ok());
    claims
        .and_then(|c| {
            c["scope"]
                .as_str()
                .map(|s| s.split(' ').map(String::from).collect())
        })
        .unwrap_or_default()
}

/// Checks the form and the assertion; returns the `sub` it was issued for.
pub fn verify(state: &State, body: &[u8], now: i64) -> Result<Option<String>, Refusal> {
    let form = query_pairs(&String::from_utf8_lossy(body));
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if get("grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return Err((400, "unsupported_grant_type", "Invalid grant_type: ".into()));
    }
    let assertion = get("assertion").ok_or_else(|| {
        (
            400,
            "invalid_request",
            "Missing required parameter: assertion".into(),
        )
    })?;
    let parts: Vec<&str> = assertion.split('.').collect();
    let [h, c, s] = parts[..] else {
        return Err(grant("Invalid JWT: not three segments"));
    };
    let header: serde_json::Value = b64url(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| grant("Invalid JWT header"))?;
    if header["alg"] != "RS256" {
        return Err(grant("Invalid JWT: alg must be RS256"));
    }
    let sig = b64url(s)
        .and_then(|b| Signature::try_from(b.as_slice()).ok())
        .ok_or_else(|| grant("Invalid JWT Signature."))?;
    let verifier = VerifyingKey::<Sha256>::new(state.public_key.clone());
    // The signing input is the two segments exactly as sent (padding included).
    let signing_input = format!("{h}.{c}");
    verifier
        .verify(signing_input.as_bytes(), &sig)
        .map_err(|_| grant("Invalid JWT Signature."))?;
    let claims: serde_json::Value = b64url(c)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| grant("Invalid JWT claims"))?;
    if claims["iss"].as_str() != Some(state.client_email.as_str()) {
        return Err((
            401,
            "invalid_client",
            "The OAuth client was not found.".into(),
        ));
    }
    if claims["aud"].as_str() != Some(state.token_uri.as_str()) {
        return Err(grant("Invalid JWT: aud is not the token URI"));
    }
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return Err(grant("Invalid JWT: iat and exp required"));
    };
    if exp <= iat || exp - iat > 3600 || (iat - now).abs() > 300 || exp < now {
        return Err(grant(
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
        ));
    }
    let scope = claims["scope"].as_str().unwrap_or("");
    if scope.is_empty() || scope.split(' ').any(|s| !KNOWN_SCOPES.contains(&s)) {
        return Err((
            400,
            "invalid_scope",
            "Invalid OAuth scope or ID token audience provided.".into(),
        ));
    }
    match &claims["sub"] {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) if *s == state.mailbox => Ok(Some(s.clone())),
        _ => Err((
            401,
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.".into(),
        )),
    }
}
