//! The Lambda handlers fed real event JSON (the documented shapes, deserialized by
//! `aws_lambda_events`), checked for the right partial batch responses.

use std::sync::{Arc, Mutex};

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use dispatch_core::domain::{Charter, JobEnvelope, JobKind};
use dispatch_core::ports::{ChangeRecord, QueueId};
use dispatch_ingest::consumer::{HandleError, RecordHandler};
use dispatch_ingest::dlq;
use dispatch_ingest::lambda::{SqsLambda, StreamLambda};
use dispatch_ingest::worker::{JobError, JobHandler, Worker, WorkerConfig};

use crate::common::World;

both!(
    stream_batch_reports_the_first_failure_and_stops,
    stream_batch_dead_letters_poison_and_goes_on,
    stream_batch_all_good_reports_nothing,
    sqs_batch_reports_only_retryable_failures,
);

/// An event of `tests/fixtures/lambda/`, parsed as `T`.
fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = format!(
        "{}/tests/fixtures/lambda/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Records charter dates; fails (retryably) on one date.
#[derive(Default)]
struct Dates {
    seen: Mutex<Vec<String>>,
    fail_on: Option<&'static str>,
}

#[async_trait::async_trait]
impl RecordHandler for Dates {
    async fn handle(&self, record: &ChangeRecord) -> Result<(), HandleError> {
        let c =
            Charter::from_item(record.new_image.as_ref().unwrap()).map_err(|e| HandleError {
                retryable: false,
                message: e.to_string(),
            })?;
        if Some(c.charter_date.to_string().as_str()) == self.fail_on {
            return Err(HandleError {
                retryable: true,
                message: "throttled".into(),
            });
        }
        self.seen.lock().unwrap().push(c.charter_date.to_string());
        Ok(())
    }
}

pub async fn stream_batch_reports_the_first_failure_and_stops(world: &World) {
    let handler = Arc::new(Dates {
        fail_on: Some("2024-05-04"),
        ..Default::default()
    });
    let lambda = StreamLambda {
        handler: handler.clone(),
        queues: world.backend.queues.clone(),
        attempts: 2,
    };
    let response = lambda
        .handle(fixture::<StreamEvent>("stream-batch.json"))
        .await;
    let ids: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(ids, vec![Some("100000000000000000002".to_string())]);
    assert_eq!(
        *handler.seen.lock().unwrap(),
        vec!["2024-05-03"],
        "nothing after the failure is handled"
    );
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(
        json["batchItemFailures"][0]["itemIdentifier"],
        "100000000000000000002"
    );
}

pub async fn stream_batch_dead_letters_poison_and_goes_on(world: &World) {
    let handler = Arc::new(Dates::default());
    let lambda = StreamLambda {
        handler: handler.clone(),
        queues: world.backend.queues.clone(),
        attempts: 2,
    };
    let before = dispatch_core::metrics::Snapshot::now();
    let response = lambda
        .handle(fixture::<StreamEvent>("stream-batch-poison.json"))
        .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let d = dispatch_core::metrics::Snapshot::now().since(&before);
    use dispatch_core::metrics::Counter;
    assert!(
        d.get(Counter::RecordsProcessed) >= 2 && d.get(Counter::RecordsDeadLettered) >= 1,
        "{}",
        d.summary()
    );
    assert_eq!(
        *handler.seen.lock().unwrap(),
        vec!["2024-05-03", "2024-05-05"]
    );
    let dead = dlq::list(world.backend.queues.as_ref(), QueueId::IngestDlq, 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].reason.as_deref().unwrap().contains("charter_date"),
        "{dead:?}"
    );
    // Named by the record's event id, as the logs name it.
    let record = dispatch_ingest::consumer::record_from_dead_letter(&dead[0].body).unwrap();
    assert!(!record.event_id.is_empty());
    assert_eq!(
        dead[0].original_id.as_deref(),
        Some(record.event_id.as_str())
    );
}

pub async fn stream_batch_all_good_reports_nothing(world: &World) {
    let handler = Arc::new(Dates::default());
    let lambda = StreamLambda {
        handler: handler.clone(),
        queues: world.backend.queues.clone(),
        attempts: 2,
    };
    let response = lambda
        .handle(fixture::<StreamEvent>("stream-batch.json"))
        .await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(handler.seen.lock().unwrap().len(), 3);
}

struct Jobs;

#[async_trait::async_trait]
impl JobHandler for Jobs {
    async fn handle(&self, job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        match job.kind {
            JobKind::MonthlyReport => Ok(serde_json::json!({"ok": true})),
            _ => Err(JobError::Retry("gmail 503".into())),
        }
    }
}

pub async fn sqs_batch_reports_only_retryable_failures(world: &World) {
    let worker = Arc::new(Worker::new(
        QueueId::Reports,
        world.backend.queues.clone(),
        world.backend.idempotency.clone(),
        Arc::new(Jobs),
        WorkerConfig::default(),
    ));
    let lambda = SqsLambda {
        prefix: String::new(),
        workers: vec![worker],
    };
    let before = dispatch_core::metrics::Snapshot::now();
    let response = lambda.handle(fixture::<SqsEvent>("sqs-batch.json")).await;
    // The counters saw it (>=: under `cargo test` other tests share the process).
    use dispatch_core::metrics::{Counter, Snapshot};
    let d = Snapshot::now().since(&before);
    for c in [
        Counter::JobsProcessed,
        Counter::JobsDeadLettered,
        Counter::JobsRetried,
    ] {
        assert!(d.get(c) >= 1, "{}: {}", c.name(), d.summary());
    }
    let emf: serde_json::Value =
        serde_json::from_str(&d.emf_line("dispatch-worker-lambda", 0)).unwrap();
    assert!(emf["JobsDeadLettered"].as_u64().unwrap() >= 1);
    // m1 done, m2 poison moved to the DLQ, m3 to retry: as a delayed copy carrying its
    // attempt, so the batch reports nothing failed and m3 spends none of its receives.
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let depth = world.backend.queues.depth(QueueId::Reports).await.unwrap();
    assert_eq!(
        depth.delayed + depth.visible,
        1,
        "m3's retry copy: {depth:?}"
    );
    let dead = dlq::list(world.backend.queues.as_ref(), QueueId::ReportsDlq, 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, "{{ not json");
    assert!(dead[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("not a job envelope"));
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(json, serde_json::json!({"batchItemFailures": []}));
    // Delivered again: the done job is not redone; m3 is re-sent again.
    let again = lambda.handle(fixture::<SqsEvent>("sqs-batch.json")).await;
    assert!(again.batch_item_failures.is_empty());
    let depth = world.backend.queues.depth(QueueId::Reports).await.unwrap();
    assert_eq!(depth.delayed + depth.visible, 2, "{depth:?}");
}

/// The crew page's router behind a Lambda function URL: real function-URL event JSON through
/// `lambda_http`'s request conversion, answered by the same router `dispatch run` serves.
mod function_url {
    use std::time::Duration;

    use lambda_http::request::LambdaRequest;
    use tower::ServiceExt;

    use crate::common::TestApp;

    async fn call(fixture: &str) -> (u16, String, String) {
        call_at(fixture, false).await
    }

    /// The fixture's event; with `ops_board`, for `/ops/{token}` with a token made here.
    async fn call_at(fixture: &str, ops_board: bool) -> (u16, String, String) {
        let app = TestApp::local()
            .offer_timeout(Duration::from_secs(60))
            .tune(|cfg| {
                cfg.public_url = "https://abcdefg.lambda-url.us-east-1.on.aws".into();
                cfg.from_name = "D".into();
                cfg.ops = vec![];
            })
            .build()
            .await;
        let cascade = app.cascade.clone();
        let path = format!(
            "{}/tests/fixtures/lambda/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut json = std::fs::read_to_string(path).unwrap();
        if ops_board {
            let token = cascade
                .links
                .issue_ops(chrono::Utc::now(), chrono::Duration::hours(1));
            json = json.replace("/o/not-a-token", &format!("/ops/{token}"));
        }
        let event: LambdaRequest = serde_json::from_str(&json).unwrap();
        let request: lambda_http::Request = event.into();
        let response = dispatch_cascade::web::router(cascade)
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status().as_u16();
        let referrer = response
            .headers()
            .get("referrer-policy")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, referrer, String::from_utf8_lossy(&body).to_string())
    }

    #[tokio::test]
    async fn health_and_bad_link_through_a_function_url_event() {
        let (status, referrer, body) = call("function-url-healthz.json").await;
        assert_eq!((status, body.as_str()), (200, "ok"));
        assert_eq!(referrer, "no-referrer");
        let (status, _, body) = call("function-url-bad-link.json").await;
        assert_eq!(status, 403);
        assert!(body.contains("This link does not work"));
    }

    #[tokio::test]
    async fn the_ops_board_through_a_function_url_event() {
        let (status, referrer, body) = call_at("function-url-bad-link.json", true).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(referrer, "no-referrer");
        assert!(
            body.contains("<title>Ops board</title>") && body.contains("Nothing needs attention"),
            "{body}"
        );
    }
}
