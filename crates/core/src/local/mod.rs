//! The embedded backend: every port on one SQLite file (`<data_dir>/dispatch.sqlite3`).
//!
//! One module per port, named like the port's module in [`crate::ports`]: `charters`, `roster`,
//! `thread`, `holds`, `offers`, `staffing`, `idempotency` (storage only: the claim rules are the
//! port's), `leases`, `lease_cleanup`, `heartbeats`, `ops_access` (the ops board's sign-in links and
//! sessions), `feed` (the change feed as one never-closing shard, read
//! by position), `queues` (SQS semantics: delay, visibility timeout, receive count, DLQ after
//! max receives) and `admin` (bootstrap and doctor). Every condition DynamoDB would check is
//! checked inside one IMMEDIATE transaction. What they share, each in its own module:
//!
//! - this module: the handle ([`Local`]) and the real table names;
//! - `db`: schema, the shared connection, and a generic item store (`tbl`, `pk`, `sk`,
//!   DynamoDB-JSON body) with a date index for the charters GSI. Every charter write appends to
//!   the change feed in the same transaction (a transactional outbox), so the feed never misses
//!   or invents a change;
//! - `charter_table`: the charter item changes the charters and staffing ports share.

mod admin;
mod charter_table;
mod charters;
mod db;
mod db_thread;
mod feed;
mod heartbeats;
mod holds;
mod idempotency;
mod lease_cleanup;
mod leases;
mod offers;
mod ops_access;
mod queue_peek;
mod queues;
mod roster;
mod staffing;
mod thread;
mod unsettled;

use std::sync::Arc;

use crate::config::tables as base;
use crate::ports::Backend;
use crate::{Settings, StoreError};

pub use db::Db;

/// Real table and queue names for one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub prefix: String,
    pub charters: String,
    pub roster: String,
    pub chats: String,
    pub state: String,
    pub max_receive_count: u32,
}

impl Names {
    fn new(prefix: &str, max_receive_count: u32) -> Self {
        Self {
            prefix: prefix.to_string(),
            charters: format!("{prefix}{}", base::CHARTERS),
            roster: format!("{prefix}{}", base::ROSTER),
            chats: format!("{prefix}{}", base::CHATS),
            state: format!("{prefix}{}", base::STATE),
            max_receive_count,
        }
    }
}

/// The embedded backend's state, shared by all its ports.
#[derive(Clone)]
pub struct Local {
    pub(crate) db: Db,
    pub(crate) names: Arc<Names>,
    pub(crate) path: String,
}

impl Local {
    /// Opens (creating if needed) the database file.
    pub fn open_path(
        path: &std::path::Path,
        prefix: &str,
        max_receive_count: u32,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            db: Db::open(path)?,
            names: Arc::new(Names::new(prefix, max_receive_count)),
            path: path.display().to_string(),
        })
    }

    /// All ports of this backend.
    pub fn backend(&self) -> Backend {
        Backend::from_adapter(Arc::new(self.clone()))
    }
}

/// The database file under a data directory.
pub fn database_path(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("dispatch.sqlite3")
}

/// Opens the embedded backend the settings describe.
pub fn open(settings: &Settings) -> Result<Backend, StoreError> {
    Ok(Local::open_path(
        &database_path(&settings.data_dir),
        &settings.prefix,
        settings.max_receive_count,
    )?
    .backend())
}
