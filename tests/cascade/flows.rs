//! The cascade's flows on the embedded backend: a cancellation releases holds, revokes offers and
//! tells the crew; replays send nothing twice and escalate once; a long lapse is chained in
//! 15-minute links (SQS's longest delay).

use std::collections::BTreeMap;
use std::time::Duration;

use dispatch_core::domain::*;
use dispatch_core::ports::*;

use crate::common::{charter, member, TestApp};
use crate::DATES;

/// A cascade on the embedded backend whose offers stay open for `offer_timeout`.
async fn setup(offer_timeout: Duration) -> TestApp {
    TestApp::local().offer_timeout(offer_timeout).build().await
}

#[tokio::test]
async fn cancellation_releases_holds_revokes_offers_and_tells_the_crew() {
    let s = setup(Duration::from_secs(3600)).await;
    let roster = vec![
        member("cap", true, true, &DATES),
        member("d1", false, true, &DATES),
        member("d2", false, true, &DATES),
    ];
    s.world.backend.roster.upsert_batch(&roster).await.unwrap();
    let c = charter(DATES[0], 20, Some(2));
    s.world.backend.charters.insert(&c).await.unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap();
    let cap_offer = s.open_offers(std::slice::from_ref(&c)).await.remove(0);
    s.accept(&cap_offer).await.unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap();
    let crew_offers = s.open_offers(std::slice::from_ref(&c)).await;
    assert_eq!(
        crew_offers.len(),
        2,
        "two slots offered in parallel to two people"
    );
    s.accept(&crew_offers[0]).await.unwrap();
    s.world
        .backend
        .charters
        .set_status(&c.key(), CharterStatus::Cancelled)
        .await
        .unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap(); // a replay changes nothing
    for m in ["cap", crew_offers[0].crew_id.as_ref()] {
        assert!(
            s.world
                .backend
                .holds
                .get(&CrewId::parse(m).unwrap(), c.charter_date)
                .await
                .unwrap()
                .is_none(),
            "{m} still held"
        );
    }
    let revoked = s
        .world
        .backend
        .offers
        .get(&c.charter_id, &crew_offers[1].offer_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.status, OfferStatus::Revoked);
    let cancelled_mails = s
        .outbox
        .files()
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("Subject: Charter cancelled")
        })
        .count();
    assert_eq!(
        cancelled_mails, 2,
        "captain and the accepted deckhand are told, once each"
    );
    let thread = s.world.backend.thread.list(&c.charter_id).await.unwrap();
    assert_eq!(
        thread
            .iter()
            .filter(|e| e.kind == ThreadKind::Cancelled)
            .count(),
        1
    );
}

#[tokio::test]
async fn replays_send_nothing_twice_and_escalation_happens_once() {
    let s = setup(Duration::from_secs(3600)).await;
    s.world
        .backend
        .roster
        .upsert_batch(&[member("cap", true, true, &DATES)])
        .await
        .unwrap();
    let c = charter(DATES[1], 5, None);
    s.world.backend.charters.insert(&c).await.unwrap();
    for _ in 0..3 {
        s.cascade.reconcile(&c.charter_id).await.unwrap();
    }
    assert_eq!(
        s.world
            .backend
            .offers
            .for_charter(&c.charter_id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.outbox.files().len(),
        1,
        "one offer mail however often the job runs"
    );
    let timers = s
        .world
        .backend
        .queues
        .depth(QueueId::Cascade)
        .await
        .unwrap();
    assert_eq!(timers.delayed + timers.visible, 1, "one lapse timer");
    let o = s.open_offers(std::slice::from_ref(&c)).await.remove(0);
    s.decline(&o).await.unwrap();
    s.decline(&o).await.unwrap();
    for _ in 0..2 {
        s.cascade.reconcile(&c.charter_id).await.unwrap();
    }
    let ops: Vec<_> = s
        .outbox
        .files()
        .into_iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("Subject: Needs attention")
        })
        .collect();
    assert_eq!(ops.len(), 1, "one escalation mail");
    let thread = s.world.backend.thread.list(&c.charter_id).await.unwrap();
    let kinds: BTreeMap<String, usize> = thread.iter().fold(BTreeMap::new(), |mut m, e| {
        *m.entry(e.kind.to_string()).or_default() += 1;
        m
    });
    assert_eq!(kinds.get("escalated"), Some(&1));
    assert_eq!(kinds.get("offer_sent"), Some(&1));
    assert_eq!(kinds.get("declined"), Some(&1));
}

#[tokio::test]
async fn long_lapse_is_chained_in_15_minute_links() {
    let s = setup(Duration::from_secs(2 * 3600)).await;
    s.world
        .backend
        .roster
        .upsert_batch(&[
            member("cap", true, true, &DATES),
            member("cap2", true, true, &DATES),
        ])
        .await
        .unwrap();
    let c = charter(DATES[0], 5, None);
    s.world.backend.charters.insert(&c).await.unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap();
    let o = s.open_offers(std::slice::from_ref(&c)).await.remove(0);
    // The first link fires (early): the offer is not due, so the next link is scheduled.
    let timer = JobEnvelope::new(
        JobKind::OfferTimeout,
        format!("offer_timeout#{}#0", o.offer_id),
        serde_json::json!({"charter_id": c.charter_id, "offer_id": o.offer_id, "chain": 0}),
    );
    dispatch_ingest::worker::JobHandler::handle(
        &dispatch_cascade::jobs::CascadeJobs(s.cascade.clone()),
        &timer,
    )
    .await
    .unwrap();
    assert_eq!(
        s.world
            .backend
            .offers
            .get(&c.charter_id, &o.offer_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        OfferStatus::Open
    );
    let depth = s
        .world
        .backend
        .queues
        .depth(QueueId::Cascade)
        .await
        .unwrap();
    assert_eq!(
        depth.delayed, 2,
        "link 0 and link 1 are both waiting (15-minute SQS maximum each)"
    );
}
