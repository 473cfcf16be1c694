//! The service-account key: read from an explicit path, after checking who may read it.

use std::path::{Path, PathBuf};

use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;

use crate::GoogleError;

/// Gmail send.
pub const SCOPE_GMAIL_SEND: &str = "https://www.googleapis.com/auth/gmail.send";
/// Gmail read (search and metadata).
pub const SCOPE_GMAIL_READONLY: &str = "https://www.googleapis.com/auth/gmail.readonly";
/// Drive (upload and share).
pub const SCOPE_DRIVE: &str = "https://www.googleapis.com/auth/drive";
/// Sheets read (kept for reference: crew-dispatch now asks for [`SCOPE_SHEETS`]).
pub const SCOPE_SHEETS_READONLY: &str = "https://www.googleapis.com/auth/spreadsheets.readonly";
/// Sheets read and write: the crew page writes a member's availability to the Sheet
/// (`values.update`).
pub const SCOPE_SHEETS: &str = "https://www.googleapis.com/auth/spreadsheets";
/// Every scope crew-dispatch asks for, explicitly.
pub const SCOPES: [&str; 4] = [
    SCOPE_GMAIL_SEND,
    SCOPE_GMAIL_READONLY,
    SCOPE_DRIVE,
    SCOPE_SHEETS,
];

/// A parsed service-account key. `Debug` never prints the private key.
#[derive(Clone)]
pub struct ServiceAccountKey {
    /// Where it was read from.
    pub path: PathBuf,
    /// The service account, the JWT's `iss`.
    pub client_email: String,
    /// The key's id (sent as the JWT `kid`).
    pub private_key_id: String,
    /// Where to exchange the JWT; the JWT's `aud`.
    pub token_uri: String,
    /// The key file as read, for `gcp_auth`, which parses it itself.
    pub(crate) raw_json: String,
    pub(crate) private_key: RsaPrivateKey,
}

impl std::fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("path", &self.path)
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

/// How strictly to treat file modes.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyOptions {
    /// Log a warning instead of refusing a key (or token file) readable by others. Off by default.
    pub allow_loose_permissions: bool,
}

impl ServiceAccountKey {
    /// The key path from `GOOGLE_APPLICATION_CREDENTIALS`, if set (no other discovery is done).
    pub fn path_from_env() -> Option<PathBuf> {
        std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }

    /// Checks the modes of the key, its folder and the token file (if given and present), then reads
    /// and parses the key.
    pub fn load(
        path: &Path,
        token_file: Option<&Path>,
        opts: KeyOptions,
    ) -> Result<Self, GoogleError> {
        if !path.exists() {
            return Err(GoogleError::KeyMissing {
                path: path.to_owned(),
            });
        }
        check_modes(path, token_file, opts)?;
        let bytes = std::fs::read(path).map_err(|source| GoogleError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| GoogleError::Unreadable {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
        })?;
        Self::parse(path, &text)
    }

    /// Parses key JSON (no file-mode checks); `path` is only used in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, GoogleError> {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|source| GoogleError::KeyNotJson {
                path: path.to_owned(),
                source,
            })?;
        let field = |name: &'static str| {
            json.get(name)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or(GoogleError::KeyMissingField {
                    path: path.to_owned(),
                    field: name,
                })
        };
        let client_email = field("client_email")?;
        let pem = field("private_key")?;
        let token_uri = field("token_uri")?;
        let private_key_id = field("private_key_id")?;
        let private_key = RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| GoogleError::BadPem {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            path: path.to_owned(),
            client_email,
            private_key_id,
            token_uri,
            raw_json: text.to_owned(),
            private_key,
        })
    }
}

/// Refuses (or warns about) a key folder wider than 0700 and key/token files wider than 0600.
pub fn check_modes(
    key: &Path,
    token_file: Option<&Path>,
    opts: KeyOptions,
) -> Result<(), GoogleError> {
    let dir = match key.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut checks = vec![
        ("key folder", dir, 0o700),
        ("key file", key.to_owned(), 0o600),
    ];
    if let Some(t) = token_file.filter(|t| t.exists()) {
        checks.push(("token file", t.to_owned(), 0o600));
    }
    for (what, path, want) in checks {
        let Some(mode) = mode_of(&path)? else {
            continue;
        };
        if mode & !want & 0o777 != 0 {
            let err = GoogleError::LoosePermissions {
                what,
                path,
                mode,
                want,
            };
            if opts.allow_loose_permissions {
                tracing::warn!(error = %err, "allow_loose_permissions is set: continuing");
            } else {
                return Err(err);
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Result<Option<u32>, GoogleError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| GoogleError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    Ok(Some(meta.permissions().mode() & 0o7777))
}

#[cfg(not(unix))]
fn mode_of(_path: &Path) -> Result<Option<u32>, GoogleError> {
    Ok(None)
}
