//! Links grant only what they say, over HTTP: a calendar link opens the feed and no page, the
//! feed refuses an offer's link and the board's, and a page link lasts the page-link time
//! (30 days by default), however long-lived the link it was viewed through.

use chrono::Utc;
use dispatch::demo::http;
use dispatch_cascade::tokens::Scope;
use dispatch_core::domain::*;

use crate::common::TestApp;

async fn status(base: &str, path: String) -> u16 {
    http("GET", &format!("{base}{path}"), None).await.unwrap().0
}

#[tokio::test]
async fn each_link_opens_only_its_own_place() {
    let app = TestApp::local().build().await;
    let world = &app.world;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let cascade = app.cascade_tuned(|cfg| cfg.public_url = base.clone());
    let router = dispatch_cascade::web::router(cascade.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let ana = CrewId::parse("crew-ana").unwrap();
    world
        .backend
        .roster
        .upsert_batch(&[CrewMember {
            crew_id: ana.clone(),
            name: "Ana Silva".into(),
            email: EmailAddress::parse("ana@example.com").unwrap(),
            phone: None,
            captain_certified: true,
            available_dates: Default::default(),
            certifications: Default::default(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        }])
        .await
        .unwrap();
    let now = Utc::now();
    let day = chrono::Duration::days(1);
    let issue = |scope: &Scope| cascade.links.issue(&ana, scope, now, day);
    let calendar = issue(&Scope::Calendar);
    let page = issue(&Scope::Page);
    let offer = issue(&Scope::Offer {
        charter: CharterId::new_random(),
        offer: OfferId::new_random(),
    });
    let ops = cascade.links.issue_ops(now, day);
    assert_eq!(
        status(&base, format!("/c/{calendar}.ics")).await,
        200,
        "the feed by its calendar link"
    );
    assert_eq!(
        status(&base, format!("/c/{page}.ics")).await,
        200,
        "feeds subscribed with a page link"
    );
    assert_eq!(
        status(&base, format!("/p/{calendar}")).await,
        403,
        "a calendar link opens no page"
    );
    assert_eq!(status(&base, format!("/o/{calendar}")).await, 403);
    assert_eq!(status(&base, format!("/ops/{calendar}")).await, 403);
    assert_eq!(
        status(&base, format!("/c/{offer}.ics")).await,
        403,
        "an offer's link reads no feed"
    );
    assert_eq!(
        status(&base, format!("/c/{ops}.ics")).await,
        403,
        "the board's link reads no feed"
    );

    // The page links it hands out: page links for the page-link time, the feed read-only.
    let (code, html) = http("GET", &format!("{base}/p/{page}"), None)
        .await
        .unwrap();
    assert_eq!(code, 200, "{html}");
    let feed = html
        .split("href=\"")
        .filter_map(|h| h.split('"').next())
        .find(|h| h.contains("/c/"))
        .expect("the page links its calendar feed")
        .to_string();
    let token = feed.rsplit('/').next().unwrap().trim_end_matches(".ics");
    let claims = cascade.links.verify(token, now).unwrap();
    assert_eq!(claims.scope, Scope::Calendar, "{feed}");
    assert_eq!(status(&base, format!("/p/{token}")).await, 403);
    let page_link = cascade.page_link(&ana);
    let token = page_link.rsplit('/').next().unwrap();
    let claims = cascade.links.verify(token, Utc::now()).unwrap();
    let days = (claims.expires_at - claims.issued_at).num_days();
    assert_eq!(days, 30, "page links last the page-link time");
}
