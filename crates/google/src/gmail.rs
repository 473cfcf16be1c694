//! Gmail: send raw MIME, search message ids, read metadata headers.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::http::{segment, Api, HttpConfig};
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
