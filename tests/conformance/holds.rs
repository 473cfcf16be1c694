//! Crew-day holds and offers: a hold is taken once, holds are read in batches, an offer moves
//! only from the status it is expected to be in.

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::ports::*;

use crate::common::World;
use crate::crew;

both!(
    hold_taken_once,
    holds_among_reads_in_batches,
    offers_move_only_from_the_expected_status,
);

pub async fn hold_taken_once(w: &World) {
    let date = CharterDate::parse("2024-05-08").unwrap();
    let charters: Vec<CharterId> = (0..6).map(|_| CharterId::new_random()).collect();
    let tries = charters.iter().map(|cid| {
        let holds = w.backend.holds.clone();
        let hold = Hold {
            crew_id: crew("d1"),
            date,
            charter_id: cid.clone(),
            taken_at: Utc::now(),
        };
        tokio::spawn(async move { holds.take(&hold).await.unwrap() })
    });
    let outcomes: Vec<_> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == HoldOutcome::Taken)
            .count(),
        1,
        "{outcomes:?}"
    );
    let holder = w
        .backend
        .holds
        .get(&crew("d1"), date)
        .await
        .unwrap()
        .unwrap();
    for o in &outcomes {
        if let HoldOutcome::AlreadyHeld(h) = o {
            assert_eq!(h.charter_id, holder.charter_id);
        }
    }
    let other = charters.iter().find(|c| **c != holder.charter_id).unwrap();
    assert!(
        !w.backend
            .holds
            .release(&crew("d1"), date, other)
            .await
            .unwrap(),
        "only the holder may release"
    );
    assert!(w
        .backend
        .holds
        .release(&crew("d1"), date, &holder.charter_id)
        .await
        .unwrap());
    assert!(w
        .backend
        .holds
        .get(&crew("d1"), date)
        .await
        .unwrap()
        .is_none());
    let again = Hold {
        crew_id: crew("d1"),
        date,
        charter_id: other.clone(),
        taken_at: Utc::now(),
    };
    assert_eq!(
        w.backend.holds.take(&again).await.unwrap(),
        HoldOutcome::Taken
    );
}

pub async fn holds_among_reads_in_batches(w: &World) {
    let date = CharterDate::parse("2024-05-09").unwrap();
    let members: Vec<CrewId> = (0..130).map(|i| crew(&format!("m{i:03}"))).collect();
    let cid = CharterId::new_random();
    for m in members.iter().step_by(10) {
        w.backend
            .holds
            .take(&Hold {
                crew_id: m.clone(),
                date,
                charter_id: cid.clone(),
                taken_at: Utc::now(),
            })
            .await
            .unwrap();
    }
    let held = w.backend.holds.among(date, &members).await.unwrap();
    let mut ids: Vec<_> = held.iter().map(|h| h.crew_id.clone()).collect();
    ids.sort();
    assert_eq!(ids, members.iter().step_by(10).cloned().collect::<Vec<_>>());
    let other_day = w
        .backend
        .holds
        .among(CharterDate::parse("2024-05-10").unwrap(), &members)
        .await
        .unwrap();
    assert!(other_day.is_empty());
    // Holds and counts together (one batch on DynamoDB, 260 keys in three requests): the
    // same holds, and counts only of the members free that day. On the 10th, the members
    // held on the 9th are free and count their one assignment of May; the rest count none.
    let (held, counts) = w.backend.holds.day_of(date, &members).await.unwrap();
    let mut ids: Vec<_> = held.into_iter().map(|h| h.crew_id).collect();
    ids.sort();
    assert_eq!(ids, members.iter().step_by(10).cloned().collect::<Vec<_>>());
    assert!(
        counts.is_empty(),
        "held members' counts are not read: {counts:?}"
    );
    let next = CharterDate::parse("2024-05-10").unwrap();
    let (held, counts) = w.backend.holds.day_of(next, &members).await.unwrap();
    assert!(held.is_empty());
    assert_eq!(counts.len(), 13, "{counts:?}");
    assert!(members
        .iter()
        .step_by(10)
        .all(|m| counts.get(m) == Some(&1)));
}

pub async fn offers_move_only_from_the_expected_status(w: &World) {
    let cid = CharterId::new_random();
    // Times are stored to the millisecond.
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
    let mk = |who: &str, role: Role, secs: i64| Offer {
        offer_id: OfferId::new_random(),
        charter_id: cid.clone(),
        charter_date: CharterDate::parse("2024-05-11").unwrap(),
        crew_id: crew(who),
        role,
        status: OfferStatus::Open,
        created_at: now + chrono::Duration::seconds(secs),
        expires_at: now + chrono::Duration::hours(2),
        updated_at: now,
    };
    let a = mk("cap-a", Role::Captain, 0);
    let b = mk("d1", Role::Crew { slot: 1 }, 1);
    assert!(w.backend.offers.put(&a).await.unwrap());
    assert!(w.backend.offers.put(&b).await.unwrap());
    assert!(
        !w.backend.offers.put(&a).await.unwrap(),
        "an offer id is stored once"
    );
    assert_eq!(
        w.backend
            .offers
            .get(&cid, &a.offer_id)
            .await
            .unwrap()
            .as_ref(),
        Some(&a)
    );
    let all = w.backend.offers.for_charter(&cid).await.unwrap();
    assert_eq!(
        all.iter().map(|o| o.offer_id.clone()).collect::<Vec<_>>(),
        vec![a.offer_id.clone(), b.offer_id.clone()]
    );
    let done = w
        .backend
        .offers
        .transition(
            &cid,
            &a.offer_id,
            OfferStatus::Open,
            OfferStatus::Accepted,
            Utc::now(),
        )
        .await
        .unwrap();
    let OfferTransition::Done(o) = done else {
        panic!("{done:?}")
    };
    assert_eq!(o.status, OfferStatus::Accepted);
    let late = w
        .backend
        .offers
        .transition(
            &cid,
            &a.offer_id,
            OfferStatus::Open,
            OfferStatus::Declined,
            Utc::now(),
        )
        .await
        .unwrap();
    let OfferTransition::Conflict(o) = late else {
        panic!("{late:?}")
    };
    assert_eq!(o.status, OfferStatus::Accepted);
    assert_eq!(
        w.backend
            .offers
            .transition(
                &cid,
                &OfferId::new_random(),
                OfferStatus::Open,
                OfferStatus::Lapsed,
                Utc::now()
            )
            .await
            .unwrap(),
        OfferTransition::NotFound
    );
}
