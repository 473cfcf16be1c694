//! A Gmail send whose outcome is unknown (accepted, then a timeout, a cut connection or a 5xx) is
//! never sent twice: the client looks for the mail's Message-ID in the mailbox before retrying.

mod fake;

use std::time::Duration;

use dispatch_google::mime::{statement_mime, Statement};
use dispatch_google::{GmailClient, GoogleError, HttpConfig};
use fake::world::{World, MAILBOX};
use fake::Failure;

const MESSAGE_ID: &str = "<5f1d3a0c9e@crew-dispatch>";

fn mail() -> Vec<u8> {
    let to = ["ana@crew.example".to_owned()];
    let body = statement_mime(&Statement {
        from: MAILBOX,
        to: &to,
        cc: &[],
        subject: "Crew statement 2026-10",
        body: "Attached.",
        attachment_name: "Crew 2026-10.xlsx",
        attachment: b"PK\x03\x04",
    })
    .unwrap();
    [format!("Message-ID: {MESSAGE_ID}\r\n").into_bytes(), body].concat()
}

/// Quick retries and a short timeout (the fake stalls far longer).
fn client(w: &World) -> GmailClient {
    let http = HttpConfig {
        timeout: Duration::from_millis(700),
        ..w.http()
    };
    GmailClient::new(&w.fake.base, w.tokens(), http).unwrap()
}

async fn accepted_then(failure: Failure) -> World {
    let w = World::new().await;
    w.fake.fail_call("gmail.send", 1, failure);
    let id = client(&w).send_raw_once(&mail(), MESSAGE_ID).await.unwrap();
    let s = w.fake.state();
    assert_eq!(
        s.sent.len(),
        1,
        "{failure:?}: exactly one mail in the sent list"
    );
    assert_eq!(s.sent[0].message_id, MESSAGE_ID);
    assert_eq!(id, s.sent[0].id, "the id of the mail that went out");
    assert_eq!(s.calls("gmail.send"), 1, "{failure:?}: not sent again");
    assert!(s.calls("gmail.list") >= 1, "searched for the Message-ID");
    drop(s);
    w
}

#[tokio::test]
async fn accepted_then_timed_out_is_found_not_resent() {
    accepted_then(Failure::AcceptThenStall(3_000)).await;
}

#[tokio::test]
async fn accepted_then_cut_is_found_not_resent() {
    accepted_then(Failure::AcceptThenCut).await;
}

#[tokio::test]
async fn accepted_then_5xx_is_found_not_resent() {
    accepted_then(Failure::AcceptThen503).await;
}

#[tokio::test]
async fn a_5xx_that_sent_nothing_is_searched_then_retried_once() {
    let w = World::new().await;
    w.fake.fail_next(Failure::Unavailable, 1);
    client(&w).send_raw_once(&mail(), MESSAGE_ID).await.unwrap();
    let s = w.fake.state();
    assert_eq!(s.sent.len(), 1);
    assert_eq!((s.calls("gmail.send"), s.calls("gmail.list")), (2, 1));
}

#[tokio::test]
async fn refusals_that_prove_nothing_was_sent_are_retried_without_a_search() {
    let w = World::new().await;
    w.fake.fail_next(Failure::TooMany(0), 1);
    w.fake.fail_next(Failure::RateLimit403, 1);
    client(&w).send_raw_once(&mail(), MESSAGE_ID).await.unwrap();
    {
        let s = w.fake.state();
        assert_eq!(s.sent.len(), 1);
        assert_eq!((s.calls("gmail.send"), s.calls("gmail.list")), (3, 0));
    }
    let w = World::new().await;
    w.fake.fail_next(Failure::BadRequest, 1);
    let err = client(&w)
        .send_raw_once(&mail(), MESSAGE_ID)
        .await
        .unwrap_err();
    assert!(matches!(err, GoogleError::Api { status: 400, .. }), "{err}");
    assert_eq!(w.fake.state().calls("gmail.send"), 1);
}

#[tokio::test]
async fn find_sent_searches_by_message_id() {
    let w = World::new().await;
    let c = client(&w);
    assert_eq!(c.find_sent(MESSAGE_ID).await.unwrap(), None);
    let id = c.send_raw_once(&mail(), MESSAGE_ID).await.unwrap();
    assert_eq!(c.find_sent(MESSAGE_ID).await.unwrap(), Some(id.clone()));
    assert_eq!(
        c.find_sent("5f1d3a0c9e@crew-dispatch").await.unwrap(),
        Some(id),
        "with or without the angle brackets"
    );
    assert_eq!(c.find_sent("<other@crew-dispatch>").await.unwrap(), None);
    assert!(c.find_sent("a b").await.is_err(), "no query injection");
}
