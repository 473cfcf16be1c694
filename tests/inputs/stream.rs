//! Stream records of the wrong shape, as Lambda delivers them (a DynamoDB stream event), each in
//! a batch with a good INSERT after it. The batch must not fail (no retry storm), the bad record
//! must be in `ingest-dlq` whole, with an error that names its key and the attribute, and the
//! good record's captain cascade must be queued. Plus dead-letter bodies `dispatch dlq replay`
//! could be handed, which must be refused with a reason.

use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use dispatch_core::domain::*;
use dispatch_core::ports::QueueId;
use dispatch_ingest::consumer::record_from_dead_letter;
use dispatch_ingest::lambda::StreamLambda;

use crate::{unclear, Env, Tally};

struct Case {
    name: &'static str,
    event: &'static str,
    /// The NewImage's attributes after charter_id and created_at (DynamoDB JSON, without braces).
    new_image: &'static str,
    old_image: Option<&'static str>,
    fragment: &'static str,
}

const GOOD: &str = r#""charter_date":{"S":"2024-06-03"},"vessel_name":{"S":"Marlin"},"guest_count":{"N":"4"},"status":{"S":"booked"}"#;

const CASES: &[Case] = &[
    Case {
        name: "date_that_does_not_exist",
        event: "INSERT",
        new_image: r#""charter_date":{"S":"2024-02-30"}"#,
        old_image: None,
        fragment: "attribute `charter_date` is not valid",
    },
    Case {
        name: "date_missing",
        event: "INSERT",
        new_image: r#""vessel_name":{"S":"Marlin"}"#,
        old_image: None,
        fragment: "attribute `charter_date` is missing",
    },
    Case {
        name: "guest_count_as_string",
        event: "INSERT",
        new_image: r#""charter_date":{"S":"2024-06-03"},"guest_count":{"S":"four"}"#,
        old_image: None,
        fragment: "attribute `guest_count` must be a number (N), found S",
    },
    Case {
        name: "guest_count_negative",
        event: "INSERT",
        new_image: r#""charter_date":{"S":"2024-06-03"},"guest_count":{"N":"-4"}"#,
        old_image: None,
        fragment: "`guest_count` must be a whole number",
    },
    Case {
        name: "revenue_not_decimal",
        event: "INSERT",
        new_image: r#""charter_date":{"S":"2024-06-03"},"reportable_revenue":{"N":"1e400"}"#,
        old_image: None,
        fragment: "reportable_revenue",
    },
    Case {
        name: "status_unknown",
        event: "INSERT",
        new_image: r#""charter_date":{"S":"2024-06-03"},"status":{"S":"sunk"}"#,
        old_image: None,
        fragment: "found `sunk`",
    },
    Case {
        name: "crew_list_of_numbers",
        event: "INSERT",
        new_image: r#""charter_date":{"S":"2024-06-03"},"crew_assigned":{"L":[{"N":"1"}]}"#,
        old_image: None,
        fragment: "attribute `crew_assigned` item 0 must be a string (S), found N",
    },
    Case {
        name: "captain_with_hash",
        event: "INSERT",
        new_image: r#""charter_date":{"S":"2024-06-03"},"captain_assigned":{"S":"a#b"}"#,
        old_image: None,
        fragment: "attribute `captain_assigned` is not valid",
    },
    Case {
        name: "modify_without_old_image",
        event: "MODIFY",
        new_image: GOOD,
        old_image: None,
        fragment: "old",
    },
    Case {
        name: "modify_with_bad_old_image",
        event: "MODIFY",
        new_image: GOOD,
        old_image: Some(r#""charter_date":{"BOOL":true}"#),
        fragment: "attribute `charter_date` must be a string (S), found BOOL",
    },
    Case {
        name: "remove_without_old_image",
        event: "REMOVE",
        new_image: "",
        old_image: None,
        fragment: "old",
    },
];

pub const COUNT: usize = CASES.len() + DEAD.len();

/// Bodies of `ingest-dlq` messages that are not stream-record dead letters.
const DEAD: &[(&str, &str, &str)] = &[
    ("dead_not_json", "nope", "not JSON"),
    (
        "dead_other_kind",
        r#"{"kind":"monthly_report"}"#,
        "not a stream record dead letter",
    ),
    (
        "dead_bad_event_name",
        r#"{"kind":"stream_record","event_name":"UPSERT"}"#,
        "unknown event_name UPSERT",
    ),
    (
        "dead_bad_tag",
        r#"{"kind":"stream_record","event_name":"INSERT","new_image":{"charter_id":{"Q":"x"}}}"#,
        "unknown type tag Q",
    ),
    (
        "dead_image_not_object",
        r#"{"kind":"stream_record","event_name":"INSERT","new_image":[1]}"#,
        "expected an object",
    ),
];

fn record(event: &str, seq: u64, id: &str, new_image: &str, old_image: Option<&str>) -> String {
    let key = format!(r#""charter_id":{{"S":"{id}"}},"created_at":{{"S":"2024-04-01T10:00:00Z"}}"#);
    let image = |attrs: &str| {
        if attrs.is_empty() {
            format!("{{{key}}}")
        } else {
            format!("{{{key},{attrs}}}")
        }
    };
    let new = if event == "REMOVE" {
        String::new()
    } else {
        format!(r#","NewImage":{}"#, image(new_image))
    };
    let old = old_image
        .map(|o| format!(r#","OldImage":{}"#, image(o)))
        .unwrap_or_default();
    format!(
        r#"{{"eventID":"e{seq}","eventName":"{event}","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1",
            "dynamodb":{{"ApproximateCreationDateTime":1711962000.0,"Keys":{{{key}}}{new}{old},"SequenceNumber":"{seq:021}","SizeBytes":100,"StreamViewType":"NEW_AND_OLD_IMAGES"}},
            "eventSourceARN":"arn:aws:dynamodb:us-east-1:123456789012:table/crew-dispatch/stream/2024-04-01T00:00:00.000"}}"#
    )
}

pub async fn run(env: &Env) {
    let lambda = StreamLambda {
        handler: dispatch::app::record_handler(&env.backend),
        queues: env.backend.queues.clone(),
        attempts: 2,
    };
    let mut tally = Tally::default();
    for (i, case) in CASES.iter().enumerate() {
        let bad_id = CharterId::new_random().to_string();
        let good_id = CharterId::new_random().to_string();
        let seq = 1000 + 2 * i as u64;
        let json = format!(
            r#"{{"Records":[{},{}]}}"#,
            record(case.event, seq, &bad_id, case.new_image, case.old_image),
            record("INSERT", seq + 1, &good_id, GOOD, None)
        );
        let event: StreamEvent = match serde_json::from_str(&json) {
            Ok(e) => e,
            Err(e) => {
                tally.check(
                    &format!("{}/{}", env.kind, case.name),
                    Some(format!("the test event does not parse: {e}")),
                    &json,
                );
                continue;
            }
        };
        let response = lambda.handle(event).await;
        let mut problem = (!response.batch_item_failures.is_empty())
            .then(|| format!("the batch failed: {:?}", response.batch_item_failures));
        let mut seen = String::new();
        if problem.is_none() {
            // The bad record, whole, in ingest-dlq with its error.
            let found =
                crate::common::eventually("the dead letter", Duration::from_secs(30), || async {
                    let got = env
                        .backend
                        .queues
                        .receive(
                            QueueId::IngestDlq,
                            10,
                            Duration::from_secs(1),
                            Duration::from_secs(60),
                        )
                        .await
                        .ok()?;
                    let receipts: Vec<String> = got.iter().map(|m| m.receipt.clone()).collect();
                    let _ = env
                        .backend
                        .queues
                        .delete(QueueId::IngestDlq, &receipts)
                        .await;
                    got.into_iter().find(|m| m.body.contains(&bad_id))
                })
                .await;
            let why = found
                .attributes
                .get("dispatch-error")
                .cloned()
                .unwrap_or_default();
            seen = why.clone();
            problem = unclear(&why, case.fragment)
                // A record without its image is named by the dead letter's shard/sequence (its
                // body holds the keys); every other error names the record's key itself.
                .or_else(|| {
                    (case.fragment != "old" && !why.contains(&bad_id))
                        .then(|| "the error does not name the record's key".to_string())
                })
                .or_else(|| {
                    (!found.body.contains(&bad_id))
                        .then(|| "the dead letter lacks the record's keys".to_string())
                })
                .or_else(|| {
                    record_from_dead_letter(&found.body)
                        .err()
                        .map(|e| format!("the dead letter cannot be replayed: {e}"))
                });
        }
        if problem.is_none() {
            // The good record's captain cascade is queued.
            crate::common::eventually("the good record's job", Duration::from_secs(30), || async {
                let got = env
                    .backend
                    .queues
                    .receive(
                        QueueId::Cascade,
                        10,
                        Duration::from_secs(1),
                        Duration::from_secs(60),
                    )
                    .await
                    .ok()?;
                let receipts: Vec<String> = got.iter().map(|m| m.receipt.clone()).collect();
                let _ = env.backend.queues.delete(QueueId::Cascade, &receipts).await;
                got.iter().any(|m| m.body.contains(&good_id)).then_some(())
            })
            .await;
        }
        tally.check(&format!("{}/{}", env.kind, case.name), problem, &seen);
    }
    for (name, body, fragment) in DEAD {
        let problem = match record_from_dead_letter(body) {
            Ok(r) => Some(format!("accepted: {r:?}")),
            Err(e) => unclear(&e, fragment),
        };
        tally.check(&format!("{}/{name}", env.kind), problem, body);
    }
    tally.finish("stream");
}
