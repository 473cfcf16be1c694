//! Faults as an input: a [`Backend`] decorator that fails chosen calls of chosen ports with
//! retryable errors, the way a throttled or briefly unreachable DynamoDB or SQS would, on either
//! adapter. Tests say which calls fail — the `n`th call of a method, every call for a while, or
//! each call with a probability from a seeded generator — and whether the failure comes before
//! the call (nothing happened) or after it (it happened, but the caller never heard: a lost
//! response). Flows that promise "nothing lost, nothing twice" are tested through it.
//!
//! Methods are named `port.method`: `charters.get`, `offers.put`, `idempotency.claim`,
//! `queues.send`, ... A rule names a method or a prefix of one (`offers.`, or `` for all).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::{
    Charter, CharterDate, CharterId, CharterKey, CharterStatus, CrewId, CrewMember, Month, Offer,
    OfferId, OfferStatus, ThreadEntry,
};
use crate::ports::*;
use crate::StoreError;

/// When a rule fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// The `n`th matching call (1-based), once.
    Nth(u64),
    /// Every matching call.
    Always,
    /// Each matching call with this probability (seeded: the same seed, the same schedule).
    Probability(f64),
}

/// One failure rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// A method (`offers.put`) or a prefix (`offers.`; empty for every method).
    pub method: String,
    pub when: When,
    /// Fail after the call went through (the caller does not learn that it did).
    pub after: bool,
}

/// The schedule of faults shared by every port of a decorated backend.
#[derive(Debug)]
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
    calls: Mutex<HashMap<String, u64>>,
    rng: Mutex<u64>,
    enabled: AtomicBool,
    injected: AtomicU64,
}

impl Faults {
    pub fn new(seed: u64) -> Arc<Self> {
        Arc::new(Self {
            rules: Mutex::new(Vec::new()),
            calls: Mutex::new(HashMap::new()),
            rng: Mutex::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            enabled: AtomicBool::new(true),
            injected: AtomicU64::new(0),
        })
    }

    /// Adds a rule failing before the call.
    pub fn fail(&self, method: &str, when: When) -> &Self {
        self.add(Rule {
            method: method.into(),
            when,
            after: false,
        })
    }

    /// Adds a rule failing after the call went through (a lost response).
    pub fn fail_after(&self, method: &str, when: When) -> &Self {
        self.add(Rule {
            method: method.into(),
            when,
            after: true,
        })
    }

    pub fn add(&self, rule: Rule) -> &Self {
        if let Ok(mut r) = self.rules.lock() {
            r.push(rule);
        }
        self
    }

    /// Removes every rule (the outage is over).
    pub fn clear(&self) {
        if let Ok(mut r) = self.rules.lock() {
            r.clear();
        }
    }

    /// Turns every rule off or on again without forgetting them.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::SeqCst);
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    fn next_f64(&self) -> f64 {
        let Ok(mut s) = self.rng.lock() else {
            return 1.0;
        };
        // xorshift64*
        let mut x = *s;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *s = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether the call to `method` (its `n`th) fails at this `phase`.
    fn fires(&self, method: &str, after: bool, n: u64) -> bool {
        if !self.enabled.load(Ordering::SeqCst) {
            return false;
        }
        let rules = match self.rules.lock() {
            Ok(r) => r.clone(),
            Err(_) => return false,
        };
        rules.iter().any(|r| {
            r.after == after
                && method.starts_with(&r.method)
                && match r.when {
                    When::Nth(k) => k == n,
                    When::Always => true,
                    When::Probability(p) => self.next_f64() < p,
                }
        })
    }

    fn error(&self, method: &str, after: bool) -> StoreError {
        self.injected.fetch_add(1, Ordering::SeqCst);
        let what = if after {
            "injected fault after the call (the response was lost)"
        } else {
            "injected fault (throttled)"
        };
        StoreError::backend(method, true, what)
    }

    /// Counts a call and fails it before it runs if a rule says so; returns the call's number.
    pub fn before(&self, method: &str) -> Result<u64, StoreError> {
        let n = match self.calls.lock() {
            Ok(mut c) => {
                let e = c.entry(method.to_string()).or_insert(0);
                *e += 1;
                *e
            }
            Err(_) => 0,
        };
        if self.fires(method, false, n) {
            return Err(self.error(method, false));
        }
        Ok(n)
    }

    /// After the call ran: fails it if a rule says so (its effect stays).
    pub fn after<T>(
        &self,
        method: &str,
        n: u64,
        r: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if r.is_ok() && self.fires(method, true, n) {
            return Err(self.error(method, true));
        }
        r
    }
}

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
        lease_cleanup: f,
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
    async fn put(&self, o: &Offer) -> Result<bool, StoreError> {
        call!(self, "offers.put", offers.put(o))
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
    async fn accept(&self, r: &AcceptRequest) -> Result<AcceptOutcome, StoreError> {
        call!(self, "staffing.accept", staffing.accept(r))
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
}
