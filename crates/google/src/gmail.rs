//! Gmail: send raw MIME (at most once per Message-ID), search message ids, read metadata headers.
//!
//! Gmail cannot deduplicate a send. So [`GmailClient::send_raw_once`] retries on its own terms:
//! a failure that says the mail was *not* taken (a refused connection, 429, a 403 rate limit) is
//! retried as usual; a failure after the request went out (a timeout, a cut connection, a 5xx)
//! leaves the outcome unknown, and before trying again the client searches the mailbox for the
//! mail's Message-ID (`rfc822msgid:`) and stops if it is there.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::http::{decode, segment, Api, HttpConfig, MAX_RETRY_AFTER};
use crate::{GoogleError, TokenSource};

/// Gmail's public base URL.
pub const GMAIL_BASE: &str = "https://gmail.googleapis.com";

/// Largest page `users.messages.list` returns.
const PAGE_SIZE: u32 = 500;

/// A Gmail client acting as `me` (the delegated mailbox of its token source).
#[derive(Clone)]
pub struct GmailClient {
    api: Api,
    base: String,
}

/// A message's id and the headers asked for.
#[derive(Debug, Clone, Default)]
pub struct MessageMetadata {
    /// Gmail message id.
    pub id: String,
    /// Gmail thread id.
    pub thread_id: Option<String>,
    /// `(name, value)` pairs in message order.
    pub headers: Vec<(String, String)>,
}

impl MessageMetadata {
    /// Values of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

impl GmailClient {
    /// A client on `base` (e.g. [`GMAIL_BASE`]).
    pub fn new(
        base: &str,
        tokens: Arc<dyn TokenSource>,
        cfg: HttpConfig,
    ) -> Result<Self, GoogleError> {
        Ok(Self {
            api: Api::new(tokens, cfg)?,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// Sends a complete RFC 5322 message; returns Gmail's message id.
    pub async fn send_raw(&self, mime: &[u8]) -> Result<String, GoogleError> {
        let url = format!("{}/gmail/v1/users/me/messages/send", self.base);
        let body = serde_json::json!({ "raw": URL_SAFE_NO_PAD.encode(mime) });
        let v: serde_json::Value = self
            .api
            .json("gmail.send", &|c| c.post(&url).json(&body))
            .await?;
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        tracing::info!(message_id = %id, "mail sent");
        Ok(id)
    }

    /// Sends `mime`, which carries Message-ID `message_id`, at most once (see the module docs).
    /// Returns Gmail's id of the mail, sent now or found sent by an earlier attempt.
    pub async fn send_raw_once(
        &self,
        mime: &[u8],
        message_id: &str,
    ) -> Result<String, GoogleError> {
        let url = format!("{}/gmail/v1/users/me/messages/send", self.base);
        let body = serde_json::json!({ "raw": URL_SAFE_NO_PAD.encode(mime) });
        let mut delays = self.api.backoff();
        loop {
            let err = match self.api.attempt(&|c| c.post(&url).json(&body)).await {
                Ok(a) if (200..300).contains(&a.status) => {
                    let v: serde_json::Value = decode("gmail.send", &a.body)?;
                    let id = v["id"].as_str().unwrap_or_default().to_owned();
                    tracing::info!(gmail_id = %id, "mail sent");
                    return Ok(id);
                }
                Ok(a) => a.error(),
                Err(e) => e,
            };
            let unknown = outcome_unknown(&err);
            if !unknown && !err.is_retryable() {
                return Err(err);
            }
            let delay = delays.next();
            if let Some(d) = delay {
                let d = err.retry_after().map_or(d, |r| r.min(MAX_RETRY_AFTER));
                tracing::warn!(error = %err, outcome_unknown = unknown, retry_in = ?d, "Gmail send failed; retrying");
                tokio::time::sleep(d).await;
            }
            if unknown {
                match self.find_sent(message_id).await {
                    Ok(Some(id)) => {
                        tracing::info!(gmail_id = %id, "the failed send had gone through; not sending again");
                        return Ok(id);
                    }
                    Ok(None) => {}
                    // Not knowing whether it went out, never send blind: the caller gets the
                    // send's own error (its outcome unknown) and must look before trying again.
                    Err(search) => {
                        tracing::warn!(error = %err, search_error = %search, "Gmail send outcome unknown and the sent-mail search failed; not retrying blind");
                        return Err(err);
                    }
                }
            }
            if delay.is_none() {
                return Err(err);
            }
        }
    }

    /// Gmail's id of the sent mail whose Message-ID is `message_id`, if there is one.
    pub async fn find_sent(&self, message_id: &str) -> Result<Option<String>, GoogleError> {
        let bare = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        if bare.is_empty() || bare.contains(char::is_whitespace) {
            return Err(GoogleError::Mime(format!(
                "`{message_id}` is not a Message-ID to search for"
            )));
        }
        Ok(self
            .search(&format!("rfc822msgid:{bare}"))
            .await?
            .into_iter()
            .next())
    }

    /// Ids of every message matching Gmail query `q`, all pages. Use epoch seconds with
    /// `after:`/`before:` (dates are read as midnight Pacific).
    pub async fn search(&self, q: &str) -> Result<Vec<String>, GoogleError> {
        let url = format!("{}/gmail/v1/users/me/messages", self.base);
        let mut ids = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut query = vec![("q", q.to_owned()), ("maxResults", PAGE_SIZE.to_string())];
            if let Some(p) = &page {
                query.push(("pageToken", p.clone()));
            }
            let v: serde_json::Value = self
                .api
                .json("gmail.list", &|c| c.get(&url).query(&query))
                .await?;
            if let Some(msgs) = v["messages"].as_array() {
                ids.extend(
                    msgs.iter()
                        .filter_map(|m| m["id"].as_str())
                        .map(str::to_owned),
                );
            }
            match v["nextPageToken"].as_str() {
                Some(p) if !p.is_empty() => page = Some(p.to_owned()),
                _ => break,
            }
        }
        Ok(ids)
    }

    /// The `headers` (e.g. `To`, `Cc`) of message `id`.
    pub async fn get_metadata(
        &self,
        id: &str,
        headers: &[&str],
    ) -> Result<MessageMetadata, GoogleError> {
        let url = format!("{}/gmail/v1/users/me/messages/{}", self.base, segment(id));
        let mut query = vec![("format", "metadata")];
        query.extend(headers.iter().map(|h| ("metadataHeaders", *h)));
        let v: serde_json::Value = self
            .api
            .json("gmail.get", &|c| c.get(&url).query(&query))
            .await?;
        let headers = v["payload"]["headers"]
            .as_array()
            .map(|hs| {
                hs.iter()
                    .filter_map(|h| {
                        Some((
                            h["name"].as_str()?.to_owned(),
                            h["value"].as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(MessageMetadata {
            id: v["id"].as_str().unwrap_or(id).to_owned(),
            thread_id: v["threadId"].as_str().map(str::to_owned),
            headers,
        })
    }
}

/// Whether a failed send may have been carried out: the request (or part of it) reached Gmail and
/// no clear answer came back. A refused connection, 429 and 4xx mean it was not sent. Such a
/// mail must be looked for ([`GmailClient::find_sent`]) before it is sent again.
pub fn outcome_unknown(e: &GoogleError) -> bool {
    match e {
        GoogleError::Api { status, .. } => *status >= 500,
        GoogleError::Transport(t) => !t.is_connect(),
        GoogleError::Decode { .. } => true,
        _ => false,
    }
}
