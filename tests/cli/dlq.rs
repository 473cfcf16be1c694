//! `dispatch dlq` on a real SQLite file: source queue names mean their DLQs, original message
//! ids are shown and taken, and Lambda's on-failure records are explained, never lost.

use crate::common::{dispatch, text};

#[test]
fn dlq_commands_take_source_names_show_original_ids_and_explain_stream_failures() {
    use dispatch_core::ports::{OutMessage, QueueId};
    let dir = tempfile::tempdir().unwrap();
    assert!(dispatch(dir.path(), &["bootstrap"], &[]).status.success());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let local = dispatch_core::local::Local::open_path(
            &dir.path().join("data/dispatch.sqlite3"),
            "",
            5,
        )
        .unwrap();
        let job = dispatch_core::domain::JobEnvelope::new(
            dispatch_core::domain::JobKind::CaptainCascade,
            "captain_cascade#c-1",
            serde_json::json!({}),
        );
        let queues = local.backend().queues;
        queues
            .send(
                QueueId::CascadeDlq,
                &[OutMessage::new(job.to_body())
                    .attribute("dispatch-error", "gave up after 5 attempts: Gmail 503")
                    .attribute("dispatch-original-message-id", "orig-7f3a")],
            )
            .await
            .unwrap();
        let on_failure = serde_json::json!({
            "requestContext": {"condition": "RecordAgeExceeded"},
            "responseContext": {"functionError": "Unhandled"},
            "DDBStreamBatchInfo": {"shardId": "shardId-00000001", "startSequenceNumber": "100",
                "endSequenceNumber": "140", "batchSize": 4,
                "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/crew-dispatch/stream/2024-05-01T00:00:00.000"}
        });
        queues
            .send(QueueId::StreamFailures, &[OutMessage::new(on_failure.to_string())])
            .await
            .unwrap();
    });
    // The source queue's name means its DLQ; the original id is shown, and `show` takes it.
    let list = dispatch(dir.path(), &["dlq", "list", "--queue", "cascade"], &[]);
    assert!(list.status.success(), "{}", text(&list));
    let t = text(&list);
    assert!(
        t.contains("cascade-dlq: 1 message(s)") && t.contains("original:orig-7f3a"),
        "{t}"
    );
    let show = dispatch(
        dir.path(),
        &["dlq", "show", "orig-7f3a", "--queue", "cascade"],
        &[],
    );
    assert!(show.status.success(), "{}", text(&show));
    assert!(
        text(&show).contains("original: orig-7f3a"),
        "{}",
        text(&show)
    );
    // Lambda's on-failure records are listed plainly...
    let list = dispatch(
        dir.path(),
        &["dlq", "list", "--queue", "stream-failures"],
        &[],
    );
    let t = text(&list);
    assert!(
        t.contains("stream_batch")
            && t.contains("shardId-00000001/100..140")
            && t.contains("Lambda gave up on 4 record(s) (RecordAgeExceeded"),
        "{t}"
    );
    // ...and replay says exactly why this one cannot be re-read, leaving it in place.
    let replay = dispatch(
        dir.path(),
        &["dlq", "replay", "--queue", "stream-failures"],
        &[],
    );
    assert!(!replay.status.success(), "{}", text(&replay));
    let t = text(&replay);
    assert!(
        t.contains("0 replayed, 1 failed") && t.contains("the table's stream is now"),
        "{t}"
    );
    let again = dispatch(
        dir.path(),
        &["dlq", "list", "--queue", "stream-failures"],
        &[],
    );
    assert!(
        text(&again).contains("stream-failures: 1 message(s)"),
        "{}",
        text(&again)
    );
    let bad = dispatch(dir.path(), &["dlq", "list", "--queue", "nope"], &[]);
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("unknown queue `nope`"),
        "{}",
        text(&bad)
    );
}
