//! Lambda function for the `cascade`, `reports` and `roster` queues (event source mappings with
//! `ReportBatchItemFailures`). The queue is taken from each message's source ARN.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use dispatch_ingest::lambda::SqsLambda;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), Error> {
    dispatch::telemetry::init("info");
    let mut settings = dispatch_core::Settings::load(None)?;
    dispatch::secrets::apply_from_env(&mut settings)
        .await
        .map_err(|e| format!("{e:#}"))?;
    let backend = dispatch_core::open_backend(&settings).await?;
    let lambda = Arc::new(SqsLambda {
        prefix: settings.prefix.clone(),
        workers: dispatch::app::workers(&settings, &backend).map_err(|e| format!("{e:#}"))?,
    });
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
