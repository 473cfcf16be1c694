//! Log lines of concurrent charters carry only their own charter's spans: two crew members
//! accept offers for two charters at the same time through the crew page, and every captured
//! JSON log line names at most one charter id (in its fields and in all its spans).
//!
//! Spans must be attached with `.instrument(span)`: a `span.enter()` guard held across an
//! `.await` stays current on the thread while the task waits, so the other request's lines
//! would carry it (grepping the logs for one charter id would then mislead).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use dispatch_cascade::tokens::Scope;
use dispatch_core::domain::*;
use tower::ServiceExt;

use crate::common::{charter, member, TestApp};

/// Log output captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Every `charter_id` a JSON log line mentions: its own fields and every span it sits in.
fn charter_ids(line: &serde_json::Value) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut take = |v: Option<&serde_json::Value>| {
        if let Some(s) = v.and_then(|v| v.as_str()) {
            ids.insert(s.to_string());
        }
    };
    take(line.get("charter_id"));
    take(line.pointer("/fields/charter_id"));
    take(line.pointer("/span/charter_id"));
    for span in line
        .get("spans")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
    {
        take(span.get("charter_id"));
    }
    ids
}

#[tokio::test]
async fn two_concurrent_accepts_log_under_their_own_charter_only() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_span_list(true)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(captured.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let app = TestApp::local().build().await;
    let (world, cascade) = (&app.world, &app.cascade);
    let (d1, d2) = ("2024-05-03", "2024-05-04");
    let members: Vec<CrewMember> = ["crew-ana", "crew-ben"]
        .into_iter()
        .map(|id| member(id, true, true, &[d1, d2]))
        .collect();
    world.backend.roster.upsert_batch(&members).await.unwrap();

    let mut posts = Vec::new();
    let mut charters = BTreeSet::new();
    for date in [d1, d2] {
        let c = charter(date, 5, Some(0));
        world.backend.charters.insert(&c).await.unwrap();
        cascade.reconcile(&c.charter_id).await.unwrap();
        let offer = world
            .backend
            .offers
            .for_charter(&c.charter_id)
            .await
            .unwrap()
            .remove(0);
        let scope = Scope::Offer {
            charter: c.charter_id.clone(),
            offer: offer.offer_id.clone(),
        };
        let token = cascade.links.issue(
            &offer.crew_id,
            &scope,
            Utc::now(),
            chrono::Duration::hours(1),
        );
        let guard = cascade.links.form_guard(&token);
        posts.push(
            Request::post(format!("/o/{token}/accept"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!("guard={guard}")))
                .unwrap(),
        );
        charters.insert(c.charter_id.to_string());
    }
    // Only what the two answers log counts.
    captured.0.lock().unwrap().clear();

    let router = dispatch_cascade::web::router(cascade.clone());
    let second = posts.pop().unwrap();
    let first = posts.pop().unwrap();
    let (a, b) = tokio::join!(router.clone().oneshot(first), router.oneshot(second));
    assert_eq!(a.unwrap().status(), 200);
    assert_eq!(b.unwrap().status(), 200);
    for c in &charters {
        let c = CharterId::parse(c).unwrap();
        let now = world.backend.charters.get(&c).await.unwrap().unwrap();
        assert!(
            now.captain_assigned.is_some(),
            "charter {c} got its captain"
        );
    }

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let ids = charter_ids(&v);
        assert!(
            ids.len() <= 1,
            "a log line carries two charters' ids (a span entered across an await?): {line}"
        );
        seen.extend(ids);
    }
    assert_eq!(
        seen, charters,
        "both charters' answers were logged with their ids:\n{text}"
    );
}
