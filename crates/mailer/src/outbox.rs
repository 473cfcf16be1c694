//! [`Outbox`]: the [`MailSender`] of the embedded default, one `.eml` file per mail key written
//! atomically, so a resend overwrites and a crash leaves the whole mail or none.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{build_mime, Mail, MailError, MailSender};

/// Writes mail to a folder as `.eml` files.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// The file a mail with this key is written to: stable, so a resend overwrites rather than adds.
    pub fn file_for(&self, key: &str) -> PathBuf {
        let digest = Sha256::digest(key.as_bytes());
        let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let readable: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(60)
            .collect();
        self.dir.join(format!("{readable}-{short}.eml"))
    }
    /// Every `.eml` file, oldest first.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .map(|p| {
                        (
                            p.metadata()
                                .and_then(|m| m.modified())
                                .unwrap_or(std::time::UNIX_EPOCH),
                            p,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.into_iter().map(|(_, p)| p).collect()
    }
}

#[async_trait::async_trait]
impl MailSender for Outbox {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let bytes = build_mime(mail)?;
        let path = self.file_for(&mail.key);
        let dir = self.dir.clone();
        let target = path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&dir, &target, &bytes))
            .await
            .map_err(|e| MailError::Send {
                key: mail.key.clone(),
                message: e.to_string(),
                retryable: true,
            })??;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        tracing::info!(key = %mail.key, file = %name, "mail written to outbox");
        Ok(name)
    }

    async fn already_sent(&self, mail: &Mail) -> Result<bool, MailError> {
        let path = self.file_for(&mail.key);
        tokio::fs::try_exists(&path)
            .await
            .map_err(|source| MailError::Io { path, source })
    }

    fn describe(&self) -> String {
        format!("outbox folder {}", self.dir.display())
    }
}

/// Writes `bytes` to `target` so that a reader (or a crash at any point) sees either no file or
/// the whole file: a temp file of its own in the same folder (a name no `.eml` listing matches),
/// fsync, rename over the target, fsync of the folder. Concurrent writers of the same key each
/// have their own temp file; the last rename wins with complete bytes.
fn write_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> Result<(), MailError> {
    use std::io::Write;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MailError::Io { path, source }
    };
    dispatch_core::private_fs::create_dir(dir).map_err(io(dir))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let nonce: String = Sha256::digest(
        format!(
            "{}-{:?}-{:?}",
            std::process::id(),
            std::thread::current().id(),
            std::time::SystemTime::now()
        )
        .as_bytes(),
    )
    .iter()
    .take(6)
    .map(|b| format!("{b:02x}"))
    .collect();
    let tmp = dir.join(format!(".{name}.{nonce}.tmp"));
    let written = (|| -> Result<(), MailError> {
        let mut f = dispatch_core::private_fs::new_file()
            .open(&tmp)
            .map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, target).map_err(io(target))?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    // The rename is durable once the folder's entry is.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header_values;
    use crate::mail::test_mail as mail;

    #[tokio::test]
    async fn outbox_knows_what_it_sent() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"));
        assert!(!outbox.already_sent(&mail()).await.unwrap());
        outbox.send(&mail()).await.unwrap();
        assert!(outbox.already_sent(&mail()).await.unwrap());
        let mut other = mail();
        other.key = "offer#2".into();
        assert!(!outbox.already_sent(&other).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn outbox_writes_are_whole_even_when_racing_and_leave_no_stray_files() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"));
        let mut big = mail();
        big.attachments[0].bytes = vec![7; 2 * 1024 * 1024];
        let want = build_mime(&big).unwrap();
        // A write killed half-way left its temp file behind: it is no mail.
        std::fs::create_dir_all(outbox.dir()).unwrap();
        std::fs::write(outbox.dir().join(".offer_1-dead.tmp"), &want[..1000]).unwrap();
        assert!(outbox.files().is_empty());
        assert!(!outbox.already_sent(&big).await.unwrap());
        let sends: Vec<_> = (0..16)
            .map(|_| {
                let (o, m) = (outbox.clone(), big.clone());
                tokio::spawn(async move { o.send(&m).await })
            })
            .collect();
        for s in sends {
            s.await.unwrap().unwrap();
        }
        let files = outbox.files();
        assert_eq!(files.len(), 1, "{files:?}");
        // Whole: as long as a built mail (Date and boundary vary by a few bytes), and closed.
        let got = std::fs::read(&files[0]).unwrap();
        assert!(
            got.len().abs_diff(want.len()) < 64,
            "{} vs {}",
            got.len(),
            want.len()
        );
        assert!(got.ends_with(b"--\r\n"), "the multipart is closed");
        assert_eq!(header_values(&got, "Message-ID"), [big.message_id()]);
        let names: Vec<String> = std::fs::read_dir(outbox.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp") && !n.contains("dead"))
            .collect();
        assert!(names.is_empty(), "temp files left: {names:?}");
    }

    #[tokio::test]
    async fn outbox_writes_one_file_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"));
        outbox.send(&mail()).await.unwrap();
        outbox.send(&mail()).await.unwrap();
        let files = outbox.files();
        assert_eq!(files.len(), 1);
        assert!(std::fs::read_to_string(&files[0])
            .unwrap()
            .contains("Subject: Charter offer"));
    }
}
