//! Queues on the embedded store, with SQS's semantics.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::db::sql_error;
use super::Local;
use crate::ports::{OutMessage, QueueDepth, QueueId, Queues, Received};
use crate::StoreError;

struct QueueRow {
    dlq: Option<String>,
    max_receive_count: Option<u32>,
}

fn queue_row(tx: &Transaction<'_>, name: &str) -> Result<QueueRow, StoreError> {
    tx.query_row(
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
    fn queue_name(&self, q: QueueId) -> String {
        q.name(&self.names.prefix)
    }

    /// One receive attempt without waiting.
    async fn receive_now(
        &self,
        name: String,
        max: u32,
        visibility: Duration,
    ) -> Result<Vec<Received>, StoreError> {
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
                    let candidates: Vec<(i64, String, String, String, i64, u32)> = {
                        let mut stmt = tx
                            .prepare_cached("SELECT seq, id, body, attributes, sent_ms, receive_count FROM messages WHERE queue = ?1 AND visible_ms <= ?2 ORDER BY visible_ms, seq LIMIT ?3")
                            .map_err(|e| sql_error("receiving messages", e))?;
                        let rows = stmt
                            .query_map(params![name, now, want], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
                            .map_err(|e| sql_error("receiving messages", e))?;
                        rows.collect::<Result<Vec<_>, _>>().map_err(|e| sql_error("receiving messages", e))?
                    };
                    if candidates.is_empty() {
                        break;
                    }
                    for (seq, id, body, attrs, sent_ms, count) in candidates {
                        if let (Some(dlq), Some(max_rc)) = (&q.dlq, q.max_receive_count) {
                            if count >= max_rc {
                                // SQS redrive: received maxReceiveCount times already, so it moves instead.
                                tx.execute("UPDATE messages SET queue = ?1, visible_ms = ?2, receipt = NULL WHERE seq = ?3", params![dlq, now, seq])
                                    .map_err(|e| sql_error("moving message to DLQ", e))?;
                                tracing::warn!(message_id = %id, queue = %name, dlq = %dlq, receive_count = count, "message moved to its DLQ");
                                continue;
                            }
                        }
                        let receipt = format!("{id}:{}", uuid::Uuid::new_v4().simple());
                        tx.execute(
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
                            attributes: serde_json::from_str(&attrs).unwrap_or_default(),
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
                    tx.execute(
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
                        .execute(
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
                    .execute(
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

    async fn depth(&self, queue: QueueId) -> Result<QueueDepth, StoreError> {
        let name = self.queue_name(queue);
        self.db
            .tx("counting messages", move |tx| {
                queue_row(tx, &name)?;
                let now = now_ms();
                tx.query_row(
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

#[allow(dead_code)]
fn _attrs_type_check(_: BTreeMap<String, String>) {}
