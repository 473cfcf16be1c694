//! Lambda function behind a function URL serving the crew page: the same axum router as
//! `dispatch run --only web`, through `lambda_http`.
//!
//! The public function holds no Google key (its role cannot read it): it answers offers, shows
//! pages and runs the ops board (sign-in, assign, unassign, re-offer, cancel), and the worker
//! function sends every mail. An answer replies right after its transaction and queues
//! "reconcile these charters" for the worker, which reconciles and mails; a board action's
//! settle (`dispatch_cascade::ops`) queues "reconcile this charter" the same way. A mail anything
//! here would still send (a reconcile run inline when the queue refused the job) fails as
//! retryable ([`WorkerSendsMail`]) and is sent by the worker's next pass. With the availability
//! Sheet as the source, a member's change of days is queued the same way
//! (`availability_to_sheet`) for the worker to write to the Sheet.

#[path = "shared/start.rs"]
mod start;

use std::sync::Arc;

use dispatch_mailer::{Mail, MailError, MailSender};
use lambda_http::Error;

/// The web function's mailer: it sends nothing, so the work goes to the queue.
struct WorkerSendsMail;

#[async_trait::async_trait]
impl MailSender for WorkerSendsMail {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        Err(MailError::Send {
            key: mail.key.clone(),
            message: "the web function sends no mail; the worker function sends it".into(),
            retryable: true,
        })
    }

    async fn already_sent(&self, _mail: &Mail) -> Result<bool, MailError> {
        Ok(false)
    }

    fn describe(&self) -> String {
        "none here (the worker function sends mail)".into()
    }

    fn sends_here(&self) -> bool {
        false
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    dispatch::telemetry::init("info");
    let (settings, backend) = start::settings_and_backend().await?;
    let cascade = dispatch::app::web_cascade(&settings, &backend, Arc::new(WorkerSendsMail))
        .map_err(|e| format!("{e:#}"))?;
    dispatch::secrets::forget_key_copies();
    lambda_http::run(dispatch_cascade::web::router(cascade)).await
}
