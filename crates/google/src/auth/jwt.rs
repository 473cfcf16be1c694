//! The JWT-bearer exchange (RFC 7523) done by hand, so that Google's `error` and `error_description`
//! reach the operator instead of being retried five times and hidden.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::Sha256;

use super::ServiceAccountKey;
use crate::GoogleError;

/// Lifetime asked for in the assertion (Google's maximum).
const ASSERTION_LIFETIME_SECS: i64 = 3600;

/// Builds the signed RS256 assertion: `iss` = the service account, `scope` = the scopes joined by
/// spaces, `aud` = the key's `token_uri`, `iat`/`exp`, and `sub` = the delegated mailbox if any.
pub fn build_assertion(
    key: &ServiceAccountKey,
    scopes: &[String],
    subject: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, GoogleError> {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": key.private_key_id});
    let iat = now.timestamp();
    let mut claims = serde_json::json!({
        "iss": key.client_email,
        "scope": scopes.join(" "),
        "aud": key.token_uri,
        "iat": iat,
        "exp": iat + ASSERTION_LIFETIME_SECS,
    });
    if let Some(sub) = subject {
        claims["sub"] = serde_json::Value::String(sub.to_owned());
    }
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signer = SigningKey::<Sha256>::new(key.private_key.clone());
    let signature = signer
        .try_sign(signing_input.as_bytes())
        .map_err(|e| GoogleError::Signing(e.to_string()))?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

/// What the token endpoint gave back.
#[derive(Debug, serde::Deserialize)]
struct Granted {
    access_token: String,
    #[serde(default = "default_expires_in")]
    expires_in: i64,
}

fn default_expires_in() -> i64 {
    3600
}

#[derive(Debug, serde::Deserialize)]
struct Refused {
    error: Option<String>,
    error_description: Option<String>,
}

/// POSTs the assertion to `token_uri`; returns the access token and its lifetime in seconds.
pub async fn exchange(
    http: &reqwest::Client,
    token_uri: &str,
    assertion: &str,
) -> Result<(String, i64), GoogleError> {
    let resp = http
        .post(token_uri)
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion),
        ])
        .send()
        .await
        .map_err(GoogleError::transport)?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(GoogleError::transport)?;
    if status.is_success() {
        let granted: Granted = serde_json::from_slice(&body).map_err(|e| GoogleError::Decode {
            what: "token endpoint",
            detail: e.to_string(),
        })?;
        return Ok((granted.access_token, granted.expires_in));
    }
    let refused: Refused = serde_json::from_slice(&body).unwrap_or(Refused {
        error: None,
        error_description: None,
    });
    Err(GoogleError::TokenRefused {
        status: status.as_u16(),
        error: refused.error.unwrap_or_else(|| "unknown_error".into()),
        description: refused
            .error_description
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("no description").into()),
    })
}
