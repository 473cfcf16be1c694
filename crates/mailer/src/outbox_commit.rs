//! The outbox's writer: one thread per outbox folder that writes mails in batches (a group
//! commit), so a burst of sends pays one folder fsync per batch instead of one per mail, and no
//! blocking-pool hand-off per mail.
//!
//! Each mail is still written atomically and is durable when its `send` returns:
//!
//! 1. its bytes go to a temp file of its own in the folder (a name no `.eml` listing matches),
//!    whose data is synced (`fdatasync`: the bytes and the size needed to read them back; the
//!    file's times need not survive);
//! 2. the temp file is renamed over the mail's `.eml` name: a reader, or a crash at any point,
//!    sees the whole old file, the whole new one, or none;
//! 3. once every mail of the batch is renamed, one fsync of the folder makes all those renames
//!    durable together (a rename is durable once the folder's entry is, whichever rename it was
//!    that changed the entry); only then is any sender of the batch answered.
//!
//! So no `send` returns before its own data and its own name are on disk, exactly as when each
//! mail had its own folder fsync; the batch only shares the last step. A mail that fails (its
//! write or rename) is answered with its error at once and does not hold back the others; if
//! the folder fsync fails, every mail of the batch is answered with that error (retryable: a
//! resend overwrites the same file).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::MailError;

/// Mails written per batch at most: a bound on how long the first of them waits.
const MAX_BATCH: usize = 64;

/// Temp files of this process, numbered (with the pid: another process may write the folder).
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

struct Pending {
    target: PathBuf,
    bytes: Vec<u8>,
    reply: oneshot::Sender<Result<(), MailError>>,
}

/// The sending end of one folder's writer thread; the thread ends when this is dropped.
#[derive(Debug)]
pub(crate) struct Committer {
    jobs: mpsc::Sender<Pending>,
}

impl Committer {
    pub(crate) fn start(dir: PathBuf) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::channel::<Pending>();
        std::thread::Builder::new()
            .name("dispatch-outbox".into())
            .spawn(move || run(&dir, &rx))?;
        Ok(Self { jobs })
    }

    /// Writes `bytes` to `target` (in the writer's folder); returns once the file is durable.
    pub(crate) async fn write(
        &self,
        key: &str,
        target: PathBuf,
        bytes: Vec<u8>,
    ) -> Result<(), MailError> {
        let gone = || MailError::Send {
            key: key.to_string(),
            message: "the outbox writer has stopped".into(),
            retryable: true,
        };
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Pending {
                target,
                bytes,
                reply,
            })
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn run(dir: &Path, rx: &mpsc::Receiver<Pending>) {
    while let Ok(first) = rx.recv() {
        // Whatever queued up while the last batch was being synced goes in this one.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        commit(dir, batch);
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> MailError + '_ {
    move |source| MailError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a batch: each mail staged and renamed (steps 1 and 2), then one folder fsync (step 3)
/// before any of the renamed ones is answered.
fn commit(dir: &Path, batch: Vec<Pending>) {
    if let Err(e) = dispatch_core::private_fs::create_dir(dir) {
        for p in batch {
            let _ = p.reply.send(Err(io_err(dir)(copy_err(&e))));
        }
        return;
    }
    let mut renamed = Vec::with_capacity(batch.len());
    for p in batch {
        match write_and_rename(dir, &p.target, &p.bytes) {
            Ok(()) => renamed.push(p.reply),
            Err(e) => {
                let _ = p.reply.send(Err(e));
            }
        }
    }
    if renamed.is_empty() {
        return;
    }
    let synced = std::fs::File::open(dir).and_then(|d| d.sync_all());
    for reply in renamed {
        let _ = reply.send(match &synced {
            Ok(()) => Ok(()),
            Err(e) => Err(io_err(dir)(copy_err(e))),
        });
    }
}

fn copy_err(e: &std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), e.to_string())
}

/// Steps 1 and 2 for one mail: a temp file of its own, its data synced, renamed over `target`.
/// Concurrent writers of the same key each have their own temp file; the last rename wins with
/// complete bytes. A failed write removes its temp file.
fn write_and_rename(dir: &Path, target: &Path, bytes: &[u8]) -> Result<(), MailError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let seq = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{seq}.tmp", std::process::id()));
    let written = (|| -> Result<(), MailError> {
        let mut f = dispatch_core::private_fs::new_file()
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_data().map_err(io_err(&tmp))?;
        std::fs::rename(&tmp, target).map_err(io_err(target))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
