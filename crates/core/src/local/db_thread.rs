//! The thread the embedded database runs on: one long-lived thread owns the connection and runs
//! each transaction sent to it, in order.
//!
//! Why not `spawn_blocking` per transaction, as before: the connection is one, so transactions
//! ran one at a time anyway, but each took a blocking-pool thread (woken through a futex, then
//! contending for the connection's mutex with the others), and the hand-offs cost more CPU than
//! many of the transactions themselves (futex and scheduler ~15 % of a burst's samples). One
//! thread fed by a channel drains a queue of transactions without sleeping while there is work;
//! a caller waits on a oneshot reply. What a transaction promises is unchanged: it commits or
//! rolls back whole, on the same connection, and one whose caller stops waiting (a dropped
//! future) still runs to its end, as a started blocking task did.

use std::sync::mpsc;

use rusqlite::Connection;

use crate::StoreError;

/// A transaction to run, with its reply inside.
pub(crate) type Job = Box<dyn FnOnce(&mut Connection) + Send + 'static>;

/// Starts the thread that owns `conn`; it ends when the last sender is dropped (every clone of
/// the `Db` gone).
pub(crate) fn start(mut conn: Connection) -> Result<mpsc::Sender<Job>, StoreError> {
    let (jobs, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("dispatch-sqlite".into())
        .spawn(move || {
            for job in rx {
                // A panic inside a transaction rolls it back (the transaction is dropped while
                // unwinding) and drops its reply, so its caller gets an error; the thread
                // carries on with the next one, as the blocking pool did.
                let run = std::panic::AssertUnwindSafe(|| job(&mut conn));
                if std::panic::catch_unwind(run).is_err() {
                    tracing::error!("a database transaction panicked; it was rolled back");
                }
            }
        })
        .map_err(|e| StoreError::backend("starting the database thread", false, e))?;
    Ok(jobs)
}
