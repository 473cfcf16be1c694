//! The accept transaction (hold, charter field, offer, count in one write): one winner however
//! many press Accept for the last slot; a member's offers are listed.

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::ports::*;

use crate::common::World;
use crate::{crew, stored};

both!(
    accept_is_one_transaction,
    fifty_accepts_for_the_last_slot_one_wins,
    member_offers_are_listed,
);

fn offer_for(c: &Charter, who: &str, role: Role) -> Offer {
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
    Offer {
        offer_id: OfferId::new_random(),
        charter_id: c.charter_id.clone(),
        charter_date: c.charter_date,
        crew_id: crew(who),
        role,
        status: OfferStatus::Open,
        created_at: now,
        expires_at: now + chrono::Duration::hours(2),
        updated_at: now,
    }
}

async fn accept(w: &World, c: &Charter, o: &Offer, needed: u32) -> AcceptOutcome {
    w.backend
        .staffing
        .accept(&AcceptRequest {
            offer: o.clone(),
            charter_key: c.key(),
            crew_needed: needed,
            at: Utc::now(),
        })
        .await
        .unwrap()
}

pub async fn accept_is_one_transaction(w: &World) {
    let c = stored(w, "2024-05-20").await;
    let a = offer_for(&c, "cap-a", Role::Captain);
    let b = offer_for(&c, "cap-b", Role::Captain);
    for o in [&a, &b] {
        assert!(w.backend.offers.put(o).await.unwrap());
    }
    let AcceptOutcome::Accepted(now) = accept(w, &c, &a, 2).await else {
        panic!("first accept wins")
    };
    assert_eq!(now.captain_assigned, Some(crew("cap-a")));
    assert_eq!(
        w.backend
            .holds
            .get(&crew("cap-a"), c.charter_date)
            .await
            .unwrap()
            .unwrap()
            .charter_id,
        c.charter_id
    );
    assert_eq!(status_of(w, &c, &a).await, OfferStatus::Accepted);
    assert_eq!(
        accept(w, &c, &a, 2).await,
        AcceptOutcome::OfferNotOpen(OfferStatus::Accepted),
        "pressing twice is harmless"
    );
    assert_eq!(accept(w, &c, &b, 2).await, AcceptOutcome::SpotFilled);
    assert!(
        w.backend
            .holds
            .get(&crew("cap-b"), c.charter_date)
            .await
            .unwrap()
            .is_none(),
        "nothing of a failed accept remains"
    );
    assert_eq!(status_of(w, &c, &b).await, OfferStatus::Open);
    // A member already held that day by another charter cannot be booked twice.
    let other = CharterId::new_random();
    w.backend
        .holds
        .take(&Hold {
            crew_id: crew("d1"),
            date: c.charter_date,
            charter_id: other.clone(),
            taken_at: Utc::now(),
        })
        .await
        .unwrap();
    let d = offer_for(&c, "d1", Role::Crew { slot: 0 });
    w.backend.offers.put(&d).await.unwrap();
    let AcceptOutcome::AlreadyBooked(h) = accept(w, &c, &d, 2).await else {
        panic!("double booking")
    };
    assert_eq!(h.charter_id, other);
    let after = w
        .backend
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        after.crew_assigned.is_empty(),
        "charter untouched: {after:?}"
    );
    assert_eq!(status_of(w, &c, &d).await, OfferStatus::Open);
    // Cancelled charter: closed.
    let e = offer_for(&c, "d2", Role::Crew { slot: 0 });
    w.backend.offers.put(&e).await.unwrap();
    w.backend
        .charters
        .set_status(&c.key(), CharterStatus::Cancelled)
        .await
        .unwrap();
    assert_eq!(accept(w, &c, &e, 2).await, AcceptOutcome::CharterClosed);
}

pub async fn fifty_accepts_for_the_last_slot_one_wins(w: &World) {
    let c = stored(w, "2024-05-21").await;
    let offers: Vec<Offer> = (0..50)
        .map(|i| offer_for(&c, &format!("deck-{i:02}"), Role::Crew { slot: 0 }))
        .collect();
    for o in &offers {
        w.backend.offers.put(o).await.unwrap();
    }
    let tries = offers.iter().map(|o| {
        let staffing = w.backend.staffing.clone();
        let req = AcceptRequest {
            offer: o.clone(),
            charter_key: c.key(),
            crew_needed: 1,
            at: Utc::now(),
        };
        tokio::spawn(async move { staffing.accept(&req).await.unwrap() })
    });
    let outcomes: Vec<AcceptOutcome> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let winners = outcomes
        .iter()
        .filter(|o| matches!(o, AcceptOutcome::Accepted(_)))
        .count();
    assert_eq!(winners, 1, "{outcomes:?}");
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == AcceptOutcome::SpotFilled)
            .count(),
        49
    );
    let members: Vec<CrewId> = offers.iter().map(|o| o.crew_id.clone()).collect();
    assert_eq!(
        w.backend
            .holds
            .among(c.charter_date, &members)
            .await
            .unwrap()
            .len(),
        1,
        "exactly one hold"
    );
    let now = w
        .backend
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.crew_assigned.len(), 1);
}

pub async fn member_offers_are_listed(w: &World) {
    let c1 = stored(w, "2024-05-22").await;
    let c2 = stored(w, "2024-05-23").await;
    let a = offer_for(&c1, "deck-x", Role::Crew { slot: 0 });
    let b = offer_for(&c2, "deck-x", Role::Crew { slot: 1 });
    let other = offer_for(&c2, "deck-y", Role::Crew { slot: 0 });
    for o in [&a, &b, &other] {
        w.backend.offers.put(o).await.unwrap();
    }
    let mine = w.backend.offers.for_crew(&crew("deck-x")).await.unwrap();
    let mut ids: Vec<_> = mine.iter().map(|o| o.offer_id.clone()).collect();
    ids.sort();
    let mut want = vec![a.offer_id.clone(), b.offer_id.clone()];
    want.sort();
    assert_eq!(ids, want);
    assert!(w
        .backend
        .offers
        .for_crew(&crew("nobody"))
        .await
        .unwrap()
        .is_empty());
}

/// The stored status of `o`, an offer of `c`.
async fn status_of(w: &World, c: &Charter, o: &Offer) -> OfferStatus {
    w.backend
        .offers
        .get(&c.charter_id, &o.offer_id)
        .await
        .unwrap()
        .unwrap()
        .status
}
