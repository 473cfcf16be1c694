//! Link 0 of an offer's lapse timer goes out with the offer's mail, under the mail's claim, with
//! no enqueue record of its own. A mail that failed and goes out on a later pass arms the link
//! under its own record: an offer has at most two link-0 messages, and its mail goes once.

use std::time::Duration;

use dispatch_core::domain::*;
use dispatch_core::faults::When;
use dispatch_core::ports::QueueId;
use dispatch_core::requests::Requests;

use crate::common::{charter, member, Kind, TestApp};
use crate::reconcile::{day, rig};

both!(
    the_first_lapse_link_goes_with_the_offer_mail,
    a_failed_offer_mail_arms_the_first_link_at_most_twice,
    a_new_charters_first_offer_takes_its_claim_and_mark_along,
);

/// A rig with one captain free on [`day`] and a stored charter that day, not yet reconciled.
async fn one_captain(kind: Kind) -> (TestApp, Charter) {
    let r = rig(kind).await;
    let day = day();
    let b = &r.world.backend;
    b.roster
        .upsert_batch(&[member("cap-a", true, false, &[day.as_str()])])
        .await
        .unwrap();
    let c = charter(&day, 4, Some(0));
    b.charters.insert(&c).await.unwrap();
    (r, c)
}

/// Lapse timers on the cascade queue (delayed or due).
async fn timers(r: &TestApp) -> u64 {
    let q = r.backend().queues.depth(QueueId::Cascade).await.unwrap();
    q.delayed + q.visible
}

/// The enqueue record of link 0 of `offer`'s lapse timer.
async fn link0_record(r: &TestApp, offer: &Offer) -> bool {
    let key = format!("enqueue#offer_timeout#{}#0", offer.offer_id);
    r.backend().idempotency.get(&key).await.unwrap().is_some()
}

/// Reconciles until a pass succeeds (a pass right after a failed mail may meet its claim,
/// given up a moment ago, still live by a clock tick), for at most 10 s.
async fn reconcile_ok(r: &TestApp, c: &Charter) {
    let end = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Err(e) = r.cascade.reconcile(&c.charter_id).await {
        assert!(
            tokio::time::Instant::now() < end,
            "reconcile kept failing: {e}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn the_first_lapse_link_goes_with_the_offer_mail(kind: &Kind) {
    let (r, c) = one_captain(*kind).await;
    reconcile_ok(&r, &c).await;
    let o = r.open_offers(std::slice::from_ref(&c)).await.remove(0);
    assert_eq!(r.mails_to("mail#offer#"), 1);
    assert_eq!(timers(&r).await, 1, "one lapse timer");
    assert!(
        !link0_record(&r, &o).await,
        "link 0 has no record of its own"
    );
    reconcile_ok(&r, &c).await;
    assert_eq!(r.mails_to("mail#offer#"), 1, "mailed once");
    assert_eq!(timers(&r).await, 1, "a pass after it arms nothing");
}

async fn a_failed_offer_mail_arms_the_first_link_at_most_twice(kind: &Kind) {
    let (r, c) = one_captain(*kind).await;
    r.faults.fail("mail.send", When::Nth(1));
    assert!(
        r.cascade.reconcile(&c.charter_id).await.is_err(),
        "the mail failed"
    );
    let o = r.open_offers(std::slice::from_ref(&c)).await.remove(0);
    assert_eq!(r.mails_to("mail#offer#"), 0);
    assert_eq!(timers(&r).await, 1, "the link went before the mail");
    reconcile_ok(&r, &c).await;
    assert_eq!(
        r.mails_to("mail#offer#"),
        1,
        "the mail went on the next pass"
    );
    assert_eq!(
        timers(&r).await,
        2,
        "the pass that took the claim over armed it again"
    );
    assert!(link0_record(&r, &o).await, "under its own record");
    for _ in 0..2 {
        reconcile_ok(&r, &c).await;
    }
    assert_eq!(r.mails_to("mail#offer#"), 1, "mailed once");
    assert_eq!(timers(&r).await, 2, "at most two link-0 messages");
}

/// The first pass over a new charter writes its offer, the offer's mail claim and the charter's
/// mark in the unsettled index in one transaction: the writes of that pass are that one, the
/// lapse timer's link, the mail claim's completion, the `offer_sent` note and the fresh mark
/// after acting. Nothing claims the timer's link or the mail apart.
async fn a_new_charters_first_offer_takes_its_claim_and_mark_along(kind: &Kind) {
    let (r, c) = one_captain(*kind).await;
    let before = Requests::now();
    reconcile_ok(&r, &c).await;
    let used = Requests::now().since(&before);
    println!("first pass: {}", used.summary());
    assert_eq!(r.mails_to("mail#offer#"), 1);
    let marked = r.backend().charters.unsettled().await.unwrap();
    assert!(
        marked.iter().any(|u| u.key.charter_id == c.charter_id),
        "in the unsettled index"
    );
    let o = r.open_offers(std::slice::from_ref(&c)).await.remove(0);
    let claim = r
        .backend()
        .idempotency
        .get(&format!("mail#offer#{}", o.offer_id))
        .await
        .unwrap()
        .expect("the mail's claim");
    assert_eq!(
        claim.status,
        dispatch_core::ports::IdempotencyStatus::Completed
    );
    if *kind == Kind::Aws {
        let n = |op: &str| used.0.get(op).copied().unwrap_or(0);
        assert_eq!(n("dynamodb.TransactWriteItems"), 1, "{}", used.summary());
        assert_eq!(
            n("dynamodb.PutItem"),
            1,
            "only the note: {}",
            used.summary()
        );
        assert_eq!(
            n("dynamodb.UpdateItem"),
            2,
            "the claim's completion and the mark after acting: {}",
            used.summary()
        );
        assert_eq!(
            n("sqs.SendMessageBatch"),
            1,
            "the timer's link: {}",
            used.summary()
        );
    }
}
