//! Every port of one backend in one value, built once at start-up and shared by domain code.

use std::sync::Arc;

use super::admin::Admin;
use super::charters::Charters;
use super::feed::ChangeFeed;
use super::heartbeats::Heartbeats;
use super::holds::Holds;
use super::idempotency::Idempotency;
use super::lease_cleanup::LeaseCleanup;
use super::leases::Leases;
use super::offers::Offers;
use super::ops_access::OpsAccess;
use super::queues::Queues;
use super::roster::Roster;
use super::staffing::Staffing;
use super::thread::Thread;

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
    /// When each part last ran and what it did.
    pub heartbeats: Arc<dyn Heartbeats>,
    /// The ops board's sign-in links and sessions.
    pub ops_access: Arc<dyn OpsAccess>,
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
            + Heartbeats
            + OpsAccess
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
            heartbeats: adapter.clone(),
            ops_access: adapter.clone(),
            admin: adapter,
        }
    }
}
