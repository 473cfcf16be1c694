//! Where workbooks go on the embedded default: the local adapter of the [`ReportFiles`] port, a folder tree under
//! `<data_dir>/drive/` for the embedded default ([`DriveFolder`]). The Drive adapter is
//! [`crate::google::GoogleDriveFiles`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dispatch_core::domain::EmailAddress;

use crate::error::MonthError;
use crate::ports::{ReportFiles, StoredFile};

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

    /// The folder the files go in.
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
            Err(e) => Err(MonthError::io("reading", &path)(e)),
        }
    }
}

/// Writes `bytes` to `path` atomically: temp file beside it, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), MonthError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(MonthError::io("creating", dir))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(MonthError::io("creating", &tmp))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(MonthError::io("writing", &tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(MonthError::io("renaming into", path))?;
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
            Err(e) => Err(MonthError::io("reading", &path)(e)),
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
