//! The [`ReportFiles`] port on Google Drive: the reports folder found by path once per process,
//! uploads that replace a month's file, and sharing with ops.

use std::sync::Arc;

use dispatch_core::domain::EmailAddress;
use dispatch_google::drive::DriveClient;
use tokio::sync::OnceCell;

use crate::error::MonthError;
use crate::ports::{ReportFiles, StoredFile};

/// A Drive folder, found by path once per process. Sharing never runs concurrently on one file
/// (the jobs share one file at a time).
pub struct GoogleDriveFiles {
    client: DriveClient,
    folder_path: String,
    folder_id: OnceCell<String>,
    notify: bool,
    where_: String,
}

impl GoogleDriveFiles {
    /// `where_` says which drive (shared drive or delegated user), for `describe`.
    pub fn new(client: DriveClient, folder_path: &str, notify: bool, where_: String) -> Arc<Self> {
        Arc::new(Self {
            client,
            folder_path: folder_path.trim_matches('/').to_string(),
            folder_id: OnceCell::new(),
            notify,
            where_,
        })
    }

    async fn folder(&self) -> Result<&str, MonthError> {
        self.folder_id
            .get_or_try_init(|| async {
                self.client
                    .find_folder(&self.folder_path)
                    .await
                    .map_err(MonthError::google(format!(
                        "finding Drive folder `{}`",
                        self.folder_path
                    )))
            })
            .await
            .map(String::as_str)
    }
}

#[async_trait::async_trait]
impl ReportFiles for GoogleDriveFiles {
    async fn read(&self, name: &str) -> Result<Option<Vec<u8>>, MonthError> {
        let folder = self.folder().await?;
        match self
            .client
            .find_file(folder, name)
            .await
            .map_err(MonthError::google(format!("looking up `{name}`")))?
        {
            None => Ok(None),
            Some(f) => self
                .client
                .download(&f)
                .await
                .map(Some)
                .map_err(MonthError::google(format!("downloading `{name}`"))),
        }
    }

    async fn put(&self, name: &str, mime: &str, bytes: &[u8]) -> Result<StoredFile, MonthError> {
        let folder = self.folder().await?;
        let f = self
            .client
            .upsert_file(folder, name, mime, bytes)
            .await
            .map_err(MonthError::google(format!("uploading `{name}`")))?;
        Ok(StoredFile {
            location: format!("https://drive.google.com/file/d/{}", f.id),
            id: f.id,
        })
    }

    async fn share(&self, file: &StoredFile, with: &[EmailAddress]) -> Result<(), MonthError> {
        let emails: Vec<String> = with.iter().map(|e| e.as_str().to_string()).collect();
        self.client
            .share(&file.id, &emails, self.notify)
            .await
            .map(|_| ())
            .map_err(MonthError::google(format!("sharing {}", file.id)))
    }

    fn describe(&self) -> String {
        format!("Drive folder `{}` ({})", self.folder_path, self.where_)
    }
}
