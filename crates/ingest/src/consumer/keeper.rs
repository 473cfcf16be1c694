//! One held lease, renewed by its own task on a fixed period, whatever the records cost.
//!
//! Renewals and checkpoints both name the lease's counter, and a renewal bumps it, so the two
//! are serialised through one lock: a checkpoint never races a renewal into a false "lost".

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dispatch_core::clock::Clock;
use dispatch_core::ports::{Lease, Leases, SHARD_END};
use dispatch_core::StoreError;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tracing::Instrument;

struct Shared {
    clock: Arc<dyn Clock>,
    lease: Mutex<Lease>,
    lost: AtomicBool,
    /// The lease's expiry (epoch ms), readable without the lock.
    expires_ms: AtomicI64,
}

/// A held lease and the task renewing it. Dropping it stops the renewals (the lease then lapses
/// on its own, as when the process dies).
pub(crate) struct LeaseKeeper {
    leases: Arc<dyn Leases>,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl LeaseKeeper {
    /// Starts renewing `lease` every `every`, each renewal extending it by `ttl`.
    pub(crate) fn start(
        leases: Arc<dyn Leases>,
        clock: Arc<dyn Clock>,
        lease: Lease,
        ttl: chrono::Duration,
        every: Duration,
    ) -> Self {
        let span = tracing::info_span!("lease", shard_id = %lease.shard_id, owner = %lease.owner);
        let shared = Arc::new(Shared {
            clock,
            expires_ms: AtomicI64::new(lease.expires_at.timestamp_millis()),
            lease: Mutex::new(lease),
            lost: AtomicBool::new(false),
        });
        let task =
            tokio::spawn(renew_loop(leases.clone(), shared.clone(), ttl, every).instrument(span));
        Self {
            leases,
            shared,
            task,
        }
    }

    /// Whether the lease is still ours: not lost, and not past its expiry by this clock.
    pub(crate) fn is_held(&self) -> bool {
        !self.shared.lost.load(Ordering::SeqCst)
            && self.shared.expires_ms.load(Ordering::SeqCst)
                > self.shared.clock.now().timestamp_millis()
    }

    /// The checkpoint as last written (or as found when the lease was taken).
    pub(crate) async fn checkpoint_value(&self) -> Option<String> {
        self.shared.lease.lock().await.checkpoint.clone()
    }

    /// Moves the checkpoint; false (and the lease counts as lost) if someone else has it now.
    pub(crate) async fn checkpoint(&self, sequence: &str) -> Result<bool, StoreError> {
        let mut lease = self.shared.lease.lock().await;
        if self.shared.lost.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let ok = self.leases.checkpoint(&lease, sequence).await?;
        if ok {
            lease.checkpoint = Some(sequence.to_string());
        } else {
            self.shared.lost.store(true, Ordering::SeqCst);
        }
        Ok(ok)
    }

    /// Gives the lease up (keeping the checkpoint) and stops renewing it.
    pub(crate) async fn release(&self) {
        self.task.abort();
        let lease = self.shared.lease.lock().await;
        if self.shared.lost.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Err(e) = self.leases.release(&lease).await {
            tracing::warn!(shard_id = %lease.shard_id, error = %e, "could not release lease; it expires on its own");
        }
    }

    /// Marks the shard read to its end and gives the lease up. False if the lease was lost first.
    pub(crate) async fn finish(&self) -> Result<bool, StoreError> {
        if !self.checkpoint(SHARD_END).await? {
            return Ok(false);
        }
        self.release().await;
        Ok(true)
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn renew_loop(
    leases: Arc<dyn Leases>,
    shared: Arc<Shared>,
    ttl: chrono::Duration,
    every: Duration,
) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let mut lease = shared.lease.lock().await;
        if shared.lost.load(Ordering::SeqCst) {
            return;
        }
        match leases.renew(&lease, shared.clock.now(), ttl).await {
            Ok(Some(renewed)) => {
                shared
                    .expires_ms
                    .store(renewed.expires_at.timestamp_millis(), Ordering::SeqCst);
                *lease = renewed;
            }
            Ok(None) => {
                tracing::warn!("lease lost; another consumer has the shard");
                shared.lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, expires_at = %lease.expires_at, "renewing lease failed; trying again next period");
            }
        }
    }
}
