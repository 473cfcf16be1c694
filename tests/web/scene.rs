//! The ops board's scene, shared by the plain-HTTP test and the browser test.

use crate::common::{charter, member, TestApp};

/// The ops board's scene, `days` from today: charter `waiting` (in 1 day, its captain offer open
/// with `ana`) and charter `stuck` (in 5 days: `ben`, its only captain, declined; it needs
/// attention). Returns (waiting, stuck, the ops-board link from the escalation mail).
pub async fn ops_board_scene(
    app: &TestApp,
) -> (
    dispatch_core::domain::Charter,
    dispatch_core::domain::Charter,
    String,
) {
    let (world, cascade, outbox) = (&app.world, &app.cascade, &app.outbox);
    let day = |n: u64| {
        (chrono::Utc::now().date_naive() + chrono::Days::new(n))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (d1, d5) = (day(1), day(5));
    let mut ana = member("ana", true, true, &[&d1]);
    ana.name = "Ana Silva".into();
    let mut ben = member("ben", true, true, &[&d5]);
    ben.name = "Ben Ortiz".into();
    world
        .backend
        .roster
        .upsert_batch(&[ana, ben])
        .await
        .unwrap();
    let mut waiting = charter(&d1, 4, Some(1));
    waiting.vessel_name = "Sea Breeze".into();
    let mut stuck = charter(&d5, 4, Some(1));
    stuck.vessel_name = "Blue Fin".into();
    for c in [&waiting, &stuck] {
        world.backend.charters.insert(c).await.unwrap();
        cascade.reconcile(&c.charter_id).await.unwrap();
    }
    let offer = world
        .backend
        .offers
        .for_charter(&stuck.charter_id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(offer.crew_id.as_str(), "ben");
    app.decline(&offer).await.unwrap();
    let mail = outbox
        .files()
        .into_iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .find(|m| m.contains("Needs attention: Blue Fin"))
        .expect("an escalation mail");
    let flat = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let link = flat
        .split_whitespace()
        .find(|w| w.contains("/ops/"))
        .expect("an ops-board link in the escalation mail")
        .to_string();
    (waiting, stuck, link)
}

/// Presses "Sign in" on an ops link's page (its form guard read from the page): the answer.
pub async fn post_sign_in(link: &str) -> reqwest::Response {
    let page = dispatch_google::http::client_builder()
        .build()
        .unwrap()
        .get(link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let guard = page
        .split("name=\"guard\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no form guard: {page}"))
        .to_string();
    dispatch_google::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(link)
        .form(&[("guard", guard)])
        .send()
        .await
        .unwrap()
}

/// Signs in with an ops link: the `Cookie` header value of the session, and the `Set-Cookie`
/// the server sent.
pub async fn sign_in_cookie(link: &str) -> (String, String) {
    let res = post_sign_in(link).await;
    assert_eq!(res.status(), 303, "sign-in goes to the board");
    let set = res
        .headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_string();
    let pair = set.split(';').next().unwrap().to_string();
    (pair, set)
}
