//! The crew page over HTTP: links that do not work all look the same, GET never consumes,
//! actions work once, cross-site posts are refused, headers are set.

use chrono::Utc;
use dispatch::demo::{http, link_in_mail, press};
use dispatch_cascade::tokens::{LinkKey, MagicLinks, Scope};
use dispatch_core::domain::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::TestApp;

/// The crew page served on port 0, with two captains available on 3 May 2024.
async fn site() -> TestApp {
    let s = TestApp::local().serve().build().await;
    for (id, cap) in [("crew-ana", true), ("crew-ben", true)] {
        let m = CrewMember {
            crew_id: CrewId::parse(id).unwrap(),
            name: id.into(),
            email: EmailAddress::parse(&format!("{id}@example.com")).unwrap(),
            phone: None,
            captain_certified: cap,
            available_dates: [CharterDate::parse("2024-05-03").unwrap()].into(),
            certifications: ["deckhand".to_string()].into(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        };
        s.world.backend.roster.upsert_batch(&[m]).await.unwrap();
    }
    s
}

/// A charter on 3 May 2024 (a guest named) reconciled: its captain offer and the link mailed.
async fn booked(s: &TestApp) -> (Charter, Offer, String) {
    let c = Charter {
        charter_id: CharterId::new_random(),
        created_at: Utc::now().to_rfc3339(),
        charter_date: CharterDate::parse("2024-05-03").unwrap(),
        vessel_name: "Marlin".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: 5,
        guest_names: vec!["Secret Guest".into()],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: None,
    };
    s.world.backend.charters.insert(&c).await.unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap();
    let offer = s
        .world
        .backend
        .offers
        .for_charter(&c.charter_id)
        .await
        .unwrap()
        .remove(0);
    let mail = s
        .outbox
        .files()
        .into_iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .find(|m| m.contains(&format!("{}@example.com", offer.crew_id)))
        .unwrap();
    (c, offer, link_in_mail(&mail).unwrap())
}

/// One raw HTTP/1.1 request to the site: (status, the whole response).
async fn raw(base: &str, req_head: &str, body: &str) -> (u16, String) {
    let host = base.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let req = format!("{req_head}\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    (
        text.split_whitespace().nth(1).unwrap().parse().unwrap(),
        text,
    )
}

#[tokio::test]
async fn bad_links_all_get_the_same_plain_page() {
    let s = site().await;
    let (_, offer, link) = booked(&s).await;
    let token = link.rsplit('/').next().unwrap().to_string();
    let expired = s.cascade.links.issue(
        &offer.crew_id,
        &Scope::Page,
        Utc::now() - chrono::Duration::days(3),
        chrono::Duration::days(1),
    );
    let other_key = MagicLinks::new(vec![LinkKey::new("w1", vec![8; 32]).unwrap()])
        .unwrap()
        .issue(
            &offer.crew_id,
            &Scope::Page,
            Utc::now(),
            chrono::Duration::days(1),
        );
    let mut flipped = token.clone().into_bytes();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    let cases = [
        token[..token.len() - 3].to_string(),
        String::from_utf8(flipped).unwrap(),
        expired,
        other_key,
        "x".repeat(600),
        "nonsense".into(),
    ];
    let mut bodies = Vec::new();
    for t in cases {
        let (status, body) = http("GET", &format!("{}/o/{t}", s.base), None)
            .await
            .unwrap();
        assert_eq!(status, 403, "{t}");
        assert!(
            !body.contains("panicked") && !body.contains("Error"),
            "{body}"
        );
        bodies.push(body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every failure looks the same"
    );
    // A page-scope token cannot accept.
    let page_token = s.cascade.links.issue(
        &offer.crew_id,
        &Scope::Page,
        Utc::now(),
        chrono::Duration::days(1),
    );
    let guard = s.cascade.links.form_guard(&page_token);
    let (status, _) = http(
        "POST",
        &format!("{}/o/{page_token}/accept", s.base),
        Some(&format!("guard={guard}")),
    )
    .await
    .unwrap();
    assert_eq!(status, 403);
}

#[tokio::test]
async fn get_and_head_never_consume_and_actions_work_once() {
    let s = site().await;
    let (c, offer, link) = booked(&s).await;
    for _ in 0..3 {
        let (status, page) = http("GET", &link, None).await.unwrap();
        assert_eq!(status, 200);
        assert!(page.contains(&format!("id=\"offer-{}\"", offer.offer_id)));
        assert!(
            !page.contains("Secret Guest"),
            "guest names are not shown to offered crew"
        );
    }
    let (status, head) = raw(
        &s.base,
        &format!("HEAD /o/{} HTTP/1.1", link.rsplit('/').next().unwrap()),
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("referrer-policy: no-referrer"),
        "{head}"
    );
    assert!(head
        .to_ascii_lowercase()
        .contains("cache-control: no-store"));
    assert_eq!(
        s.world
            .backend
            .offers
            .get(&c.charter_id, &offer.offer_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        OfferStatus::Open,
        "looking consumed nothing"
    );
    let (_, page) = http("GET", &link, None).await.unwrap();
    let note = press(&s.base, &page, offer.offer_id.as_str(), "accept")
        .await
        .unwrap();
    assert!(note.contains("You are confirmed"), "{note}");
    // Pressing again (the same form, e.g. the back button) says what happened.
    let token = {
        let i = page
            .find(&format!("id=\"offer-{}\"", offer.offer_id))
            .unwrap();
        let a = page[i..].find("action=\"/o/").unwrap() + i + "action=\"/o/".len();
        page[a..a + page[a..].find('/').unwrap()].to_string()
    };
    let guard = s.cascade.links.form_guard(&token);
    let (status, again) = http(
        "POST",
        &format!("{}/o/{token}/accept", s.base),
        Some(&format!("guard={guard}")),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        again.contains("was already accepted: you are confirmed.")
            && again.contains("aboard Marlin"),
        "{again}"
    );
    let now = s
        .world
        .backend
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.captain_assigned, Some(offer.crew_id.clone()));
}

#[tokio::test]
async fn cross_site_and_unguarded_posts_are_refused() {
    let s = site().await;
    let (c, offer, link) = booked(&s).await;
    let token = link.rsplit('/').next().unwrap();
    let guard = s.cascade.links.form_guard(token);
    let (status, _) = raw(
        &s.base,
        &format!("POST /o/{token}/accept HTTP/1.1\r\nOrigin: https://evil.example"),
        &format!("guard={guard}"),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = raw(
        &s.base,
        &format!("POST /o/{token}/accept HTTP/1.1\r\nSec-Fetch-Site: cross-site"),
        &format!("guard={guard}"),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = raw(
        &s.base,
        &format!("POST /o/{token}/accept HTTP/1.1"),
        "guard=forged",
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        s.world
            .backend
            .offers
            .get(&c.charter_id, &offer.offer_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        OfferStatus::Open
    );
    // Our own form (Origin: null under no-referrer) works.
    let (status, body) = raw(
        &s.base,
        &format!("POST /o/{token}/decline HTTP/1.1\r\nOrigin: null\r\nSec-Fetch-Site: same-origin"),
        &format!("guard={guard}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("You declined the offer for") && body.contains("aboard Marlin"),
        "{body}"
    );
}

#[tokio::test]
async fn two_members_race_for_one_slot_one_is_told_it_was_filled() {
    let s = site().await;
    let (c, _, _) = booked(&s).await;
    // Offer the captain slot to both at once (as two cascades could), then both press Accept.
    let first = s
        .world
        .backend
        .offers
        .for_charter(&c.charter_id)
        .await
        .unwrap()
        .remove(0);
    let other_crew = if first.crew_id.as_str() == "crew-ana" {
        "crew-ben"
    } else {
        "crew-ana"
    };
    let second = Offer {
        offer_id: OfferId::new_random(),
        crew_id: CrewId::parse(other_crew).unwrap(),
        ..first.clone()
    };
    s.world.backend.offers.put(&second).await.unwrap();
    // The race is between the two accept transactions: the worker's reconciles after them (which
    // withdraw the loser's offer) run once both have answered, as they would on a busy worker.
    let (a, b) = tokio::join!(s.cascade.accept(&first), s.cascade.accept(&second));
    s.run_answer_jobs().await;
    let answers = [a.unwrap(), b.unwrap()];
    use dispatch_cascade::Answer;
    assert_eq!(
        answers
            .iter()
            .filter(|x| matches!(x, Answer::Accepted { .. }))
            .count(),
        1,
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|x| **x == Answer::SpotFilled).count(),
        1,
        "{answers:?}"
    );
}
