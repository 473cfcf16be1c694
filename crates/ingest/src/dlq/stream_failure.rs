//! The stream Lambda's on-failure records: what Lambda sends to its on-failure destination when
//! it gives up on a batch. They hold no record, only where the batch was (stream ARN, shard,
//! first and last sequence number), so replaying one means re-reading that range from the
//! stream — possible while the stream still has it (24 h).
//!
//! The shape (Lambda's, for DynamoDB Streams):
//! `{"requestContext": {"condition": "RetryAttemptsExhausted", ...}, "responseContext":
//! {"functionError": "Unhandled", ...}, "timestamp": "...", "DDBStreamBatchInfo": {"shardId",
//! "startSequenceNumber", "endSequenceNumber", "batchSize", "streamArn",
//! "approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord"}}`.

use dispatch_core::ports::{sequence_cmp, ChangeFeed, StartAt};
use dispatch_core::StoreError;

use crate::record::RecordHandler;

/// Where a batch that Lambda gave up on was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedBatch {
    pub stream_arn: String,
    pub shard_id: String,
    pub start_sequence: String,
    pub end_sequence: String,
    pub batch_size: Option<u64>,
    /// Why Lambda gave up: `RetryAttemptsExhausted`, `RecordAgeExceeded`, ...
    pub condition: Option<String>,
    /// `Unhandled` (the function failed or timed out) or the reported item failure.
    pub function_error: Option<String>,
    pub first_arrival: Option<String>,
    pub last_arrival: Option<String>,
}

impl FailedBatch {
    /// Reads an on-failure record; `None` if the body is not one.
    pub fn parse(body: &str) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        let info = v.get("DDBStreamBatchInfo")?;
        let s =
            |o: &serde_json::Value, k: &str| o.get(k).and_then(|x| x.as_str()).map(str::to_string);
        Some(Self {
            stream_arn: s(info, "streamArn")?,
            shard_id: s(info, "shardId")?,
            start_sequence: s(info, "startSequenceNumber")?,
            end_sequence: s(info, "endSequenceNumber")?,
            batch_size: info.get("batchSize").and_then(|x| x.as_u64()),
            condition: v.get("requestContext").and_then(|c| s(c, "condition")),
            function_error: v.get("responseContext").and_then(|c| s(c, "functionError")),
            first_arrival: s(info, "approximateArrivalOfFirstRecord"),
            last_arrival: s(info, "approximateArrivalOfLastRecord"),
        })
    }

    /// `shard/start..end`, the key `dlq list` shows and `--key` filters on.
    pub fn key(&self) -> String {
        format!(
            "{}/{}..{}",
            self.shard_id, self.start_sequence, self.end_sequence
        )
    }

    /// One line saying what happened.
    pub fn reason(&self) -> String {
        format!(
            "Lambda gave up on {} record(s) ({}{}); the records are not in this message: replay re-reads them from the stream",
            self.batch_size.map_or("some".to_string(), |n| n.to_string()),
            self.condition.as_deref().unwrap_or("unknown condition"),
            self.function_error
                .as_deref()
                .map(|e| format!(", function error {e}"))
                .unwrap_or_default()
        )
    }
}

/// How many empty pages in a row are read before giving up on reaching the end of the range
/// (DynamoDB Streams can return empty pages from an open shard).
const MAX_EMPTY_PAGES: usize = 20;

/// Re-reads the batch's records from the stream and hands each to `handler`, in order. Returns
/// how many were handled, or exactly why the range cannot be replayed.
pub async fn reread(
    feed: &dyn ChangeFeed,
    handler: &dyn RecordHandler,
    batch: &FailedBatch,
) -> Result<usize, String> {
    let current = feed
        .stream_name()
        .await
        .map_err(|e| format!("cannot read the stream to replay this batch: {e}"))?;
    if current != batch.stream_arn {
        return Err(format!(
            "this batch was on stream {} but the table's stream is now {current} (the stream was \
             turned off and on, or the table re-created): the old stream's records cannot be read \
             from here. Reconcile the charters of that time instead (`dispatch charter reconcile --all`)",
            batch.stream_arn
        ));
    }
    let lost = |why: &str| {
        format!(
            "{why}: the records of shard {} from {} to {} cannot be re-read (the stream keeps 24 h; \
             this batch first arrived {}). Reconcile the charters of that time instead \
             (`dispatch charter reconcile --all`)",
            batch.shard_id,
            batch.start_sequence,
            batch.end_sequence,
            batch.first_arrival.as_deref().unwrap_or("at an unknown time")
        )
    };
    let mut iterator = match feed
        .iterator(&batch.shard_id, &StartAt::At(batch.start_sequence.clone()))
        .await
    {
        Ok(it) => it,
        Err(StoreError::TrimmedData) => {
            return Err(lost("the stream no longer has them (trimmed)"))
        }
        Err(e) if !e.is_retryable() => {
            return Err(lost(&format!(
                "the stream does not have that shard any more ({e})"
            )))
        }
        Err(e) => return Err(format!("opening shard {}: {e}; try again", batch.shard_id)),
    };
    let mut handled = 0;
    let mut empty = 0;
    loop {
        let page = match feed.read(&iterator, 100).await {
            Ok(p) => p,
            Err(StoreError::TrimmedData) => {
                return Err(lost("the stream trimmed them while they were being read"))
            }
            Err(e) => {
                return Err(format!(
                    "reading shard {} after {handled} record(s): {e}; try again (replaying again is harmless)",
                    batch.shard_id
                ))
            }
        };
        if page.records.is_empty() {
            empty += 1;
        } else {
            empty = 0;
        }
        for mut record in page.records {
            if sequence_cmp(&record.sequence, &batch.end_sequence) == std::cmp::Ordering::Greater {
                return Ok(handled);
            }
            if record.shard_id.is_empty() {
                record.shard_id = batch.shard_id.clone();
            }
            handler.handle(&record).await.map_err(|e| {
                format!(
                    "record {} of shard {} failed again: {} ({}); replay again once that is fixed",
                    record.sequence,
                    batch.shard_id,
                    e.message,
                    if e.retryable { "may pass" } else { "permanent" }
                )
            })?;
            handled += 1;
            if sequence_cmp(&record.sequence, &batch.end_sequence) != std::cmp::Ordering::Less {
                return Ok(handled);
            }
        }
        match page.next {
            None => return Ok(handled),
            Some(next) => iterator = next,
        }
        if empty >= MAX_EMPTY_PAGES {
            return Err(format!(
                "shard {} gave {MAX_EMPTY_PAGES} empty pages before sequence {} ({handled} record(s) replayed): try again",
                batch.shard_id, batch.end_sequence
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lambdas_on_failure_record() {
        let body = r#"{"requestContext":{"requestId":"r1","functionArn":"arn:aws:lambda:us-east-1:1:function:f","condition":"RetryAttemptsExhausted","approximateInvokeCount":6},
            "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
            "version":"1.0","timestamp":"2024-05-03T10:00:00.000Z",
            "DDBStreamBatchInfo":{"shardId":"shardId-0001","startSequenceNumber":"100","endSequenceNumber":"120",
            "approximateArrivalOfFirstRecord":"2024-05-03T09:00:00Z","approximateArrivalOfLastRecord":"2024-05-03T09:00:01Z",
            "batchSize":3,"streamArn":"arn:aws:dynamodb:us-east-1:1:table/crew-dispatch/stream/2024-01-01T00:00:00.000"}}"#;
        let b = FailedBatch::parse(body).unwrap();
        assert_eq!(b.key(), "shardId-0001/100..120");
        assert_eq!(b.batch_size, Some(3));
        assert!(b.reason().contains("3 record(s)"), "{}", b.reason());
        assert!(b.reason().contains("RetryAttemptsExhausted"));
        assert!(FailedBatch::parse(r#"{"v":1,"kind":"stream_record"}"#).is_none());
        assert!(FailedBatch::parse("not json").is_none());
    }
}
