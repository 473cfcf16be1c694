//! [`Outbox`]: the [`MailSender`] of the embedded default, one `.eml` file per mail key written
//! atomically, so a resend overwrites and a crash leaves the whole mail or none. The writing is
//! `outbox_commit`'s: a few writer threads per folder, concurrent sends sharing the folder fsync.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};

use crate::outbox_commit::Committer;
use crate::{build_mime, Mail, MailError, MailSender};

/// Writes mail to a folder as `.eml` files.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
    /// The folder's writer threads, started by the first send and shared by every clone (they
    /// end with the last of them).
    writer: Arc<OnceLock<Committer>>,
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            writer: Arc::default(),
        }
    }

    fn writer(&self, key: &str) -> Result<&Committer, MailError> {
        if let Some(w) = self.writer.get() {
            return Ok(w);
        }
        let started = Committer::start(self.dir.clone()).map_err(|e| MailError::Send {
            key: key.to_string(),
            message: format!("starting the outbox writer: {e}"),
            retryable: true,
        })?;
        // Two first sends at once may both start writers; the loser's end with their sender.
        let _ = self.writer.set(started);
        self.writer.get().ok_or_else(|| MailError::Send {
            key: key.to_string(),
            message: "the outbox writer did not start".into(),
            retryable: true,
        })
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
        self.writer(&mail.key)?
            .write(&mail.key, path.clone(), bytes)
            .await?;
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

    /// Concurrent sends share folder fsyncs: every mail is there exactly once, whole, when its
    /// send returns; one that fails (its name is taken by a folder, so its rename fails) fails
    /// alone, and none of the others is lost or left as a temp file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_sends_each_land_once_and_a_failed_one_loses_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"));
        let keys: Vec<String> = (0..40).map(|i| format!("offer#{i}")).collect();
        // offer#7's file name is a non-empty folder: its rename cannot replace it.
        let blocked = outbox.file_for("offer#7");
        std::fs::create_dir_all(blocked.join("x")).unwrap();
        let sends: Vec<_> = keys
            .iter()
            .map(|k| {
                let (o, mut m) = (outbox.clone(), mail());
                m.key = k.clone();
                tokio::spawn(async move {
                    let r = o.send(&m).await;
                    // Durable and whole by the time send returns: the file is already there.
                    if r.is_ok() {
                        let got = std::fs::read(o.file_for(&m.key)).unwrap();
                        assert_eq!(header_values(&got, "Message-ID"), [m.message_id()]);
                    }
                    (m.key.clone(), r)
                })
            })
            .collect();
        for s in sends {
            let (key, r) = s.await.unwrap();
            if key == "offer#7" {
                let e = r.unwrap_err();
                assert!(e.is_retryable(), "{e}");
            } else {
                r.unwrap();
            }
        }
        // The blocking folder is listed too (its name ends in .eml); 39 mails beside it.
        let files: Vec<_> = outbox.files().into_iter().filter(|p| p.is_file()).collect();
        assert_eq!(files.len(), 39, "{files:?}");
        for k in keys.iter().filter(|k| *k != "offer#7") {
            let got = std::fs::read(outbox.file_for(k)).unwrap();
            let mut m = mail();
            m.key = k.clone();
            assert_eq!(header_values(&got, "Message-ID"), [m.message_id()]);
        }
        let temps: Vec<String> = std::fs::read_dir(outbox.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(temps.is_empty(), "temp files left: {temps:?}");
        // The folder freed, the same key goes through on a resend.
        std::fs::remove_dir_all(&blocked).unwrap();
        let mut m = mail();
        m.key = "offer#7".into();
        outbox.send(&m).await.unwrap();
        assert_eq!(outbox.files().len(), 40);
    }
}
