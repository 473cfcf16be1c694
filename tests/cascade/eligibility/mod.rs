//! Every rule holds at the moment someone answers, on both backends: the accept transaction
//! checks the member against the roster and the charter's date against the offer's; the
//! planner withdraws offers that can no longer stand (telling the member once) and asks the
//! next; a moved charter's holds leave the old date; an assigned member who no longer fits is
//! flagged for ops, not taken off. A captain's licence must cover the guests and be good on the
//! charter's date, and so must each certification the slot needs; ops hear weekly what runs out.

use std::future::Future;
use std::pin::Pin;

use chrono::Utc;
use dispatch_core::domain::*;

use crate::common::{Fixture, Kind, TestApp};

mod licence;
mod moved;
mod refused;

/// `n` days from now: inside the sweep's horizon.
fn day(n: u64) -> String {
    (Utc::now().date_naive() + chrono::Days::new(n))
        .format("%Y-%m-%d")
        .to_string()
}

fn id(s: &str) -> CrewId {
    CrewId::parse(s).unwrap()
}

fn date(s: &str) -> CharterDate {
    CharterDate::parse(s).unwrap()
}

/// A cascade on a fresh world, on a manual clock (nothing lapses while a test looks).
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
    async fn offers(&self, c: &Charter) -> Vec<Offer> {
        self.world
            .backend
            .offers
            .for_charter(&c.charter_id)
            .await
            .unwrap()
    }
    async fn open(&self, c: &Charter, role: Role) -> Vec<Offer> {
        self.offers(c)
            .await
            .into_iter()
            .filter(|o| o.status == OfferStatus::Open && o.role == role)
            .collect()
    }
    async fn charter(&self, c: &Charter) -> Charter {
        self.world
            .backend
            .charters
            .get(&c.charter_id)
            .await
            .unwrap()
            .unwrap()
    }
    async fn hold(&self, crew: &str, on: &str) -> Option<CharterId> {
        self.world
            .backend
            .holds
            .get(&id(crew), date(on))
            .await
            .unwrap()
            .map(|h| h.charter_id)
    }
    async fn set(&self, m: CrewMember) {
        self.world.backend.roster.upsert_batch(&[m]).await.unwrap();
    }
    fn mails(&self, key: &str) -> usize {
        self.mailer.sent().iter().filter(|k| *k == key).count()
    }
}

crate::both!(
    a_captain_decertified_before_accepting_is_refused_and_the_next_asked => super::refused::a_captain_decertified_before_accepting_is_refused_and_the_next_asked,
    an_inactive_member_is_refused => super::refused::an_inactive_member_is_refused,
    a_roster_change_withdraws_the_open_offers_of_members_who_no_longer_fit => super::refused::a_roster_change_withdraws_the_open_offers_of_members_who_no_longer_fit,
    a_moved_charter_refuses_the_old_offer_and_moves_its_holds => super::moved::a_moved_charter_refuses_the_old_offer_and_moves_its_holds,
    a_moved_charter_releases_the_old_day_of_a_captain_set_in_the_record => super::moved::a_moved_charter_releases_the_old_day_of_a_captain_set_in_the_record,
    an_assigned_captain_decertified_is_flagged => super::moved::an_assigned_captain_decertified_is_flagged,
    a_licence_too_small_for_the_guests_is_refused => super::licence::a_licence_too_small_for_the_guests_is_refused,
    a_licence_expired_by_the_charter_date_is_refused => super::licence::a_licence_expired_by_the_charter_date_is_refused,
    an_expired_certification_is_never_asked_and_refused => super::licence::an_expired_certification_is_never_asked_and_refused,
    ops_are_mailed_what_expires_once_a_week => super::licence::ops_are_mailed_what_expires_once_a_week,
    nothing_expiring_sends_no_mail => super::licence::nothing_expiring_sends_no_mail,
    assigning_a_captain_whose_licence_is_too_small_is_refused => super::licence::assigning_a_captain_whose_licence_is_too_small_is_refused,
);
