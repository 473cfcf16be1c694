//! What crew do themselves, on both backends: a member's links revoked (and kept revoked by an
//! import), "I can't make it" (the slot offered while they stay on it, the swap when a
//! replacement accepts, ops alerted instead inside the cut-off), availability on the roster.

use std::future::Future;
use std::pin::Pin;

use chrono::Utc;
use dispatch_cascade::crew::access::{member_of_token, Place};
use dispatch_cascade::crew::give_back::{cant_make_it, GiveBack};
use dispatch_cascade::crew::relink::mail_page_link;
use dispatch_cascade::tokens::{Scope, TokenError};
use dispatch_cascade::Answer;
use dispatch_core::domain::*;

use crate::common::{charter, member, Fixture, Kind, TestApp};

mod drop;

/// `n` days from now.
fn day(n: u64) -> String {
    (Utc::now().date_naive() + chrono::Days::new(n))
        .format("%Y-%m-%d")
        .to_string()
}

fn id(s: &str) -> CrewId {
    CrewId::parse(s).unwrap()
}

/// A cascade on a fresh world with a manual clock.
pub struct Rig(TestApp);

impl std::ops::Deref for Rig {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.0
    }
}

impl Fixture for Rig {
    fn make(kind: Kind) -> Pin<Box<dyn Future<Output = Self> + Send>> {
        Box::pin(async move { Rig(TestApp::on(kind).manual_clock(Utc::now()).build().await) })
    }
}

impl Rig {
    /// The text of the one mail whose key starts with `prefix`.
    fn mail(&self, prefix: &str) -> String {
        let keys: Vec<String> = self
            .mailer
            .sent()
            .into_iter()
            .filter(|k| k.starts_with(prefix))
            .collect();
        assert_eq!(keys.len(), 1, "one mail {prefix}…: {keys:?}");
        let raw = std::fs::read_to_string(self.outbox.file_for(&keys[0])).unwrap();
        raw.replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=")
    }
}

/// `crew link --revoke`: every earlier link of the member (page, offer, calendar) is refused,
/// the fresh one works, another member's links still work, and a roster import without the
/// attribute keeps the revocation.
pub async fn revoked_links_are_refused_and_stay_revoked(r: &Rig) {
    let d = day(10);
    let (ana, ben) = (
        member("ana", true, false, &[&d]),
        member("ben", true, false, &[&d]),
    );
    r.backend()
        .roster
        .upsert_batch(&[ana.clone(), ben.clone()])
        .await
        .unwrap();
    let cx = &r.cascade;
    let earlier = Utc::now() - chrono::Duration::seconds(5);
    let day1 = chrono::Duration::days(1);
    let old_page = cx.links.issue(&ana.crew_id, &Scope::Page, earlier, day1);
    let old_cal = cx
        .links
        .issue(&ana.crew_id, &Scope::Calendar, earlier, day1);
    let c = charter(&d, 4, Some(1));
    r.backend().charters.insert(&c).await.unwrap();
    cx.reconcile(&c.charter_id).await.unwrap();
    let offer = r.open_offers(std::slice::from_ref(&c)).await.remove(0);
    let old_offer = cx.links.issue(
        &offer.crew_id,
        &Scope::Offer {
            charter: c.charter_id.clone(),
            offer: offer.offer_id.clone(),
        },
        earlier,
        day1,
    );
    let ben_page = cx.links.issue(&ben.crew_id, &Scope::Page, earlier, day1);
    assert!(member_of_token(cx, &old_page, Place::Page)
        .await
        .unwrap()
        .is_ok());

    let done = mail_page_link(cx, &ana, true).await.unwrap();
    assert!(done.revoked);
    let refused = |r: Result<_, TokenError>| r.err();
    assert_eq!(
        refused(member_of_token(cx, &old_page, Place::Page).await.unwrap()),
        Some(TokenError::Revoked)
    );
    assert_eq!(
        refused(
            member_of_token(cx, &old_cal, Place::Calendar)
                .await
                .unwrap()
        ),
        Some(TokenError::Revoked),
        "the calendar feed too"
    );
    if offer.crew_id == ana.crew_id {
        assert_eq!(
            cx.offer_of_token(&old_offer).await.unwrap().err(),
            Some(TokenError::Revoked)
        );
    }
    assert!(
        member_of_token(cx, &ben_page, Place::Page)
            .await
            .unwrap()
            .is_ok(),
        "nobody else's"
    );
    let mail = r.mail("mail#page_link#ana#");
    let link = mail
        .split_whitespace()
        .find(|w| w.contains("/p/"))
        .expect("a page link in the mail")
        .to_string();
    let fresh = link.rsplit('/').next().unwrap();
    assert!(
        member_of_token(cx, fresh, Place::Page)
            .await
            .unwrap()
            .is_ok(),
        "the fresh link works"
    );
    assert!(mail.contains("no longer work"), "{mail}");

    // An import or sync writes the member without the attribute: the revocation stays.
    let stored = r.backend().roster.get(&ana.crew_id).await.unwrap().unwrap();
    let not_before = stored.links_not_before.expect("stored");
    r.backend()
        .roster
        .upsert_batch(std::slice::from_ref(&ana))
        .await
        .unwrap();
    let after = r.backend().roster.get(&ana.crew_id).await.unwrap().unwrap();
    assert_eq!(after.links_not_before, Some(not_before));
    assert_eq!(
        refused(member_of_token(cx, &old_page, Place::Page).await.unwrap()),
        Some(TokenError::Revoked)
    );
    // Without --revoke: a fresh link, the old ones untouched.
    let bens = mail_page_link(cx, &ben, false).await.unwrap();
    assert!(!bens.revoked);
    assert!(member_of_token(cx, &ben_page, Place::Page)
        .await
        .unwrap()
        .is_ok());
}

/// Availability on the roster: days added and taken away in one narrow write; a booked day
/// stays.
pub async fn availability_changes_the_roster_but_not_a_booked_day(r: &Rig) {
    let (d2, d3, d4) = (day(2), day(3), day(4));
    let ana = member("ana", true, false, &[&d2, &d3]);
    r.backend()
        .roster
        .upsert_batch(std::slice::from_ref(&ana))
        .await
        .unwrap();
    let c = charter(&d2, 4, Some(1));
    r.backend().charters.insert(&c).await.unwrap();
    r.cascade.reconcile(&c.charter_id).await.unwrap();
    let offer = r.open_offers(std::slice::from_ref(&c)).await.remove(0);
    assert!(matches!(
        r.accept(&offer).await.unwrap(),
        Answer::Accepted { .. }
    ));
    // Untick everything, tick d4: d2 is booked and stays, d3 goes, d4 comes.
    let ticked = [CharterDate::parse(&d4).unwrap()].into();
    let change = dispatch_cascade::crew::availability::set_days(&r.cascade, &ana, &ticked)
        .await
        .unwrap();
    let date = |s: &str| CharterDate::parse(s).unwrap();
    assert_eq!(change.added, vec![date(&d4)]);
    assert_eq!(change.removed, vec![date(&d3)]);
    assert_eq!(change.kept_booked, vec![date(&d2)]);
    let stored = r.backend().roster.get(&ana.crew_id).await.unwrap().unwrap();
    assert_eq!(stored.available_dates, [date(&d2), date(&d4)].into());
    assert_eq!(stored.name, ana.name, "nothing else changed");
    assert_eq!(
        r.backend()
            .roster
            .set_availability(&id("nobody"), &[date(&d4)], &[])
            .await
            .unwrap(),
        None
    );
}

/// Inside the cut-off, "I can't make it" changes nothing and alerts ops.
pub async fn inside_the_cutoff_ops_are_alerted_instead(r: &Rig) {
    let d = day(0);
    let c = charter(&d, 4, Some(1));
    let roster = [
        member("cap", true, false, &[&d]),
        member("cap2", true, false, &[&d]),
    ];
    r.book(&roster, &c).await;
    let offer = r.open_offers(std::slice::from_ref(&c)).await.remove(0);
    assert!(matches!(
        r.accept(&offer).await.unwrap(),
        Answer::Accepted { .. }
    ));
    let m = r
        .backend()
        .roster
        .get(&offer.crew_id)
        .await
        .unwrap()
        .unwrap();
    let got = cant_make_it(&r.cascade, &m, &c.charter_id, &offer.offer_id, "flu")
        .await
        .unwrap();
    assert_eq!(got, GiveBack::TooLate);
    assert_eq!(r.mails_to("mail#drop_late#"), 1);
    assert_eq!(r.mails_to("mail#drop#"), 0);
    let after = r
        .backend()
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.captain_assigned, Some(offer.crew_id.clone()));
    assert!(r.open_offers(&[c]).await.is_empty(), "nobody else asked");
}

both!(
    revoked_links_are_refused_and_stay_revoked,
    availability_changes_the_roster_but_not_a_booked_day,
    inside_the_cutoff_ops_are_alerted_instead,
    a_replacement_takes_the_place_of_a_member_who_cannot_make_it => super::drop::replacement,
    a_crew_drop_keeps_the_member_until_someone_accepts => super::drop::crew_slot,
);
