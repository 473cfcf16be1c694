//! Smoke deployment on the emulator: tables and queues created in moto by `bootstrap` (the drift
//! test in tests/infra/drift.rs holds them equal to infra/template.yaml), then the BUILT Lambda binaries
//! run as child processes against a Lambda Runtime API served here on port 0, fed event payloads
//! captured from moto: the charter's real stream record, then the job message it produced.

mod aws {
    use std::collections::VecDeque;
    use std::process::Stdio;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::extract::{Path, State};
    use axum::http::HeaderMap;
    use axum::routing::{get, post};
    use axum::Router;
    use dispatch_core::ports::{QueueId, StartAt};
    use serde_json::{json, Value};
    use tokio::sync::Notify;

    use crate::common;

    /// A Lambda Runtime API: hands out queued events, keeps the responses.
    #[derive(Default)]
    struct Runtime {
        events: Mutex<VecDeque<Value>>,
        responses: Mutex<Vec<(String, String, Value)>>,
        done: Notify,
    }

    async fn next(State(rt): State<Arc<Runtime>>) -> (HeaderMap, String) {
        loop {
            if let Some(ev) = rt.events.lock().unwrap().pop_front() {
                let mut h = HeaderMap::new();
                h.insert(
                    "lambda-runtime-aws-request-id",
                    "req-smoke-1".parse().unwrap(),
                );
                let deadline = chrono::Utc::now().timestamp_millis() + 60_000;
                h.insert(
                    "lambda-runtime-deadline-ms",
                    deadline.to_string().parse().unwrap(),
                );
                h.insert(
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:smoke"
                        .parse()
                        .unwrap(),
                );
                h.insert(
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000".parse().unwrap(),
                );
                return (h, ev.to_string());
            }
            // No more events: hold the long poll, as Lambda does between invocations.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn respond(
        State(rt): State<Arc<Runtime>>,
        Path((id, what)): Path<(String, String)>,
        body: String,
    ) -> &'static str {
        let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
        rt.responses.lock().unwrap().push((id, what, v));
        rt.done.notify_waiters();
        "{}"
    }

    async fn init_error(State(rt): State<Arc<Runtime>>, body: String) -> &'static str {
        rt.responses
            .lock()
            .unwrap()
            .push(("init".into(), "error".into(), Value::String(body)));
        rt.done.notify_waiters();
        "{}"
    }

    /// Runs `binary` for one event; returns the runtime's response and the function's stdout.
    async fn invoke(
        binary: &str,
        env: &[(String, String)],
        event: Value,
    ) -> (String, Value, String) {
        let rt = Arc::new(Runtime::default());
        rt.events.lock().unwrap().push_back(event);
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/{what}", post(respond))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(rt.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let mut child = tokio::process::Command::new(binary)
            .envs(env.iter().cloned())
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "smoke")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "smoke")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/smoke")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let (id, what, v) = loop {
            let waiter = rt.done.notified();
            if let Some(r) = rt.responses.lock().unwrap().first().cloned() {
                break r;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{binary} gave no response in 60 s"
            );
            let _ = tokio::time::timeout(Duration::from_millis(200), waiter).await;
        };
        child.start_kill().unwrap();
        let out = child.wait_with_output().await.unwrap();
        server.abort();
        assert_eq!(what, "response", "{binary}: {id} {v}");
        (id, v, String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The function binary: `cargo lambda build`'s `bootstrap` when `DISPATCH_LAMBDA_DIR` names its
    /// output (scripts/test sets it), else the one cargo built for this test run.
    fn binary(name: &str, built: &'static str) -> String {
        match std::env::var("DISPATCH_LAMBDA_DIR") {
            Ok(dir) => {
                let p = std::path::Path::new(&dir).join(name).join("bootstrap");
                assert!(
                    p.exists(),
                    "{} is missing: run cargo lambda build (scripts/test does)",
                    p.display()
                );
                p.display().to_string()
            }
            Err(_) => built.to_string(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stream_then_worker_lambda_binaries_on_the_emulator() {
        let prefix = format!("s{}-", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let backend = common::aws_with_prefix(&prefix, 3).await.backend();
        backend.admin.bootstrap().await.unwrap();
        let data = tempfile::tempdir().unwrap();
        let env: Vec<(String, String)> = [
            ("DISPATCH_BACKEND", "aws".to_string()),
            ("DISPATCH_PREFIX", prefix.clone()),
            ("DISPATCH_DATA_DIR", data.path().display().to_string()),
            ("DISPATCH_LINK_KEYS", format!("smoke1:{}", "S".repeat(44))),
            ("DISPATCH_MAX_RECEIVE_COUNT", "3".into()),
            ("AWS_ENDPOINT_URL_DYNAMODB", common::dynamodb_endpoint()),
            (
                "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
                common::dynamodb_endpoint(),
            ),
            ("AWS_ENDPOINT_URL_SQS", common::endpoint()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();

        // A captain available that day, and the charter the booking system writes.
        backend
            .roster
            .upsert_batch(&[common::member("cap", true, false, &["2024-05-03"])])
            .await
            .unwrap();
        let mut charter = common::charter("2024-05-03", 4, Some(0));
        charter.reportable_revenue = dispatch_core::domain::Money::parse("900").unwrap();
        backend.charters.insert(&charter).await.unwrap();

        // Capture the real record from moto's stream and wrap it as Lambda delivers it.
        let shards = backend.feed.shards().await.unwrap();
        let stream_arn = backend.feed.stream_name().await.unwrap();
        let mut record = None;
        for s in &shards {
            let it = backend
                .feed
                .iterator(&s.id, &StartAt::TrimHorizon)
                .await
                .unwrap();
            let page = backend.feed.read(&it, 100).await.unwrap();
            record = page
                .records
                .into_iter()
                .find(|r| r.new_image.is_some())
                .or(record);
        }
        let r = record.expect("the charter's INSERT is on the stream");
        let event = json!({"Records": [{
            "eventID": r.event_id,
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": chrono::Utc::now().timestamp() as f64,
                "Keys": dispatch_core::item::to_json(&r.keys),
                "NewImage": dispatch_core::item::to_json(r.new_image.as_ref().unwrap()),
                "SequenceNumber": r.sequence,
                "SizeBytes": 200,
                "StreamViewType": "NEW_AND_OLD_IMAGES"
            },
            "eventSourceARN": stream_arn,
        }]});
        let (_, response, stdout) = invoke(
            &binary(
                "dispatch-stream-lambda",
                env!("CARGO_BIN_EXE_dispatch-stream-lambda"),
            ),
            &env,
            event,
        )
        .await;
        assert_eq!(response, json!({"batchItemFailures": []}), "{stdout}");
        let emf: Value = stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .find(|v: &Value| v.get("_aws").is_some())
            .expect("an EMF line");
        assert_eq!(emf["RecordsProcessed"], 1, "{emf}");

        // The effect: the captain cascade job on `cascade`. Take it from moto as Lambda would.
        let msgs = common::eventually("the cascade job", Duration::from_secs(30), || async {
            let m = backend
                .queues
                .receive(
                    QueueId::Cascade,
                    10,
                    Duration::from_millis(500),
                    Duration::from_secs(60),
                )
                .await
                .unwrap();
            (!m.is_empty()).then_some(m)
        })
        .await;
        assert_eq!(msgs.len(), 1);
        let m = &msgs[0];
        assert!(m.body.contains("captain_cascade"), "{}", m.body);
        let sqs_event = json!({"Records": [{
            "messageId": m.message_id,
            "receiptHandle": m.receipt,
            "body": m.body,
            "attributes": {"ApproximateReceiveCount": m.receive_count.to_string(), "SentTimestamp": "0", "SenderId": "smoke", "ApproximateFirstReceiveTimestamp": "0"},
            "messageAttributes": {},
            "md5OfBody": "0",
            "eventSource": "aws:sqs",
            "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{prefix}cascade"),
            "awsRegion": "us-east-1"
        }]});
        let (_, response, stdout) = invoke(
            &binary(
                "dispatch-worker-lambda",
                env!("CARGO_BIN_EXE_dispatch-worker-lambda"),
            ),
            &env,
            sqs_event,
        )
        .await;
        assert_eq!(response, json!({"batchItemFailures": []}), "{stdout}");
        let emf: Value = stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .find(|v: &Value| v.get("_aws").is_some())
            .expect("an EMF line");
        assert_eq!(emf["OffersSent"], 1, "{emf}");
        assert_eq!(emf["JobsProcessed"], 1, "{emf}");
        // The offer mail is in the function's outbox, and the thread says so.
        let outbox: Vec<_> = std::fs::read_dir(data.path().join("outbox"))
            .unwrap()
            .collect();
        assert_eq!(outbox.len(), 1);
        let thread = backend.thread.list(&charter.charter_id).await.unwrap();
        assert!(
            thread
                .iter()
                .any(|e| e.kind == dispatch_core::domain::ThreadKind::OfferSent),
            "{thread:?}"
        );

        // The crew page function: a function-URL event for /healthz.
        let url_event: Value = serde_json::from_str(
            &std::fs::read_to_string("tests/fixtures/lambda/function-url-healthz.json").unwrap(),
        )
        .unwrap();
        let (_, response, _) = invoke(
            &binary(
                "dispatch-web-lambda",
                env!("CARGO_BIN_EXE_dispatch-web-lambda"),
            ),
            &env,
            url_event,
        )
        .await;
        assert_eq!(response["statusCode"], 200, "{response}");
    }
}
