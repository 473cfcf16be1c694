//! No drift between `infra/template.yaml` and what `dispatch bootstrap` creates: the same tables
//! (keys, GSI, stream, TTL) and queues (DLQs, redrive count), from one source of truth
//! (`dispatch_core::schema`). The negative cases change one side only and must be caught.

use dispatch_core::ports::QueueId;
use dispatch_core::schema;
use serde_json::Value;

fn template() -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/infra/template.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_norway::from_str(&text).expect("infra/template.yaml is plain YAML")
}

/// `${Prefix}name` → `name`.
fn base_name(v: &Value) -> Option<String> {
    v.get("Fn::Sub")?
        .as_str()?
        .strip_prefix("${Prefix}")
        .map(str::to_string)
}

fn resources(t: &Value, kind: &str) -> Vec<(String, Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(k, r)| (k.clone(), r["Properties"].clone()))
        .collect()
}

fn key(props: &Value) -> (Option<String>, Option<String>) {
    let find = |t: &str| {
        props["KeySchema"]
            .as_array()
            .and_then(|a| a.iter().find(|k| k["KeyType"] == t))
            .and_then(|k| k["AttributeName"].as_str())
            .map(str::to_string)
    };
    (find("HASH"), find("RANGE"))
}

/// Every difference between the template and the schema, as readable lines.
fn drift(t: &Value, max_receive_count: u32) -> Vec<String> {
    let mut out = Vec::new();
    let tables = resources(t, "AWS::DynamoDB::Table");
    for spec in schema::tables() {
        let Some((_, p)) = tables
            .iter()
            .find(|(_, p)| base_name(&p["TableName"]).as_deref() == Some(spec.base))
        else {
            out.push(format!("table {} missing from the template", spec.base));
            continue;
        };
        if key(p)
            != (
                Some(spec.key.hash.to_string()),
                spec.key.range.map(str::to_string),
            )
        {
            out.push(format!(
                "table {}: key {:?} differs from bootstrap's {:?}",
                spec.base,
                key(p),
                spec.key
            ));
        }
        let gsis = p["GlobalSecondaryIndexes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if gsis.len() != spec.indexes.len() {
            out.push(format!(
                "table {}: {} indexes, bootstrap makes {}",
                spec.base,
                gsis.len(),
                spec.indexes.len()
            ));
        }
        for (name, k) in &spec.indexes {
            match gsis.iter().find(|g| g["IndexName"] == *name) {
                None => out.push(format!("table {}: index {name} missing", spec.base)),
                Some(g) if key(g) != (Some(k.hash.to_string()), k.range.map(str::to_string)) => {
                    out.push(format!("table {}: index {name} key differs", spec.base))
                }
                Some(_) => {}
            }
        }
        let stream =
            p["StreamSpecification"]["StreamViewType"].as_str() == Some("NEW_AND_OLD_IMAGES");
        if stream != spec.stream {
            out.push(format!(
                "table {}: stream NEW_AND_OLD_IMAGES is {stream}, bootstrap says {}",
                spec.base, spec.stream
            ));
        }
        let ttl = p["TimeToLiveSpecification"]["AttributeName"]
            .as_str()
            .map(str::to_string);
        if ttl.as_deref() != spec.ttl {
            out.push(format!(
                "table {}: TTL {ttl:?}, bootstrap says {:?}",
                spec.base, spec.ttl
            ));
        }
    }
    if tables.len() != schema::tables().len() {
        out.push(format!(
            "template has {} tables, bootstrap makes {}",
            tables.len(),
            schema::tables().len()
        ));
    }
    let queues = resources(t, "AWS::SQS::Queue");
    let logical_to_base: Vec<(String, String)> = queues
        .iter()
        .filter_map(|(id, p)| base_name(&p["QueueName"]).map(|b| (id.clone(), b)))
        .collect();
    for spec in schema::queues(max_receive_count) {
        let name = spec.queue.base_name();
        let Some((_, p)) = queues
            .iter()
            .find(|(_, p)| base_name(&p["QueueName"]).as_deref() == Some(name))
        else {
            out.push(format!("queue {name} missing from the template"));
            continue;
        };
        let redrive = p.get("RedrivePolicy").map(|r| {
            let target = r["deadLetterTargetArn"]["Fn::GetAtt"][0]
                .as_str()
                .unwrap_or("");
            let dlq = logical_to_base
                .iter()
                .find(|(id, _)| id == target)
                .map(|(_, b)| b.clone())
                .unwrap_or_default();
            (dlq, r["maxReceiveCount"].as_u64().unwrap_or(0))
        });
        let want = spec
            .redrive
            .map(|(d, n): (QueueId, u32)| (d.base_name().to_string(), u64::from(n)));
        if redrive != want {
            out.push(format!(
                "queue {name}: redrive {redrive:?}, bootstrap sets {want:?}"
            ));
        }
    }
    if queues.len() != schema::queues(max_receive_count).len() {
        out.push(format!(
            "template has {} queues, bootstrap makes {}",
            queues.len(),
            schema::queues(max_receive_count).len()
        ));
    }
    out
}

#[test]
fn template_matches_bootstrap() {
    let d = drift(&template(), 5);
    assert!(d.is_empty(), "drift: {d:#?}");
}

#[test]
fn drift_is_caught_when_one_side_changes() {
    // A table key changed in the template only.
    let mut t = template();
    t["Resources"]["ChartersTable"]["Properties"]["KeySchema"][1]["AttributeName"] =
        "booked_at".into();
    let d = drift(&t, 5);
    assert!(
        d.iter().any(|l| l.contains("table crew-dispatch: key")),
        "{d:?}"
    );
    // A redrive count changed in the template only.
    let mut t = template();
    t["Resources"]["CascadeQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] = 3.into();
    let d = drift(&t, 5);
    assert!(
        d.iter().any(|l| l.contains("queue cascade: redrive")),
        "{d:?}"
    );
    // Bootstrap's side changed (another redrive count): the unchanged template no longer matches.
    let d = drift(&template(), 4);
    assert_eq!(
        d.iter().filter(|l| l.contains("redrive")).count(),
        3,
        "{d:?}"
    );
    // The stream turned off, or a queue dropped.
    let mut t = template();
    t["Resources"]["ChartersTable"]["Properties"]
        .as_object_mut()
        .unwrap()
        .remove("StreamSpecification");
    t["Resources"].as_object_mut().unwrap().remove("IngestDlq");
    let d = drift(&t, 5);
    assert!(
        d.iter().any(|l| l.contains("stream"))
            && d.iter().any(|l| l.contains("queue ingest-dlq missing")),
        "{d:?}"
    );
}

#[test]
fn queue_visibility_is_six_times_the_worker_timeout() {
    let t = template();
    let timeout = t["Resources"]["WorkerFunction"]["Properties"]["Timeout"]
        .as_u64()
        .unwrap();
    for q in ["CascadeQueue", "ReportsQueue", "RosterQueue"] {
        let vis = t["Resources"][q]["Properties"]["VisibilityTimeout"]
            .as_u64()
            .unwrap();
        assert!(vis >= 6 * timeout, "{q}: visibility {vis} < 6 x {timeout}");
    }
    let esm = &t["Resources"]["StreamMapping"]["Properties"];
    assert_eq!(esm["FunctionResponseTypes"][0], "ReportBatchItemFailures");
    assert_eq!(esm["BisectBatchOnFunctionError"], true);
}

#[test]
fn every_schedule_sends_a_job_this_build_runs_and_the_sweep_runs_each_minute() {
    let t = template();
    let schedules = resources(&t, "AWS::Scheduler::Schedule");
    assert!(schedules.len() >= 3, "{schedules:?}");
    for (name, props) in &schedules {
        let input = props["Target"]["Input"].as_str().unwrap();
        // The scheduler substitutes its placeholders; any text there parses the same way.
        let body = input.replace("<aws.scheduler.scheduled-time>", "2026-12-01T10:00:00Z");
        let job = dispatch_core::domain::JobEnvelope::parse(&body)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            job.key.contains("2026-12-01T10:00:00Z"),
            "{name}: a key per firing"
        );
        if job.kind == dispatch_core::domain::JobKind::Sweep {
            assert_eq!(props["ScheduleExpression"], "rate(1 minute)");
            assert_eq!(props["Target"]["Arn"]["Fn::GetAtt"][0], "CascadeQueue");
        }
    }
    assert!(schedules.iter().any(|(_, p)| p["Target"]["Input"]
        .as_str()
        .unwrap()
        .contains("\"kind\":\"sweep\"")));
}

#[test]
fn reminders_run_hourly_on_the_cascade_queue_and_every_function_knows_the_time_zone() {
    let t = template();
    let schedules = resources(&t, "AWS::Scheduler::Schedule");
    let (name, props) = schedules
        .iter()
        .find(|(_, p)| {
            p["Target"]["Input"]
                .as_str()
                .unwrap()
                .contains("\"kind\":\"reminders\"")
        })
        .expect("a schedule sends the reminders job");
    assert_eq!(props["ScheduleExpression"], "rate(1 hour)", "{name}");
    assert_eq!(
        props["Target"]["Arn"]["Fn::GetAtt"][0], "CascadeQueue",
        "{name}"
    );
    let body = props["Target"]["Input"]
        .as_str()
        .unwrap()
        .replace("<aws.scheduler.scheduled-time>", "2026-12-01T10:00:00Z");
    let job = dispatch_core::domain::JobEnvelope::parse(&body).unwrap();
    assert_eq!(job.kind, dispatch_core::domain::JobKind::Reminders);
    let functions = resources(&t, "AWS::Lambda::Function");
    assert!(functions.len() >= 3);
    for (name, f) in &functions {
        assert_eq!(
            f["Environment"]["Variables"]["DISPATCH_TIME_ZONE"]["Ref"], "BusinessTimezone",
            "{name} reads the business's time zone"
        );
    }
}
