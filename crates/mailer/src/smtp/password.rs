//! The SMTP password: a type that never shows (its `Debug` is `***`, it has no `Display`), and
//! the reading of `DISPATCH_SMTP_PASSWORD_FILE` with the same permission rule as the Google key.
//! Its own file so that the one place holding the secret is small and easy to review.

use std::fmt;
use std::path::Path;

use super::SmtpError;

/// The SMTP password (from `DISPATCH_SMTP_PASSWORD` or `DISPATCH_SMTP_PASSWORD_FILE`). It never
/// shows: `Debug` prints `***`, and there is no `Display`.
#[derive(Clone)]
pub struct SmtpPassword(String);

impl SmtpPassword {
    /// The password itself, for AUTH only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// Reads the password from a file (one line; a trailing newline is not part of it). The file
    /// must be readable by its owner only, as the Google key is: anything wider is refused with
    /// the `chmod` to run.
    pub fn from_file(path: &Path) -> Result<Self, SmtpError> {
        let err = |source| SmtpError::PasswordFile {
            path: path.to_path_buf(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(err)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(SmtpError::PasswordFileMode {
                    path: path.to_path_buf(),
                    mode,
                });
            }
        }
        let text = std::fs::read_to_string(path).map_err(err)?;
        let password = text.trim_end_matches(['\r', '\n']);
        if password.is_empty() {
            return Err(SmtpError::Password {
                problem: "DISPATCH_SMTP_PASSWORD_FILE is empty",
            });
        }
        Ok(Self(password.to_string()))
    }
}

impl fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows_and_its_file_must_be_private() {
        assert_eq!(
            format!("{:?}", SmtpPassword::new("hunter2")),
            "SmtpPassword(***)"
        );
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "s3cret\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = SmtpPassword::from_file(&pw).unwrap_err().to_string();
            assert!(e.contains(&format!("chmod 600 {}", pw.display())), "{e}");
            std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert_eq!(SmtpPassword::from_file(&pw).unwrap().0, "s3cret");
        std::fs::write(&pw, "\n").unwrap();
        assert!(SmtpPassword::from_file(&pw)
            .unwrap_err()
            .to_string()
            .contains("empty"));
    }
}
