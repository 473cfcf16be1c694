//! Ports: what the domain needs from storage and queues, in the domain's words.
//!
//! Each trait is implemented twice, by [`crate::aws`] (DynamoDB, DynamoDB Streams, SQS) and by
//! [`crate::local`] (one SQLite file), and both are held to the same contract by the conformance
//! suite in `tests/conformance.rs`. Domain code holds them as `Arc<dyn Port>` inside a [`Backend`].

mod charters;
mod feed;
mod lease_cleanup;
mod queues;
mod roster;
mod staffing;
mod state;
mod thread;

use std::sync::Arc;

pub use charters::{
    booking_sets_status, captain_rejection, crew_rejection, newest_versions, AssignOutcome,
    AssignRejection, Charters, Inserted, BOOKING_ATTRS,
};
pub use charters::{unsettled_mark, UnsettledCharter};
pub use feed::{sequence_cmp, ChangeFeed, ChangeKind, ChangeRecord, FeedPage, Shard, StartAt};
pub use lease_cleanup::LeaseCleanup;
pub use queues::{OutMessage, QueueDepth, QueueId, Queues, Received, MAX_DELAY};

/// SQS's longest delay (15 minutes).
pub fn queues_max_delay() -> std::time::Duration {
    MAX_DELAY
}
pub use roster::Roster;
pub use staffing::{accept_rejection, AcceptOutcome, AcceptRequest, Staffing};
pub use state::{
    blocked_outcome, blocks_claim, completable_by, takes_over, ClaimOutcome, Hold, HoldOutcome,
    Holds, Idempotency, IdempotencyClaim, IdempotencyRecord, IdempotencyStatus, Lease, Leases,
    OfferTransition, Offers, SHARD_END,
};
pub use thread::Thread;

use crate::item::ItemError;
use crate::StoreError;

/// Items read from a table, and the records that were skipped because of their shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// Records of the wrong shape, each naming its key and attribute. They are also logged.
    pub skipped: Vec<ItemError>,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

impl<T> Listing<T> {
    /// Parses items, keeping the good ones and naming (and logging) the ones of the wrong shape.
    pub fn parse(
        items: Vec<crate::item::Item>,
        parse: impl Fn(&crate::item::Item) -> Result<T, ItemError>,
    ) -> Self {
        let mut out = Listing {
            items: Vec::with_capacity(items.len()),
            skipped: Vec::new(),
        };
        for item in &items {
            match parse(item) {
                Ok(v) => out.items.push(v),
                Err(e) => {
                    tracing::warn!(record = %e.key, attribute = %e.attribute, problem = %e.problem, "skipping record of the wrong shape");
                    out.skipped.push(e);
                }
            }
        }
        out
    }

    pub fn merge(&mut self, other: Listing<T>) {
        self.items.extend(other.items);
        self.skipped.extend(other.skipped);
    }
}

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

/// Every port of one backend, built once at start-up and shared.
#[derive(Clone)]
pub struct Backend {
    pub charters: Arc<dyn Charters>,
    pub roster: Arc<dyn Roster>,
    pub thread: Arc<dyn Thread>,
    pub holds: Arc<dyn Holds>,
    pub offers: Arc<dyn Offers>,
    pub staffing: Arc<dyn Staffing>,
    pub idempotency: Arc<dyn Idempotency>,
    pub leases: Arc<dyn Leases>,
    /// Deleting lease rows nobody needs (stopped consumers' heartbeats, finished shards).
    pub lease_cleanup: Arc<dyn LeaseCleanup>,
    pub feed: Arc<dyn ChangeFeed>,
    pub queues: Arc<dyn Queues>,
    pub admin: Arc<dyn Admin>,
}

impl Backend {
    /// A backend whose every port is the same adapter value.
    pub fn from_adapter<A>(adapter: Arc<A>) -> Self
    where
        A: Charters
            + Roster
            + Thread
            + Holds
            + Offers
            + Staffing
            + Idempotency
            + Leases
            + LeaseCleanup
            + ChangeFeed
            + Queues
            + Admin
            + 'static,
    {
        Backend {
            charters: adapter.clone(),
            roster: adapter.clone(),
            thread: adapter.clone(),
            holds: adapter.clone(),
            offers: adapter.clone(),
            staffing: adapter.clone(),
            idempotency: adapter.clone(),
            leases: adapter.clone(),
            lease_cleanup: adapter.clone(),
            feed: adapter.clone(),
            queues: adapter.clone(),
            admin: adapter,
        }
    }
}
