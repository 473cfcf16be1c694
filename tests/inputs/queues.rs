//! Queue bodies a careless producer (or an attacker with SendMessage) could put on a queue. The
//! worker of this build (`app::workers`, the real handlers) must dead-letter each with a reason
//! that says what is wrong, the dead letter must hold the exact body (read back from the DLQ),
//! and a good job sent in the same round must still run. On the embedded backend a body that is
//! not UTF-8 is added (written into the SQLite file by another program).

use std::time::Duration;

use dispatch_core::domain::*;
use dispatch_core::ports::{OutMessage, QueueId};
use dispatch_ingest::worker::Decision;

use crate::common::Kind;
use crate::{unclear, Env, Tally};

struct Case {
    name: &'static str,
    queue: QueueId,
    body: &'static str,
    fragment: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "not_json",
        queue: QueueId::Reports,
        body: "nope",
        fragment: "message body is not a job envelope",
    },
    Case {
        name: "empty_body",
        queue: QueueId::Reports,
        body: " ",
        fragment: "message body is not a job envelope",
    },
    Case {
        name: "json_array",
        queue: QueueId::Reports,
        body: "[1,2,3]",
        fragment: "missing numeric `v`",
    },
    Case {
        name: "no_version",
        queue: QueueId::Reports,
        body: r#"{"kind":"monthly_report","key":"k","payload":{},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "missing numeric `v`",
    },
    Case {
        name: "version_2",
        queue: QueueId::Reports,
        body: r#"{"v":2,"kind":"monthly_report","key":"k","payload":{},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "envelope version 2 is not supported",
    },
    Case {
        name: "version_huge",
        queue: QueueId::Reports,
        body: r#"{"v":99999999999999,"kind":"monthly_report","key":"k","payload":{},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "is not supported",
    },
    Case {
        name: "unknown_kind",
        queue: QueueId::Reports,
        body: r#"{"v":1,"kind":"launch_missiles","key":"k","payload":{},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "unknown variant `launch_missiles`",
    },
    Case {
        name: "empty_key",
        queue: QueueId::Reports,
        body: r#"{"v":1,"kind":"monthly_report","key":"","payload":{"month":"2024-05"},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "envelope key is empty",
    },
    Case {
        name: "bad_enqueued_at",
        queue: QueueId::Reports,
        body: r#"{"v":1,"kind":"monthly_report","key":"k1","payload":{"month":"2024-05"},"enqueued_at":"yesterday"}"#,
        fragment: "not a job envelope",
    },
    Case {
        name: "report_month_13",
        queue: QueueId::Reports,
        body: r#"{"v":1,"kind":"monthly_report","key":"bad-month-{R}","payload":{"month":"2024-13"},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "2024-13",
    },
    Case {
        name: "report_without_month",
        queue: QueueId::Reports,
        body: r#"{"v":1,"kind":"monthly_report","key":"no-month-{R}","payload":{},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "month",
    },
    Case {
        name: "statements_month_as_number",
        queue: QueueId::Reports,
        body: r#"{"v":1,"kind":"statements","key":"num-month-{R}","payload":{"month":202405},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "month",
    },
    Case {
        name: "roster_sync_without_workbook",
        queue: QueueId::Roster,
        body: r#"{"v":1,"kind":"roster_sync","key":"sync-{R}","payload":{},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "no availability workbook at",
    },
    Case {
        name: "cascade_bad_payload",
        queue: QueueId::Cascade,
        body: r#"{"v":1,"kind":"captain_cascade","key":"cc-{R}","payload":{"charter_id":42},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "payload",
    },
    Case {
        name: "offer_send_without_charter",
        queue: QueueId::Cascade,
        body: r#"{"v":1,"kind":"offer_send","key":"send-{R}","payload":{},"enqueued_at":"2024-05-01T00:00:00Z"}"#,
        fragment: "payload has no `charter_id`",
    },
];

pub const COUNT: usize = CASES.len() + 1;

fn settings(env: &Env) -> dispatch_core::Settings {
    let mut s = dispatch_core::Settings {
        data_dir: env.data_dir(),
        link_keys: vec![crate::LINK_KEY.into()],
        roster_file: Some(env.dir.path().join("no-such-availability.xlsx")),
        ..Default::default()
    };
    if env.kind == Kind::Aws {
        s.backend = dispatch_core::config::BackendKind::Aws;
        s.prefix = env.prefix.clone();
    }
    s
}

/// Receives on `dlq` until a message with `body` comes, and returns its reason.
async fn dead_letter_of(env: &Env, dlq: QueueId, body: &str) -> Option<(String, String)> {
    let end = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::time::Instant::now() < end {
        let got = env
            .backend
            .queues
            .receive(dlq, 10, Duration::from_secs(1), Duration::from_secs(60))
            .await
            .ok()?;
        for m in got {
            let receipts = [m.receipt.clone()];
            let _ = env.backend.queues.delete(dlq, &receipts).await;
            if m.body == body {
                return Some((
                    m.body,
                    m.attributes
                        .get("dispatch-error")
                        .cloned()
                        .unwrap_or_default(),
                ));
            }
        }
    }
    None
}

pub async fn run(env: &Env) {
    let settings = settings(env);
    let workers = dispatch::app::workers(&settings, &env.backend).unwrap();
    let worker = |q: QueueId| workers.iter().find(|w| w.queue == q).unwrap().clone();
    let mut tally = Tally::default();
    for case in CASES {
        let body = case
            .body
            .replace("{R}", &uuid::Uuid::new_v4().simple().to_string());
        // A good job next to the bad one: the report of an empty month, written to drive/.
        let month = format!("2023-{:02}", 1 + (tally.ran % 12));
        let good = JobEnvelope::new(
            JobKind::MonthlyReport,
            format!("good-{}", uuid::Uuid::new_v4().simple()),
            serde_json::json!({ "month": month }),
        );
        env.backend
            .queues
            .send(case.queue, &[OutMessage::new(body.clone())])
            .await
            .unwrap();
        env.backend
            .queues
            .send(QueueId::Reports, &[OutMessage::new(good.to_body())])
            .await
            .unwrap();
        let mut decisions: Vec<Decision> = Vec::new();
        let end = tokio::time::Instant::now() + Duration::from_secs(60);
        let want = if case.queue == QueueId::Reports { 2 } else { 1 };
        while decisions.len() < want && tokio::time::Instant::now() < end {
            decisions.extend(
                worker(case.queue)
                    .try_process_one(10, Duration::from_secs(1))
                    .await
                    .unwrap(),
            );
        }
        if case.queue != QueueId::Reports {
            let end = tokio::time::Instant::now() + Duration::from_secs(60);
            while decisions.len() < 2 && tokio::time::Instant::now() < end {
                decisions.extend(
                    worker(QueueId::Reports)
                        .try_process_one(10, Duration::from_secs(1))
                        .await
                        .unwrap(),
                );
            }
        }
        let reason = decisions.iter().find_map(|d| match d {
            Decision::DeadLetter { reason } => Some(reason.clone()),
            _ => None,
        });
        let problem = match reason {
            None => Some(format!("not dead-lettered: {decisions:?}")),
            Some(reason) => unclear(&reason, case.fragment).or_else(|| {
                (!decisions.iter().any(|d| matches!(d, Decision::Ack { .. })))
                    .then(|| format!("the good job did not run: {decisions:?}"))
            }),
        };
        let problem = match problem {
            Some(p) => Some(p),
            None => {
                let dlq = case.queue.dlq().unwrap();
                match dead_letter_of(env, dlq, &body).await {
                    None => Some(format!("the body is not in {dlq} as it was sent")),
                    Some((_, why)) => unclear(&why, case.fragment),
                }
            }
        };
        let report = env
            .data_dir()
            .join(format!("drive/JADA Business/Reports/Revenue {month}.xlsx"));
        let problem = problem.or_else(|| {
            (!report.exists()).then(|| format!("the good job wrote no {}", report.display()))
        });
        tally.check(
            &format!("{}/{}", env.kind, case.name),
            problem,
            &format!("{decisions:?}"),
        );
    }
    if env.kind == Kind::Local {
        non_utf8(env, &mut tally).await;
    }
    tally.finish("queues");
}

/// A body that is not UTF-8, written into the SQLite file by another program.
async fn non_utf8(env: &Env, tally: &mut Tally) {
    {
        let conn = rusqlite::Connection::open(env.data_dir().join("dispatch.sqlite3")).unwrap();
        conn.execute(
            "INSERT INTO messages (id, queue, body, attributes, sent_ms, visible_ms) VALUES ('not-utf8', ?1, CAST(x'7b2276223a31ff7d' AS TEXT), '{}', 0, 0)",
            [QueueId::Roster.name("")],
        )
        .unwrap();
    }
    let got = env
        .backend
        .queues
        .receive(
            QueueId::Roster,
            10,
            Duration::from_secs(1),
            Duration::from_secs(30),
        )
        .await;
    let problem = match got {
        Err(e) => Some(format!("the queue is wedged: {e}")),
        Ok(msgs) if !msgs.is_empty() => {
            Some(format!("delivered instead of dead-lettered: {msgs:?}"))
        }
        Ok(_) => {
            let dead = env
                .backend
                .queues
                .receive(
                    QueueId::RosterDlq,
                    10,
                    Duration::from_secs(1),
                    Duration::from_secs(30),
                )
                .await
                .unwrap();
            match dead.iter().find(|m| m.message_id == "not-utf8") {
                None => Some("not in roster-dlq".into()),
                Some(m) => {
                    let why = m
                        .attributes
                        .get("dispatch-error")
                        .cloned()
                        .unwrap_or_default();
                    unclear(&why, "message body is not UTF-8 (8 bytes)").or_else(|| {
                        (m.attributes.get("dispatch-body-base64").map(String::as_str)
                            != Some("eyJ2Ijox/30="))
                        .then(|| format!("original bytes not kept: {:?}", m.attributes))
                    })
                }
            }
        }
    };
    tally.check("local/non_utf8_body", problem, "");
}
