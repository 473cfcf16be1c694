//! Every notice to a member is a planned effect with its own key: a send that fails is sent by
//! the next reconcile, once. Here the "you are free that day" mail of a member ops took off a
//! charter (`dispatch charter unassign`), on both backends.

use dispatch_core::faults::When;

use crate::common::{charter, member, Kind, TestApp};
use crate::reconcile::day;

both!(a_lost_unassigned_notice_is_sent_by_the_next_reconcile);

pub async fn a_lost_unassigned_notice_is_sent_by_the_next_reconcile(kind: &Kind) {
    let app = TestApp::on(*kind).faults(11).build().await;
    let day = day();
    let ana = member("ana", true, false, &[day.as_str()]);
    let bo = member("bo", true, false, &[day.as_str()]);
    let c = charter(&day, 4, Some(0));
    app.book(&[ana, bo], &c).await;
    let offer = app.open_offers(std::slice::from_ref(&c)).await.remove(0);
    // Whoever the cascade asked first (the order of equals differs by backend).
    let who = offer.crew_id.clone();
    app.accept(&offer).await.unwrap();
    // The first mail after the unassign (the notice, planned first) fails.
    let sends_so_far = app.mailer.sent().len() as u64;
    app.faults.fail("mail.send", When::Nth(sends_so_far + 1));
    let _ = app.cascade.unassign(&c.charter_id, &who).await;
    assert_eq!(app.faults.injected(), 1, "the notice's send failed");
    assert_eq!(app.mails_to("mail#unassigned#"), 0);
    let now = app
        .backend()
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(now.captain_assigned.as_ref(), Some(&who), "off the charter");
    // The next reconcile sends it, once; the one after sends nothing more.
    app.cascade.reconcile(&c.charter_id).await.unwrap();
    assert_eq!(app.mails_to("mail#unassigned#"), 1);
    app.cascade.reconcile(&c.charter_id).await.unwrap();
    assert_eq!(app.mails_to("mail#unassigned#"), 1);
    let told = app.thread(&c).await;
    assert_eq!(
        told.iter()
            .filter(|id| id.starts_with(&format!("unassigned_told-{who}-")))
            .count(),
        1,
        "{told:?}"
    );
}
