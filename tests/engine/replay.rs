//! Replaying the stream Lambda's on-failure records, on both backends: the range they name is
//! re-read from the stream; a range the stream cannot give back stays, and replay says why.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dispatch_core::ports::*;
use dispatch_ingest::dlq::{self, ReplayFilter, StreamReplay};

use crate::charter;
use crate::common::{eventually, World};
use crate::doubles::Recorder;

both!(stream_failure_records_replay_by_rereading_the_range,);

/// What Lambda sends to the stream function's on-failure destination.
fn on_failure_record(stream: &str, shard: &str, first: &str, last: &str, n: usize) -> String {
    serde_json::json!({
        "requestContext": {"requestId": "3f1c", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:dispatch-stream",
            "condition": "RecordAgeExceeded", "approximateInvokeCount": 40},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": Utc::now(),
        "DDBStreamBatchInfo": {"shardId": shard, "startSequenceNumber": first, "endSequenceNumber": last,
            "approximateArrivalOfFirstRecord": Utc::now(), "approximateArrivalOfLastRecord": Utc::now(),
            "batchSize": n, "streamArn": stream}
    })
    .to_string()
}

pub async fn stream_failure_records_replay_by_rereading_the_range(w: &World) {
    for d in ["2024-06-05", "2024-06-06", "2024-06-07"] {
        w.backend.charters.insert(&charter(d)).await.unwrap();
    }
    let stream = w.backend.feed.stream_name().await.unwrap();
    let shard = w.backend.feed.shards().await.unwrap()[0].id.clone();
    let records = eventually(
        "three records on the stream",
        Duration::from_secs(20),
        || async {
            let it = w
                .backend
                .feed
                .iterator(&shard, &StartAt::TrimHorizon)
                .await
                .unwrap();
            let page = w.backend.feed.read(&it, 100).await.unwrap();
            (page.records.len() >= 3).then_some(page.records)
        },
    )
    .await;
    let (first, second) = (&records[0].sequence, &records[1].sequence);
    // Lambda gave up on the first two records: only where they were is in the message.
    for q in [QueueId::StreamFailures, QueueId::IngestDlq] {
        w.backend
            .queues
            .send(
                q,
                &[OutMessage::new(on_failure_record(
                    &stream, &shard, first, second, 2,
                ))],
            )
            .await
            .unwrap();
    }
    let listed = dlq::list(w.backend.queues.as_ref(), QueueId::StreamFailures, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].kind.as_deref(), Some("stream_batch"));
    assert_eq!(
        listed[0].key.as_deref(),
        Some(format!("{shard}/{first}..{second}").as_str())
    );
    let reason = listed[0].reason.clone().unwrap_or_default();
    assert!(
        reason.contains("Lambda gave up on 2 record(s)") && reason.contains("RecordAgeExceeded"),
        "{reason}"
    );
    let replay = |q: QueueId, handler: Arc<Recorder>| {
        let queues = w.backend.queues.clone();
        let feed = w.backend.feed.clone();
        async move {
            dlq::replay(
                queues,
                q,
                &ReplayFilter::default(),
                false,
                Some(StreamReplay {
                    handler,
                    feed: Some(feed),
                    charters: None,
                }),
                &|_, _| {},
            )
            .await
            .unwrap()
        }
    };
    // Replayed from either queue (old deployments sent these to ingest-dlq): the range is re-read.
    for q in [QueueId::StreamFailures, QueueId::IngestDlq] {
        let healthy = Arc::new(Recorder::default());
        let report = replay(q, healthy.clone()).await;
        assert_eq!((report.replayed, report.failed.len()), (1, 0), "{report:?}");
        assert_eq!(
            healthy.dates(),
            vec!["2024-06-05", "2024-06-06"],
            "exactly the range"
        );
        assert!(dlq::list(w.backend.queues.as_ref(), q, 10)
            .await
            .unwrap()
            .is_empty());
    }
    // A range the stream cannot give back: left in the queue, and replay says exactly why.
    w.backend
        .queues
        .send(
            QueueId::StreamFailures,
            &[OutMessage::new(on_failure_record(
                "arn:aws:dynamodb:us-east-1:123456789012:table/crew-dispatch/stream/2020-01-01T00:00:00.000",
                &shard,
                first,
                second,
                2,
            ))],
        )
        .await
        .unwrap();
    let healthy = Arc::new(Recorder::default());
    let report = replay(QueueId::StreamFailures, healthy.clone()).await;
    assert_eq!(report.replayed, 0);
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].1.contains("the table's stream is now")
            && report.failed[0].1.contains("reconcile"),
        "{:?}",
        report.failed
    );
    assert!(healthy.dates().is_empty());
    assert_eq!(
        dlq::list(w.backend.queues.as_ref(), QueueId::StreamFailures, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}
