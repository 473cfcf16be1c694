//! An answer replies right after its transaction: the reconciles it causes (the charter's next
//! step, the member's other offers that day withdrawn) are one job on the cascade queue for the
//! worker, and the reply costs a bounded number of storage requests however many offers the
//! member has that day. Pressing Accept again shows the confirmation. On both backends.
//!
//! The request counts are the process's (`dispatch_core::requests`): nextest runs each test in
//! its own process.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use dispatch_cascade::tokens::Scope;
use dispatch_cascade::Answer;
use dispatch_core::domain::*;
use dispatch_core::faults::When;
use dispatch_core::jobs::JobHandler;
use dispatch_core::ports::QueueId;
use dispatch_core::requests::Requests;
use tower::ServiceExt;

use crate::common::{charter, eventually, member, Kind, TestApp};
use crate::reconcile::day;

/// How many open offers the member has that day (the issue's benchmark case).
const SAME_DAY: usize = 15;
/// The most storage requests an answer may make before it replies.
const MAX_REQUESTS: u64 = 10;

both!(
    an_accept_replies_before_its_reconciles_in_a_few_requests,
    pressing_accept_twice_shows_the_confirmation,
    a_queue_outage_reconciles_the_answer_inline,
);

/// `ana`, the only captain, with an open offer on each of `n` charters that day.
async fn offered(app: &TestApp, n: usize) -> (Vec<Charter>, Vec<Offer>) {
    let day = day();
    let ana = member("ana", true, false, &[day.as_str()]);
    let mut charters = Vec::new();
    for _ in 0..n {
        let c = charter(&day, 4, Some(0));
        app.book(std::slice::from_ref(&ana), &c).await;
        charters.push(c);
    }
    let open = app.open_offers(&charters).await;
    assert_eq!(open.len(), n, "one open offer per charter");
    (charters, open)
}

/// The POST of the offer's Accept button, as the page's form sends it.
fn accept_post(app: &TestApp, o: &Offer) -> Request<Body> {
    let scope = Scope::Offer {
        charter: o.charter_id.clone(),
        offer: o.offer_id.clone(),
    };
    let token = app
        .cascade
        .links
        .issue(&o.crew_id, &scope, Utc::now(), chrono::Duration::hours(1));
    let guard = app.cascade.links.form_guard(&token);
    Request::post(format!("/o/{token}/accept"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("guard={guard}")))
        .unwrap()
}

async fn send(app: &TestApp, req: Request<Body>) -> (u16, String) {
    let res = dispatch_cascade::web::router(app.cascade.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Runs the `answered#` jobs on the real cascade queue as the worker does; how many ran.
async fn run_queued_answers(app: &TestApp) -> usize {
    let q = &app.world.backend.queues;
    let handler = dispatch_cascade::jobs::CascadeJobs(app.cascade.clone());
    let got = eventually(
        "the answer's job on the queue",
        Duration::from_secs(10),
        || async {
            let got = q
                .receive(
                    QueueId::Cascade,
                    10,
                    Duration::from_secs(1),
                    Duration::from_secs(60),
                )
                .await
                .unwrap();
            (!got.is_empty()).then_some(got)
        },
    )
    .await;
    let mut ran = 0;
    for m in got {
        let job = JobEnvelope::parse(&m.body).unwrap();
        assert!(
            job.key.starts_with("answered#"),
            "only the answer's job is due: {}",
            job.key
        );
        handler.handle(&job).await.unwrap();
        q.delete(QueueId::Cascade, &[m.receipt]).await.unwrap();
        ran += 1;
    }
    ran
}

/// The issue's case: 15 same-day open offers; the accept replies after at most ten storage
/// requests, before any of the other 14 charters is reconciled; the worker's job withdraws them.
pub async fn an_accept_replies_before_its_reconciles_in_a_few_requests(kind: &Kind) {
    let app = TestApp::on(*kind).worker_queue().build().await;
    let (charters, open) = offered(&app, SAME_DAY).await;
    let req = accept_post(&app, &open[0]);
    let before = Requests::now();
    let (status, page) = send(&app, req).await;
    let used = Requests::now().since(&before);
    println!(
        "accept POST with {SAME_DAY} same-day offers: {}",
        used.summary()
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You are confirmed"), "{page}");
    assert!(
        used.total() <= MAX_REQUESTS,
        "at most {MAX_REQUESTS} storage requests before the reply: {}",
        used.summary()
    );
    // The reply did not wait for the reconciles: the other offers are still open.
    assert_eq!(app.open_offers(&charters[1..]).await.len(), SAME_DAY - 1);
    let got = app
        .backend()
        .charters
        .get(&charters[0].charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.captain_assigned.as_ref(), Some(&open[0].crew_id));
    // The worker's one job reconciles the charter and withdraws the rest.
    assert_eq!(run_queued_answers(&app).await, 1);
    assert!(app.open_offers(&charters[1..]).await.is_empty());
    for c in &charters[1..] {
        let offers = app.offers(c).await;
        assert_eq!(offers[0].status, OfferStatus::Revoked, "{}", c.charter_id);
    }
}

/// Accept pressed again, minutes later (DynamoDB keeps the transaction's token ten minutes):
/// the page says they are confirmed, never "Something went wrong"; so does an accept of the
/// offer as read before the first one (a press racing the first).
pub async fn pressing_accept_twice_shows_the_confirmation(kind: &Kind) {
    let app = TestApp::on(*kind).build().await;
    let (charters, open) = offered(&app, 1).await;
    let (status, first) = send(&app, accept_post(&app, &open[0])).await;
    assert_eq!(status, 200, "{first}");
    assert!(first.contains("You are confirmed"), "{first}");
    app.run_answer_jobs().await;
    for _ in 0..2 {
        let (status, again) = send(&app, accept_post(&app, &open[0])).await;
        assert_eq!(status, 200, "{again}");
        assert!(
            again.contains("was already accepted: you are confirmed."),
            "{again}"
        );
    }
    // The offer as it was read before the first accept: through the transaction again.
    assert_eq!(open[0].status, OfferStatus::Open);
    assert_eq!(
        app.cascade.accept(&open[0]).await.unwrap(),
        Answer::AlreadyAnswered(OfferStatus::Accepted)
    );
    let c = app
        .backend()
        .charters
        .get(&charters[0].charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.captain_assigned.as_ref(), Some(&open[0].crew_id));
}

/// The queue refuses the answer's job: the reconciles run before the reply instead, nothing is
/// lost (the other same-day offers are withdrawn at once).
pub async fn a_queue_outage_reconciles_the_answer_inline(kind: &Kind) {
    let app = TestApp::on(*kind).worker_queue().faults(3).build().await;
    let (charters, open) = offered(&app, 3).await;
    app.faults.fail("queues.send", When::Always);
    let (status, page) = send(&app, accept_post(&app, &open[0])).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You are confirmed"), "{page}");
    assert!(app.open_offers(&charters[1..]).await.is_empty());
    let depth = app.backend().queues.depth(QueueId::Cascade).await.unwrap();
    assert_eq!(depth.visible, 0, "nothing queued: {depth:?}");
}
