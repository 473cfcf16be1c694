//! The outbox's writers: a few threads per outbox folder that write mails side by side and share
//! the folder's fsync (a group commit), so a burst of sends pays one folder fsync per group of
//! concurrent mails instead of one per mail, and no blocking-pool hand-off per mail.
//!
//! Each mail is still written atomically and is durable when its `send` returns:
//!
//! 1. its bytes go to a temp file of its own in the folder (a name no `.eml` listing matches),
//!    whose data is synced (`fdatasync`: the bytes and the size needed to read them back; the
//!    file's times need not survive);
//! 2. the temp file is renamed over the mail's `.eml` name: a reader, or a crash at any point,
//!    sees the whole old file, the whole new one, or none;
//! 3. the folder is fsynced by a sync that *started after* this rename ([`DirSync`]): a rename
//!    is durable once the folder's entry is, whichever fsync wrote it, so one fsync covers every
//!    rename done before it began. A writer whose rename came during a running fsync waits for
//!    the next one (which one of the waiters runs, for all of them).
//!
//! So no `send` returns before its own data and its own name are on disk, exactly as when each
//! mail had its own folder fsync; mails only share that last step. A mail whose write or rename
//! fails is answered with its error and holds back no other; a failed folder fsync is the error
//! of the writer that ran it (retryable: a resend overwrites the same file), and the waiters it
//! would have covered run their own.
//!
//! Writers run side by side (not one thread doing a batch's fsyncs in turn) because a data
//! fsync waits on the disk: four of them in flight keep the disk's queue full.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::MailError;

/// Writer threads per folder: as many mails written at once as the worker runs jobs by default.
const WRITERS: usize = 4;

/// Temp files of this process, numbered (with the pid: another process may write the folder).
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

struct Pending {
    target: PathBuf,
    bytes: Vec<u8>,
    reply: oneshot::Sender<Result<(), MailError>>,
}

/// The sending end of one folder's writer threads; they end when this is dropped.
#[derive(Debug)]
pub(crate) struct Committer {
    jobs: mpsc::Sender<Pending>,
}

/// What the writers of one folder share.
struct Shared {
    dir: PathBuf,
    queue: Mutex<mpsc::Receiver<Pending>>,
    dir_sync: DirSync,
}

impl Committer {
    pub(crate) fn start(dir: PathBuf) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::channel::<Pending>();
        let shared = Arc::new(Shared {
            dir,
            queue: Mutex::new(rx),
            dir_sync: DirSync::default(),
        });
        for _ in 0..WRITERS {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("dispatch-outbox".into())
                .spawn(move || run(&shared))?;
        }
        Ok(Self { jobs })
    }

    /// Writes `bytes` to `target` (in the writers' folder); returns once the file is durable.
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

fn run(shared: &Shared) {
    loop {
        let next = shared
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok(p) = next else { return };
        let _ = p.reply.send(write(shared, &p.target, &p.bytes));
    }
}

/// Steps 1 to 3 for one mail.
fn write(shared: &Shared, target: &Path, bytes: &[u8]) -> Result<(), MailError> {
    let dir = shared.dir.as_path();
    dispatch_core::private_fs::create_dir(dir).map_err(io_err(dir))?;
    write_and_rename(dir, target, bytes)?;
    shared.dir_sync.sync(dir).map_err(io_err(dir))
}

/// The folder's fsyncs, shared: each caller returns after an fsync that began after its call.
#[derive(Default)]
struct DirSync {
    state: Mutex<SyncState>,
    done: Condvar,
}

#[derive(Default)]
struct SyncState {
    /// Tickets handed out (one a call), and the highest one a finished fsync covers.
    issued: u64,
    synced: u64,
    running: bool,
}

impl DirSync {
    fn sync(&self, dir: &Path) -> std::io::Result<()> {
        let lock = || self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut s = lock();
        s.issued += 1;
        let me = s.issued;
        loop {
            if s.synced >= me {
                return Ok(());
            }
            if s.running {
                s = self.done.wait(s).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // Every ticket issued so far belongs to a rename already done: this fsync covers it.
            s.running = true;
            let covers = s.issued;
            drop(s);
            let r = std::fs::File::open(dir).and_then(|d| d.sync_all());
            s = lock();
            s.running = false;
            if r.is_ok() {
                s.synced = s.synced.max(covers);
            }
            self.done.notify_all();
            // On failure the waiters it would have covered find no fsync running and run
            // their own.
            return r;
        }
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> MailError + '_ {
    move |source| MailError::Io {
        path: path.to_path_buf(),
        source,
    }
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
