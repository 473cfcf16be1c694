//! `unified-token.json`: the current token, written atomically with mode 0600.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::AccessToken;
use crate::GoogleError;

/// The file name other tools read the token from.
pub const TOKEN_FILE_NAME: &str = "unified-token.json";

/// Writes `token` to `path` atomically: a temp file in the same folder created with mode 0600,
/// written, fsynced, renamed over `path`, then the folder fsynced. A crash at any point leaves the
/// previous token intact.
pub fn write_token_file(path: &Path, token: &AccessToken) -> Result<(), GoogleError> {
    write_with_hook(path, token, |_| Ok(()))
}

/// [`write_token_file`] with a hook run between fsync and rename (the test seam for interruption).
pub(crate) fn write_with_hook(
    path: &Path,
    token: &AccessToken,
    before_rename: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<(), GoogleError> {
    let err = |source| GoogleError::TokenFile {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let body = serde_json::json!({
        "access_token": token.secret,
        "token_type": "Bearer",
        "expiry": token.expires_at.to_rfc3339(),
    });
    let result = (|| {
        let mut file = open_private(&tmp)?;
        file.write_all(body.to_string().as_bytes())?;
        file.sync_all()?;
        drop(file);
        before_rename(&tmp)?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            // Makes the rename durable; not every platform can fsync a folder.
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// Creates `path` for writing, mode 0600, only if nothing is there: `O_CREAT|O_EXCL` (never an
/// existing file, never through a symlink planted at the name) and `O_NOFOLLOW`.
#[cfg(unix)]
pub(crate) fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o600)
        .open(path)
}

/// Checks that a token file can be written at `path` as [`write_token_file`] would (a probe
/// file created and removed in its folder); nothing is left behind.
pub fn check_writable(path: &Path) -> Result<(), GoogleError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let probe = dir.join(format!(
        ".{}.check-{}-{}",
        TOKEN_FILE_NAME,
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = open_private(&probe).map(drop);
    let _ = std::fs::remove_file(&probe);
    result.map_err(|source| GoogleError::TokenFile {
        path: path.to_owned(),
        source,
    })
}

#[cfg(not(unix))]
pub(crate) fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(s: &str) -> AccessToken {
        AccessToken {
            secret: s.into(),
            expires_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn interrupted_write_keeps_previous_token_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE_NAME);
        write_token_file(&path, &token("first")).unwrap();
        let before = std::fs::read_to_string(&path).unwrap();
        let r = write_with_hook(&path, &token("second"), |tmp| {
            assert!(tmp.exists(), "temp file written before the hook");
            Err(std::io::Error::other("crash between fsync and rename"))
        });
        assert!(matches!(r, Err(GoogleError::TokenFile { .. })));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        assert!(before.contains("first"));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(TOKEN_FILE_NAME)]);
    }

    #[cfg(unix)]
    #[test]
    fn token_file_is_0600_and_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE_NAME);
        write_token_file(&path, &token("first")).unwrap();
        write_token_file(&path, &token("second")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["access_token"], "second");
    }
}
