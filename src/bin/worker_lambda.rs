//! Lambda function for the `cascade`, `reports` and `roster` queues (event source mappings with
//! `ReportBatchItemFailures`). The queue is taken from each message's source ARN. It runs with a
//! read-only file system but /tmp, and no data directory: the Google key and token live in
//! private folders under /tmp (see `dispatch::secrets`).

#[path = "shared/start.rs"]
mod start;

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use dispatch_ingest::lambda::SqsLambda;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    dispatch::telemetry::init("info");
    let (mut settings, backend) = start::settings_and_backend().await?;
    // The function's folder is read-only: the token file goes to a private folder in /tmp.
    dispatch::secrets::keep_token_in_tmp(&mut settings).map_err(|e| format!("{e:#}"))?;
    let lambda = Arc::new(SqsLambda {
        prefix: settings.prefix.clone(),
        workers: dispatch::app::workers(&settings, &backend).map_err(|e| format!("{e:#}"))?,
    });
    // Every Google client is built: the key's copy on disk is no longer needed.
    dispatch::secrets::forget_key_copies();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let lambda = lambda.clone();
        let span = tracing::info_span!("invocation", request_id = %event.context.request_id, messages = event.payload.records.len());
        async move {
            let before = dispatch_core::metrics::Snapshot::now();
            let response = lambda.handle(event.payload).await;
            // One Embedded Metric Format line per invocation: CloudWatch reads it as metrics.
            println!(
                "{}",
                dispatch_core::metrics::Snapshot::now()
                    .since(&before)
                    .emf_line("dispatch-worker-lambda", chrono::Utc::now().timestamp_millis())
            );
            Ok::<_, Error>(response)
        }
        .instrument(span)
    }))
    .await
}
