//! The Lambda handlers fed real event JSON (the documented shapes, deserialized by
//! `aws_lambda_events`), checked for the right partial batch responses.

mod common;

both!(
    stream_batch_reports_the_first_failure_and_stops,
    stream_batch_dead_letters_poison_and_goes_on,
    stream_batch_all_good_reports_nothing,
    sqs_batch_reports_only_retryable_failures,
);

mod contracts {
    use crate::common::World;

    use std::sync::{Arc, Mutex};

    use aws_lambda_events::event::dynamodb::Event as StreamEvent;
    use aws_lambda_events::event::sqs::SqsEvent;
    use dispatch_core::domain::{Charter, JobEnvelope, JobKind};
    use dispatch_core::ports::{ChangeRecord, QueueId};
    use dispatch_ingest::consumer::{HandleError, RecordHandler};
    use dispatch_ingest::dlq;
    use dispatch_ingest::lambda::{SqsLambda, StreamLambda};
    use dispatch_ingest::worker::{JobError, JobHandler, Worker, WorkerConfig};

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
            let c = Charter::from_item(record.new_image.as_ref().unwrap()).map_err(|e| {
                HandleError {
                    retryable: false,
                    message: e.to_string(),
                }
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
        let response = lambda
            .handle(fixture::<StreamEvent>("stream-batch-poison.json"))
            .await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
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
        let response = lambda.handle(fixture::<SqsEvent>("sqs-batch.json")).await;
        let ids: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        assert_eq!(
            ids,
            vec!["m3"],
            "m1 done, m2 poison moved to the DLQ, m3 to retry"
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
        assert_eq!(
            json,
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m3"}]})
        );
        // Delivered again: the done job is not redone.
        let again = lambda.handle(fixture::<SqsEvent>("sqs-batch.json")).await;
        assert_eq!(again.batch_item_failures.len(), 1);
    }
}
