//! Reading an embedded queue's messages without receiving them (`dispatch dlq list|show`): no
//! receipt, no visibility change, the receive count as it is.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use rusqlite::params;

use super::db::sql_error;
use super::Local;
use crate::ports::Received;
use crate::StoreError;

impl Local {
    /// Up to `max` messages of queue `name` that are visible now, oldest first, untouched.
    pub(super) async fn peek_messages(
        &self,
        name: String,
        max: usize,
    ) -> Result<Vec<Received>, StoreError> {
        let limit = i64::try_from(max).unwrap_or(i64::MAX);
        self.db
            .tx("reading messages", move |tx| {
                let now = Utc::now().timestamp_millis();
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT id, body, attributes, sent_ms, receive_count FROM messages \
                         WHERE queue = ?1 AND visible_ms <= ?2 ORDER BY visible_ms, seq LIMIT ?3",
                    )
                    .map_err(|e| sql_error("reading messages", e))?;
                let rows = stmt
                    .query_map(params![name, now, limit], |r| {
                        let attrs: String = r.get(2)?;
                        let sent_ms: i64 = r.get(3)?;
                        Ok(Received {
                            message_id: r.get(0)?,
                            receipt: String::new(),
                            body: String::from_utf8_lossy(&body_bytes(r.get_ref(1)?)).into_owned(),
                            receive_count: r.get(4)?,
                            sent_at: Utc.timestamp_millis_opt(sent_ms).single(),
                            attributes: serde_json::from_str::<BTreeMap<String, String>>(&attrs)
                                .unwrap_or_default(),
                        })
                    })
                    .map_err(|e| sql_error("reading messages", e))?;
                rows.collect::<Result<Vec<_>, _>>()
                    .map_err(|e| sql_error("reading messages", e))
            })
            .await
    }
}

/// A body column's bytes, whether SQLite holds it as TEXT (possibly not UTF-8, if another
/// writer put it there) or as a BLOB.
pub(super) fn body_bytes(v: rusqlite::types::ValueRef<'_>) -> Vec<u8> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Text(b) | ValueRef::Blob(b) => b.to_vec(),
        ValueRef::Null => Vec::new(),
        ValueRef::Integer(i) => i.to_string().into_bytes(),
        ValueRef::Real(f) => f.to_string().into_bytes(),
    }
}
