//! The decorator: every port of a backend (but `admin`) behind the fault schedule, each call
//! named `port.method` and counted, failed before or after it runs as the rules say.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::schedule::Faults;
use crate::domain::{
    BookingRef, Charter, CharterDate, CharterId, CharterKey, CharterStatus, CrewId, CrewMember,
    Month, Offer, OfferId, OfferStatus, SlotNeeds, ThreadEntry,
};
use crate::ports::*;
use crate::StoreError;

/// A backend whose every port (but `admin`) goes through `faults`.
pub fn faulty(inner: &Backend, faults: Arc<Faults>) -> Backend {
    let f = Arc::new(Faulty {
        b: inner.clone(),
        f: faults,
    });
    Backend {
        charters: f.clone(),
        roster: f.clone(),
        thread: f.clone(),
        holds: f.clone(),
        offers: f.clone(),
        staffing: f.clone(),
        idempotency: f.clone(),
        leases: f.clone(),
        feed: f.clone(),
        queues: f.clone(),
        heartbeats: f.clone(),
        lease_cleanup: f,
        // Sign-in and sessions are not on the cascade's path: not under the schedule.
        ops_access: inner.ops_access.clone(),
        admin: inner.admin.clone(),
    }
}

struct Faulty {
    b: Backend,
    f: Arc<Faults>,
}

/// Delegates one port method through the fault schedule.
macro_rules! call {
    ($self:ident, $name:literal, $port:ident . $m:ident ( $($arg:expr),* )) => {{
        let n = $self.f.before($name)?;
        let r = $self.b.$port.$m($($arg),*).await;
        $self.f.after($name, n, r)
    }};
}

#[async_trait::async_trait]
impl Charters for Faulty {
    async fn insert(&self, c: &Charter) -> Result<Inserted, StoreError> {
        call!(self, "charters.insert", charters.insert(c))
    }
    async fn get_item(&self, id: &CharterId) -> Result<Option<crate::item::Item>, StoreError> {
        call!(self, "charters.get_item", charters.get_item(id))
    }
    async fn put_raw(&self, item: &crate::item::Item) -> Result<(), StoreError> {
        call!(self, "charters.put_raw", charters.put_raw(item))
    }
    async fn insert_with_ref(&self, c: &Charter, r: &BookingRef) -> Result<Inserted, StoreError> {
        call!(self, "charters.insert", charters.insert_with_ref(c, r))
    }
    async fn booking_ref(&self, id: &CharterId) -> Result<Option<BookingRef>, StoreError> {
        call!(self, "charters.booking_ref", charters.booking_ref(id))
    }
    async fn get(&self, id: &CharterId) -> Result<Option<Charter>, StoreError> {
        call!(self, "charters.get", charters.get(id))
    }
    async fn on_date(&self, d: CharterDate) -> Result<Listing<Charter>, StoreError> {
        call!(self, "charters.on_date", charters.on_date(d))
    }
    async fn assign_captain(
        &self,
        k: &CharterKey,
        c: &CrewId,
    ) -> Result<AssignOutcome, StoreError> {
        call!(
            self,
            "charters.assign_captain",
            charters.assign_captain(k, c)
        )
    }
    async fn add_crew(
        &self,
        k: &CharterKey,
        c: &CrewId,
        n: u32,
    ) -> Result<AssignOutcome, StoreError> {
        call!(self, "charters.add_crew", charters.add_crew(k, c, n))
    }
    async fn unassign(&self, k: &CharterKey, c: &CrewId) -> Result<Option<Charter>, StoreError> {
        call!(self, "charters.unassign", charters.unassign(k, c))
    }
    async fn set_status(&self, k: &CharterKey, s: CharterStatus) -> Result<bool, StoreError> {
        call!(self, "charters.set_status", charters.set_status(k, s))
    }
    async fn set_status_from(
        &self,
        k: &CharterKey,
        from: CharterStatus,
        to: CharterStatus,
    ) -> Result<bool, StoreError> {
        call!(
            self,
            "charters.set_status_from",
            charters.set_status_from(k, from, to)
        )
    }
    async fn update_booking(
        &self,
        k: &CharterKey,
        b: &Charter,
    ) -> Result<Option<Charter>, StoreError> {
        call!(
            self,
            "charters.update_booking",
            charters.update_booking(k, b)
        )
    }
    async fn delete(&self, k: &CharterKey) -> Result<(), StoreError> {
        call!(self, "charters.delete", charters.delete(k))
    }
    async fn get_marked(
        &self,
        id: &CharterId,
    ) -> Result<Option<(Charter, Option<String>)>, StoreError> {
        call!(self, "charters.get_marked", charters.get_marked(id))
    }
    async fn mark_unsettled(&self, k: &CharterKey, m: &str) -> Result<bool, StoreError> {
        call!(
            self,
            "charters.mark_unsettled",
            charters.mark_unsettled(k, m)
        )
    }
    async fn clear_unsettled(&self, k: &CharterKey, m: &str) -> Result<bool, StoreError> {
        call!(
            self,
            "charters.clear_unsettled",
            charters.clear_unsettled(k, m)
        )
    }
    async fn unsettled(&self) -> Result<Vec<crate::ports::UnsettledCharter>, StoreError> {
        call!(self, "charters.unsettled", charters.unsettled())
    }
}

#[async_trait::async_trait]
impl Roster for Faulty {
    async fn upsert_batch(&self, m: &[CrewMember]) -> Result<(), StoreError> {
        call!(self, "roster.upsert_batch", roster.upsert_batch(m))
    }
    async fn get(&self, id: &CrewId) -> Result<Option<CrewMember>, StoreError> {
        call!(self, "roster.get", roster.get(id))
    }
    async fn list(&self) -> Result<Listing<CrewMember>, StoreError> {
        call!(self, "roster.list", roster.list())
    }
    async fn revoke_links(
        &self,
        id: &CrewId,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        call!(self, "roster.revoke_links", roster.revoke_links(id, at))
    }
    async fn set_availability(
        &self,
        id: &CrewId,
        add: &[crate::domain::CharterDate],
        remove: &[crate::domain::CharterDate],
    ) -> Result<Option<CrewMember>, StoreError> {
        call!(
            self,
            "roster.set_availability",
            roster.set_availability(id, add, remove)
        )
    }
}

#[async_trait::async_trait]
impl Thread for Faulty {
    async fn append(&self, e: &ThreadEntry) -> Result<(), StoreError> {
        call!(self, "thread.append", thread.append(e))
    }
    async fn list(&self, c: &CharterId) -> Result<Vec<ThreadEntry>, StoreError> {
        call!(self, "thread.list", thread.list(c))
    }
}

#[async_trait::async_trait]
impl Holds for Faulty {
    async fn take(&self, h: &Hold) -> Result<HoldOutcome, StoreError> {
        call!(self, "holds.take", holds.take(h))
    }
    async fn loads(&self, m: Month, c: &[CrewId]) -> Result<HashMap<CrewId, u32>, StoreError> {
        call!(self, "holds.loads", holds.loads(m, c))
    }
    async fn release(
        &self,
        c: &CrewId,
        d: CharterDate,
        ch: &CharterId,
    ) -> Result<bool, StoreError> {
        call!(self, "holds.release", holds.release(c, d, ch))
    }
    async fn get(&self, c: &CrewId, d: CharterDate) -> Result<Option<Hold>, StoreError> {
        call!(self, "holds.get", holds.get(c, d))
    }
    async fn among(&self, d: CharterDate, c: &[CrewId]) -> Result<Vec<Hold>, StoreError> {
        call!(self, "holds.among", holds.among(d, c))
    }
}

#[async_trait::async_trait]
impl Offers for Faulty {
    /// Named as `offers.put`: it is the offer's put, whatever it takes along.
    async fn put_opening(&self, o: &Offer, with: OfferOpening<'_>) -> Result<bool, StoreError> {
        call!(self, "offers.put", offers.put_opening(o, with))
    }
    async fn get(&self, c: &CharterId, o: &OfferId) -> Result<Option<Offer>, StoreError> {
        call!(self, "offers.get", offers.get(c, o))
    }
    async fn for_charter(&self, c: &CharterId) -> Result<Vec<Offer>, StoreError> {
        call!(self, "offers.for_charter", offers.for_charter(c))
    }
    async fn for_crew(&self, c: &CrewId) -> Result<Vec<Offer>, StoreError> {
        call!(self, "offers.for_crew", offers.for_crew(c))
    }
    async fn transition(
        &self,
        c: &CharterId,
        o: &OfferId,
        from: OfferStatus,
        to: OfferStatus,
        at: DateTime<Utc>,
    ) -> Result<OfferTransition, StoreError> {
        call!(
            self,
            "offers.transition",
            offers.transition(c, o, from, to, at)
        )
    }
}

#[async_trait::async_trait]
impl Staffing for Faulty {
    async fn accept_as(
        &self,
        r: &AcceptRequest,
        n: Option<&SlotNeeds>,
    ) -> Result<AcceptOutcome, StoreError> {
        call!(self, "staffing.accept", staffing.accept_as(r, n))
    }
}

#[async_trait::async_trait]
impl Idempotency for Faulty {
    async fn claim(&self, c: &IdempotencyClaim) -> Result<ClaimOutcome, StoreError> {
        call!(self, "idempotency.claim", idempotency.claim(c))
    }
    async fn renew(&self, k: &str, o: &str, u: DateTime<Utc>) -> Result<bool, StoreError> {
        call!(self, "idempotency.renew", idempotency.renew(k, o, u))
    }
    async fn complete(
        &self,
        k: &str,
        o: &str,
        h: &str,
        r: Option<&str>,
        e: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        call!(
            self,
            "idempotency.complete",
            idempotency.complete(k, o, h, r, e)
        )
    }
    async fn release(&self, k: &str, o: &str) -> Result<(), StoreError> {
        call!(self, "idempotency.release", idempotency.release(k, o))
    }
    async fn get(&self, k: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        call!(self, "idempotency.get", idempotency.get(k))
    }
}

#[async_trait::async_trait]
impl Leases for Faulty {
    async fn list(&self, s: &str) -> Result<Vec<Lease>, StoreError> {
        call!(self, "leases.list", leases.list(s))
    }
    async fn acquire(
        &self,
        s: &str,
        sh: &str,
        o: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        call!(self, "leases.acquire", leases.acquire(s, sh, o, now, ttl))
    }
    async fn renew(
        &self,
        l: &Lease,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        call!(self, "leases.renew", leases.renew(l, now, ttl))
    }
    async fn checkpoint(&self, l: &Lease, seq: &str) -> Result<bool, StoreError> {
        call!(self, "leases.checkpoint", leases.checkpoint(l, seq))
    }
    async fn release(&self, l: &Lease) -> Result<(), StoreError> {
        call!(self, "leases.release", leases.release(l))
    }
}

#[async_trait::async_trait]
impl Heartbeats for Faulty {
    async fn beat(&self, beat: &Heartbeat) -> Result<(), StoreError> {
        call!(self, "heartbeats.beat", heartbeats.beat(beat))
    }
    async fn all(&self) -> Result<Vec<Heartbeat>, StoreError> {
        call!(self, "heartbeats.all", heartbeats.all())
    }
}

#[async_trait::async_trait]
impl LeaseCleanup for Faulty {
    async fn remove(&self, seen: &Lease) -> Result<bool, StoreError> {
        call!(self, "lease_cleanup.remove", lease_cleanup.remove(seen))
    }
}

#[async_trait::async_trait]
impl ChangeFeed for Faulty {
    async fn stream_name(&self) -> Result<String, StoreError> {
        call!(self, "feed.stream_name", feed.stream_name())
    }
    async fn shards(&self) -> Result<Vec<Shard>, StoreError> {
        call!(self, "feed.shards", feed.shards())
    }
    async fn iterator(&self, s: &str, at: &StartAt) -> Result<String, StoreError> {
        call!(self, "feed.iterator", feed.iterator(s, at))
    }
    async fn read(&self, it: &str, limit: u32) -> Result<FeedPage, StoreError> {
        call!(self, "feed.read", feed.read(it, limit))
    }
}

#[async_trait::async_trait]
impl Queues for Faulty {
    async fn send(&self, q: QueueId, m: &[OutMessage]) -> Result<Vec<String>, StoreError> {
        call!(self, "queues.send", queues.send(q, m))
    }
    async fn receive(
        &self,
        q: QueueId,
        max: u32,
        wait: Duration,
        vis: Duration,
    ) -> Result<Vec<Received>, StoreError> {
        call!(self, "queues.receive", queues.receive(q, max, wait, vis))
    }
    async fn delete(&self, q: QueueId, r: &[String]) -> Result<Vec<String>, StoreError> {
        call!(self, "queues.delete", queues.delete(q, r))
    }
    async fn change_visibility(&self, q: QueueId, r: &str, t: Duration) -> Result<(), StoreError> {
        call!(
            self,
            "queues.change_visibility",
            queues.change_visibility(q, r, t)
        )
    }
    async fn depth(&self, q: QueueId) -> Result<QueueDepth, StoreError> {
        call!(self, "queues.depth", queues.depth(q))
    }
    async fn peek(&self, q: QueueId, max: usize) -> Result<Vec<Received>, StoreError> {
        call!(self, "queues.peek", queues.peek(q, max))
    }
}
