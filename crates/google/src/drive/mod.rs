//! Drive: find folders by path and files by name, upload (create or replace), share.
//!
//! A service account has no Drive storage of its own: files go to a shared drive (set
//! [`DriveConfig::shared_drive_id`]) or the token source acts as a user through delegation.
//!
//! This file: the configuration, the file type, finding, downloading and sharing. `upload`: how
//! bytes get there (one multipart request, or a resumable session in chunks).

use std::sync::Arc;

use crate::http::{segment, Api, HttpConfig};
use crate::{GoogleError, TokenSource};

mod upload;

pub use upload::multipart_related;
use upload::Upload;

/// Drive's public base URL (API and uploads).
pub const DRIVE_BASE: &str = "https://www.googleapis.com";
/// The MIME type of a Drive folder.
pub const FOLDER_MIME: &str = "application/vnd.google-apps.folder";
/// The MIME type of a Google-native spreadsheet.
pub const SPREADSHEET_MIME: &str = "application/vnd.google-apps.spreadsheet";
/// The MIME type of an `.xlsx` workbook.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Google's limit for a multipart upload; larger files go through a resumable session.
pub const MULTIPART_LIMIT: usize = 5 * 1024 * 1024;
/// Resumable chunks (all but the last) must be a multiple of this many bytes.
pub const CHUNK_GRANULE: usize = 256 * 1024;

/// Where Drive is and which drive to use.
#[derive(Debug, Clone)]
pub struct DriveConfig {
    /// API base, e.g. [`DRIVE_BASE`].
    pub base: String,
    /// Upload base, e.g. [`DRIVE_BASE`].
    pub upload_base: String,
    /// The shared drive holding reports; `None` means My Drive of the delegated user.
    pub shared_drive_id: Option<String>,
    /// Uploads larger than this use a resumable session; smaller ones one multipart request.
    pub resumable_above: usize,
    /// Bytes per resumable chunk, rounded up to a multiple of [`CHUNK_GRANULE`].
    pub chunk_size: usize,
    /// Timeouts and retries.
    pub http: HttpConfig,
}

impl Default for DriveConfig {
    fn default() -> Self {
        Self {
            base: DRIVE_BASE.into(),
            upload_base: DRIVE_BASE.into(),
            shared_drive_id: None,
            resumable_above: MULTIPART_LIMIT,
            chunk_size: 8 * 1024 * 1024,
            http: HttpConfig::default(),
        }
    }
}

/// A file or folder as Drive lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriveFile {
    /// Drive id.
    pub id: String,
    /// File name.
    #[serde(default)]
    pub name: String,
    /// MIME type.
    #[serde(default)]
    pub mime_type: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileList {
    #[serde(default)]
    files: Vec<DriveFile>,
    next_page_token: Option<String>,
}

/// A Drive v3 client.
#[derive(Clone)]
pub struct DriveClient {
    api: Api,
    cfg: DriveConfig,
}

/// Quotes a value for a Drive `q` string: `\` and `'` are backslash-escaped.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

impl DriveClient {
    /// A client for `cfg`.
    pub fn new(cfg: DriveConfig, tokens: Arc<dyn TokenSource>) -> Result<Self, GoogleError> {
        let mut cfg = cfg;
        cfg.base = cfg.base.trim_end_matches('/').to_owned();
        cfg.upload_base = cfg.upload_base.trim_end_matches('/').to_owned();
        cfg.chunk_size = cfg.chunk_size.max(1).div_ceil(CHUNK_GRANULE) * CHUNK_GRANULE;
        Ok(Self {
            api: Api::new(tokens, cfg.http.clone())?,
            cfg,
        })
    }

    /// Files (not trashed) named `name` in folder `parent`, all pages, optionally of one MIME type.
    pub async fn list_named(
        &self,
        parent: &str,
        name: &str,
        mime: Option<&str>,
    ) -> Result<Vec<DriveFile>, GoogleError> {
        let mut q = format!(
            "name = {} and {} in parents and trashed = false",
            quote(name),
            quote(parent)
        );
        if let Some(m) = mime {
            q.push_str(&format!(" and mimeType = {}", quote(m)));
        }
        let url = format!("{}/drive/v3/files", self.cfg.base);
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut query = vec![
                ("q", q.clone()),
                ("fields", "nextPageToken,files(id,name,mimeType)".to_owned()),
                ("pageSize", "100".to_owned()),
                ("supportsAllDrives", "true".to_owned()),
                ("includeItemsFromAllDrives", "true".to_owned()),
            ];
            if let Some(d) = &self.cfg.shared_drive_id {
                query.push(("corpora", "drive".to_owned()));
                query.push(("driveId", d.clone()));
            }
            if let Some(p) = &page {
                query.push(("pageToken", p.clone()));
            }
            let list: FileList = self
                .api
                .json("drive.files.list", &|c| c.get(&url).query(&query))
                .await?;
            out.extend(list.files);
            match list.next_page_token {
                Some(p) if !p.is_empty() => page = Some(p),
                _ => break,
            }
        }
        Ok(out)
    }

    /// The first file named `name` in folder `parent`, if any.
    pub async fn find_file(
        &self,
        parent: &str,
        name: &str,
    ) -> Result<Option<DriveFile>, GoogleError> {
        Ok(self
            .list_named(parent, name, None)
            .await?
            .into_iter()
            .next())
    }

    /// The id of the folder at `path` (`JADA Business/Crew`), from the shared drive's root if one
    /// is configured, else from My Drive's `root`.
    pub async fn find_folder(&self, path: &str) -> Result<String, GoogleError> {
        let mut parent = self
            .cfg
            .shared_drive_id
            .clone()
            .unwrap_or_else(|| "root".to_owned());
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let found = self.list_named(&parent, part, Some(FOLDER_MIME)).await?;
            parent = found
                .into_iter()
                .next()
                .map(|f| f.id)
                .ok_or_else(|| GoogleError::FolderNotFound(path.to_owned()))?;
        }
        Ok(parent)
    }

    /// Uploads a new file into `folder_id`.
    pub async fn create_file(
        &self,
        folder_id: &str,
        name: &str,
        mime: &str,
        bytes: &[u8],
    ) -> Result<DriveFile, GoogleError> {
        let meta = serde_json::json!({ "name": name, "parents": [folder_id], "mimeType": mime });
        let url = format!("{}/upload/drive/v3/files", self.cfg.upload_base);
        let file = self
            .upload(Upload {
                what: "drive.files.create",
                method: reqwest::Method::POST,
                url: &url,
                meta: &meta,
                mime,
                bytes,
            })
            .await?;
        tracing::info!(file_id = %file.id, folder_id, "Drive file created");
        Ok(file)
    }

    /// Replaces the content of file `file_id`.
    pub async fn update_file(
        &self,
        file_id: &str,
        mime: &str,
        bytes: &[u8],
    ) -> Result<DriveFile, GoogleError> {
        let meta = serde_json::json!({ "mimeType": mime });
        let url = format!(
            "{}/upload/drive/v3/files/{}",
            self.cfg.upload_base,
            segment(file_id)
        );
        let file = self
            .upload(Upload {
                what: "drive.files.update",
                method: reqwest::Method::PATCH,
                url: &url,
                meta: &meta,
                mime,
                bytes,
            })
            .await?;
        tracing::info!(file_id = %file.id, "Drive file replaced");
        Ok(file)
    }

    /// The content of `file`: `files.get?alt=media`, or for a Google-native spreadsheet (which
    /// `alt=media` refuses with `fileNotDownloadable`) `files.export` as `.xlsx`.
    pub async fn download(&self, file: &DriveFile) -> Result<Vec<u8>, GoogleError> {
        if file.mime_type.as_deref() == Some(SPREADSHEET_MIME) {
            let url = format!(
                "{}/drive/v3/files/{}/export",
                self.cfg.base,
                segment(&file.id)
            );
            return self
                .api
                .send("drive.files.export", &|c| {
                    c.get(&url).query(&[("mimeType", XLSX_MIME)])
                })
                .await;
        }
        let url = format!("{}/drive/v3/files/{}", self.cfg.base, segment(&file.id));
        self.api
            .send("drive.files.get", &|c| {
                c.get(&url)
                    .query(&[("alt", "media"), ("supportsAllDrives", "true")])
            })
            .await
    }

    /// Replaces `name` in `folder_id` if it exists, else creates it: never a duplicate.
    pub async fn upsert_file(
        &self,
        folder_id: &str,
        name: &str,
        mime: &str,
        bytes: &[u8],
    ) -> Result<DriveFile, GoogleError> {
        match self.find_file(folder_id, name).await? {
            Some(existing) => self.update_file(&existing.id, mime, bytes).await,
            None => self.create_file(folder_id, name, mime, bytes).await,
        }
    }

    /// Gives each of `emails` read access to `file_id`, one after another (Drive refuses
    /// concurrent permission changes on one file). Returns the permission ids.
    pub async fn share(
        &self,
        file_id: &str,
        emails: &[String],
        notify: bool,
    ) -> Result<Vec<String>, GoogleError> {
        let url = format!(
            "{}/drive/v3/files/{}/permissions",
            self.cfg.base,
            segment(file_id)
        );
        let notify = notify.to_string();
        let mut ids = Vec::with_capacity(emails.len());
        for email in emails {
            let body =
                serde_json::json!({ "type": "user", "role": "reader", "emailAddress": email });
            let query = [
                ("supportsAllDrives", "true"),
                ("sendNotificationEmail", notify.as_str()),
            ];
            let v: serde_json::Value = self
                .api
                .json("drive.permissions.create", &|c| {
                    c.post(&url).query(&query).json(&body)
                })
                .await?;
            let id = v["id"].as_str().unwrap_or_default().to_owned();
            tracing::info!(file_id, permission_id = %id, "Drive file shared");
            ids.push(id);
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escape_backslashes_and_apostrophes() {
        assert_eq!(quote("O'Brien"), r"'O\'Brien'");
        assert_eq!(quote(r"a\b"), r"'a\\b'");
    }
}
