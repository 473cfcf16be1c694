//! Assigning by hand on the charters table: one captain, crew never over the need nor twice,
//! nothing on a closed charter, unassign takes one member off.

use std::collections::HashSet;

use dispatch_core::domain::*;
use dispatch_core::ports::*;

use crate::common::World;
use crate::{crew, stored};

both!(
    second_captain_loses,
    concurrent_captains_exactly_one_wins,
    crew_never_exceeds_needed_nor_repeats,
    closed_charter_takes_no_assignment,
    unassign_takes_one_member_off,
);

pub async fn second_captain_loses(w: &World) {
    let c = stored(w, "2024-05-03").await;
    let first = w
        .backend
        .charters
        .assign_captain(&c.key(), &crew("cap-a"))
        .await
        .unwrap();
    let AssignOutcome::Assigned(now) = first else {
        panic!("first captain should win: {first:?}")
    };
    assert_eq!(now.captain_assigned, Some(crew("cap-a")));
    let second = w
        .backend
        .charters
        .assign_captain(&c.key(), &crew("cap-b"))
        .await
        .unwrap();
    assert_eq!(
        second,
        AssignOutcome::Rejected(AssignRejection::CaptainAlreadySet(crew("cap-a")))
    );
    let missing = Charter {
        charter_id: CharterId::new_random(),
        ..c.clone()
    };
    assert_eq!(
        w.backend
            .charters
            .assign_captain(&missing.key(), &crew("cap-b"))
            .await
            .unwrap(),
        AssignOutcome::Rejected(AssignRejection::NotFound)
    );
    assert_eq!(
        w.backend
            .charters
            .get(&c.charter_id)
            .await
            .unwrap()
            .unwrap()
            .captain_assigned,
        Some(crew("cap-a"))
    );
}

pub async fn concurrent_captains_exactly_one_wins(w: &World) {
    let c = stored(w, "2024-05-04").await;
    let tries = (0..8).map(|i| {
        let charters = w.backend.charters.clone();
        let key = c.key();
        tokio::spawn(async move {
            charters
                .assign_captain(&key, &crew(&format!("cap-{i}")))
                .await
                .unwrap()
        })
    });
    let outcomes: Vec<_> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let winners: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o, AssignOutcome::Assigned(_)))
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
}

pub async fn crew_never_exceeds_needed_nor_repeats(w: &World) {
    let c = stored(w, "2024-05-05").await;
    w.backend
        .charters
        .assign_captain(&c.key(), &crew("cap"))
        .await
        .unwrap();
    assert_eq!(
        w.backend
            .charters
            .add_crew(&c.key(), &crew("cap"), 2)
            .await
            .unwrap(),
        AssignOutcome::Rejected(AssignRejection::RoleConflict)
    );
    // Six members (two of them twice) race for two slots.
    let names = ["d1", "d2", "d3", "d4", "d1", "d2", "d5", "d6"];
    let tries = names.iter().map(|n| {
        let charters = w.backend.charters.clone();
        let key = c.key();
        let m = crew(n);
        tokio::spawn(async move { charters.add_crew(&key, &m, 2).await.unwrap() })
    });
    let outcomes: Vec<_> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let wins = outcomes
        .iter()
        .filter(|o| matches!(o, AssignOutcome::Assigned(_)))
        .count();
    assert_eq!(wins, 2, "{outcomes:?}");
    let now = w
        .backend
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.crew_assigned.len(), 2);
    let distinct: HashSet<_> = now.crew_assigned.iter().collect();
    assert_eq!(
        distinct.len(),
        2,
        "a member is listed twice: {:?}",
        now.crew_assigned
    );
    let again = w
        .backend
        .charters
        .add_crew(&c.key(), &now.crew_assigned[0], 3)
        .await
        .unwrap();
    assert_eq!(
        again,
        AssignOutcome::Rejected(AssignRejection::AlreadyOnCrew)
    );
    let full = w
        .backend
        .charters
        .add_crew(&c.key(), &crew("d9"), 2)
        .await
        .unwrap();
    assert_eq!(full, AssignOutcome::Rejected(AssignRejection::CrewFull));
    assert_eq!(
        w.backend
            .charters
            .assign_captain(&c.key(), &crew("x"))
            .await
            .unwrap(),
        AssignOutcome::Rejected(AssignRejection::CaptainAlreadySet(crew("cap")))
    );
}

pub async fn unassign_takes_one_member_off(w: &World) {
    let c = stored(w, "2024-05-07").await;
    let ch = &w.backend.charters;
    ch.assign_captain(&c.key(), &crew("cap")).await.unwrap();
    for m in ["d1", "d2"] {
        ch.add_crew(&c.key(), &crew(m), 2).await.unwrap();
    }
    let after = ch.unassign(&c.key(), &crew("d1")).await.unwrap().unwrap();
    assert_eq!(after.crew_assigned, vec![crew("d2")]);
    assert_eq!(after.captain_assigned, Some(crew("cap")));
    let after = ch.unassign(&c.key(), &crew("cap")).await.unwrap().unwrap();
    assert_eq!(after.captain_assigned, None);
    // Not on it: unchanged; the slot can be filled again.
    let same = ch
        .unassign(&c.key(), &crew("nobody"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(same.crew_assigned, vec![crew("d2")]);
    assert!(matches!(
        ch.add_crew(&c.key(), &crew("d3"), 2).await.unwrap(),
        AssignOutcome::Assigned(_)
    ));
    assert!(matches!(
        ch.assign_captain(&c.key(), &crew("cap2")).await.unwrap(),
        AssignOutcome::Assigned(_)
    ));
    let now = ch.get(&c.charter_id).await.unwrap().unwrap();
    assert_eq!(now.crew_assigned, vec![crew("d2"), crew("d3")]);
    let mut gone = c.clone();
    gone.charter_id = CharterId::new_random();
    assert_eq!(ch.unassign(&gone.key(), &crew("d2")).await.unwrap(), None);
}

pub async fn closed_charter_takes_no_assignment(w: &World) {
    let c = stored(w, "2024-05-06").await;
    assert!(w
        .backend
        .charters
        .set_status(&c.key(), CharterStatus::Cancelled)
        .await
        .unwrap());
    assert_eq!(
        w.backend
            .charters
            .assign_captain(&c.key(), &crew("cap"))
            .await
            .unwrap(),
        AssignOutcome::Rejected(AssignRejection::Closed(CharterStatus::Cancelled))
    );
    assert_eq!(
        w.backend
            .charters
            .add_crew(&c.key(), &crew("d1"), 2)
            .await
            .unwrap(),
        AssignOutcome::Rejected(AssignRejection::Closed(CharterStatus::Cancelled))
    );
    let ghost = Charter {
        charter_id: CharterId::new_random(),
        ..c
    };
    assert!(!w
        .backend
        .charters
        .set_status(&ghost.key(), CharterStatus::Staffed)
        .await
        .unwrap());
}
