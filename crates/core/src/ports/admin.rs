//! Creating and checking the tables and queues: `dispatch bootstrap` and `dispatch doctor`.

use crate::StoreError;

/// What `bootstrap` did to one table or queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provisioned {
    Created,
    AlreadyThere,
}

/// One line of `dispatch doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `table crew-dispatch`, `queue cascade`, ...
    pub subject: String,
    /// `None` when all is well, else what is wrong and what to do.
    pub problem: Option<String>,
}

/// Creating and checking the tables and queues.
#[async_trait::async_trait]
pub trait Admin: Send + Sync {
    /// Creates every table and queue that is missing; safe to run again.
    async fn bootstrap(&self) -> Result<Vec<(String, Provisioned)>, StoreError>;
    /// Checks every table and queue exists with the right shape.
    async fn doctor(&self) -> Result<Vec<Check>, StoreError>;
    /// Short description of where this backend keeps its data.
    fn describe(&self) -> String;
}
