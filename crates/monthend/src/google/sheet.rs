//! The [`AvailabilitySource`] port on Google: the availability Sheet by id, or found by Drive
//! folder path and name (an `.xlsx` kept in Drive is downloaded as it is).

use dispatch_google::drive::{DriveClient, SPREADSHEET_MIME};
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
                    self.drive
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
                if file.mime_type.as_deref() != Some(SPREADSHEET_MIME) {
                    // An .xlsx kept in Drive: download it as it is.
                    let bytes = self
                        .drive
                        .download(&file)
                        .await
                        .map_err(MonthError::google(format!("downloading `{}`", self.spec)))?;
                    return Ok(Fetched::Xlsx(bytes));
                }
                file.id
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
