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
    cascade.decline(&offer).await.unwrap();
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
