//! "I can't make it" outside the cut-off: the slot is offered to the next candidate while the
//! member stays on it; when the replacement accepts, the member is off the charter, told once,
//! with a `METHOD:CANCEL` entry of the same UID as their confirmation's.

use dispatch_cascade::crew::give_back::{cant_make_it, GiveBack};
use dispatch_cascade::Answer;
use dispatch_core::domain::*;

use super::{day, id, Rig};
use crate::common::{charter, member};

/// The captain can't make it; `cap2` takes the place.
pub async fn replacement(r: &Rig) {
    let d = day(10);
    let c = charter(&d, 4, Some(0));
    let roster = [
        member("cap", true, false, &[&d]),
        member("cap2", true, false, &[&d]),
    ];
    r.book(&roster, &c).await;
    let first = r.open_offers(std::slice::from_ref(&c)).await.remove(0);
    assert!(matches!(
        r.accept(&first).await.unwrap(),
        Answer::Accepted { .. }
    ));
    let (who, other) = if first.crew_id == id("cap") {
        ("cap", "cap2")
    } else {
        ("cap2", "cap")
    };
    let m = r.backend().roster.get(&id(who)).await.unwrap().unwrap();
    let got = cant_make_it(
        &r.cascade,
        &m,
        &c.charter_id,
        &first.offer_id,
        "my boat\u{7} broke",
    )
    .await
    .unwrap();
    assert_eq!(got, GiveBack::Noted);
    // Ops told at once, with the reason; the member is still the captain.
    let ops = r.mail("mail#drop#");
    assert!(
        ops.contains("my boat  broke") || ops.contains("my boat broke"),
        "{ops}"
    );
    let now = r
        .backend()
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        now.captain_assigned,
        Some(id(who)),
        "still theirs until someone takes it"
    );
    let open = r.open_offers(std::slice::from_ref(&c)).await;
    assert_eq!(open.len(), 1, "the place is offered: {open:?}");
    assert_eq!(
        (open[0].crew_id.as_str(), open[0].role),
        (other, Role::Captain)
    );
    // Asking again changes nothing; a reconcile plans nothing more.
    let again = cant_make_it(&r.cascade, &m, &c.charter_id, &first.offer_id, "")
        .await
        .unwrap();
    assert_eq!(again, GiveBack::AlreadyAsked);
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    assert_eq!(r.mails_to("mail#drop#"), 1);
    assert_eq!(r.open_offers(std::slice::from_ref(&c)).await.len(), 1);
    assert!(
        r.mails_to("mail#let_go#") == 0,
        "not released before someone accepts"
    );

    // The replacement accepts: the member is off, told once, with a cancelling entry.
    let answer = r.accept(&open[0]).await.unwrap();
    assert!(matches!(answer, Answer::Accepted { .. }), "{answer:?}");
    let after = r
        .backend()
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.captain_assigned, Some(id(other)));
    let hold = r
        .backend()
        .holds
        .get(&id(who), c.charter_date)
        .await
        .unwrap();
    assert!(hold.is_none(), "their day is free: {hold:?}");
    let mail = r.mail("mail#let_go#");
    assert!(mail.contains("METHOD:CANCEL"), "{mail}");
    assert!(
        mail.contains(&format!("UID:{}-{who}@crew-dispatch", c.charter_id)),
        "{mail}"
    );
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    assert_eq!(r.mails_to("mail#let_go#"), 1, "told once");
    assert_eq!(r.mails_to(&format!("mail#confirm#{}", open[0].offer_id)), 1);
}

/// A deckhand can't make it: the crew slot is asked for while they stay on it, the charter
/// stays staffed, and the replacement's accept swaps them.
pub async fn crew_slot(r: &Rig) {
    let d = day(10);
    let c = charter(&d, 4, Some(1));
    let roster = [
        member("cap", true, false, &[&d]),
        member("deck-a", false, true, &[&d]),
        member("deck-b", false, true, &[&d]),
    ];
    r.book(&roster, &c).await;
    let cap = r.open_offers(std::slice::from_ref(&c)).await.remove(0);
    r.accept(&cap).await.unwrap();
    let deck = r.open_offers(std::slice::from_ref(&c)).await.remove(0);
    assert!(matches!(
        r.accept(&deck).await.unwrap(),
        Answer::Accepted { staffed: true }
    ));
    let m = r
        .backend()
        .roster
        .get(&deck.crew_id)
        .await
        .unwrap()
        .unwrap();
    cant_make_it(&r.cascade, &m, &c.charter_id, &deck.offer_id, "")
        .await
        .unwrap();
    let now = r
        .backend()
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        now.status,
        CharterStatus::Staffed,
        "still staffed while they are on it"
    );
    assert_eq!(now.crew_assigned, vec![deck.crew_id.clone()]);
    let next = r.open_offers(std::slice::from_ref(&c)).await;
    assert_eq!(next.len(), 1, "{next:?}");
    assert_eq!(next[0].role, deck.role);
    assert_ne!(next[0].crew_id, deck.crew_id);
    assert!(matches!(
        r.accept(&next[0]).await.unwrap(),
        Answer::Accepted { .. }
    ));
    let after = r
        .backend()
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.crew_assigned, vec![next[0].crew_id.clone()]);
    assert_eq!(after.status, CharterStatus::Staffed);
    assert_eq!(r.mails_to("mail#let_go#"), 1);
}
