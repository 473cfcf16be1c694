//! The captain's licence and certification expiry (issue 25, item 5): checked at the accept
//! (the transaction's condition on the roster item), by the candidate choice and by the planner;
//! and the weekly mail that tells ops what runs out.

use dispatch_cascade::Answer;
use dispatch_core::domain::*;

use super::{date, day, id, Rig};
use crate::common::{charter, member};

fn licence(class: &str, max: Option<u32>, expires: Option<&str>) -> Option<CaptainLicence> {
    Some(CaptainLicence {
        class: class.into(),
        max_passengers: max,
        expires: expires.map(date),
    })
}

/// A six-pack captain asked for an eight-guest charter is refused at the accept, with the
/// licence and the guests in the reason; the captain whose licence covers them is asked next
/// and their accept goes through (the transaction's licence condition holds for them).
pub async fn a_licence_too_small_for_the_guests_is_refused(r: &Rig) {
    let d = day(10);
    let c = charter(&d, 8, Some(0));
    let mut a = member("cap-a", true, false, &[d.as_str()]);
    a.captain_licence = licence("Master", Some(12), Some(&day(400)));
    let mut b = member("cap-b", true, false, &[d.as_str()]);
    b.captain_licence = a.captain_licence.clone();
    r.book(&[a.clone(), b.clone()], &c).await;
    let first = r.open(&c, Role::Captain).await.remove(0);
    let (mut asked, other) = if first.crew_id.as_str() == "cap-a" {
        (a, "cap-b")
    } else {
        (b, "cap-a")
    };
    asked.captain_licence = licence("six-pack", Some(6), None);
    r.set(asked.clone()).await;

    let answer = r.accept(&first).await.unwrap();
    let why = Unfit::LicenceTooSmall {
        licence: "six-pack licence".into(),
        max_passengers: 6,
        guests: 8,
    };
    assert_eq!(why.text(), "six-pack licence: 8 guests");
    assert_eq!(answer, Answer::Unfit(why));
    let now = r.charter(&c).await;
    assert_eq!(now.captain_assigned, None, "not made captain");
    assert_eq!(
        r.hold(asked.crew_id.as_str(), &d).await,
        None,
        "no hold taken"
    );
    assert_eq!(
        r.mails(&format!("mail#withdrawn#{}", first.offer_id)),
        1,
        "told once"
    );
    let next = r.open(&c, Role::Captain).await.remove(0);
    assert_eq!(
        next.crew_id.as_str(),
        other,
        "the captain whose licence covers 8 is asked"
    );
    assert_eq!(
        r.accept(&next).await.unwrap(),
        Answer::Accepted { staffed: true }
    );
    assert_eq!(r.charter(&c).await.captain_assigned, Some(id(other)));
    // Their licence then shrinks: they stay on (ops decide) and the charter is flagged.
    let mut shrunk = member(other, true, false, &[d.as_str()]);
    shrunk.captain_licence = licence("six-pack", Some(6), None);
    r.set(shrunk).await;
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    assert_eq!(r.charter(&c).await.captain_assigned, Some(id(other)));
    let o = r.cascade.overview(&c.charter_id).await.unwrap().unwrap();
    let flag = format!("{other} is assigned as captain but: six-pack licence: 8 guests");
    assert!(o.attention.contains(&flag), "{:?}", o.attention);
}

/// A captain whose licence runs out before the charter is refused at the accept ("licence
/// expires …"); a licence good through the charter's day is enough.
pub async fn a_licence_expired_by_the_charter_date_is_refused(r: &Rig) {
    let d = day(10);
    let c = charter(&d, 4, Some(0));
    let roster = [
        member("cap-a", true, false, &[d.as_str()]),
        member("cap-b", true, false, &[d.as_str()]),
    ];
    r.book(&roster, &c).await;
    let first = r.open(&c, Role::Captain).await.remove(0);
    let other = if first.crew_id.as_str() == "cap-a" {
        "cap-b"
    } else {
        "cap-a"
    };
    let mut lapsing = member(first.crew_id.as_str(), true, false, &[d.as_str()]);
    lapsing.captain_licence = licence("six-pack", Some(6), Some(&day(9)));
    r.set(lapsing).await;
    // The other's licence runs out on the charter's day itself: still good.
    let mut last_day = member(other, true, false, &[d.as_str()]);
    last_day.captain_licence = licence("six-pack", Some(6), Some(&d));
    r.set(last_day).await;

    let answer = r.accept(&first).await.unwrap();
    let why = Unfit::LicenceExpires(date(&day(9)));
    assert!(why.text().starts_with("licence expires "), "{}", why.text());
    assert_eq!(answer, Answer::Unfit(why));
    assert_eq!(r.charter(&c).await.captain_assigned, None);
    assert_eq!(r.hold(first.crew_id.as_str(), &d).await, None);
    let next = r.open(&c, Role::Captain).await.remove(0);
    assert_eq!(next.crew_id.as_str(), other);
    assert_eq!(
        r.accept(&next).await.unwrap(),
        Answer::Accepted { staffed: true }
    );
}

/// A deckhand whose `deckhand` certification runs out before the charter is never asked, and
/// one whose certification runs out while their offer is open is refused at the accept.
pub async fn an_expired_certification_is_never_asked_and_refused(r: &Rig) {
    let d = day(10);
    let mut c = charter(&d, 4, Some(1));
    c.captain_assigned = Some(id("cap"));
    let mut stale = member("deck-old", false, true, &[d.as_str()]);
    stale.certification_expiry = [("deckhand".to_string(), date(&day(3)))].into();
    let roster = [
        member("cap", true, false, &[d.as_str()]),
        stale,
        member("deck-a", false, true, &[d.as_str()]),
    ];
    r.book(&roster, &c).await;
    let offer = r.open(&c, Role::Crew { slot: 0 }).await.remove(0);
    assert_eq!(
        offer.crew_id.as_str(),
        "deck-a",
        "the expired deckhand is not asked"
    );

    let mut lapsing = member("deck-a", false, true, &[d.as_str()]);
    lapsing.certification_expiry = [("deckhand".to_string(), date(&day(5)))].into();
    r.set(lapsing).await;
    let answer = r.accept(&offer).await.unwrap();
    let why = Unfit::CertificationExpires("deckhand".into(), date(&day(5)));
    assert!(
        why.text().starts_with("deckhand expires "),
        "{}",
        why.text()
    );
    assert_eq!(answer, Answer::Unfit(why));
    assert!(r.charter(&c).await.crew_assigned.is_empty());
    assert_eq!(r.hold("deck-a", &d).await, None);
}

/// Ops assigning a captain by hand whose licence is too small are refused with the reason
/// (the same rule; `--anyway` is theirs to give).
pub async fn assigning_a_captain_whose_licence_is_too_small_is_refused(r: &Rig) {
    let d = day(10);
    let c = charter(&d, 8, Some(0));
    let mut small = member("cap-a", true, false, &[d.as_str()]);
    small.captain_licence = licence("six-pack", Some(6), None);
    r.book(&[small], &c).await;
    assert!(r.open(&c, Role::Captain).await.is_empty(), "not asked");
    let e = r
        .cascade
        .assign(
            &c.charter_id,
            &id("cap-a"),
            dispatch_cascade::ops::SlotKind::Captain,
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("cap-a cannot take it (six-pack licence: 8 guests)"),
        "{e}"
    );
    assert_eq!(r.charter(&c).await.captain_assigned, None);
}

/// Ops get one mail a week listing what runs out in the next 30 days, however many sweeps run;
/// the next week brings the next mail.
pub async fn ops_are_mailed_what_expires_once_a_week(r: &Rig) {
    let mut m = member("cap-a", true, false, &[]);
    m.captain_licence = licence("six-pack", Some(6), Some(&day(12)));
    r.set(m).await;
    let expiring = |r: &Rig| {
        r.mailer
            .sent()
            .into_iter()
            .filter(|k| k.starts_with("mail#expiring#"))
            .collect::<Vec<_>>()
    };
    r.cascade.sweep().await.unwrap();
    r.cascade.sweep().await.unwrap();
    let first = expiring(r);
    assert_eq!(first.len(), 1, "one mail for two sweeps: {first:?}");
    r.clock().advance(chrono::Duration::days(7));
    r.cascade.sweep().await.unwrap();
    r.cascade.sweep().await.unwrap();
    let both = expiring(r);
    assert_eq!(both.len(), 2, "the next week's mail: {both:?}");
    assert_ne!(both[0], both[1]);
}

/// Nothing runs out within 30 days: no mail.
pub async fn nothing_expiring_sends_no_mail(r: &Rig) {
    let mut m = member("cap-a", true, false, &[]);
    m.captain_licence = licence("six-pack", Some(6), Some(&day(90)));
    r.set(m).await;
    r.cascade.sweep().await.unwrap();
    assert!(
        !r.mailer
            .sent()
            .iter()
            .any(|k| k.starts_with("mail#expiring#")),
        "{:?}",
        r.mailer.sent()
    );
}
