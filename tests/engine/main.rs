//! The event engine, on both backends: the stream consumer (stream → router → queue, leases and
//! take-over, retries, dead letters, replay), the workers (crashes, poison, batches, shutdown),
//! claims of live owners, and the Lambda handlers. Time-dependent steps poll with deadlines;
//! nothing sleeps blindly. The consumer and queue builders the modules share are here.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod claims;
mod claims_load;
mod doubles;
mod feeds;
mod lambda;
mod leases;
mod replay;
mod stream;
mod stream_consumer;
mod worker;
mod worker_batches;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::ports::*;
use dispatch_ingest::consumer::{Consumer, ConsumerConfig, RecordHandler, RouterHandler};
use dispatch_ingest::sink::QueueSink;

use crate::common::World;

/// A booked charter on `date` aboard Marlin for 8 guests, with revenue.
fn charter(date: &str) -> Charter {
    Charter {
        charter_id: CharterId::new_random(),
        created_at: Utc::now().to_rfc3339(),
        charter_date: CharterDate::parse(date).unwrap(),
        vessel_name: "Marlin".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: 8,
        guest_names: vec![],
        reportable_revenue: Money::parse("900").unwrap(),
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: None,
    }
}

/// A consumer configuration with short leases, pauses and retries.
fn fast(owner: &str) -> ConsumerConfig {
    ConsumerConfig {
        lease_ttl: Duration::from_secs(2),
        rebalance_every: Duration::from_millis(200),
        idle_sleep: Duration::from_millis(50),
        idle_max: Duration::from_millis(50),
        retry_base: Duration::from_millis(10),
        retry_max: Duration::from_millis(200),
        ..ConsumerConfig::new(owner)
    }
}

/// The production record handler: route changes to jobs on the queues.
fn router(w: &World) -> Arc<dyn RecordHandler> {
    Arc::new(RouterHandler {
        sink: Arc::new(QueueSink {
            queues: w.backend.queues.clone(),
            idempotency: w.backend.idempotency.clone(),
            config: IdempotencyConfig::default(),
        }),
    })
}

/// A [`fast`] consumer of the world's feed named `owner`.
fn consumer(w: &World, owner: &str, handler: Arc<dyn RecordHandler>) -> Consumer {
    Consumer::for_backend(&w.backend, handler, fast(owner))
}

/// Receives everything currently on a queue (and deletes it).
async fn take_all(w: &World, q: QueueId) -> Vec<Received> {
    let mut out = Vec::new();
    loop {
        let got = w
            .backend
            .queues
            .receive(q, 10, Duration::from_millis(500), Duration::from_secs(30))
            .await
            .unwrap();
        if got.is_empty() {
            return out;
        }
        let receipts: Vec<String> = got.iter().map(|m| m.receipt.clone()).collect();
        w.backend.queues.delete(q, &receipts).await.unwrap();
        out.extend(got);
    }
}

/// Rebalances and polls `c` until `done(records seen so far)`, for at most 20 s.
async fn poll_until(c: &mut Consumer, what: &str, mut done: impl FnMut(usize) -> bool) {
    let mut total = 0;
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        c.rebalance().await.unwrap();
        total += c.poll_once().await.unwrap().records;
        if done(total) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "timed out waiting for {what} ({total} records seen)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
