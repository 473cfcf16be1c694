//! The [`AvailabilitySource`] port on Google: the availability Sheet by id, or found by Drive
//! folder path and name (an `.xlsx` kept in Drive is downloaded as it is).

use dispatch_google::drive::{DriveClient, DriveFile, SPREADSHEET_MIME};
use dispatch_google::sheets::SheetsClient;

use crate::error::MonthError;
use crate::ports::{AvailabilitySource, Fetched};

/// The Google Sheet: `id:<spreadsheet id>`, or `Folder/Sub/Name` found in Drive.
pub struct GoogleSheet {
    /// Reads the sheet's tabs (`values.batchGet`).
    pub sheets: SheetsClient,
    /// Finds the sheet by folder path and name.
    pub drive: DriveClient,
    /// The `roster_sheet` setting.
    pub spec: String,
}

/// Where `roster_sheet` points.
enum Located {
    /// A native Google Sheet, by id.
    Sheet(String),
    /// An `.xlsx` kept in Drive.
    Xlsx(DriveFile),
}

impl GoogleSheet {
    async fn locate(&self) -> Result<Located, MonthError> {
        if let Some(id) = self.spec.strip_prefix("id:") {
            return Ok(Located::Sheet(id.trim().to_string()));
        }
        let (folder, name) = self.spec.rsplit_once('/').ok_or_else(|| {
            MonthError::Input(format!(
                "roster_sheet `{}` must be `Folder/Name` or `id:<spreadsheet id>`",
                self.spec
            ))
        })?;
        let folder_id = self
            .drive
            .find_folder(folder)
            .await
            .map_err(MonthError::google(format!(
                "finding Drive folder `{folder}`"
            )))?;
        let file = self
            .drive
            .find_file(&folder_id, name)
            .await
            .map_err(MonthError::google(format!("looking up `{}`", self.spec)))?
            .ok_or_else(|| {
                MonthError::Input(format!(
                    "no file `{name}` in Drive folder `{folder}`: check DISPATCH_ROSTER_SHEET and that the sheet is shared with the sending mailbox"
                ))
            })?;
        Ok(if file.mime_type.as_deref() == Some(SPREADSHEET_MIME) {
            Located::Sheet(file.id)
        } else {
            Located::Xlsx(file)
        })
    }

    /// The id of the native Google Sheet `roster_sheet` names (the crew page writes to it); an
    /// `.xlsx` kept in Drive cannot be written cell by cell.
    pub async fn spreadsheet_id(&self) -> Result<String, MonthError> {
        match self.locate().await? {
            Located::Sheet(id) => Ok(id),
            Located::Xlsx(_) => Err(MonthError::Input(format!(
                "`{}` is an .xlsx file in Drive, not a Google Sheet: the crew page cannot write availability to it (open it in Google Sheets and save it as a Google Sheet)",
                self.spec
            ))),
        }
    }
}

#[async_trait::async_trait]
impl AvailabilitySource for GoogleSheet {
    async fn fetch(&self) -> Result<Fetched, MonthError> {
        let id = match self.locate().await? {
            Located::Sheet(id) => id,
            Located::Xlsx(file) => {
                // An .xlsx kept in Drive: download it as it is.
                let bytes = self
                    .drive
                    .download(&file)
                    .await
                    .map_err(MonthError::google(format!("downloading `{}`", self.spec)))?;
                return Ok(Fetched::Xlsx(bytes));
            }
        };
        self.sheets
            .read_all(&id)
            .await
            .map(Fetched::Sheets)
            .map_err(MonthError::google(format!("reading spreadsheet {id}")))
    }

    fn describe(&self) -> String {
        format!("Google Sheet `{}`", self.spec)
    }
}
