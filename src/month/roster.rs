//! Roster sync: the availability workbook from where it lives (a local `.xlsx` on the embedded
//! default or with `--file`; the Google Sheet, by Drive path and name or by id), parsed and synced
//! by `dispatch-reporting`'s availability module.

use std::path::PathBuf;

use dispatch_google::drive::SPREADSHEET_MIME;
use dispatch_google::sheets::{SheetsClient, TabValues};
use dispatch_reporting::sheet::dates::YearRule;
use dispatch_reporting::sheet::roster::{plan, read_sheet, CellProblem};
use dispatch_reporting::sheet::{tabs_from_xlsx, Tab};

use super::files::google_error;
use super::{MonthContext, MonthError};

/// The workbook as its source gives it.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// `.xlsx` bytes (a local file, or an `.xlsx` stored in Drive).
    Xlsx(Vec<u8>),
    /// A Google Sheet read with `values.batchGet` (unformatted, serial-number dates).
    Sheets(Vec<TabValues>),
}

/// Where the availability workbook comes from.
#[async_trait::async_trait]
pub trait AvailabilitySource: Send + Sync {
    async fn fetch(&self) -> Result<Fetched, MonthError>;
    /// For the CLI and logs.
    fn describe(&self) -> String;
}

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

/// The Google Sheet: `id:<spreadsheet id>`, or `Folder/Sub/Name` found in Drive.
pub struct GoogleSheet {
    pub sheets: SheetsClient,
    pub drive: dispatch_google::drive::DriveClient,
    /// The `roster_sheet` setting.
    pub spec: String,
}

#[async_trait::async_trait]
impl AvailabilitySource for GoogleSheet {
    async fn fetch(&self) -> Result<Fetched, MonthError> {
        let id = match self.spec.strip_prefix("id:") {
            Some(id) => id.trim().to_string(),
            None => {
                let (folder, name) = self.spec.rsplit_once('/').ok_or_else(|| {
                    MonthError::Input(format!(
                        "roster_sheet `{}` must be `Folder/Name` or `id:<spreadsheet id>`",
                        self.spec
                    ))
                })?;
                let folder_id =
                    self.drive.find_folder(folder).await.map_err(|e| {
                        google_error(&format!("finding Drive folder `{folder}`"), e)
                    })?;
                let file = self
                    .drive
                    .find_file(&folder_id, name)
                    .await
                    .map_err(|e| google_error(&format!("looking up `{}`", self.spec), e))?
                    .ok_or_else(|| {
                        MonthError::Input(format!(
                            "no file `{name}` in Drive folder `{folder}`: check DISPATCH_ROSTER_SHEET and that the sheet is shared with the sending mailbox"
                        ))
                    })?;
                if file.mime_type.as_deref() != Some(SPREADSHEET_MIME) {
                    // An .xlsx kept in Drive: download it as it is.
                    let bytes =
                        self.drive.download(&file).await.map_err(|e| {
                            google_error(&format!("downloading `{}`", self.spec), e)
                        })?;
                    return Ok(Fetched::Xlsx(bytes));
                }
                file.id
            }
        };
        self.sheets
            .read_all(&id)
            .await
            .map(Fetched::Sheets)
            .map_err(|e| google_error(&format!("reading spreadsheet {id}"), e))
    }

    fn describe(&self) -> String {
        format!("Google Sheet `{}`", self.spec)
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
