//! Going live behind a proxy that serves the crew page under a path
//! (`DISPATCH_PUBLIC_URL=https://example.com/crew`): every link and form works under it, and
//! every answer tells search engines to keep out.

use chrono::Utc;
use dispatch::demo::{http, link_in_mail, press};
use dispatch_core::domain::*;

use crate::common::{charter, member, TestApp};

#[tokio::test]
async fn links_and_forms_work_under_the_public_urls_path() {
    let app = TestApp::local().build().await;
    let (world, outbox) = (&app.world, &app.outbox);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let public = format!("{origin}/crew");
    let cascade = app.cascade_tuned(|cfg| cfg.public_url = public.clone());
    // What the proxy does: the page under /crew, the prefix stripped.
    let site = axum::Router::new().nest("/crew", dispatch_cascade::web::router(cascade.clone()));
    tokio::spawn(async move { axum::serve(listener, site).await });
    let day = CharterDate::from_naive(Utc::now().date_naive() + chrono::Duration::days(30));
    let mut m = member("crew-ana", true, true, &[&day.to_string()]);
    (m.name, m.email) = (
        "Ana Silva".into(),
        EmailAddress::parse("ana@example.com").unwrap(),
    );
    world.backend.roster.upsert_batch(&[m]).await.unwrap();
    let c = charter(&day.to_string(), 5, Some(0));
    world.backend.charters.insert(&c).await.unwrap();
    cascade.reconcile(&c.charter_id).await.unwrap();
    let offer = world
        .backend
        .offers
        .for_charter(&c.charter_id)
        .await
        .unwrap()
        .remove(0);
    let mail = outbox
        .files()
        .into_iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .find(|m| m.contains("ana@example.com"))
        .expect("the offer mail");
    let link = link_in_mail(&mail).unwrap();
    assert!(link.starts_with(&format!("{public}/o/")), "{link}");

    let (status, page) = http("GET", &link, None).await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("action=\"/crew/o/"),
        "forms post under the public URL's path: {page}"
    );
    let note = press(&origin, &page, offer.offer_id.as_str(), "accept")
        .await
        .unwrap();
    // The worker's part of the answer (the confirmation mail), by the cascade of this site.
    app.run_answer_jobs_with(&cascade).await;
    assert!(
        note.contains("confirmed") || note.contains("You are"),
        "{note}"
    );
    let c = world
        .backend
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c.captain_assigned.as_ref().map(|m| m.as_str()),
        Some("crew-ana")
    );

    // The confirmation links the page and the calendar under the path too.
    let confirmation = outbox
        .files()
        .into_iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .find(|m| m.contains("charter.ics"))
        .unwrap_or_else(|| {
            panic!(
                "no confirmation mail among {:?}; the page said {note}",
                outbox.files()
            )
        });
    let flat = confirmation
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    assert!(flat.contains(&format!("{public}/p/")), "{flat}");
    assert!(flat.contains(&format!("{public}/c/")), "{flat}");
}

#[tokio::test]
async fn every_answer_tells_search_engines_to_keep_out() {
    let app = TestApp::local().build().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let cascade = app.cascade_tuned(|cfg| cfg.public_url = base.clone());
    tokio::spawn(
        async move { axum::serve(listener, dispatch_cascade::web::router(cascade)).await },
    );
    for path in [
        "/healthz",
        "/o/nonsense",
        "/p/nonsense",
        "/c/x.ics",
        "/ops/x",
        "/nowhere",
    ] {
        let res = dispatch_google::http::client_builder()
            .build()
            .unwrap()
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()
                .get("x-robots-tag")
                .and_then(|v| v.to_str().ok()),
            Some("noindex, nofollow"),
            "{path}"
        );
    }
}
