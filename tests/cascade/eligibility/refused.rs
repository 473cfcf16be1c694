//! Accepts refused at the moment of answer, and offers withdrawn before anyone answers.

use dispatch_cascade::Answer;
use dispatch_core::domain::*;

use super::{day, id, Rig};
use crate::common::{charter, member};

/// The case: the roster import takes a captain's certificate away while their offer
/// is open. Their accept is refused with the reason, nothing is booked, the offer is
/// withdrawn (they are told once by mail) and the next captain is asked.
pub async fn a_captain_decertified_before_accepting_is_refused_and_the_next_asked(r: &Rig) {
    let d = day(10);
    let c = charter(&d, 4, Some(1));
    let roster = [
        member("cap-a", true, false, &[d.as_str()]),
        member("cap-b", true, false, &[d.as_str()]),
    ];
    r.book(&roster, &c).await;
    let first = r.open(&c, Role::Captain).await.remove(0);
    let (asked, other) = if first.crew_id.as_str() == "cap-a" {
        ("cap-a", "cap-b")
    } else {
        ("cap-b", "cap-a")
    };
    let mut decertified = member(asked, false, false, &[d.as_str()]);
    decertified.captain_certified = false;
    r.set(decertified).await;

    let answer = r.accept(&first).await.unwrap();
    assert_eq!(answer, Answer::Unfit(Unfit::NotCaptainCertified));
    let now = r.charter(&c).await;
    assert_eq!(now.captain_assigned, None, "not made captain");
    assert_eq!(now.status, CharterStatus::Booked);
    assert_eq!(r.hold(asked, &d).await, None, "no hold taken");
    let offers = r.offers(&c).await;
    let withdrawn = offers
        .iter()
        .find(|o| o.offer_id == first.offer_id)
        .unwrap();
    assert_eq!(withdrawn.status, OfferStatus::Revoked, "{offers:?}");
    let next = r.open(&c, Role::Captain).await;
    assert_eq!(next.len(), 1, "{offers:?}");
    assert_eq!(next[0].crew_id.as_str(), other, "the next captain is asked");
    let told = format!("mail#withdrawn#{}", first.offer_id);
    assert_eq!(r.mails(&told), 1, "told once: {:?}", r.mailer.sent());
    // Pressing again, or reconciling again, changes nothing and sends nothing more.
    assert_eq!(
        r.accept(&first).await.unwrap(),
        Answer::AlreadyAnswered(OfferStatus::Revoked)
    );
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    assert_eq!(r.mails(&told), 1);
    assert_eq!(r.offers(&c).await.len(), 2);
}

/// A deckhand made inactive while their crew offer is open is refused.
pub async fn an_inactive_member_is_refused(r: &Rig) {
    let d = day(10);
    let mut c = charter(&d, 4, Some(1));
    c.captain_assigned = Some(id("cap"));
    let roster = [
        member("cap", true, false, &[d.as_str()]),
        member("deck-a", false, true, &[d.as_str()]),
        member("deck-b", false, true, &[d.as_str()]),
    ];
    r.book(&roster, &c).await;
    let offer = r.open(&c, Role::Crew { slot: 0 }).await.remove(0);
    let mut gone = member(offer.crew_id.as_str(), false, true, &[d.as_str()]);
    gone.active = false;
    r.set(gone).await;

    let answer = r.accept(&offer).await.unwrap();
    assert_eq!(answer, Answer::Unfit(Unfit::Inactive));
    let now = r.charter(&c).await;
    assert!(now.crew_assigned.is_empty(), "{now:?}");
    assert_eq!(r.hold(offer.crew_id.as_str(), &d).await, None);
    let next = r.open(&c, Role::Crew { slot: 0 }).await;
    assert_eq!(next.len(), 1);
    assert_ne!(
        next[0].crew_id, offer.crew_id,
        "the other deckhand is asked"
    );
    assert_eq!(r.mails(&format!("mail#withdrawn#{}", offer.offer_id)), 1);
}

/// The roster change itself withdraws the offer (before anyone clicks): reconciling after a
/// roster change looks at the charters where the changed members have open offers.
pub async fn a_roster_change_withdraws_the_open_offers_of_members_who_no_longer_fit(r: &Rig) {
    let d = day(10);
    let c = charter(&d, 4, Some(1));
    let roster = [
        member("cap-a", true, false, &[d.as_str()]),
        member("cap-b", true, false, &[d.as_str()]),
    ];
    r.book(&roster, &c).await;
    let first = r.open(&c, Role::Captain).await.remove(0);
    // Not available that day any more.
    let away = member(first.crew_id.as_str(), true, false, &[]);
    r.set(away.clone()).await;
    let today = r.cascade.today();
    r.cascade
        .reconcile_for_roster(&[away], today, 61)
        .await
        .unwrap();
    let next = r.open(&c, Role::Captain).await;
    assert_eq!(next.len(), 1);
    assert_ne!(next[0].crew_id, first.crew_id);
    assert_eq!(r.mails(&format!("mail#withdrawn#{}", first.offer_id)), 1);
    assert_eq!(
        r.accept(&first).await.unwrap(),
        Answer::AlreadyAnswered(OfferStatus::Revoked)
    );
}
