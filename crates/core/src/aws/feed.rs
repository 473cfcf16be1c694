//! The charters table's DynamoDB Stream.

use aws_sdk_dynamodbstreams::types::{OperationType, ShardIteratorType};
use chrono::TimeZone;

use super::client::Aws;
use super::errors::{classify, code_of};
use crate::item::Item;
use crate::ports::{ChangeFeed, ChangeKind, ChangeRecord, FeedPage, Shard, StartAt};
use crate::StoreError;

fn streams_item(
    m: Option<std::collections::HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>,
) -> Option<Item> {
    m.map(|m| m.into_iter().map(|(k, v)| (k, v.into())).collect())
}

#[async_trait::async_trait]
impl ChangeFeed for Aws {
    async fn stream_name(&self) -> Result<String, StoreError> {
        self.cached_stream_arn().await
    }

    async fn shards(&self) -> Result<Vec<Shard>, StoreError> {
        let arn = self.cached_stream_arn().await?;
        let mut shards = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let out = self
                .streams
                .describe_stream()
                .stream_arn(&arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
                .await
                .map_err(|e| classify("describing the charters stream", e))?;
            let Some(desc) = out.stream_description else {
                break;
            };
            for sh in desc.shards.unwrap_or_default() {
                let Some(id) = sh.shard_id else { continue };
                let closed = sh
                    .sequence_number_range
                    .as_ref()
                    .and_then(|r| r.ending_sequence_number.as_ref())
                    .is_some();
                shards.push(Shard {
                    id,
                    parent: sh.parent_shard_id,
                    closed,
                });
            }
            match desc.last_evaluated_shard_id {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        Ok(shards)
    }

    async fn iterator(&self, shard: &str, start: &StartAt) -> Result<String, StoreError> {
        let arn = self.cached_stream_arn().await?;
        let mut req = self
            .streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(shard);
        req = match start {
            StartAt::TrimHorizon => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
            StartAt::Latest => req.shard_iterator_type(ShardIteratorType::Latest),
            StartAt::After(seq) => req
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .sequence_number(seq),
            StartAt::At(seq) => req
                .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                .sequence_number(seq),
        };
        match req.send().await {
            Ok(out) => out.shard_iterator.ok_or_else(|| {
                StoreError::Invalid(format!("no iterator returned for shard {shard}"))
            }),
            Err(e) if code_of(&e).as_deref() == Some("TrimmedDataAccessException") => {
                Err(StoreError::TrimmedData)
            }
            Err(e) => Err(classify(&format!("opening shard {shard}"), e)),
        }
    }

    async fn read(&self, iterator: &str, limit: u32) -> Result<FeedPage, StoreError> {
        let out = match self
            .streams
            .get_records()
            .shard_iterator(iterator)
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                return Err(match code_of(&e).as_deref() {
                    Some("ExpiredIteratorException") => StoreError::IteratorExpired,
                    Some("TrimmedDataAccessException") => StoreError::TrimmedData,
                    _ => classify("reading the charters stream", e),
                })
            }
        };
        let mut records = Vec::new();
        for r in out.records.unwrap_or_default() {
            let kind = match r.event_name {
                Some(OperationType::Insert) => ChangeKind::Insert,
                Some(OperationType::Modify) => ChangeKind::Modify,
                Some(OperationType::Remove) => ChangeKind::Remove,
                other => {
                    tracing::warn!(event = ?other, "stream record of unknown kind skipped");
                    continue;
                }
            };
            let Some(sr) = r.dynamodb else { continue };
            let sequence = sr.sequence_number.clone().unwrap_or_default();
            let created_at = sr.approximate_creation_date_time.and_then(|t| {
                chrono::Utc
                    .timestamp_millis_opt(t.to_millis().ok()?)
                    .single()
            });
            records.push(ChangeRecord {
                event_id: r.event_id.unwrap_or_default(),
                kind,
                shard_id: String::new(),
                sequence,
                keys: streams_item(sr.keys).unwrap_or_default(),
                old_image: streams_item(sr.old_image),
                new_image: streams_item(sr.new_image),
                created_at,
            });
        }
        Ok(FeedPage {
            records,
            next: out.next_shard_iterator,
        })
    }
}
