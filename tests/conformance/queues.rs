//! The queues: a message not deleted comes back and dead-letters after the receive budget,
//! delays hold, visibility changes and batch deletes; bootstrap twice, then doctor is clean.

use std::time::{Duration, Instant};

use dispatch_core::ports::*;

use crate::common::{eventually, World, TEST_MAX_RECEIVES};

both!(
    unvisited_message_returns_then_dead_letters,
    delayed_message_not_seen_early,
    visibility_change_and_delete,
    bootstrap_twice_then_doctor_is_clean,
);

pub async fn unvisited_message_returns_then_dead_letters(w: &World) {
    let q = &w.backend.queues;
    q.send(
        QueueId::Cascade,
        &[OutMessage::new("{\"poison\":true}").attribute("origin", "test")],
    )
    .await
    .unwrap();
    let vis = Duration::from_secs(1);
    let mut seen = Vec::new();
    for attempt in 1..=TEST_MAX_RECEIVES {
        let got = eventually(
            "the message to come back",
            Duration::from_secs(15),
            || async {
                let r = q
                    .receive(QueueId::Cascade, 10, Duration::from_secs(1), vis)
                    .await
                    .unwrap();
                (!r.is_empty()).then_some(r)
            },
        )
        .await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].receive_count, attempt, "receive count");
        assert_eq!(
            got[0].attributes.get("origin").map(String::as_str),
            Some("test")
        );
        seen.push(got[0].message_id.clone());
        // Not deleted: hidden for the visibility timeout.
        assert!(
            q.receive(QueueId::Cascade, 10, Duration::ZERO, vis)
                .await
                .unwrap()
                .is_empty(),
            "hidden while in flight"
        );
    }
    assert!(
        seen.windows(2).all(|p| p[0] == p[1]),
        "the same message came back"
    );
    // Past maxReceiveCount it moves to the DLQ instead of coming back.
    let dead = eventually(
        "the message in the DLQ",
        Duration::from_secs(20),
        || async {
            let main = q
                .receive(QueueId::Cascade, 10, Duration::ZERO, vis)
                .await
                .unwrap();
            assert!(
                main.is_empty(),
                "received more than maxReceiveCount times: {main:?}"
            );
            let d = q
                .receive(
                    QueueId::CascadeDlq,
                    10,
                    Duration::from_secs(1),
                    Duration::from_secs(30),
                )
                .await
                .unwrap();
            (!d.is_empty()).then_some(d)
        },
    )
    .await;
    assert_eq!(dead[0].body, "{\"poison\":true}");
    assert_eq!(dead[0].message_id, seen[0]);
}

pub async fn delayed_message_not_seen_early(w: &World) {
    let q = &w.backend.queues;
    let start = Instant::now();
    q.send(
        QueueId::Reports,
        &[OutMessage::new("later").delayed(Duration::from_secs(2))],
    )
    .await
    .unwrap();
    assert!(
        q.receive(QueueId::Reports, 10, Duration::ZERO, Duration::from_secs(5))
            .await
            .unwrap()
            .is_empty(),
        "seen before its delay"
    );
    let got = eventually("the delayed message", Duration::from_secs(15), || async {
        let r = q
            .receive(
                QueueId::Reports,
                10,
                Duration::from_secs(1),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        (!r.is_empty()).then_some(r)
    })
    .await;
    assert!(
        start.elapsed() >= Duration::from_millis(1900),
        "seen after {:?}",
        start.elapsed()
    );
    assert_eq!(got[0].body, "later");
}

pub async fn visibility_change_and_delete(w: &World) {
    let q = &w.backend.queues;
    let bodies: Vec<OutMessage> = (0..12).map(|i| OutMessage::new(format!("m{i}"))).collect();
    let ids = q.send(QueueId::Roster, &bodies).await.unwrap();
    assert_eq!(ids.len(), 12);
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(15);
    while got.len() < 12 {
        assert!(
            Instant::now() < end,
            "only {} of 12 messages came",
            got.len()
        );
        got.extend(
            q.receive(
                QueueId::Roster,
                10,
                Duration::from_secs(1),
                Duration::from_secs(60),
            )
            .await
            .unwrap(),
        );
    }
    let mut bodies: Vec<_> = got.iter().map(|m| m.body.clone()).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 12);
    // Release one at once: it is visible again.
    q.change_visibility(QueueId::Roster, &got[0].receipt, Duration::ZERO)
        .await
        .unwrap();
    let back = eventually("the released message", Duration::from_secs(10), || async {
        let r = q
            .receive(
                QueueId::Roster,
                10,
                Duration::from_secs(1),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        (!r.is_empty()).then_some(r)
    })
    .await;
    assert_eq!(back[0].body, got[0].body);
    let mut receipts: Vec<String> = got[1..].iter().map(|m| m.receipt.clone()).collect();
    receipts.push(back[0].receipt.clone());
    let failed = q.delete(QueueId::Roster, &receipts).await.unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    let depth = q.depth(QueueId::Roster).await.unwrap();
    assert_eq!(depth, QueueDepth::default());
}

pub async fn bootstrap_twice_then_doctor_is_clean(w: &World) {
    let again = w.backend.admin.bootstrap().await.unwrap();
    assert_eq!(again.len(), 4 + QueueId::ALL.len());
    assert!(
        again.iter().all(|(_, p)| *p == Provisioned::AlreadyThere),
        "{again:?}"
    );
    let checks = w.backend.admin.doctor().await.unwrap();
    assert_eq!(checks.len(), 4 + QueueId::ALL.len());
    let problems: Vec<_> = checks.iter().filter(|c| c.problem.is_some()).collect();
    assert!(problems.is_empty(), "{problems:?}");
}
