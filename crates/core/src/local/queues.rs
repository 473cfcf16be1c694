//! Queues on the embedded store, with SQS's semantics.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::db::{sql_error, Cached};
use super::queue_peek::body_bytes;
use super::Local;
use crate::ports::{OutMessage, QueueDepth, QueueId, Queues, Received};
use crate::StoreError;

struct QueueRow {
    dlq: Option<String>,
    max_receive_count: Option<u32>,
}

fn queue_row(tx: &Transaction<'_>, name: &str) -> Result<QueueRow, StoreError> {
    tx.row_cached(
        "SELECT dlq, max_receive_count FROM queues WHERE name = ?1",
        [name],
        |r| {
            Ok(QueueRow {
                dlq: r.get(0)?,
                max_receive_count: r.get(1)?,
            })
        },
    )
    .optional()
    .map_err(|e| sql_error("reading queue", e))?
    .ok_or_else(|| StoreError::Missing {
        kind: "queue",
        name: name.to_string(),
    })
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Local {
    pub(super) fn queue_name(&self, q: QueueId) -> String {
        q.name(&self.names.prefix)
    }

    /// One receive attempt without waiting.
    async fn receive_now(
        &self,
        name: String,
        max: u32,
        visibility: Duration,
    ) -> Result<Vec<Received>, StoreError> {
        let prefix = self.names.prefix.clone();
        self.db
            .tx("receiving messages", move |tx| {
                let q = queue_row(tx, &name)?;
                let now = now_ms();
                let mut out = Vec::new();
                loop {
                    let want = i64::from(max) - out.len() as i64;
                    if want <= 0 {
                        break;
                    }
                    let candidates: Vec<(i64, String, Vec<u8>, String, i64, u32)> = {
                        let mut stmt = tx
                            .prepare_cached("SELECT seq, id, body, attributes, sent_ms, receive_count FROM messages WHERE queue = ?1 AND visible_ms <= ?2 ORDER BY visible_ms, seq LIMIT ?3")
                            .map_err(|e| sql_error("receiving messages", e))?;
                        let rows = stmt
                            .query_map(params![name, now, want], |r| Ok((r.get(0)?, r.get(1)?, body_bytes(r.get_ref(2)?), r.get(3)?, r.get(4)?, r.get(5)?)))
                            .map_err(|e| sql_error("receiving messages", e))?;
                        rows.collect::<Result<Vec<_>, _>>().map_err(|e| sql_error("receiving messages", e))?
                    };
                    if candidates.is_empty() {
                        break;
                    }
                    for (seq, id, raw, attrs, sent_ms, count) in candidates {
                        let mut attributes: BTreeMap<String, String> =
                            serde_json::from_str(&attrs).unwrap_or_default();
                        let body = match String::from_utf8(raw) {
                            Ok(body) => body,
                            Err(e) => {
                                let (body, moved) =
                                    undecodable(tx, &q, &name, &prefix, seq, &id, count, e.into_bytes(), &mut attributes)?;
                                if moved {
                                    continue;
                                }
                                body
                            }
                        };
                        if let (Some(dlq), Some(max_rc)) = (&q.dlq, q.max_receive_count) {
                            if count >= max_rc {
                                // SQS redrive: received maxReceiveCount times already, so it moves instead.
                                tx.exec_cached("UPDATE messages SET queue = ?1, visible_ms = ?2, receipt = NULL WHERE seq = ?3", params![dlq, now, seq])
                                    .map_err(|e| sql_error("moving message to DLQ", e))?;
                                tracing::warn!(message_id = %id, queue = %name, dlq = %dlq, receive_count = count, "message moved to its DLQ");
                                continue;
                            }
                        }
                        let receipt = format!("{id}:{}", uuid::Uuid::new_v4().simple());
                        tx.exec_cached(
                            "UPDATE messages SET receive_count = receive_count + 1, visible_ms = ?1, receipt = ?2 WHERE seq = ?3",
                            params![now + ms(visibility), receipt, seq],
                        )
                        .map_err(|e| sql_error("receiving messages", e))?;
                        out.push(Received {
                            message_id: id,
                            receipt,
                            body,
                            receive_count: count + 1,
                            sent_at: Utc.timestamp_millis_opt(sent_ms).single(),
                            attributes,
                        });
                    }
                }
                Ok(out)
            })
            .await
    }
}

#[async_trait::async_trait]
impl Queues for Local {
    async fn send(
        &self,
        queue: QueueId,
        messages: &[OutMessage],
    ) -> Result<Vec<String>, StoreError> {
        let name = self.queue_name(queue);
        for m in messages {
            if m.delay > crate::ports::queues_max_delay() {
                return Err(StoreError::Invalid(format!(
                    "delay {:?} is over the 15-minute maximum",
                    m.delay
                )));
            }
        }
        let messages = messages.to_vec();
        let ids = self
            .db
            .tx("sending messages", move |tx| {
                queue_row(tx, &name)?;
                let now = now_ms();
                let mut ids = Vec::with_capacity(messages.len());
                for m in &messages {
                    let id = uuid::Uuid::new_v4().to_string();
                    let attrs = serde_json::to_string(&m.attributes).unwrap_or_else(|_| "{}".into());
                    tx.exec_cached(
                        "INSERT INTO messages (id, queue, body, attributes, sent_ms, visible_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![id, name, m.body, attrs, now, now + ms(m.delay)],
                    )
                    .map_err(|e| sql_error("sending message", e))?;
                    ids.push(id);
                }
                Ok(ids)
            })
            .await?;
        self.db.sent.notify_waiters();
        Ok(ids)
    }

    async fn receive(
        &self,
        queue: QueueId,
        max: u32,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<Received>, StoreError> {
        let name = self.queue_name(queue);
        let max = max.clamp(1, 10);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.db.sent.notified();
            let got = self.receive_now(name.clone(), max, visibility).await?;
            let now = tokio::time::Instant::now();
            if !got.is_empty() || now >= deadline {
                return Ok(got);
            }
            // Woken by a send in this process; re-checked every 100 ms for other processes, delays and visibility.
            let nap = (deadline - now).min(Duration::from_millis(100));
            let _ = tokio::time::timeout(nap, notified).await;
        }
    }

    async fn delete(&self, queue: QueueId, receipts: &[String]) -> Result<Vec<String>, StoreError> {
        let name = self.queue_name(queue);
        let receipts = receipts.to_vec();
        self.db
            .tx("deleting messages", move |tx| {
                queue_row(tx, &name)?;
                let mut failed = Vec::new();
                for r in &receipts {
                    let n = tx
                        .exec_cached(
                            "DELETE FROM messages WHERE queue = ?1 AND receipt = ?2",
                            params![name, r],
                        )
                        .map_err(|e| sql_error("deleting message", e))?;
                    if n == 0 {
                        failed.push(r.clone());
                    }
                }
                Ok(failed)
            })
            .await
    }

    async fn change_visibility(
        &self,
        queue: QueueId,
        receipt: &str,
        timeout: Duration,
    ) -> Result<(), StoreError> {
        let name = self.queue_name(queue);
        let receipt = receipt.to_string();
        self.db
            .tx("changing visibility", move |tx| {
                queue_row(tx, &name)?;
                let n = tx
                    .exec_cached(
                        "UPDATE messages SET visible_ms = ?1 WHERE queue = ?2 AND receipt = ?3",
                        params![now_ms() + ms(timeout), name, receipt],
                    )
                    .map_err(|e| sql_error("changing visibility", e))?;
                if n == 0 {
                    return Err(StoreError::Invalid(
                        "the message's receipt is no longer valid (deleted or received again)"
                            .into(),
                    ));
                }
                Ok(())
            })
            .await
    }

    async fn peek(&self, queue: QueueId, max: usize) -> Result<Vec<Received>, StoreError> {
        self.peek_messages(self.queue_name(queue), max).await
    }

    async fn depth(&self, queue: QueueId) -> Result<QueueDepth, StoreError> {
        let name = self.queue_name(queue);
        self.db
            .tx("counting messages", move |tx| {
                queue_row(tx, &name)?;
                let now = now_ms();
                tx.row_cached(
                    "SELECT
                        COALESCE(SUM(visible_ms <= ?2), 0),
                        COALESCE(SUM(visible_ms > ?2 AND receipt IS NOT NULL), 0),
                        COALESCE(SUM(visible_ms > ?2 AND receipt IS NULL), 0)
                     FROM messages WHERE queue = ?1",
                    params![name, now],
                    |r| {
                        Ok(QueueDepth {
                            visible: r.get::<_, i64>(0)? as u64,
                            in_flight: r.get::<_, i64>(1)? as u64,
                            delayed: r.get::<_, i64>(2)? as u64,
                        })
                    },
                )
                .map_err(|e| sql_error("counting messages", e))
            })
            .await
    }
}

/// A body that is not UTF-8 can never be a job: like any poison it moves to the queue's DLQ
/// with the reason, the original bytes kept (base64) in an attribute, so the queue moves past
/// it. On a queue without a DLQ (a DLQ itself) it is delivered with the bytes it cannot show
/// replaced, so `dispatch dlq list|show` can still list it. Returns the body to deliver and
/// whether the message was moved instead.
#[allow(clippy::too_many_arguments)]
fn undecodable(
    tx: &Transaction<'_>,
    q: &QueueRow,
    name: &str,
    prefix: &str,
    seq: i64,
    id: &str,
    count: u32,
    bytes: Vec<u8>,
    attributes: &mut BTreeMap<String, String>,
) -> Result<(String, bool), StoreError> {
    use base64::Engine as _;
    let lossy = String::from_utf8_lossy(&bytes).into_owned();
    attributes
        .entry(BODY_BASE64_ATTR.into())
        .or_insert_with(|| base64::engine::general_purpose::STANDARD.encode(&bytes));
    let Some(dlq) = &q.dlq else {
        return Ok((lossy, false));
    };
    // The names the workers use for a dead letter's reason (dispatch-ingest's `dlq_attr`).
    let reason = format!(
        "message body is not UTF-8 ({} bytes), so it cannot be a job envelope; the original bytes are in the `{BODY_BASE64_ATTR}` attribute",
        bytes.len()
    );
    attributes.insert("dispatch-error".into(), reason);
    attributes.insert(
        "dispatch-source".into(),
        name.strip_prefix(prefix).unwrap_or(name).to_string(),
    );
    attributes.insert("dispatch-receive-count".into(), count.to_string());
    attributes.insert("dispatch-failed-at".into(), Utc::now().to_rfc3339());
    let attrs = serde_json::to_string(attributes).unwrap_or_else(|_| "{}".into());
    tx.exec_cached(
        "UPDATE messages SET queue = ?1, visible_ms = ?2, receipt = NULL, attributes = ?3 WHERE seq = ?4",
        params![dlq, now_ms(), attrs, seq],
    )
    .map_err(|e| sql_error("moving an undecodable message to its DLQ", e))?;
    tracing::error!(message_id = %id, queue = %name, dlq = %dlq, "message body is not UTF-8: moved to its DLQ");
    Ok((lossy, true))
}

/// The attribute holding, base64, the original bytes of a body that was not UTF-8.
pub const BODY_BASE64_ATTR: &str = "dispatch-body-base64";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::QueueId;

    /// A body that is not UTF-8 (written by another program into the file) goes to the DLQ
    /// with its reason and original bytes; the queue moves past it to the good message.
    #[tokio::test]
    async fn non_utf8_body_goes_to_the_dlq_and_the_queue_moves_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dispatch.sqlite3");
        let local = Local::open_path(&path, "", 5).unwrap();
        let backend = local.backend();
        backend.admin.bootstrap().await.unwrap();
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute(
                "INSERT INTO messages (id, queue, body, attributes, sent_ms, visible_ms) VALUES ('bad-1', ?1, CAST(x'7bff22fe' AS TEXT), '{}', 0, 0)",
                [QueueId::Roster.name("")],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO messages (id, queue, body, attributes, sent_ms, visible_ms) VALUES ('bad-2', ?1, x'80', '{}', 0, 0)",
                [QueueId::Roster.name("")],
            )
            .unwrap();
        }
        backend
            .queues
            .send(QueueId::Roster, &[OutMessage::new("good")])
            .await
            .unwrap();
        let got = backend
            .queues
            .receive(
                QueueId::Roster,
                10,
                Duration::from_secs(1),
                Duration::from_secs(30),
            )
            .await
            .expect("a receive never fails on a bad body");
        assert_eq!(
            got.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            ["good"]
        );
        let dead = backend
            .queues
            .receive(
                QueueId::RosterDlq,
                10,
                Duration::from_secs(1),
                Duration::from_secs(30),
            )
            .await
            .unwrap();
        assert_eq!(dead.len(), 2);
        for d in &dead {
            assert!(
                d.attributes["dispatch-error"].contains("not UTF-8"),
                "{:?}",
                d.attributes
            );
            assert_eq!(d.attributes["dispatch-source"], "roster");
        }
        let bad1 = dead.iter().find(|d| d.message_id == "bad-1").unwrap();
        assert_eq!(bad1.attributes[BODY_BASE64_ATTR], "e/8i/g==");
    }
}
