//! Workers: one killed mid-job loses nothing and the effect happens once; poison messages are
//! dead-lettered with their reason, and replayed once when fixed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dispatch_core::domain::*;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::ports::*;
use dispatch_ingest::dlq::{self, ReplayFilter};
use dispatch_ingest::worker::{Decision, JobError, JobHandler, Worker, WorkerConfig};

use crate::common::{eventually, World};

both!(
    killed_worker_loses_nothing_and_effect_happens_once,
    poison_messages_dead_letter_with_reason_and_replay_once,
);

pub async fn killed_worker_loses_nothing_and_effect_happens_once(w: &World) {
    let effects = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Notify::new());
    let handler = Arc::new(Gated {
        effects: effects.clone(),
        gate: gate.clone(),
        block_first: AtomicUsize::new(1),
    });
    let cfg = WorkerConfig {
        visibility: Duration::from_secs(1),
        wait: Duration::from_secs(1),
        // The dead worker's claim lapses before the message comes back (test queues redrive after 2 receives).
        idempotency: IdempotencyConfig {
            in_progress_ttl: Duration::from_millis(500),
            expiry: Duration::from_secs(3600),
        },
        ..WorkerConfig::default()
    };
    let worker = Arc::new(Worker::new(
        QueueId::Reports,
        w.backend.queues.clone(),
        w.backend.idempotency.clone(),
        handler.clone(),
        cfg,
    ));
    let job = JobEnvelope::new(
        JobKind::MonthlyReport,
        "report#2024-05",
        serde_json::json!({"month": "2024-05"}),
    );
    w.backend
        .queues
        .send(QueueId::Reports, &[OutMessage::new(job.to_body())])
        .await
        .unwrap();
    // First delivery: the job starts, then the worker dies mid-job.
    let first = {
        let worker = worker.clone();
        tokio::spawn(async move { worker.try_process_one(10, Duration::from_secs(5)).await })
    };
    eventually("the job to start", Duration::from_secs(10), || async {
        (handler.started() >= 1).then_some(())
    })
    .await;
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    assert_eq!(effects.load(Ordering::SeqCst), 0);
    // The message comes back; once the dead worker's claim lapses the job runs, once.
    let mut decisions = Vec::new();
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    while !decisions.iter().any(|x| matches!(x, Decision::Ack { .. })) {
        assert!(
            tokio::time::Instant::now() < end,
            "job never completed: {decisions:?}"
        );
        decisions.extend(
            worker
                .try_process_one(10, Duration::from_secs(1))
                .await
                .unwrap(),
        );
    }
    assert_eq!(effects.load(Ordering::SeqCst), 1, "{decisions:?}");
    // Delivered again (at-least-once): recognised as done, no second effect.
    w.backend
        .queues
        .send(QueueId::Reports, &[OutMessage::new(job.to_body())])
        .await
        .unwrap();
    let again = eventually("the duplicate", Duration::from_secs(10), || {
        let worker = worker.clone();
        async move {
            let got = worker
                .try_process_one(10, Duration::from_secs(1))
                .await
                .unwrap();
            (!got.is_empty()).then_some(got)
        }
    })
    .await;
    assert_eq!(again, vec![Decision::Ack { already_done: true }]);
    assert_eq!(effects.load(Ordering::SeqCst), 1);
    assert_eq!(
        w.backend.queues.depth(QueueId::Reports).await.unwrap(),
        QueueDepth::default()
    );
}

pub async fn poison_messages_dead_letter_with_reason_and_replay_once(w: &World) {
    let flaky = Arc::new(Flaky {
        healthy: Mutex::new(false),
        runs: AtomicUsize::new(0),
    });
    let cfg = WorkerConfig {
        visibility: Duration::from_secs(1),
        retry_base: Duration::from_millis(1),
        retry_max: Duration::from_millis(1),
        max_attempts: 2,
        ..WorkerConfig::default()
    };
    let worker = Worker::new(
        QueueId::Roster,
        w.backend.queues.clone(),
        w.backend.idempotency.clone(),
        flaky.clone(),
        cfg,
    );
    let job = JobEnvelope::new(JobKind::RosterSync, "roster#1", serde_json::json!({}));
    w.backend
        .queues
        .send(
            QueueId::Roster,
            &[
                OutMessage::new("not json at all"),
                OutMessage::new(job.to_body()),
            ],
        )
        .await
        .unwrap();
    let mut decisions = Vec::new();
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    while decisions
        .iter()
        .filter(|d| matches!(d, Decision::DeadLetter { .. }))
        .count()
        < 2
    {
        assert!(tokio::time::Instant::now() < end, "{decisions:?}");
        decisions.extend(
            worker
                .try_process_one(10, Duration::from_secs(1))
                .await
                .unwrap(),
        );
    }
    let dead = dlq::list(w.backend.queues.as_ref(), QueueId::RosterDlq, 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 2, "{dead:?}");
    let garbage = dead.iter().find(|d| d.body == "not json at all").unwrap();
    assert!(
        garbage
            .reason
            .as_deref()
            .unwrap()
            .contains("not a job envelope"),
        "{garbage:?}"
    );
    let gave_up = dead
        .iter()
        .find(|d| d.key.as_deref() == Some("roster#1"))
        .unwrap();
    assert!(
        gave_up
            .reason
            .as_deref()
            .unwrap()
            .contains("gave up after 2 attempts"),
        "{gave_up:?}"
    );
    assert_eq!(
        flaky.runs.load(Ordering::SeqCst),
        2,
        "bounded attempts, never forever"
    );
    // Listing again shows the same two (nothing consumed); a dry run moves nothing.
    assert_eq!(
        dlq::list(w.backend.queues.as_ref(), QueueId::RosterDlq, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    let filter = ReplayFilter {
        kind: Some("roster_sync".into()),
        ..Default::default()
    };
    let dry = dlq::replay(
        w.backend.queues.clone(),
        QueueId::RosterDlq,
        &filter,
        true,
        None,
        &|_, _| {},
    )
    .await
    .unwrap();
    assert_eq!((dry.matched.len(), dry.replayed, dry.left), (1, 0, 1));
    // Fixed, then replayed: processed once.
    *flaky.healthy.lock().unwrap() = true;
    let report = dlq::replay(
        w.backend.queues.clone(),
        QueueId::RosterDlq,
        &filter,
        false,
        None,
        &|_, _| {},
    )
    .await
    .unwrap();
    assert_eq!((report.replayed, report.left), (1, 1));
    let done = eventually("the replayed job", Duration::from_secs(10), || async {
        let got = worker
            .try_process_one(10, Duration::from_secs(1))
            .await
            .unwrap();
        (!got.is_empty()).then_some(got)
    })
    .await;
    assert_eq!(
        done,
        vec![Decision::Ack {
            already_done: false
        }]
    );
    assert_eq!(flaky.runs.load(Ordering::SeqCst), 3);
    let left = dlq::list(w.backend.queues.as_ref(), QueueId::RosterDlq, 10)
        .await
        .unwrap();
    assert_eq!(
        left.len(),
        1,
        "the garbage stays until someone deals with it"
    );
}

/// Blocks its first run forever (the worker dies there); counts the effects of the others.
struct Gated {
    effects: Arc<AtomicUsize>,
    gate: Arc<tokio::sync::Notify>,
    block_first: AtomicUsize,
}

impl Gated {
    fn started(&self) -> usize {
        1 - self.block_first.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl JobHandler for Gated {
    async fn handle(&self, _job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        if self.block_first.swap(0, Ordering::SeqCst) == 1 {
            self.gate.notified().await; // never notified: the worker dies here
        }
        self.effects.fetch_add(1, Ordering::SeqCst);
        Ok(serde_json::json!({"uploaded": true}))
    }
}

/// Fails (retryably) until healed; counts its runs.
struct Flaky {
    healthy: Mutex<bool>,
    runs: AtomicUsize,
}

#[async_trait::async_trait]
impl JobHandler for Flaky {
    async fn handle(&self, _job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        if *self.healthy.lock().unwrap() {
            Ok(serde_json::json!(null))
        } else {
            Err(JobError::Retry("upstream 503".into()))
        }
    }
}
