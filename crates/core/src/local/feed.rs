//! The embedded change feed: one shard that never closes, positions are the feed's row sequence.

use chrono::TimeZone;
use rusqlite::{params, OptionalExtension};

use super::db::{decode, sql_error, Cached};
use super::Local;
use crate::ports::{ChangeFeed, ChangeKind, ChangeRecord, FeedPage, Shard, StartAt};
use crate::StoreError;

/// The only shard of the embedded feed.
pub const LOCAL_SHARD: &str = "shard-local-0000";

/// Sequence numbers are zero-padded so they also sort as text.
fn seq_str(seq: i64) -> String {
    format!("{seq:021}")
}

fn parse_iterator(it: &str, table: &str) -> Result<i64, StoreError> {
    let rest = it
        .strip_prefix("local:")
        .and_then(|r| r.rsplit_once(':'))
        .filter(|(t, _)| *t == table)
        .map(|(_, n)| n)
        .ok_or_else(|| StoreError::Invalid(format!("not an iterator of this feed: {it}")))?;
    rest.parse()
        .map_err(|_| StoreError::Invalid(format!("not an iterator of this feed: {it}")))
}

#[async_trait::async_trait]
impl ChangeFeed for Local {
    async fn stream_name(&self) -> Result<String, StoreError> {
        Ok(format!("local:{}", self.names.charters))
    }

    async fn shards(&self) -> Result<Vec<Shard>, StoreError> {
        Ok(vec![Shard {
            id: LOCAL_SHARD.into(),
            parent: None,
            closed: false,
        }])
    }

    async fn iterator(&self, shard: &str, start: &StartAt) -> Result<String, StoreError> {
        if shard != LOCAL_SHARD {
            return Err(StoreError::Invalid(format!(
                "no shard {shard} in the embedded feed"
            )));
        }
        let tbl = self.names.charters.clone();
        let after = match start {
            StartAt::TrimHorizon => 0,
            StartAt::After(seq) => seq
                .parse::<i64>()
                .map_err(|_| StoreError::Invalid(format!("bad sequence number {seq}")))?,
            StartAt::At(seq) => seq
                .parse::<i64>()
                .map_err(|_| StoreError::Invalid(format!("bad sequence number {seq}")))?
                .saturating_sub(1),
            StartAt::Latest => {
                let t = tbl.clone();
                self.db
                    .tx("reading feed position", move |tx| {
                        tx.row_cached("SELECT MAX(seq) FROM feed WHERE tbl = ?1", [&t], |r| {
                            r.get::<_, Option<i64>>(0)
                        })
                        .optional()
                        .map_err(|e| sql_error("reading feed position", e))
                        .map(|v| v.flatten().unwrap_or(0))
                    })
                    .await?
            }
        };
        Ok(format!("local:{tbl}:{after}"))
    }

    async fn read(&self, iterator: &str, limit: u32) -> Result<FeedPage, StoreError> {
        let tbl = self.names.charters.clone();
        let after = parse_iterator(iterator, &tbl)?;
        let limit = limit.clamp(1, 1000);
        let rows = self
            .db
            .tx("reading change feed", move |tx| {
                let mut stmt = tx
                    .prepare_cached("SELECT seq, kind, keys, old_image, new_image, created_ms FROM feed WHERE tbl = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")
                    .map_err(|e| sql_error("reading change feed", e))?;
                let rows = stmt
                    .query_map(params![tbl, after, limit], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?, r.get::<_, i64>(5)?))
                    })
                    .map_err(|e| sql_error("reading change feed", e))?;
                rows.collect::<Result<Vec<(i64, String, String, Option<String>, Option<String>, i64)>, _>>().map_err(|e| sql_error("reading change feed", e))
            })
            .await?;
        let mut last = after;
        let mut records = Vec::with_capacity(rows.len());
        for (seq, kind, keys, old, new, created_ms) in rows {
            last = seq;
            let kind = match kind.as_str() {
                "INSERT" => ChangeKind::Insert,
                "MODIFY" => ChangeKind::Modify,
                _ => ChangeKind::Remove,
            };
            records.push(ChangeRecord {
                event_id: format!("local-{seq}"),
                kind,
                shard_id: LOCAL_SHARD.into(),
                sequence: seq_str(seq),
                keys: decode(&keys)?,
                old_image: old.as_deref().map(decode).transpose()?,
                new_image: new.as_deref().map(decode).transpose()?,
                created_at: chrono::Utc.timestamp_millis_opt(created_ms).single(),
            });
        }
        Ok(FeedPage {
            records,
            next: Some(format!("local:{}:{last}", self.names.charters)),
        })
    }
}
