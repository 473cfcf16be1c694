//! The ingest-DLQ procedure of the runbook, end to end on both backends: a charter the booking
//! system wrote with `charter_date = "12/14/2026"` lands in `ingest-dlq`; `charter show`
//! explains it; `charter add --update` repairs it; `dlq replay` then succeeds and the charter is
//! offered; a second one is discarded with a reason (kept in its thread); looking at the DLQ
//! twice changes no receive count.

use std::process::Stdio;
use std::time::Duration;

use dispatch_core::domain::CharterId;
use dispatch_core::item::Item;
use dispatch_core::ports::QueueId;
use serde_dynamo::AttributeValue as AV;

use crate::common::{eventually, Dispatch, Kind, World};
use crate::{random_link_key, write_json};

both!(a_malformed_booking_is_explained_repaired_replayed_and_another_discarded);

/// An item as the booking system's PutItem writes it, its date in the US form.
fn booking_row(id: &CharterId, us_date: &str) -> Item {
    [
        ("charter_id", AV::S(id.to_string())),
        ("created_at", AV::S(chrono::Utc::now().to_rfc3339())),
        ("charter_date", AV::S(us_date.into())),
        ("vessel_name", AV::S("Marlin".into())),
        ("guest_count", AV::N("4".into())),
        ("status", AV::S("booked".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The `receives:N` of every line of `dlq list` (plain layout).
fn receives(list: &str) -> Vec<String> {
    list.lines()
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("receives:")))
        .map(str::to_string)
        .collect()
}

async fn a_malformed_booking_is_explained_repaired_replayed_and_another_discarded(kind: &Kind) {
    let world = World::new(*kind).await;
    let mut run = Dispatch::on(&world).env("RUST_LOG", "warn");
    if *kind == Kind::Aws {
        run = run.env("DISPATCH_LINK_KEYS", random_link_key());
    }
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(9);
    let (iso, us) = (
        day.format("%Y-%m-%d").to_string(),
        day.format("%m/%d/%Y").to_string(),
    );
    write_json(
        &run.dir().join("roster.json"),
        &serde_json::json!([{"crew_id": "crew-cap", "name": "Cora Cap", "email": "cap@crew.example.com",
            "captain_certified": true, "available_dates": [iso], "certifications": ["deckhand"], "active": true}]),
    );
    run.ok(&["roster", "import", "roster.json"]);
    let (bad, other) = (CharterId::new_random(), CharterId::new_random());
    for id in [&bad, &other] {
        world
            .backend
            .charters
            .put_raw(&booking_row(id, &us))
            .await
            .unwrap();
    }
    let log = run.dir().join("run.log");
    let mut dispatch_run = run.start_run(
        "ingest,workers",
        Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    let queues = world.backend.queues.clone();
    let letters = eventually(
        "both bookings in ingest-dlq",
        Duration::from_secs(60),
        || {
            let queues = queues.clone();
            async move {
                let got = queues.peek(QueueId::IngestDlq, 10).await.ok()?;
                (got.len() == 2).then_some(got)
            }
        },
    )
    .await;
    let id_of = |c: &CharterId| {
        letters
            .iter()
            .find(|m| m.body.contains(c.as_str()))
            .map(|m| m.message_id.clone())
            .unwrap()
    };
    let (bad_msg, other_msg) = (id_of(&bad), id_of(&other));

    // Looking twice counts as no receive; the list has a header row.
    let first = run.ok(&["dlq", "list", "--queue", "ingest-dlq"]);
    let first = crate::common::text(&first);
    assert!(
        first.contains("MESSAGE") && first.contains("RECEIVES"),
        "{first}"
    );
    let again = crate::common::text(&run.ok(&["dlq", "list", "--queue", "ingest-dlq"]));
    run.ok(&["dlq", "show", &bad_msg, "--queue", "ingest-dlq"]);
    assert_eq!(receives(&first).len(), 2, "{first}");
    assert_eq!(receives(&first), receives(&again), "{first}\n{again}");
    let third = crate::common::text(&run.ok(&["dlq", "list", "--queue", "ingest-dlq"]));
    assert_eq!(receives(&first), receives(&third), "{first}\n{third}");

    // `charter show` explains the stored item and names its dead letter.
    let (code, shown) = run.code_and_text(&["charter", "show", bad.as_str()]);
    assert_eq!(code, 2, "{shown}");
    assert!(
        shown.contains("cannot be read") && shown.contains("charter_date") && shown.contains(&us),
        "{shown}"
    );
    assert!(
        shown.contains("DEAD LETTER in ingest-dlq") && shown.contains(&bad_msg),
        "{shown}"
    );

    // The other one is discarded with a reason, kept in its thread.
    let (code, gone) = run.code_and_text(&[
        "dlq",
        "discard",
        "--queue",
        "ingest-dlq",
        "--id",
        &other_msg,
        "--reason",
        "test booking, deleted in the booking system",
    ]);
    assert_eq!(code, 0, "{gone}");
    assert!(
        gone.contains("discarding:") && gone.contains(other.as_str()),
        "{gone}"
    );
    let thread = world.backend.thread.list(&other).await.unwrap();
    assert!(
        thread.iter().any(|e| e
            .text
            .contains("test booking, deleted in the booking system")),
        "{thread:?}"
    );

    // Repaired in place. The repair's own change record carries the bad item as its old image,
    // so the stream dead-letters it too; replaying the queue re-reads the item for both.
    let fixed = run.ok(&[
        "charter",
        "add",
        "--id",
        bad.as_str(),
        "--update",
        "--date",
        &iso,
    ]);
    assert!(
        crate::common::text(&fixed).contains("updated charter"),
        "{}",
        crate::common::text(&fixed)
    );
    let queues = world.backend.queues.clone();
    eventually(
        "the repair's record in ingest-dlq",
        Duration::from_secs(60),
        || {
            let queues = queues.clone();
            async move {
                let got = queues.peek(QueueId::IngestDlq, 10).await.ok()?;
                (got.len() == 2).then_some(())
            }
        },
    )
    .await;
    let (code, replayed) = run.code_and_text(&["dlq", "replay", "--queue", "ingest-dlq"]);
    assert_eq!(code, 0, "{replayed}");
    assert!(
        replayed.contains(&format!("replayed {bad_msg}"))
            && replayed.contains("2 replayed, 0 failed"),
        "{replayed}"
    );
    let offers = world.backend.offers.clone();
    let bad_id = bad.clone();
    eventually(
        "an offer for the repaired charter",
        Duration::from_secs(60),
        || {
            let offers = offers.clone();
            let id = bad_id.clone();
            async move {
                let got = offers.for_charter(&id).await.ok()?;
                (!got.is_empty()).then_some(())
            }
        },
    )
    .await;
    assert!(world
        .backend
        .queues
        .peek(QueueId::IngestDlq, 10)
        .await
        .unwrap()
        .is_empty());
    dispatch_run.terminate();
}
