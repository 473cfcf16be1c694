//! The business's stories, driven through the deployed stack: the booking system writes rows
//! (as the deployer), the Lambda service moves events, the fake Google receives what goes out.
//! Its own file so that the least-privilege test can run the very same stories.

use std::time::Duration;

use serde_json::{json, Value};

use crate::fake::world::{key_json, test_key, CLIENT_EMAIL, MAILBOX};
use crate::fake::Fake;
use crate::service::{Failed, LambdaService};
use crate::stack::{Moto, Stack};

/// One deployed stack and the fake Google it talks to.
pub struct World {
    pub moto: Moto,
    pub stack: Stack,
    pub google: Fake,
}

/// What the booking system wrote.
#[derive(Debug, Clone)]
pub struct Booking {
    pub n: u32,
    pub charter_id: String,
    pub created_at: String,
    pub date: String,
    pub vessel: String,
    pub captain: String,
    pub deckhand: String,
}

impl World {
    pub async fn deploy() -> World {
        let google = Fake::start(test_key().to_public_key(), CLIENT_EMAIL, MAILBOX).await;
        let moto = Moto::start();
        let key = key_json(test_key(), &google.token_uri());
        let stack = Stack::deploy(&moto, "dep-", &crate::runtime::lambda_dir(), &key);
        World {
            moto,
            stack,
            google,
        }
    }

    /// The Lambda service for this stack, with AWS and Google pointed at the fakes (the only
    /// variables the test adds to a function's environment).
    pub fn service(&self) -> LambdaService<'_> {
        let overrides = [
            ("AWS_ENDPOINT_URL", self.moto.aws.endpoint.clone()),
            ("DISPATCH_GMAIL_BASE_URL", self.google.base.clone()),
            ("DISPATCH_DRIVE_BASE_URL", self.google.base.clone()),
            ("DISPATCH_SHEETS_BASE_URL", self.google.base.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        LambdaService::new(&self.moto, &self.stack, overrides)
    }

    /// A row written by someone outside the stack (the booking system, ops), as the deployer.
    pub async fn put(&self, table: &str, item: Value) {
        let name = format!("{}{table}", self.stack.prefix);
        self.moto
            .aws
            .json(
                &self.moto.deployer,
                "dynamodb",
                "DynamoDB_20120810.PutItem",
                json!({"TableName": name, "Item": item}),
            )
            .await
            .unwrap_or_else(|e| panic!("writing to {name}: {e}"));
    }

    /// Booking `n`: a captain and a deckhand of its own, free on a day `10 + n` days out, and a
    /// booking for that day (each story chain its own people and day, so chains never meet).
    pub async fn book(&self, n: u32) -> Booking {
        let date = (chrono::Utc::now() + chrono::Duration::days(10 + i64::from(n)))
            .format("%Y-%m-%d")
            .to_string();
        let b = Booking {
            n,
            charter_id: uuid::Uuid::new_v4().to_string(),
            created_at: chrono::Utc::now().to_rfc3339(),
            date: date.clone(),
            vessel: format!("Marlin {n}"),
            captain: format!("ana{n}@example.com"),
            deckhand: format!("ben{n}@example.com"),
        };
        for (id, name, email, captain) in [
            (
                format!("cap-ana-{n}"),
                format!("Ana Silva {n}"),
                &b.captain,
                true,
            ),
            (
                format!("deck-ben-{n}"),
                format!("Ben Ortiz {n}"),
                &b.deckhand,
                false,
            ),
        ] {
            self.put(
                "crew-roster",
                json!({
                    "crew_id": {"S": id}, "name": {"S": name}, "email": {"S": email},
                    "captain_certified": {"BOOL": captain}, "active": {"BOOL": true},
                    "available_dates": {"SS": [date]}, "certifications": {"SS": ["deckhand"]},
                }),
            )
            .await;
        }
        self.put(
            "crew-dispatch",
            json!({
                "charter_id": {"S": b.charter_id}, "created_at": {"S": b.created_at},
                "charter_date": {"S": date}, "vessel_name": {"S": b.vessel},
                "guest_count": {"N": "4"}, "guest_names": {"L": [{"S": "Cora Guest"}]},
                "reportable_revenue": {"N": "900"}, "tips": {"N": "120"},
                "status": {"S": "booked"}, "crew_needed": {"N": "1"},
            }),
        )
        .await;
        b
    }

    /// What went wrong, for a failed story: denials, then each invocation's answer and last lines.
    pub async fn report(&self, svc: &LambdaService<'_>) -> String {
        let mut out = format!("denied by IAM: {:#?}\n", self.moto.denials());
        for (logical, url) in self
            .stack
            .physical
            .iter()
            .filter(|(l, _)| l.ends_with("Dlq"))
        {
            let got = self
                .moto
                .aws
                .json(
                    &self.moto.deployer,
                    "sqs",
                    "AmazonSQS.ReceiveMessage",
                    json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0,
                           "MessageAttributeNames": ["All"]}),
                )
                .await
                .unwrap_or_default();
            for m in got["Messages"].as_array().cloned().unwrap_or_default() {
                out += &format!("in {logical}: {} {}\n", m["Body"], m["MessageAttributes"]);
            }
        }
        for (logical, inv) in svc.log.lock().unwrap().iter() {
            let lines = inv.log_lines();
            let trouble = lines
                .iter()
                .filter(|l| l.contains("\"level\":\"WARN\"") || l.contains("\"level\":\"ERROR\""))
                .take(6);
            let tail = trouble
                .chain(&lines[lines.len().saturating_sub(4)..])
                .map(|l| l.chars().take(1200).collect::<String>())
                .collect::<Vec<_>>()
                .join("\n    ");
            out += &format!(
                "{logical} ({:?} init, {:?} total): {:?}\n    {tail}\n",
                inv.init, inv.total, inv.response
            );
        }
        out
    }

    /// The charter row as stored now (read as the deployer).
    pub async fn charter(&self, b: &Booking) -> Value {
        let got = self
            .moto
            .aws
            .json(
                &self.moto.deployer,
                "dynamodb",
                "DynamoDB_20120810.GetItem",
                json!({"TableName": format!("{}crew-dispatch", self.stack.prefix),
                       "Key": {"charter_id": {"S": b.charter_id}, "created_at": {"S": b.created_at}},
                       "ConsistentRead": true}),
            )
            .await
            .unwrap_or_else(|e| panic!("reading the charter: {e}"));
        got["Item"].clone()
    }

    /// Mails the fake Google received for `to`.
    pub fn mails_to(&self, to: &str) -> Vec<crate::fake::SentMail> {
        self.google
            .state()
            .sent
            .iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .cloned()
            .collect()
    }
}

/// A booking → the stream function queues the captain cascade → the worker function mails the
/// captain an offer through Gmail, as the delegated mailbox.
pub async fn captain_offer(
    world: &World,
    svc: &LambdaService<'_>,
    b: &Booking,
) -> Result<(), Failed> {
    svc.pump_until("the captain's offer mail", Duration::from_secs(60), || {
        !world.mails_to(&b.captain).is_empty()
    })
    .await?;
    let mail = world.mails_to(&b.captain).remove(0);
    if !mail.text.contains("https://crew.example.com/") {
        return Err(format!(
            "the offer has no link to the crew page: {}",
            mail.text
        ));
    }
    let subs = world.google.state().token_subs.clone();
    if !subs.iter().all(|s| s.as_deref() == Some(MAILBOX)) {
        return Err(format!("tokens not for the delegated mailbox: {subs:?}"));
    }
    Ok(())
}

/// The captain accepts through the web function's URL → the stream and worker functions offer
/// the crew slot → the deckhand accepts → the charter is staffed.
pub async fn staffed(world: &World, svc: &LambdaService<'_>, b: &Booking) -> Result<(), Failed> {
    let offer = world.mails_to(&b.captain).remove(0);
    crate::web::answer(svc, &offer.text, true).await?;
    svc.pump_until("the deckhand's offer mail", Duration::from_secs(60), || {
        !world.mails_to(&b.deckhand).is_empty()
    })
    .await?;
    let offer = world.mails_to(&b.deckhand).remove(0);
    crate::web::answer(svc, &offer.text, true).await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let c = world.charter(b).await;
        if c["status"]["S"] == "staffed" {
            if c["captain_assigned"]["S"] != format!("cap-ana-{}", b.n).as_str() {
                return Err(format!("staffed without the captain: {c}"));
            }
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("the charter of {} is not staffed: {c}", b.date));
        }
        svc.pump().await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every story in order, for booking `n`: offer, redelivery, answers, month-end, schedules,
/// roster, dead letters, cancellation, the ops board.
pub async fn chain(world: &World, svc: &LambdaService<'_>, n: u32) -> Result<(), Failed> {
    svc.mark_stream();
    let b = world.book(n).await;
    captain_offer(world, svc, &b).await?;
    crate::faults::duplicates(world, svc, &b).await?;
    staffed(world, svc, &b).await?;
    crate::month_end::month_end(world, svc, &b).await?;
    crate::month_end::sweep_and_reminders(world, svc).await?;
    crate::month_end::roster_sync(world, svc, &b).await?;
    crate::faults::poison(world, svc, &b).await?;
    crate::month_end::cancelled(world, svc, &b).await?;
    crate::board::board(world, svc, n).await
}
