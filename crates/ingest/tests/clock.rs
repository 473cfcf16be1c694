//! The worker reads time from the clock it is given, not the system's: a test moves it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dispatch_core::clock::{Clock, ManualClock};
use dispatch_core::domain::{JobEnvelope, JobKind};
use dispatch_core::jobs::{JobError, JobHandler};
use dispatch_core::ports::{OutMessage, QueueId};
use dispatch_ingest::dlq::format::attr;
use dispatch_ingest::worker::{Decision, Worker, WorkerConfig};

/// Busy for two minutes of the clock's time, then permanently broken.
struct BusyThenBroken(Arc<ManualClock>);

#[async_trait::async_trait]
impl JobHandler for BusyThenBroken {
    async fn handle(&self, job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        if job.key == "busy" {
            let until = self.0.now() + chrono::Duration::seconds(120);
            return Err(JobError::busy("the statement mail", until));
        }
        Err(JobError::permanent("broken for good"))
    }
    fn once_per_key(&self, _job: &JobEnvelope) -> bool {
        false
    }
}

#[tokio::test]
async fn waits_and_dead_letters_follow_the_given_clock() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dispatch_core::Settings {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let backend = dispatch_core::open_backend(&settings).await.unwrap();
    backend.admin.bootstrap().await.unwrap();
    let at: DateTime<Utc> = "2001-02-03T04:05:06Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(at));
    let worker = Worker::new(
        QueueId::Reports,
        backend.queues.clone(),
        backend.idempotency.clone(),
        Arc::new(BusyThenBroken(clock.clone())),
        WorkerConfig::default(),
    )
    .with_clock(clock.clone());

    for key in ["busy", "broken"] {
        let job = JobEnvelope::new(JobKind::MonthlyReport, key, serde_json::json!({}));
        let sent = [OutMessage::new(job.to_body())];
        backend.queues.send(QueueId::Reports, &sent).await.unwrap();
        let decided = worker
            .try_process_one(1, Duration::from_secs(1))
            .await
            .unwrap();
        match (key, decided.as_slice()) {
            // Two minutes of the manual clock (plus up to a second of jitter); by the system
            // clock the claim would have ended long ago (a one-second wait).
            ("busy", [Decision::Defer { after }]) => assert!(
                *after >= Duration::from_secs(120) && *after <= Duration::from_millis(121_100),
                "{after:?}"
            ),
            ("broken", [Decision::DeadLetter { reason }]) => assert_eq!(reason, "broken for good"),
            other => panic!("unexpected: {other:?}"),
        }
    }
    let dead = backend
        .queues
        .receive(
            QueueId::ReportsDlq,
            10,
            Duration::from_secs(1),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attributes[attr::FAILED_AT], at.to_rfc3339());
    assert_eq!(dead[0].attributes[attr::ERROR], "broken for good");
}
