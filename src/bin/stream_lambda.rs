//! Lambda function for the charters table's DynamoDB stream (event source mapping with
//! `ReportBatchItemFailures`). Settings from `DISPATCH_*`; the AWS backend from the SDK chain. It
//! routes records to queues and needs no secret (the template names none for it).

#[path = "shared/start.rs"]
mod start;

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event;
use dispatch_ingest::lambda::StreamLambda;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    dispatch::telemetry::init("info");
    let (_settings, backend) = start::settings_and_backend().await?;
    let lambda = Arc::new(StreamLambda {
        handler: dispatch::app::record_handler(&backend),
        queues: backend.queues.clone(),
        attempts: 3,
    });
    dispatch::secrets::forget_key_copies();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        let lambda = lambda.clone();
        let span = tracing::info_span!("invocation", request_id = %event.context.request_id, records = event.payload.records.len());
        async move {
            let before = dispatch_core::metrics::Snapshot::now();
            let response = lambda.handle(event.payload).await;
            // One Embedded Metric Format line per invocation: CloudWatch reads it as metrics.
            println!(
                "{}",
                dispatch_core::metrics::Snapshot::now()
                    .since(&before)
                    .emf_line("dispatch-stream-lambda", chrono::Utc::now().timestamp_millis())
            );
            Ok::<_, Error>(response)
        }
        .instrument(span)
    }))
    .await
}
