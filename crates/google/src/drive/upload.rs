//! Drive uploads: small files in one `multipart/related` request (metadata first, then the
//! media), larger ones through a resumable session sent in chunks that picks up where the session
//! says it stopped. Its own file because the resumable protocol is most of Drive's code.

use crate::http::{decode, Answer};
use crate::GoogleError;

use super::{DriveClient, DriveFile};

/// Times a resumable upload starts over after its session expired (404/410) before giving up.
const SESSION_RESTARTS: usize = 2;

impl DriveClient {
    /// Small files in one multipart request; larger ones through a resumable session.
    pub(super) async fn upload(&self, up: Upload<'_>) -> Result<DriveFile, GoogleError> {
        if up.bytes.len() > self.cfg.resumable_above {
            return self.upload_resumable(&up).await;
        }
        let Upload {
            what,
            method,
            url,
            meta,
            mime,
            bytes,
        } = up;
        let boundary = format!("dispatch-{:032x}", rand::random::<u128>());
        let body = multipart_related(&boundary, meta, mime, bytes);
        let content_type = format!("multipart/related; boundary={boundary}");
        let query = [
            ("uploadType", "multipart"),
            ("supportsAllDrives", "true"),
            ("fields", "id,name,mimeType"),
        ];
        self.api
            .json(what, &|c| {
                c.request(method.clone(), url)
                    .query(&query)
                    .header(reqwest::header::CONTENT_TYPE, content_type.as_str())
                    .body(body.clone())
            })
            .await
    }

    /// A resumable upload: open a session with the metadata, send the bytes in chunks, and after
    /// a failure ask the session how much it kept and go on from there. An expired session
    /// (404/410) starts over, at most [`SESSION_RESTARTS`] times.
    async fn upload_resumable(&self, up: &Upload<'_>) -> Result<DriveFile, GoogleError> {
        let what = up.what;
        let mut restarts = 0;
        loop {
            let session = self.open_session(up).await?;
            match self.send_chunks(what, &session, up.bytes).await? {
                Some(file) => return Ok(file),
                None if restarts < SESSION_RESTARTS => {
                    restarts += 1;
                    tracing::warn!(
                        call = what,
                        restarts,
                        "Drive upload session expired; starting over"
                    );
                }
                None => {
                    return Err(GoogleError::Api {
                        status: 404,
                        reason: Some("uploadSessionExpired".into()),
                        message: format!(
                            "{what}: the upload session expired {} times in a row",
                            restarts + 1
                        ),
                        retry_after: None,
                    })
                }
            }
        }
    }

    /// Opens a resumable session; returns its URI (the `Location` header).
    async fn open_session(&self, up: &Upload<'_>) -> Result<String, GoogleError> {
        let what = up.what;
        let query = [
            ("uploadType", "resumable"),
            ("supportsAllDrives", "true"),
            ("fields", "id,name,mimeType"),
        ];
        let size = up.bytes.len().to_string();
        let answer = self
            .api
            .send_full(what, &|c| {
                c.request(up.method.clone(), up.url)
                    .query(&query)
                    .header("X-Upload-Content-Type", up.mime)
                    .header("X-Upload-Content-Length", size.as_str())
                    .json(up.meta)
            })
            .await?;
        let session = answer
            .header("location")
            .map(str::to_owned)
            .ok_or_else(|| GoogleError::Decode {
                what,
                detail: "resumable session answer has no Location header".into(),
            })?;
        tracing::info!(call = what, size = %size, "Drive resumable upload session opened");
        Ok(session)
    }

    /// Sends `bytes` to `session`. `Ok(None)` means the session is gone and must be reopened.
    async fn send_chunks(
        &self,
        what: &'static str,
        session: &str,
        bytes: &[u8],
    ) -> Result<Option<DriveFile>, GoogleError> {
        let total = bytes.len();
        let mut backoff = self.api.backoff();
        // `None`: we do not know what the session kept (after a failure), so we ask.
        let mut offset: Option<usize> = Some(0);
        let mut kept = 0;
        loop {
            // The next chunk, or an empty status query when we do not know what the session kept.
            let (range, chunk) = match offset {
                Some(start) if start < total => {
                    let end = (start + self.cfg.chunk_size).min(total);
                    (
                        format!("bytes {start}-{}/{total}", end - 1),
                        &bytes[start..end],
                    )
                }
                _ => (format!("bytes */{total}"), &[][..]),
            };
            let sent = self
                .api
                .attempt(&|c| {
                    c.put(session)
                        .header(reqwest::header::CONTENT_RANGE, range.as_str())
                        .body(chunk.to_vec())
                })
                .await;
            let failure = match sent {
                Ok(a) if a.status == 200 || a.status == 201 => {
                    return decode(what, &a.body).map(Some)
                }
                Ok(a) if a.status == 308 => {
                    let committed = committed(&a);
                    let sent_a_chunk = offset.is_some_and(|start| start < total);
                    offset = Some(committed);
                    if committed > kept {
                        kept = committed;
                        backoff = self.api.backoff();
                    } else if sent_a_chunk {
                        // The session kept nothing of what we sent: back off rather than spin.
                        let Some(delay) = backoff.next() else {
                            return Err(GoogleError::Decode {
                                what,
                                detail: format!(
                                    "upload session stopped taking bytes at {kept} of {total}"
                                ),
                            });
                        };
                        tokio::time::sleep(delay).await;
                    }
                    if committed < total {
                        continue;
                    }
                    // The session says it has everything but did not answer with the file.
                    GoogleError::Decode {
                        what,
                        detail: "upload session kept every byte but returned no file".into(),
                    }
                }
                Ok(a) if a.status == 404 || a.status == 410 => return Ok(None),
                Ok(a) => a.error(),
                Err(e) => e,
            };
            if !failure.is_retryable() {
                return Err(failure);
            }
            let Some(delay) = backoff.next() else {
                return Err(failure);
            };
            let delay = failure
                .retry_after()
                .map_or(delay, |r| r.min(crate::http::MAX_RETRY_AFTER));
            tracing::warn!(call = what, error = %failure, kept, retry_in = ?delay, "Drive upload chunk failed; asking the session what it kept");
            tokio::time::sleep(delay).await;
            offset = None;
        }
    }
}

/// One upload: its name in logs, where it goes, the file's metadata and its content.
pub(super) struct Upload<'a> {
    pub(super) what: &'static str,
    pub(super) method: reqwest::Method,
    pub(super) url: &'a str,
    pub(super) meta: &'a serde_json::Value,
    pub(super) mime: &'a str,
    pub(super) bytes: &'a [u8],
}

/// How many bytes a 308 answer says the session kept: `Range: bytes=0-N` means N+1, no `Range`
/// means none.
fn committed(answer: &Answer) -> usize {
    answer
        .header("range")
        .and_then(|r| r.trim().strip_prefix("bytes=0-"))
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(0, |n| n + 1)
}

/// A `multipart/related` body: the JSON metadata part first, then the media part.
pub fn multipart_related(
    boundary: &str,
    meta: &serde_json::Value,
    mime: &str,
    bytes: &[u8],
) -> Vec<u8> {
    let mut body = Vec::with_capacity(bytes.len() + 512);
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(meta.to_string().as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Type: {mime}\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_has_metadata_first_then_media() {
        let body = multipart_related(
            "B",
            &serde_json::json!({"name": "x"}),
            "text/plain",
            b"hello",
        );
        let text = String::from_utf8(body).unwrap();
        assert_eq!(
            text,
            "--B\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{\"name\":\"x\"}\r\n--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n--B--\r\n"
        );
    }
}
