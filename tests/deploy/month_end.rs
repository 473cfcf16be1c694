//! The stories after a charter is staffed: EventBridge Scheduler's jobs (month-end report to
//! Drive, statements through Gmail, the sweep, the reminders), the roster synced from the
//! availability Sheet, and the booking system cancelling the charter. Its own file because it
//! holds the scheduler's part and the Google Drive and Sheets set-up.

use std::time::Duration;

use serde_json::{json, Value};

use crate::aws::assume_role;
use crate::fake::FakeFile;
use crate::service::{Failed, LambdaService};
use crate::stories::{Booking, World};

const FOLDER: &str = "application/vnd.google-apps.folder";
const SHEET: &str = "application/vnd.google-apps.spreadsheet";

fn file(id: &str, name: &str, parent: &str, mime: &str) -> FakeFile {
    FakeFile {
        id: id.into(),
        name: name.into(),
        parents: vec![parent.into()],
        mime: mime.into(),
        content: vec![],
        trashed: false,
    }
}

impl World {
    /// The Drive the template's defaults name: `JADA Business/Reports` and the availability
    /// sheet `JADA Business/Crew/Crew Availability` (a native Google Sheet).
    pub fn google_drive(&self) {
        let mut s = self.google.state();
        if s.files.iter().any(|f| f.id == "f-jada") {
            return;
        }
        s.files
            .push(file("f-jada", "JADA Business", "root", FOLDER));
        s.files.push(file("f-reports", "Reports", "f-jada", FOLDER));
        s.files.push(file("f-crew", "Crew", "f-jada", FOLDER));
        s.files
            .push(file("sheet-1", "Crew Availability", "f-crew", SHEET));
    }

    /// EventBridge Scheduler firing `schedule` at `at`: its input (placeholders filled) sent to
    /// its target queue with its role, assumed as `scheduler.amazonaws.com`.
    pub async fn fire(&self, schedule: &str, at: &str) -> Result<(), Failed> {
        let t = crate::template::load();
        let (queue, role, input) = crate::template::schedule(&t, schedule);
        let role_arn = format!(
            "arn:aws:iam::123456789012:role/{}",
            self.stack.physical[&role]
        );
        let creds = assume_role(
            &self.moto.aws,
            &self.moto.scheduler_service,
            &role_arn,
            "schedule",
        )
        .await;
        let body = input.replace("<aws.scheduler.scheduled-time>", at);
        self.moto
            .aws
            .json(
                &creds,
                "sqs",
                "AmazonSQS.SendMessage",
                json!({"QueueUrl": self.stack.queue_url(&queue), "MessageBody": body}),
            )
            .await
            .map_err(|e| format!("the scheduler could not send {schedule}: {e}"))?;
        Ok(())
    }
}

/// The month-end schedules firing this month (the 1st, 06:00; a second per chain, so each
/// chain's firing is a job of its own) and a day of the month they report on, last month.
fn month_end_times(n: u32) -> (String, String) {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let first = today.with_day(1).unwrap();
    let last_month = first.pred_opt().unwrap().with_day(10).unwrap();
    (
        format!("{}T06:00:{:02}Z", first.format("%Y-%m-%d"), n % 60),
        last_month.format("%Y-%m-%d").to_string(),
    )
}

fn workbook_has(bytes: &[u8], text: &str) -> bool {
    use calamine::Reader;
    let Ok(mut wb) = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(std::io::Cursor::new(
        bytes.to_vec(),
    )) else {
        return false;
    };
    let names = wb.sheet_names();
    names.iter().any(|n| {
        wb.worksheet_range(n)
            .map(|r| r.rows().flatten().any(|c| *c == text))
            .unwrap_or(false)
    })
}

/// The month-end, for last month: the booking system's record of a charter the chain's crew
/// sailed then, the revenue workbook with it in Drive, and their statements through Gmail.
pub async fn month_end(world: &World, svc: &LambdaService<'_>, b: &Booking) -> Result<(), Failed> {
    world.google_drive();
    let (at, day) = month_end_times(b.n);
    let vessel = format!("Sailed {}", b.n);
    world
        .put(
            "crew-dispatch",
            json!({
                "charter_id": {"S": uuid::Uuid::new_v4().to_string()},
                "created_at": {"S": chrono::Utc::now().to_rfc3339()},
                "charter_date": {"S": day}, "vessel_name": {"S": vessel},
                "guest_count": {"N": "6"}, "guest_names": {"L": [{"S": "Dee Guest"}]},
                "reportable_revenue": {"N": "1500"}, "tips": {"N": "100.01"},
                "status": {"S": "completed"}, "crew_needed": {"N": "1"},
                "captain_assigned": {"S": format!("cap-ana-{}", b.n)},
                "crew_assigned": {"L": [{"S": format!("deck-ben-{}", b.n)}]},
            }),
        )
        .await;
    world.fire("MonthlyReportSchedule", &at).await?;
    world.fire("StatementsSchedule", &at).await?;
    let statement = |to: &str| {
        world
            .mails_to(to)
            .iter()
            .any(|m| m.subject.starts_with("Crew statement") && !m.attachments.is_empty())
    };
    svc.pump_until(
        "last month's report in Drive and both statements",
        Duration::from_secs(90),
        || {
            let report = world.google.state().files.iter().any(|f| {
                f.parents == ["f-reports"]
                    && f.name.starts_with("Revenue")
                    && workbook_has(&f.content, &vessel)
            });
            report && statement(&b.captain) && statement(&b.deckhand)
        },
    )
    .await
}

/// The sweep and the reminders, as the schedules send them, run without a failure.
pub async fn sweep_and_reminders(world: &World, svc: &LambdaService<'_>) -> Result<(), Failed> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    world.fire("SweepSchedule", &now).await?;
    world.fire("ReminderSchedule", &now).await?;
    let mut handled = 0;
    for _ in 0..20 {
        handled += svc.pump().await?;
        if handled >= 2 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!(
        "the sweep and reminders jobs were not handled ({handled} of 2)"
    ))
}

/// Ops ask for a roster sync (`dispatch jobs enqueue roster_sync`): a member added to the
/// availability Sheet lands in the roster.
pub async fn roster_sync(
    world: &World,
    svc: &LambdaService<'_>,
    b: &Booking,
) -> Result<(), Failed> {
    world.google_drive();
    let email = format!("cleo{}@example.com", b.n);
    world.google.state().sheets.insert(
        "sheet-1".into(),
        vec![(
            "Roster".into(),
            vec![
                vec![json!("Name"), json!("E-mail"), json!("Captain")],
                vec![
                    json!(format!("Cleo Park {}", b.n)),
                    json!(email),
                    json!("no"),
                ],
            ],
        )],
    );
    let job = json!({"v": 1, "kind": "roster_sync", "key": format!("roster_sync#{}", b.n),
                     "payload": {}, "enqueued_at": chrono::Utc::now().to_rfc3339()});
    world
        .moto
        .aws
        .json(
            &world.moto.deployer,
            "sqs",
            "AmazonSQS.SendMessage",
            json!({"QueueUrl": world.stack.queue_url("RosterQueue"), "MessageBody": job.to_string()}),
        )
        .await
        .map_err(|e| format!("enqueueing the roster sync: {e}"))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        svc.pump().await?;
        let rows = world.scan("crew-roster").await;
        if rows.iter().any(|r| r["email"]["S"] == email.as_str()) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            return Err(format!("{email} is not in the roster after the sync"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The booking system cancels the charter: its crew are told.
pub async fn cancelled(world: &World, svc: &LambdaService<'_>, b: &Booking) -> Result<(), Failed> {
    world
        .moto
        .aws
        .json(
            &world.moto.deployer,
            "dynamodb",
            "DynamoDB_20120810.UpdateItem",
            json!({"TableName": format!("{}crew-dispatch", world.stack.prefix),
                   "Key": {"charter_id": {"S": b.charter_id}, "created_at": {"S": b.created_at}},
                   "UpdateExpression": "SET #s = :c",
                   "ExpressionAttributeNames": {"#s": "status"},
                   "ExpressionAttributeValues": {":c": {"S": "cancelled"}}}),
        )
        .await
        .map_err(|e| format!("cancelling the booking: {e}"))?;
    let told = |to: &str| {
        world
            .mails_to(to)
            .iter()
            .any(|m| m.subject.starts_with("Charter cancelled"))
    };
    svc.pump_until(
        "the crew told of the cancellation",
        Duration::from_secs(60),
        || told(&b.captain) && told(&b.deckhand),
    )
    .await
}

impl World {
    /// Every row of a table (read as the deployer).
    pub async fn scan(&self, table: &str) -> Vec<Value> {
        let got = self
            .moto
            .aws
            .json(
                &self.moto.deployer,
                "dynamodb",
                "DynamoDB_20120810.Scan",
                json!({"TableName": format!("{}{table}", self.stack.prefix)}),
            )
            .await
            .unwrap_or_else(|e| panic!("scanning {table}: {e}"));
        got["Items"].as_array().cloned().unwrap_or_default()
    }
}
