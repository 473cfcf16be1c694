//! Every rule holds at the moment someone answers, on both backends: the accept transaction
//! checks the member against the roster and the charter's date against the offer's; the
//! planner withdraws offers that can no longer stand (telling the member once) and asks the
//! next; a moved charter's holds leave the old date; an assigned member who no longer fits is
//! flagged for ops, not taken off.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dispatch_cascade::{Answer, Cascade};
use dispatch_core::clock::ManualClock;
use dispatch_core::domain::*;
use dispatch_core::faults::Faults;
use dispatch_mailer::{FaultyMailer, MailSender, Outbox};

use common::{charter, member, World};

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

struct Rig {
    world: World,
    cascade: Arc<Cascade>,
    mailer: Arc<FaultyMailer>,
    _dir: tempfile::TempDir,
}

async fn rig(world: World) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let outbox: Arc<dyn MailSender> = Arc::new(Outbox::new(dir.path().join("outbox")));
    let mailer = Arc::new(FaultyMailer::new(outbox, Faults::new(7)));
    let cascade = common::cascade_with(
        &world.backend,
        mailer.clone(),
        "http://127.0.0.1:9",
        Duration::from_secs(3600),
        Arc::new(ManualClock::new(Utc::now())),
    );
    Rig {
        world,
        cascade,
        mailer,
        _dir: dir,
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

pub mod contracts {
    use super::*;

    /// The case: the roster import takes a captain's certificate away while their offer
    /// is open. Their accept is refused with the reason, nothing is booked, the offer is
    /// withdrawn (they are told once by mail) and the next captain is asked.
    pub async fn a_captain_decertified_before_accepting_is_refused_and_the_next_asked(w: World) {
        let d = day(10);
        let r = rig(w).await;
        r.world
            .backend
            .roster
            .upsert_batch(&[
                member("cap-a", true, false, &[d.as_str()]),
                member("cap-b", true, false, &[d.as_str()]),
            ])
            .await
            .unwrap();
        let c = charter(&d, 4, Some(1));
        r.world.backend.charters.insert(&c).await.unwrap();
        r.cascade.reconcile(&c.charter_id).await.unwrap();
        let first = r.open(&c, Role::Captain).await.remove(0);
        let (asked, other) = if first.crew_id.as_str() == "cap-a" {
            ("cap-a", "cap-b")
        } else {
            ("cap-b", "cap-a")
        };
        let mut decertified = member(asked, false, false, &[d.as_str()]);
        decertified.captain_certified = false;
        r.set(decertified).await;

        let answer = r.cascade.accept(&first).await.unwrap();
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
            r.cascade.accept(&first).await.unwrap(),
            Answer::AlreadyAnswered(OfferStatus::Revoked)
        );
        r.cascade.reconcile(&c.charter_id).await.unwrap();
        assert_eq!(r.mails(&told), 1);
        assert_eq!(r.offers(&c).await.len(), 2);
    }

    /// A deckhand made inactive while their crew offer is open is refused.
    pub async fn an_inactive_member_is_refused(w: World) {
        let d = day(10);
        let r = rig(w).await;
        r.world
            .backend
            .roster
            .upsert_batch(&[
                member("cap", true, false, &[d.as_str()]),
                member("deck-a", false, true, &[d.as_str()]),
                member("deck-b", false, true, &[d.as_str()]),
            ])
            .await
            .unwrap();
        let mut c = charter(&d, 4, Some(1));
        c.captain_assigned = Some(id("cap"));
        r.world.backend.charters.insert(&c).await.unwrap();
        r.cascade.reconcile(&c.charter_id).await.unwrap();
        let offer = r.open(&c, Role::Crew { slot: 0 }).await.remove(0);
        let mut gone = member(offer.crew_id.as_str(), false, true, &[d.as_str()]);
        gone.active = false;
        r.set(gone).await;

        let answer = r.cascade.accept(&offer).await.unwrap();
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
    pub async fn a_roster_change_withdraws_the_open_offers_of_members_who_no_longer_fit(w: World) {
        let d = day(10);
        let r = rig(w).await;
        r.world
            .backend
            .roster
            .upsert_batch(&[
                member("cap-a", true, false, &[d.as_str()]),
                member("cap-b", true, false, &[d.as_str()]),
            ])
            .await
            .unwrap();
        let c = charter(&d, 4, Some(1));
        r.world.backend.charters.insert(&c).await.unwrap();
        r.cascade.reconcile(&c.charter_id).await.unwrap();
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
            r.cascade.accept(&first).await.unwrap(),
            Answer::AlreadyAnswered(OfferStatus::Revoked)
        );
    }

    /// The booking system moves a charter: the captain already on it keeps the place, their hold
    /// and count move to the new day; the open crew offer, made for the old day, is refused when
    /// accepted (no hold left on the old day) and withdrawn, and the slot is offered for the new
    /// day.
    pub async fn a_moved_charter_refuses_the_old_offer_and_moves_its_holds(w: World) {
        let (d1, d2) = (day(10), day(12));
        let r = rig(w).await;
        r.world
            .backend
            .roster
            .upsert_batch(&[
                member("cap", true, false, &[d1.as_str(), d2.as_str()]),
                member("deck-a", false, true, &[d1.as_str(), d2.as_str()]),
                member("deck-b", false, true, &[d1.as_str(), d2.as_str()]),
            ])
            .await
            .unwrap();
        let c = charter(&d1, 4, Some(1));
        r.world.backend.charters.insert(&c).await.unwrap();
        r.cascade.reconcile(&c.charter_id).await.unwrap();
        let cap = r.open(&c, Role::Captain).await.remove(0);
        assert!(matches!(
            r.cascade.accept(&cap).await.unwrap(),
            Answer::Accepted { .. }
        ));
        assert_eq!(r.hold("cap", &d1).await, Some(c.charter_id.clone()));
        let deck = r.open(&c, Role::Crew { slot: 0 }).await.remove(0);
        assert_eq!(deck.charter_date, date(&d1));

        // The booking system rewrites the item with a new date.
        let mut moved = r.charter(&c).await;
        moved.charter_date = date(&d2);
        r.world
            .backend
            .charters
            .update_booking(&c.key(), &moved)
            .await
            .unwrap();

        let answer = r.cascade.accept(&deck).await.unwrap();
        assert_eq!(
            answer,
            Answer::DateMoved {
                offered: date(&d1),
                now: date(&d2)
            }
        );
        let after = r.charter(&c).await;
        assert!(after.crew_assigned.is_empty(), "{after:?}");
        assert_eq!(
            r.hold(deck.crew_id.as_str(), &d1).await,
            None,
            "no hold on the day the member agreed to but the charter left"
        );
        assert_eq!(
            r.hold(deck.crew_id.as_str(), &d2).await,
            None,
            "nor on a day they never agreed to"
        );
        let offers = r.offers(&c).await;
        let old = offers.iter().find(|o| o.offer_id == deck.offer_id).unwrap();
        assert_eq!(old.status, OfferStatus::Revoked);
        let new = r.open(&c, Role::Crew { slot: 0 }).await;
        assert_eq!(new.len(), 1, "{offers:?}");
        assert_eq!(new[0].charter_date, date(&d2), "offered for the new day");
        assert_eq!(r.mails(&format!("mail#withdrawn#{}", deck.offer_id)), 1);
        // The captain stays on, booked on the new day and free on the old one, counted once.
        assert_eq!(after.captain_assigned, Some(id("cap")));
        assert_eq!(r.hold("cap", &d1).await, None, "the old day is released");
        assert_eq!(r.hold("cap", &d2).await, Some(c.charter_id.clone()));
        let mut months = vec![date(&d1).month(), date(&d2).month()];
        months.dedup();
        let mut count = 0;
        for m in months {
            count += r
                .world
                .backend
                .holds
                .loads(m, &[id("cap")])
                .await
                .unwrap()
                .values()
                .sum::<u32>();
        }
        assert_eq!(count, 1, "one assignment, not two");
    }

    /// A captain typed into the booking record (no offer) holds the day; when the record moves,
    /// the change record's job (the stream's MODIFY) releases the old day.
    pub async fn a_moved_charter_releases_the_old_day_of_a_captain_set_in_the_record(w: World) {
        use dispatch_ingest::worker::JobHandler;
        let (d1, d2) = (day(10), day(12));
        let r = rig(w).await;
        r.world
            .backend
            .roster
            .upsert_batch(&[member("cap", true, false, &[d1.as_str(), d2.as_str()])])
            .await
            .unwrap();
        let mut c = charter(&d1, 4, Some(0));
        c.captain_assigned = Some(id("cap"));
        r.world.backend.charters.insert(&c).await.unwrap();
        r.cascade.reconcile(&c.charter_id).await.unwrap();
        assert_eq!(r.hold("cap", &d1).await, Some(c.charter_id.clone()));
        let mut moved = c.clone();
        moved.charter_date = date(&d2);
        r.world
            .backend
            .charters
            .update_booking(&c.key(), &moved)
            .await
            .unwrap();
        let job =
            dispatch_ingest::sink::job_for(&dispatch_ingest::route::DomainEvent::CharterMoved {
                charter: moved.clone(),
                from: c.charter_date,
                was_assigned: vec![id("cap")],
            });
        dispatch_cascade::jobs::CascadeJobs(r.cascade.clone())
            .handle(&job)
            .await
            .unwrap();
        assert_eq!(r.hold("cap", &d1).await, None);
        assert_eq!(r.hold("cap", &d2).await, Some(c.charter_id.clone()));
    }

    /// An assigned captain who loses the certificate stays on (ops decide), and the charter is
    /// flagged as needing attention, naming them and why.
    pub async fn an_assigned_captain_decertified_is_flagged(w: World) {
        let d = day(10);
        let r = rig(w).await;
        r.world
            .backend
            .roster
            .upsert_batch(&[member("cap", true, false, &[d.as_str()])])
            .await
            .unwrap();
        let c = charter(&d, 4, Some(0));
        r.world.backend.charters.insert(&c).await.unwrap();
        r.cascade.reconcile(&c.charter_id).await.unwrap();
        let offer = r.open(&c, Role::Captain).await.remove(0);
        assert_eq!(
            r.cascade.accept(&offer).await.unwrap(),
            Answer::Accepted { staffed: true }
        );
        let before = r.cascade.overview(&c.charter_id).await.unwrap().unwrap();
        assert!(!before.needs_attention(), "{:?}", before.attention);

        r.set(member("cap", false, false, &[d.as_str()])).await;
        r.cascade.reconcile(&c.charter_id).await.unwrap();
        let now = r.charter(&c).await;
        assert_eq!(now.captain_assigned, Some(id("cap")), "not taken off");
        let o = r.cascade.overview(&c.charter_id).await.unwrap().unwrap();
        assert!(o.needs_attention());
        assert!(
            o.attention
                .iter()
                .any(|a| a.contains("cap is assigned as captain but is now not captain certified")),
            "{:?}",
            o.attention
        );
    }
}

macro_rules! both_owned {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::contracts::$name(super::World::local().await).await;
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::contracts::$name(super::World::aws().await).await;
                }
            )*
        }
    };
}

both_owned!(
    a_captain_decertified_before_accepting_is_refused_and_the_next_asked,
    an_inactive_member_is_refused,
    a_roster_change_withdraws_the_open_offers_of_members_who_no_longer_fit,
    a_moved_charter_refuses_the_old_offer_and_moves_its_holds,
    a_moved_charter_releases_the_old_day_of_a_captain_set_in_the_record,
    an_assigned_captain_decertified_is_flagged,
);
