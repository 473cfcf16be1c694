//! `Worker::run` in batches: it receives ahead of its concurrency and deletes in batches, and at
//! shutdown hands back at once what it received but never started.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dispatch_core::domain::*;
use dispatch_core::ports::*;
use dispatch_core::StoreError;
use dispatch_ingest::worker::{JobError, JobHandler, Worker, WorkerConfig};

use crate::common::{eventually, World};

both!(
    worker_receives_ahead_and_deletes_in_batches,
    worker_hands_back_unstarted_messages_at_shutdown,
);

/// Queues that record each delete call's size and can hold the first delete until let go.
struct Watched {
    inner: Arc<dyn Queues>,
    deletes: Mutex<Vec<usize>>,
    hold_first_delete: tokio::sync::Semaphore,
}

#[async_trait::async_trait]
impl Queues for Watched {
    async fn send(&self, q: QueueId, m: &[OutMessage]) -> Result<Vec<String>, StoreError> {
        self.inner.send(q, m).await
    }
    async fn receive(
        &self,
        q: QueueId,
        max: u32,
        wait: Duration,
        vis: Duration,
    ) -> Result<Vec<Received>, StoreError> {
        self.inner.receive(q, max, wait, vis).await
    }
    async fn delete(&self, q: QueueId, r: &[String]) -> Result<Vec<String>, StoreError> {
        let first = {
            let mut d = self.deletes.lock().unwrap();
            d.push(r.len());
            d.len() == 1
        };
        if first {
            let _ = self.hold_first_delete.acquire().await.unwrap();
        }
        self.inner.delete(q, r).await
    }
    async fn change_visibility(&self, q: QueueId, r: &str, t: Duration) -> Result<(), StoreError> {
        self.inner.change_visibility(q, r, t).await
    }
    async fn depth(&self, q: QueueId) -> Result<QueueDepth, StoreError> {
        self.inner.depth(q).await
    }
}

/// Counts runs; each run waits for a permit of `gate`.
struct Turnstile {
    started: AtomicUsize,
    done: AtomicUsize,
    gate: tokio::sync::Semaphore,
}

#[async_trait::async_trait]
impl JobHandler for Turnstile {
    async fn handle(&self, _job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.gate.acquire().await.unwrap().forget();
        self.done.fetch_add(1, Ordering::SeqCst);
        Ok(serde_json::json!(null))
    }
}

/// Sends `n` statements jobs keyed `<tag>-<i>` to `reports`; returns their keys.
async fn send_jobs(w: &World, n: usize, tag: &str) -> Vec<String> {
    let keys: Vec<String> = (0..n).map(|i| format!("{tag}-{i}")).collect();
    let msgs: Vec<OutMessage> = keys
        .iter()
        .map(|k| {
            OutMessage::new(
                JobEnvelope::new(JobKind::Statements, k.clone(), serde_json::json!({})).to_body(),
            )
        })
        .collect();
    w.backend
        .queues
        .send(QueueId::Reports, &msgs)
        .await
        .unwrap();
    keys
}

/// `Worker::run` receives while its jobs run (up to one batch beyond its concurrency, kept
/// invisible), and deletes what is done in batches rather than one call per message.
pub async fn worker_receives_ahead_and_deletes_in_batches(w: &World) {
    let queues = Arc::new(Watched {
        inner: w.backend.queues.clone(),
        deletes: Mutex::default(),
        hold_first_delete: tokio::sync::Semaphore::new(0),
    });
    let handler = Arc::new(Turnstile {
        started: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        gate: tokio::sync::Semaphore::new(0),
    });
    let worker = Arc::new(Worker::new(
        QueueId::Reports,
        queues.clone(),
        w.backend.idempotency.clone(),
        handler.clone(),
        WorkerConfig {
            concurrency: 2,
            wait: Duration::from_secs(1),
            ..WorkerConfig::default()
        },
    ));
    let keys = send_jobs(w, 12, "ahead").await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let run = tokio::spawn(worker.clone().run(stopped));
    // Two run, the other ten were received ahead and wait, invisible.
    eventually(
        "two jobs running and ten waiting",
        Duration::from_secs(20),
        || async {
            let d = w.backend.queues.depth(QueueId::Reports).await.unwrap();
            (handler.started.load(Ordering::SeqCst) == 2 && d.visible == 0 && d.in_flight == 12)
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        handler.started.load(Ordering::SeqCst),
        2,
        "never more than the concurrency at once"
    );
    // Let every job through; the first delete is held, so the others queue up behind it.
    handler.gate.add_permits(12);
    eventually("every job completed", Duration::from_secs(30), || async {
        for k in &keys {
            let r = w
                .backend
                .idempotency
                .get(&format!("job#{k}"))
                .await
                .unwrap()?;
            (r.status == IdempotencyStatus::Completed).then_some(())?;
        }
        Some(())
    })
    .await;
    queues.hold_first_delete.add_permits(1);
    eventually("the queue to empty", Duration::from_secs(30), || async {
        (w.backend.queues.depth(QueueId::Reports).await.unwrap() == QueueDepth::default())
            .then_some(())
    })
    .await;
    let deletes = queues.deletes.lock().unwrap().clone();
    assert_eq!(
        deletes.iter().sum::<usize>(),
        12,
        "each message deleted once: {deletes:?}"
    );
    assert!(
        deletes.len() < 12 && deletes.iter().any(|&n| n > 1),
        "deletes were batched: {deletes:?}"
    );
    assert_eq!(handler.done.load(Ordering::SeqCst), 12);
    stop.send(true).unwrap();
    run.await.unwrap();
}

/// At shutdown, messages received ahead that never started are made visible at once for
/// another worker; they are not run on the way out.
pub async fn worker_hands_back_unstarted_messages_at_shutdown(w: &World) {
    let handler = Arc::new(Turnstile {
        started: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        gate: tokio::sync::Semaphore::new(0),
    });
    let worker = Arc::new(Worker::new(
        QueueId::Reports,
        w.backend.queues.clone(),
        w.backend.idempotency.clone(),
        handler.clone(),
        WorkerConfig {
            concurrency: 1,
            wait: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(20),
            ..WorkerConfig::default()
        },
    ));
    send_jobs(w, 5, "unstarted").await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let run = tokio::spawn(worker.clone().run(stopped));
    eventually(
        "one job running, four waiting",
        Duration::from_secs(20),
        || async {
            let d = w.backend.queues.depth(QueueId::Reports).await.unwrap();
            (handler.started.load(Ordering::SeqCst) == 1 && d.in_flight == 5).then_some(())
        },
    )
    .await;
    stop.send(true).unwrap();
    // The running job may finish within the grace; its permit must not start a waiting one.
    handler.gate.add_permits(5);
    run.await.unwrap();
    assert_eq!(
        handler.started.load(Ordering::SeqCst),
        1,
        "nothing started on the way out"
    );
    assert_eq!(handler.done.load(Ordering::SeqCst), 1);
    // The four that never started are visible again at once; the finished one is gone.
    let d = w.backend.queues.depth(QueueId::Reports).await.unwrap();
    assert_eq!((d.visible, d.in_flight), (4, 0), "{d:?}");
    assert_eq!(
        w.backend
            .queues
            .depth(QueueId::ReportsDlq)
            .await
            .unwrap()
            .visible,
        0
    );
}
