//! The availability Sheet as the crew page's source of truth ([`AvailabilitySheet`] on Google):
//! a member's change is written to their cells with Sheets `values.update` (where the sync
//! reads them: [`availability_writes`]), then the cascade writes the roster too.
//!
//! A process holding the Google key writes at once (`dispatch run`, the CLI, the worker); the
//! web Lambda function holds none: it queues an `availability_to_sheet` job on the cascade
//! queue ([`QueuedForWorker`]) and the worker writes the member's days as the roster then has
//! them.

use std::sync::Arc;

use dispatch_cascade::service::AvailabilitySheet;
use dispatch_cascade::CascadeError;
use dispatch_core::config::DriveKind;
use dispatch_core::domain::{CrewMember, JobEnvelope, JobKind};
use dispatch_core::ports::{OutMessage, QueueId};
use dispatch_core::{Backend, Settings};
use dispatch_google::sheets::SheetsClient;
use dispatch_google::TokenSource;
use dispatch_monthend::google::GoogleSheet;
use dispatch_reporting::sheet::roster::availability_writes;
use dispatch_reporting::sheet::Tab;

use super::google::drive_client;

/// Writes a member's availability into the Google Sheet `roster_sheet` names.
pub struct SheetAvailability {
    pub sheet: GoogleSheet,
}

impl SheetAvailability {
    /// The Sheet of `settings` (`drive = "google"`) with `tokens`; `None` without one.
    pub fn of(
        settings: &Settings,
        tokens: Arc<dyn TokenSource>,
    ) -> anyhow::Result<Option<Arc<dyn AvailabilitySheet>>> {
        if settings.drive != DriveKind::Google || settings.roster_sheet.trim().is_empty() {
            return Ok(None);
        }
        let sheets = SheetsClient::new(
            &settings.sheets_base_url,
            tokens.clone(),
            dispatch_google::http::HttpConfig::default(),
        )
        .map_err(|e| anyhow::anyhow!("Sheets: {e}"))?;
        let sheet = GoogleSheet {
            sheets,
            drive: drive_client(settings, tokens)?,
            spec: settings.roster_sheet.clone(),
        };
        Ok(Some(Arc::new(SheetAvailability { sheet })))
    }
}

/// The web function's Sheet: an `availability_to_sheet` job for the worker, delayed a few
/// seconds so the roster write that follows has landed when the worker reads it.
pub struct QueuedForWorker {
    pub backend: Backend,
}

/// How long the queued write waits (the roster is written right after it is queued).
pub const QUEUED_WRITE_DELAY: std::time::Duration = std::time::Duration::from_secs(5);

#[async_trait::async_trait]
impl AvailabilitySheet for QueuedForWorker {
    async fn write(&self, member: &CrewMember) -> Result<(), CascadeError> {
        let at = chrono::Utc::now().timestamp_millis();
        let job = JobEnvelope::new(
            JobKind::AvailabilityToSheet,
            format!("availability_to_sheet#{}#{at}", member.crew_id),
            serde_json::json!({ "crew_id": member.crew_id }),
        );
        self.backend
            .queues
            .send(
                QueueId::Cascade,
                &[OutMessage::new(job.to_body()).delayed(QUEUED_WRITE_DELAY)],
            )
            .await?;
        tracing::info!(crew_id = %member.crew_id, "availability queued for the worker to write to the Sheet");
        Ok(())
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> CascadeError {
    CascadeError::Other(format!("availability Sheet: {what}: {e}"))
}

#[async_trait::async_trait]
impl AvailabilitySheet for SheetAvailability {
    async fn write(&self, member: &CrewMember) -> Result<(), CascadeError> {
        let id = self
            .sheet
            .spreadsheet_id()
            .await
            .map_err(|e| failed("finding it", e))?;
        let tabs: Vec<Tab> = self
            .sheet
            .sheets
            .read_all(&id)
            .await
            .map_err(|e| failed("reading it", e))?
            .iter()
            .map(|t| Tab::from_json(&t.title, &t.rows))
            .collect();
        let writes = availability_writes(&tabs, member).map_err(|e| failed("no place", e))?;
        for w in &writes {
            self.sheet
                .sheets
                .update(&id, &w.tab, &w.range, &w.values)
                .await
                .map_err(|e| failed("writing it", e))?;
        }
        tracing::info!(crew_id = %member.crew_id, ranges = writes.len(), "availability written to the Sheet");
        Ok(())
    }
}
