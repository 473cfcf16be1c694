//! Claims belong to live owners, on both backends: a job that meets someone else's live claim
//! waits without spending its receives; a killed worker's claim lapses within its lease and the
//! next worker does the job, with nothing in a DLQ; a take-over whose answer was lost is still a
//! take-over; a claim written with another write (an offer's mail, with the offer) is used as
//! it is while fresh, renewed when late, and not used once someone else took it over. (The load
//! under faults is in `claims_load`.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::faults::{self, Faults, When};
use dispatch_core::idempotency::{self, IdempotencyConfig};
use dispatch_core::ports::*;
use dispatch_ingest::worker::{Decision, JobError, JobHandler, Worker, WorkerConfig};

use crate::common::{self, eventually, World};

both!(
    a_take_over_whose_answer_was_lost_is_still_a_take_over,
    a_claim_written_with_another_write_is_used_renewed_or_found_taken,
    a_job_waiting_for_a_live_claim_spends_none_of_its_receives,
    a_killed_workers_claim_lapses_and_the_next_worker_does_the_job,
);

/// Counts its runs; the first run can be made to hang (a worker that dies mid-job).
struct Counting {
    runs: AtomicUsize,
    hang_first: AtomicUsize,
}

#[async_trait::async_trait]
impl JobHandler for Counting {
    async fn handle(&self, _job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        if self.hang_first.fetch_sub(1, Ordering::SeqCst) == 1 {
            std::future::pending::<()>().await;
        }
        self.runs.fetch_add(1, Ordering::SeqCst);
        Ok(serde_json::Value::Null)
    }
}

/// A `reports` worker on `w` with a 2 s visibility and 1 s long polls.
fn worker(w: &World, handler: Arc<dyn JobHandler>, idem: IdempotencyConfig) -> Arc<Worker> {
    Arc::new(Worker::new(
        QueueId::Reports,
        w.backend.queues.clone(),
        w.backend.idempotency.clone(),
        handler,
        WorkerConfig {
            visibility: Duration::from_secs(2),
            wait: Duration::from_secs(1),
            retry_base: Duration::from_millis(50),
            idempotency: idem,
            ..WorkerConfig::default()
        },
    ))
}

/// Nothing in the reports, cascade or ingest DLQ.
pub(crate) async fn dlq_empty(w: &World) {
    for q in [QueueId::ReportsDlq, QueueId::CascadeDlq, QueueId::IngestDlq] {
        let d = w.backend.queues.depth(q).await.unwrap();
        assert_eq!(d.visible + d.in_flight + d.delayed, 0, "{q}: {d:?}");
    }
}

/// Someone else works on the job for longer than the queue's whole receive budget (2 in
/// tests) would last if each look counted: the job waits, then runs once, never dead-lettered.
pub async fn a_job_waiting_for_a_live_claim_spends_none_of_its_receives(w: &World) {
    let handler = Arc::new(Counting {
        runs: AtomicUsize::new(0),
        hang_first: AtomicUsize::new(0),
    });
    let wk = worker(w, handler.clone(), IdempotencyConfig::default());
    let job = JobEnvelope::new(
        JobKind::MonthlyReport,
        "report#2031-01",
        serde_json::json!({"month": "2031-01"}),
    );
    // A live owner holds the job's claim and renews it for a while.
    let key = format!("job#{}", job.key);
    let payload = serde_json::json!({ "kind": job.kind, "payload": job.payload });
    let now = Utc::now();
    let claim = IdempotencyClaim {
        key: key.clone(),
        payload_hash: idempotency::payload_hash(&payload),
        owner: "other-worker/1".into(),
        now,
        in_progress_until: now + chrono::Duration::seconds(1),
        expires_at: now + chrono::Duration::hours(1),
    };
    assert_eq!(
        w.backend.idempotency.claim(&claim).await.unwrap(),
        ClaimOutcome::Claimed { taken_over: false }
    );
    w.backend
        .queues
        .send(QueueId::Reports, &[OutMessage::new(job.to_body())])
        .await
        .unwrap();
    let renewer = {
        let idem = w.backend.idempotency.clone();
        let key = key.clone();
        tokio::spawn(async move {
            for _ in 0..8 {
                tokio::time::sleep(Duration::from_millis(500)).await;
                idem.renew(
                    &key,
                    "other-worker/1",
                    Utc::now() + chrono::Duration::seconds(1),
                )
                .await
                .unwrap();
            }
            idem.release(&key, "other-worker/1").await.unwrap();
        })
    };
    let waits = Arc::new(AtomicUsize::new(0));
    let decisions = eventually(
        "the job to run after the other owner is done",
        Duration::from_secs(40),
        || {
            let wk = wk.clone();
            let waits = waits.clone();
            async move {
                let got = wk
                    .try_process_one(10, Duration::from_millis(500))
                    .await
                    .unwrap();
                waits.fetch_add(
                    got.iter()
                        .filter(|d| matches!(d, Decision::Defer { .. }))
                        .count(),
                    Ordering::SeqCst,
                );
                got.iter()
                    .any(|d| matches!(d, Decision::Ack { .. }))
                    .then_some(got)
            }
        },
    )
    .await;
    let waits = waits.load(Ordering::SeqCst);
    renewer.await.unwrap();
    assert!(
        waits > common::TEST_MAX_RECEIVES as usize,
        "waited {waits} times, more than the receive budget: {decisions:?}"
    );
    assert_eq!(handler.runs.load(Ordering::SeqCst), 1);
    dlq_empty(w).await;
}

/// A worker dies mid-job (its task aborted, so nothing is released and no lease renewed):
/// with the default 30 s lease, the next worker does the job well within a minute.
pub async fn a_killed_workers_claim_lapses_and_the_next_worker_does_the_job(w: &World) {
    let handler = Arc::new(Counting {
        runs: AtomicUsize::new(0),
        hang_first: AtomicUsize::new(1),
    });
    let first = worker(w, handler.clone(), IdempotencyConfig::default());
    let job = JobEnvelope::new(
        JobKind::Statements,
        "statements#2031-01",
        serde_json::json!({"month": "2031-01"}),
    );
    w.backend
        .queues
        .send(QueueId::Reports, &[OutMessage::new(job.to_body())])
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let dying = {
        let first = first.clone();
        tokio::spawn(async move { first.try_process_one(10, Duration::from_secs(5)).await })
    };
    eventually(
        "the first worker to claim the job",
        Duration::from_secs(10),
        || async {
            w.backend
                .idempotency
                .get(&format!("job#{}", job.key))
                .await
                .unwrap()
                .map(|_| ())
        },
    )
    .await;
    dying.abort();
    let _ = dying.await;
    let next = worker(w, handler.clone(), IdempotencyConfig::default());
    eventually(
        "the next worker to do the job",
        Duration::from_secs(60),
        || {
            let next = next.clone();
            async move {
                let got = next
                    .try_process_one(10, Duration::from_millis(500))
                    .await
                    .unwrap();
                got.iter()
                    .any(|d| matches!(d, Decision::Ack { .. }))
                    .then_some(())
            }
        },
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(handler.runs.load(Ordering::SeqCst), 1);
    dlq_empty(w).await;
}

/// A take-over whose answer was lost (the claim went through, the response did not) is made
/// again by the same owner: it must still say "taken over", or a mail the dead owner may have
/// sent goes out twice.
pub async fn a_take_over_whose_answer_was_lost_is_still_a_take_over(w: &World) {
    let cfg = IdempotencyConfig {
        in_progress_ttl: Duration::from_millis(600),
        expiry: Duration::from_secs(3600),
    };
    let key = format!("mail#lost-{}", uuid::Uuid::new_v4().simple());
    let payload = serde_json::json!({ "key": key });
    // A sender that dies mid-send: its claim stays, unrenewed.
    let dying = {
        let store = w.backend.idempotency.clone();
        let (key, payload) = (key.clone(), payload.clone());
        tokio::spawn(async move {
            idempotency::run_once_uncertain(store.as_ref(), &key, &payload, cfg, |_claim| async {
                std::future::pending::<Result<(), String>>().await
            })
            .await
        })
    };
    eventually("the first claim", Duration::from_secs(10), || async {
        w.backend.idempotency.get(&key).await.unwrap().map(|_| ())
    })
    .await;
    dying.abort();
    let _ = dying.await;
    eventually("its lease to lapse", Duration::from_secs(10), || async {
        let r = w.backend.idempotency.get(&key).await.unwrap()?;
        (r.in_progress_until < Utc::now()).then_some(())
    })
    .await;
    // The next sender's claim goes through, but its answer is lost; it claims again.
    let faults = Faults::new(1);
    faults.fail_after("idempotency.claim", When::Nth(1));
    let store = faults::faulty(&w.backend, faults.clone()).idempotency;
    let seen = Arc::new(std::sync::Mutex::new(None));
    let out = {
        let seen = seen.clone();
        idempotency::run_once_uncertain(store.as_ref(), &key, &payload, cfg, |claim| async move {
            *seen.lock().unwrap() = Some(claim.taken_over);
            Ok::<_, String>(())
        })
        .await
    };
    assert!(out.is_ok(), "{:?}", out.err().map(|e| e.to_string()));
    assert_eq!(faults.injected(), 1, "the lost answer happened");
    assert_eq!(
        *seen.lock().unwrap(),
        Some(true),
        "the retried claim still reports the take-over"
    );
}

/// Runs `claimed` through `run_once_uncertain_claimed`; whether the work ran, and whether it was
/// told of a take-over.
async fn run_claimed(
    w: &World,
    claimed: &IdempotencyClaim,
    cfg: IdempotencyConfig,
) -> (bool, Option<bool>) {
    let payload = serde_json::json!({ "key": claimed.key });
    let seen = Arc::new(std::sync::Mutex::new(None));
    let out = {
        let seen = seen.clone();
        let store = w.backend.idempotency.clone();
        idempotency::run_once_uncertain_claimed(
            store.as_ref(),
            claimed,
            &payload,
            cfg,
            |claim| async move {
                *seen.lock().unwrap() = Some(claim.taken_over);
                Ok::<_, String>(())
            },
        )
        .await
        .unwrap()
    };
    let taken = *seen.lock().unwrap();
    (matches!(out, idempotency::Once::Ran(())), taken)
}

pub async fn a_claim_written_with_another_write_is_used_renewed_or_found_taken(w: &World) {
    let store = w.backend.idempotency.clone();
    let claim_for = |cfg: IdempotencyConfig| {
        let key = format!("mail#with-{}", uuid::Uuid::new_v4().simple());
        idempotency::new_claim(&key, &serde_json::json!({ "key": key }), cfg)
    };
    let completed = |key: String| {
        let store = store.clone();
        async move {
            let r = store.get(&key).await.unwrap().expect("a record");
            r.status == IdempotencyStatus::Completed
        }
    };
    // Fresh (its lease has well over the margin to go): used as it is.
    let cfg = IdempotencyConfig::default();
    let fresh = claim_for(cfg);
    assert!(matches!(
        store.claim(&fresh).await.unwrap(),
        ClaimOutcome::Claimed { taken_over: false }
    ));
    assert_eq!(run_claimed(w, &fresh, cfg).await, (true, Some(false)));
    assert!(completed(fresh.key.clone()).await);
    // Late (a lease shorter than the margin), still this owner's: renewed and used.
    let short = IdempotencyConfig {
        in_progress_ttl: Duration::from_secs(2),
        ..cfg
    };
    let late = claim_for(short);
    store.claim(&late).await.unwrap();
    assert_eq!(run_claimed(w, &late, short).await, (true, Some(false)));
    assert!(completed(late.key.clone()).await);
    // Lapsed and taken over by someone else, who did the work: not done again.
    let brief = IdempotencyConfig {
        in_progress_ttl: Duration::from_millis(300),
        ..cfg
    };
    let lost = claim_for(brief);
    store.claim(&lost).await.unwrap();
    eventually("its lease to lapse", Duration::from_secs(10), || async {
        let r = store.get(&lost.key).await.unwrap()?;
        (r.in_progress_until < Utc::now()).then_some(())
    })
    .await;
    let payload = serde_json::json!({ "key": lost.key });
    let took = Arc::new(std::sync::Mutex::new(None));
    let other = {
        let took = took.clone();
        idempotency::run_once_uncertain(
            store.as_ref(),
            &lost.key,
            &payload,
            brief,
            |c| async move {
                *took.lock().unwrap() = Some(c.taken_over);
                Ok::<_, String>(())
            },
        )
        .await
        .unwrap()
    };
    assert_eq!(other, idempotency::Once::Ran(()));
    assert_eq!(
        *took.lock().unwrap(),
        Some(true),
        "the other owner took it over"
    );
    assert_eq!(
        run_claimed(w, &lost, brief).await,
        (false, None),
        "found done, not redone"
    );
}
