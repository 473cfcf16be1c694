//! Roster sync: the [`AvailabilitySource`] port and its local adapter ([`XlsxFile`], a local
//! `.xlsx` on the embedded default or with `--file`; the Google Sheet is
//! [`crate::google::GoogleSheet`]), and [`sync`], which parses the workbook with
//! `dispatch-reporting`'s availability module and upserts the roster.

use std::path::PathBuf;

use dispatch_reporting::sheet::dates::YearRule;
use dispatch_reporting::sheet::roster::{plan, read_sheet, CellProblem};
use dispatch_reporting::sheet::{tabs_from_xlsx, Tab};

use crate::context::MonthContext;
use crate::error::MonthError;
use crate::ports::{AvailabilitySource, Fetched};

/// A local `.xlsx` file.
pub struct XlsxFile(pub PathBuf);

#[async_trait::async_trait]
impl AvailabilitySource for XlsxFile {
    async fn fetch(&self) -> Result<Fetched, MonthError> {
        match tokio::fs::read(&self.0).await {
            Ok(b) => Ok(Fetched::Xlsx(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(MonthError::Input(format!(
                "no availability workbook at {}: export the sheet as .xlsx there, pass --file, or set DISPATCH_ROSTER_FILE",
                self.0.display()
            ))),
            Err(e) => Err(MonthError::Files {
                message: format!("reading {}: {e}", self.0.display()),
                retryable: false,
            }),
        }
    }

    fn describe(&self) -> String {
        format!("workbook {}", self.0.display())
    }
}

/// What a roster sync did (the CLI prints it; the job stores it).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SyncReport {
    pub source: String,
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: usize,
    pub not_in_sheet: usize,
    pub problems: Vec<CellProblem>,
    pub ignored_tabs: Vec<String>,
    /// `upsert_batch` calls made (at most 25 members each).
    pub batches: usize,
    /// The members written (created or updated), for the reconcile that follows a change.
    #[serde(skip)]
    pub written: Vec<dispatch_core::domain::CrewMember>,
    #[serde(skip)]
    summary: String,
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "roster sync from {}: {}", self.source, self.summary)
    }
}

/// Reads the availability workbook (`file` instead of the configured source when given), plans
/// against the stored roster and writes created and updated members in batches of 25. Running it
/// twice writes nothing the second time.
pub async fn sync(ctx: &MonthContext, file: Option<PathBuf>) -> Result<SyncReport, MonthError> {
    let source: Box<dyn AvailabilitySource> = match file {
        Some(p) => Box::new(XlsxFile(p)),
        None => Box::new(Shared(ctx.availability.clone())),
    };
    let tabs = match source.fetch().await? {
        Fetched::Xlsx(bytes) => tabs_from_xlsx(&bytes)
            .map_err(|e| MonthError::Input(format!("{}: {e}", source.describe())))?,
        Fetched::Sheets(values) => values
            .iter()
            .map(|t| Tab::from_json(&t.title, &t.rows))
            .collect(),
    };
    let existing = ctx
        .backend
        .roster
        .list()
        .await
        .map_err(MonthError::store("reading crew-roster"))?;
    let rule = match ctx.roster_year {
        Some(y) => YearRule::Season(y),
        None => YearRule::NextFrom(ctx.zone.today(chrono::Utc::now()).naive()),
    };
    let sheet = read_sheet(&tabs, rule);
    let mut plan = plan(sheet, &existing.items);
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for m in &mut plan.to_write {
        m.updated_at = Some(now.clone());
    }
    let mut batches = 0;
    for chunk in plan.to_write.chunks(25) {
        ctx.backend
            .roster
            .upsert_batch(chunk)
            .await
            .map_err(MonthError::store("writing crew-roster"))?;
        batches += 1;
    }
    for p in &plan.problems {
        tracing::warn!(tab = %p.tab, cell = %p.cell, "availability cell not read: {}", p.why);
    }
    tracing::info!(
        created = plan.created.len(),
        updated = plan.updated.len(),
        unchanged = plan.unchanged.len(),
        problems = plan.problems.len(),
        "roster synced"
    );
    let ids = |v: &[dispatch_core::domain::CrewId]| v.iter().map(|i| i.to_string()).collect();
    Ok(SyncReport {
        source: source.describe(),
        created: ids(&plan.created),
        updated: ids(&plan.updated),
        unchanged: plan.unchanged.len(),
        not_in_sheet: plan.not_in_sheet.len(),
        summary: plan.summary(),
        problems: plan.problems,
        ignored_tabs: plan.ignored_tabs,
        batches,
        written: plan.to_write,
    })
}

struct Shared(std::sync::Arc<dyn AvailabilitySource>);

#[async_trait::async_trait]
impl AvailabilitySource for Shared {
    async fn fetch(&self) -> Result<Fetched, MonthError> {
        self.0.fetch().await
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
}
