//! Where workbooks go: the [`ReportFiles`] port, a folder tree under `<data_dir>/drive/` for the
//! embedded default ([`DriveFolder`]), and a Drive folder on Google ([`GoogleDriveFiles`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dispatch_core::domain::EmailAddress;
use dispatch_google::drive::DriveClient;
use tokio::sync::OnceCell;

use super::MonthError;

/// A stored file: an id (Drive id or path) and where a person finds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredFile {
    pub id: String,
    pub location: String,
}

/// The reports folder.
#[async_trait::async_trait]
pub trait ReportFiles: Send + Sync {
    /// The file `name` in the folder, if there is one.
    async fn read(&self, name: &str) -> Result<Option<Vec<u8>>, MonthError>;
    /// Writes `name`, replacing the content of an existing file of that name (never a second one).
    async fn put(&self, name: &str, mime: &str, bytes: &[u8]) -> Result<StoredFile, MonthError>;
    /// Gives these people read access (idempotent).
    async fn share(&self, file: &StoredFile, with: &[EmailAddress]) -> Result<(), MonthError>;
    /// Where files go, for the CLI and `doctor`.
    fn describe(&self) -> String;
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> MonthError {
    MonthError::Files {
        message: format!("{what} {}: {e}", path.display()),
        // A full disk or a permission problem needs a person; a transient error is rare here.
        retryable: matches!(
            e.kind(),
            std::io::ErrorKind::Interrupted | std::io::ErrorKind::TimedOut
        ),
    }
}

/// A folder tree standing in for Drive: `<root>/<folder path>/<name>`, written atomically (temp
/// file in the same folder, fsync, rename), so a reader sees the old workbook or the new one.
/// Sharing is recorded in `<folder>/sharing.json` (file name → addresses).
#[derive(Debug, Clone)]
pub struct DriveFolder {
    dir: PathBuf,
}

/// The name of the sharing record in a [`DriveFolder`].
pub const SHARING_FILE: &str = "sharing.json";

impl DriveFolder {
    /// `root` is `<data_dir>/drive`; `folder` a path such as `JADA Business/Reports`.
    pub fn new(root: impl AsRef<Path>, folder: &str) -> Self {
        let mut dir = root.as_ref().to_path_buf();
        for part in folder.split('/').filter(|p| !p.is_empty()) {
            dir.push(part);
        }
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, name: &str) -> Result<PathBuf, MonthError> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(MonthError::Input(format!(
                "`{name}` is not a plain file name"
            )));
        }
        Ok(self.dir.join(name))
    }

    /// Who each file is shared with.
    pub fn sharing(&self) -> Result<BTreeMap<String, Vec<String>>, MonthError> {
        let path = self.dir.join(SHARING_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| MonthError::Files {
                message: format!(
                    "{} is not valid JSON ({e}): fix or delete it, then share again",
                    path.display()
                ),
                retryable: false,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(io_error("reading", &path, e)),
        }
    }
}

/// Writes `bytes` to `path` atomically: temp file beside it, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), MonthError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io_error("creating", dir, e))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(|e| io_error("creating", &tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| io_error("writing", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| io_error("renaming into", path, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[async_trait::async_trait]
impl ReportFiles for DriveFolder {
    async fn read(&self, name: &str) -> Result<Option<Vec<u8>>, MonthError> {
        let path = self.path_of(name)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("reading", &path, e)),
        }
    }

    async fn put(&self, name: &str, _mime: &str, bytes: &[u8]) -> Result<StoredFile, MonthError> {
        let path = self.path_of(name)?;
        let (p, b) = (path.clone(), bytes.to_vec());
        tokio::task::spawn_blocking(move || write_atomic(&p, &b))
            .await
            .map_err(|e| MonthError::Files {
                message: format!("writing {}: {e}", path.display()),
                retryable: true,
            })??;
        Ok(StoredFile {
            id: name.to_string(),
            location: path.display().to_string(),
        })
    }

    async fn share(&self, file: &StoredFile, with: &[EmailAddress]) -> Result<(), MonthError> {
        let mut all = self.sharing()?;
        let entry = all.entry(file.id.clone()).or_default();
        for e in with {
            if !entry.iter().any(|x| x == e.as_str()) {
                entry.push(e.as_str().to_string());
            }
        }
        entry.sort();
        let bytes = serde_json::to_vec_pretty(&all).map_err(|e| MonthError::Files {
            message: format!("encoding sharing record: {e}"),
            retryable: false,
        })?;
        write_atomic(&self.dir.join(SHARING_FILE), &bytes)
    }

    fn describe(&self) -> String {
        format!("folder {}", self.dir.display())
    }
}

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
                    .map_err(|e| {
                        google_error(&format!("finding Drive folder `{}`", self.folder_path), e)
                    })
            })
            .await
            .map(String::as_str)
    }
}

/// A Google error as a month error, keeping whether it is worth a retry.
pub fn google_error(what: &str, e: dispatch_google::GoogleError) -> MonthError {
    MonthError::Files {
        message: format!("{what}: {e}"),
        retryable: e.is_retryable(),
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
            .map_err(|e| google_error(&format!("looking up `{name}`"), e))?
        {
            None => Ok(None),
            Some(f) => self
                .client
                .download(&f)
                .await
                .map(Some)
                .map_err(|e| google_error(&format!("downloading `{name}`"), e)),
        }
    }

    async fn put(&self, name: &str, mime: &str, bytes: &[u8]) -> Result<StoredFile, MonthError> {
        let folder = self.folder().await?;
        let f = self
            .client
            .upsert_file(folder, name, mime, bytes)
            .await
            .map_err(|e| google_error(&format!("uploading `{name}`"), e))?;
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
            .map_err(|e| google_error(&format!("sharing {}", file.id), e))
    }

    fn describe(&self) -> String {
        format!("Drive folder `{}` ({})", self.folder_path, self.where_)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn folder_replaces_and_records_sharing() {
        let tmp = tempfile::tempdir().unwrap();
        let f = DriveFolder::new(tmp.path(), "JADA Business/Reports");
        assert_eq!(f.read("Revenue 2024-05.xlsx").await.unwrap(), None);
        let a = f.put("Revenue 2024-05.xlsx", "x", b"one").await.unwrap();
        let b = f.put("Revenue 2024-05.xlsx", "x", b"two").await.unwrap();
        assert_eq!(a, b);
        assert_eq!(
            f.read("Revenue 2024-05.xlsx").await.unwrap().unwrap(),
            b"two"
        );
        let names: Vec<_> = std::fs::read_dir(f.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["Revenue 2024-05.xlsx"], "no temp files left");
        let ops = [EmailAddress::parse("ops@example.com").unwrap()];
        f.share(&a, &ops).await.unwrap();
        f.share(&a, &ops).await.unwrap();
        assert_eq!(
            f.sharing().unwrap()["Revenue 2024-05.xlsx"],
            ["ops@example.com"]
        );
        assert!(matches!(
            f.put("../x", "x", b"").await,
            Err(MonthError::Input(_))
        ));
    }
}
