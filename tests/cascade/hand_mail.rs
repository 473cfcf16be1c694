//! The mails of ops' hand actions are effects: an `unassign` whose "you are free that day" mail
//! cannot go out (an outage; on Lambda, the web function, which sends no mail) still answers
//! done, says the rest is left to the worker and queues a reconcile; the next reconcile sends
//! the mail, once.

use dispatch_cascade::ops::{self, By, SlotKind, LEFT_TO_WORKER};
use dispatch_core::domain::*;
use dispatch_core::faults::When;
use dispatch_core::ports::QueueId;

use crate::common::{charter, member, Kind};
use crate::reconcile::{day, rig};

both!(an_unassigned_members_lost_mail_is_sent_by_the_next_reconcile);

async fn an_unassigned_members_lost_mail_is_sent_by_the_next_reconcile(kind: &Kind) {
    #[allow(non_snake_case)]
    let DAY = day();
    let r = rig(*kind).await;
    let b = &r.world.backend;
    b.roster
        .upsert_batch(&[member("cap-a", true, false, &[DAY.as_str()])])
        .await
        .unwrap();
    let c = charter(&DAY, 4, Some(0));
    b.charters.insert(&c).await.unwrap();
    let id = &c.charter_id;
    let cap = CrewId::parse("cap-a").unwrap();
    ops::assign(&r.cascade, id, &cap, SlotKind::Captain, None, &By::Cli)
        .await
        .unwrap();
    let queued_before = b.queues.depth(QueueId::Cascade).await.unwrap().visible;
    r.faults.fail("mail.send", When::Always);
    let done = ops::unassign(&r.cascade, id, &cap, &By::Cli)
        .await
        .expect("the unassign is done even though its mail cannot go out now");
    assert!(done.changes.iter().any(|l| l == LEFT_TO_WORKER), "{done:?}");
    assert_eq!(r.mails_to("mail#unassigned#"), 0);
    assert!(
        b.queues.depth(QueueId::Cascade).await.unwrap().visible > queued_before,
        "a reconcile is queued for the worker"
    );
    let now = b.charters.get(id).await.unwrap().unwrap();
    assert_eq!(now.captain_assigned, None, "cap-a is off the charter");
    r.faults.clear();
    r.cascade.reconcile(id).await.unwrap();
    assert_eq!(
        r.mails_to("mail#unassigned#"),
        1,
        "the next reconcile tells cap-a"
    );
    r.cascade.reconcile(id).await.unwrap();
    assert_eq!(r.mails_to("mail#unassigned#"), 1, "once");
    let thread = b.thread.list(id).await.unwrap();
    assert!(
        thread
            .iter()
            .any(|e| e.id.starts_with("unassigned_told-cap-a-")),
        "{thread:?}"
    );
}
