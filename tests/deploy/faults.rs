//! The stories of things going wrong, as they do on AWS: Lambda delivering a stream record or a
//! queue message twice (at-least-once), a job nobody can run and a row of the wrong shape, each
//! dead-lettered by the function with its reason. Its own file: the happy stories never expect a
//! dead letter, these do.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{json, Value};

use crate::service::{Failed, LambdaService};
use crate::stories::{Booking, World};

/// Lambda delivers the whole stream again and the captain's job once more: nothing is mailed twice.
pub async fn duplicates(world: &World, svc: &LambdaService<'_>, b: &Booking) -> Result<(), Failed> {
    let before = world.mails_to(&b.captain).len();
    svc.redeliver_stream();
    let job = json!({"v": 1, "kind": "captain_cascade", "key": format!("captain_cascade#{}", b.charter_id),
                     "payload": {"charter_id": b.charter_id}, "enqueued_at": chrono::Utc::now().to_rfc3339()});
    world.send("CascadeQueue", &job).await?;
    let mut handled = 0;
    for _ in 0..30 {
        handled += svc.pump().await?;
        if handled >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = world.mails_to(&b.captain).len();
    if handled < 2 || after != before {
        return Err(format!(
            "redelivery: {handled} handled, captain mails {before} → {after}"
        ));
    }
    Ok(())
}

/// A job of a kind no build runs, on each work queue, and a charter row whose date is not a
/// date: each lands in its dead-letter queue with the reason, and nothing else stops.
pub async fn poison(world: &World, svc: &LambdaService<'_>, b: &Booking) -> Result<(), Failed> {
    svc.allow_dead_letters.store(true, Ordering::SeqCst);
    let result = poison_inner(world, svc, b).await;
    svc.allow_dead_letters.store(false, Ordering::SeqCst);
    result
}

async fn poison_inner(world: &World, svc: &LambdaService<'_>, b: &Booking) -> Result<(), Failed> {
    let queues = [
        ("CascadeQueue", "CascadeDlq"),
        ("ReportsQueue", "ReportsDlq"),
        ("RosterQueue", "RosterDlq"),
    ];
    for (queue, _) in queues {
        let job = json!({"v": 1, "kind": "no_such_job", "key": format!("poison#{}#{queue}", b.n),
                         "payload": {}, "enqueued_at": chrono::Utc::now().to_rfc3339()});
        world.send(queue, &job).await?;
    }
    world
        .put(
            "crew-dispatch",
            json!({"charter_id": {"S": uuid::Uuid::new_v4().to_string()},
                   "created_at": {"S": chrono::Utc::now().to_rfc3339()},
                   "charter_date": {"S": "next Tuesday"},
                   "vessel_name": {"S": format!("Bad Row {}", b.n)}}),
        )
        .await;
    let targets: Vec<&str> = queues
        .iter()
        .map(|(_, dlq)| *dlq)
        .chain(["IngestDlq"])
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        svc.pump().await?;
        let mut missing = Vec::new();
        for dlq in &targets {
            let marker = if *dlq == "IngestDlq" {
                format!("Bad Row {}", b.n)
            } else {
                format!("poison#{}#", b.n)
            };
            if !world
                .peek(dlq)
                .await
                .iter()
                .any(|m| m["Body"].as_str().unwrap_or("").contains(&marker))
            {
                missing.push(*dlq);
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("nothing dead-lettered in {missing:?}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

impl World {
    /// Sends a job to a queue as ops would (`dispatch jobs enqueue`), as the deployer.
    pub async fn send(&self, queue: &str, job: &Value) -> Result<(), Failed> {
        self.moto
            .aws
            .json(
                &self.moto.deployer,
                "sqs",
                "AmazonSQS.SendMessage",
                json!({"QueueUrl": self.stack.queue_url(queue), "MessageBody": job.to_string()}),
            )
            .await
            .map(drop)
            .map_err(|e| format!("sending to {queue}: {e}"))
    }

    /// The messages in a queue, left there (read as the deployer, visible again at once).
    pub async fn peek(&self, queue: &str) -> Vec<Value> {
        let got = self
            .moto
            .aws
            .json(
                &self.moto.deployer,
                "sqs",
                "AmazonSQS.ReceiveMessage",
                json!({"QueueUrl": self.stack.queue_url(queue), "MaxNumberOfMessages": 10,
                       "VisibilityTimeout": 0, "MessageAttributeNames": ["All"]}),
            )
            .await
            .unwrap_or_default();
        got["Messages"].as_array().cloned().unwrap_or_default()
    }
}
