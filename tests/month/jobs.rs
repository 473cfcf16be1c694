//! The roster sync from the availability workbook (in batches; twice changes nothing) and the
//! month's jobs taken from the queue (each done once), on both backends.

use std::sync::Arc;
use std::time::Duration;

use dispatch_core::domain::*;

use crate::common::{self, World};
use crate::{files_in, month_world};

both!(
    roster_sync_writes_in_batches_and_twice_changes_nothing,
    month_jobs_on_the_queue_run_once,
);

pub async fn roster_sync_writes_in_batches_and_twice_changes_nothing(world: &World) {
    let m = month_world(world).await;
    let members: Vec<CrewMember> = (0..30)
        .map(|i| {
            let mut x = common::member(
                &format!("sync{i:02}"),
                i % 5 == 0,
                true,
                &["2024-05-03", "2024-05-04"],
            );
            x.name = format!("Member {i:02}");
            x.phone = Some(format!("+1-555-01{i:02}"));
            x
        })
        .collect();
    let bytes =
        dispatch_reporting::sheet::sample::sample_availability_workbook(&members, "Season 2024")
            .unwrap();
    std::fs::write(m.dir.path().join("availability.xlsx"), bytes).unwrap();
    let first = dispatch::month::roster::sync(&m.ctx, None).await.unwrap();
    assert_eq!(first.created.len(), 30, "{first}");
    assert_eq!(first.batches, 2, "30 members: a batch of 25 and one of 5");
    assert!(first.problems.is_empty(), "{first}");
    assert_eq!(first.not_in_sheet, 3, "Ana, Bo and Cy are left alone");
    let stored = world
        .backend
        .roster
        .get(&CrewId::parse("sync07").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "Member 07");
    assert_eq!(stored.available_dates.len(), 2);
    let second = dispatch::month::roster::sync(&m.ctx, None).await.unwrap();
    assert_eq!(
        (
            second.created.len(),
            second.updated.len(),
            second.unchanged,
            second.batches
        ),
        (0, 0, 30, 0),
        "{second}"
    );
    // --file with a missing file: a clear error, nothing written.
    let err = dispatch::month::roster::sync(&m.ctx, Some(m.dir.path().join("nope.xlsx")))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("nope.xlsx") && err.to_string().contains("--file"),
        "{err}"
    );
}

pub async fn month_jobs_on_the_queue_run_once(world: &World) {
    use dispatch_core::ports::{OutMessage, QueueId};
    use dispatch_ingest::worker::{Registry, Worker, WorkerConfig};
    let m = month_world(world).await;
    let registry = dispatch::month::jobs::register(Registry::new(), m.ctx.clone());
    let worker = Worker::new(
        QueueId::Reports,
        world.backend.queues.clone(),
        world.backend.idempotency.clone(),
        Arc::new(registry),
        // A duplicate delivery waits (Defer) for at most the visibility timeout: keep it short.
        WorkerConfig {
            visibility: Duration::from_secs(2),
            ..WorkerConfig::default()
        },
    );
    let report = JobEnvelope::new(
        JobKind::MonthlyReport,
        "monthly_report#2024-05",
        serde_json::json!({"month": "2024-05"}),
    );
    let stmts = JobEnvelope::new(
        JobKind::Statements,
        "statements#2024-05",
        serde_json::json!({"month": "2024-05"}),
    );
    // The schedule's payload: `previous` of 2024-06-01 is May; a different key, same month.
    let scheduled = JobEnvelope::new(
        JobKind::Statements,
        "statements#2024-06-01T06:00:00Z",
        serde_json::json!({"month": "previous", "scheduled_time": "2024-06-01T13:00:00Z"}),
    );
    let bodies = [&report, &stmts, &stmts, &scheduled, &report]
        .iter()
        .map(|e| OutMessage::new(e.to_body()))
        .collect::<Vec<_>>();
    world
        .backend
        .queues
        .send(QueueId::Reports, &bodies)
        .await
        .unwrap();
    let mut done = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while done < bodies.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "jobs not done in time ({done})"
        );
        let decisions = worker
            .try_process_one(10, Duration::from_millis(200))
            .await
            .unwrap();
        for d in decisions {
            use dispatch_ingest::worker::Decision;
            match d {
                Decision::Ack { .. } => done += 1,
                // Two statements jobs for one month at once: the second waits for the first's
                // claims (per member) and comes back; it never sends a second copy.
                Decision::Retry { .. } | Decision::Defer { .. } => {}
                Decision::DeadLetter { reason } => panic!("dead-lettered: {reason}"),
            }
        }
    }
    let outbox = m.outbox();
    assert_eq!(
        files_in(outbox.dir()).len(),
        3,
        "three statements, each once"
    );
    assert_eq!(
        files_in(&m.reports()),
        ["Revenue 2024-05.xlsx", "sharing.json"]
    );
}
