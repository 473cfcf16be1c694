//! The availability Sheet as the crew page's source of truth ([`AvailabilitySheet`] on Google):
//! a member's change is written to their cells with Sheets `values.update` (where the sync
//! reads them: [`availability_writes`]), then the cascade writes the roster too.
//!
//! Only a process holding the Google key has it (`dispatch run`, `dispatch serve`, the CLI); the
//! web Lambda function holds none and keeps the roster-only behaviour (see the README).

use std::sync::Arc;

use dispatch_cascade::service::AvailabilitySheet;
use dispatch_cascade::CascadeError;
use dispatch_core::config::DriveKind;
use dispatch_core::domain::CrewMember;
use dispatch_core::Settings;
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
