//! Ports: what the domain needs from storage and queues, in the domain's words.
//!
//! Each trait is implemented twice, by [`crate::aws`] (DynamoDB, DynamoDB Streams, SQS) and by
//! [`crate::local`] (one SQLite file), and both are held to the same contract by the conformance
//! suite in `tests/conformance.rs`. Domain code holds them as `Arc<dyn Port>` inside a [`Backend`].

mod admin;
mod charters;
mod feed;
mod holds;
mod idempotency;
mod lease_cleanup;
mod leases;
mod offers;
mod queues;
mod roster;
mod staffing;
mod thread;

use std::sync::Arc;

pub use admin::{Admin, Check, Provisioned};
pub use charters::{
    booking_sets_status, captain_rejection, crew_rejection, newest_versions, AssignOutcome,
    AssignRejection, Charters, Inserted, BOOKING_ATTRS,
};
pub use feed::{sequence_cmp, ChangeFeed, ChangeKind, ChangeRecord, FeedPage, Shard, StartAt};
pub use holds::{Hold, HoldOutcome, Holds};
pub use idempotency::{
    blocked_outcome, blocks_claim, completable_by, takes_over, ClaimOutcome, Guard, Idempotency,
    IdempotencyClaim, IdempotencyRecord, IdempotencyStatus, IdempotencyStore, Swap,
};
pub use lease_cleanup::LeaseCleanup;
pub use leases::{Lease, Leases, SHARD_END};
pub use offers::{OfferTransition, Offers};
pub use queues::{queues_max_delay, OutMessage, QueueDepth, QueueId, Queues, Received, MAX_DELAY};
pub use roster::Roster;
pub use staffing::{accept_rejection, AcceptOutcome, AcceptRequest, Staffing};
pub use thread::Thread;

use crate::item::ItemError;

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
