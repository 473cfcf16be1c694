//! The cascade's rules on the real service and the embedded backend: properties over random
//! rosters and answer orders (nobody over-booked, no uncertified captain, nobody asked twice), and
//! the fair rotation of who is asked first.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use dispatch_cascade::engine;
use dispatch_core::domain::*;
use proptest::prelude::*;

use crate::common::{charter, member, TestApp};
use crate::DATES;

#[derive(Debug, Clone)]
enum Act {
    Accept(usize),
    Decline(usize),
    Lapse(usize),
}

fn acts() -> impl Strategy<Value = Vec<Act>> {
    prop::collection::vec(
        prop_oneof![
            any::<usize>().prop_map(Act::Accept),
            any::<usize>().prop_map(Act::Decline),
            any::<usize>().prop_map(Act::Lapse)
        ],
        0..40,
    )
}

fn roster_strategy() -> impl Strategy<Value = Vec<(bool, bool, u8)>> {
    // (captain certified, deckhand, availability bitmask over two dates)
    prop::collection::vec((any::<bool>(), any::<bool>(), 0u8..4), 2..9)
}

async fn run_case(
    roster: Vec<(bool, bool, u8)>,
    charter_dates: Vec<usize>,
    acts: Vec<Act>,
) -> Result<(), TestCaseError> {
    let s = TestApp::local().offer_timeout(Duration::ZERO).build().await;
    let members: Vec<CrewMember> = roster
        .iter()
        .enumerate()
        .map(|(i, (cap, deck, avail))| {
            let dates: Vec<&str> = DATES
                .iter()
                .enumerate()
                .filter(|(j, _)| avail & (1 << j) != 0)
                .map(|(_, d)| *d)
                .collect();
            member(&format!("m{i}"), *cap, *deck, &dates)
        })
        .collect();
    s.world.backend.roster.upsert_batch(&members).await.unwrap();
    let charters: Vec<Charter> = charter_dates
        .iter()
        .map(|d| charter(DATES[*d], 13, None))
        .collect();
    for c in &charters {
        s.world.backend.charters.insert(c).await.unwrap();
        s.cascade.reconcile(&c.charter_id).await.unwrap();
    }
    for act in acts {
        let open = s.open_offers(&charters).await;
        if open.is_empty() {
            break;
        }
        match act {
            Act::Accept(i) => {
                s.accept(&open[i % open.len()]).await.unwrap();
            }
            Act::Decline(i) => {
                s.decline(&open[i % open.len()]).await.unwrap();
            }
            Act::Lapse(i) => {
                let o = &open[i % open.len()];
                // Offers live 0 s here: any reconcile lapses them and asks the next.
                s.cascade.reconcile(&o.charter_id).await.unwrap();
            }
        }
        // The stream would start crew cascades once a captain is set; do it directly.
        for c in &charters {
            s.cascade.reconcile(&c.charter_id).await.unwrap();
        }
    }
    let by_id: HashMap<&CrewId, &CrewMember> = members.iter().map(|m| (&m.crew_id, m)).collect();
    let mut booked: HashSet<(CrewId, CharterDate)> = HashSet::new();
    for c in &charters {
        let now = s
            .world
            .backend
            .charters
            .get(&c.charter_id)
            .await
            .unwrap()
            .unwrap();
        let needed = engine::crew_needed(&now, None);
        prop_assert!(
            now.crew_assigned.len() as u32 <= needed,
            "more crew than needed: {:?}",
            now
        );
        if let Some(cap) = &now.captain_assigned {
            prop_assert!(by_id[cap].captain_certified, "uncertified captain {}", cap);
        }
        for id in now.captain_assigned.iter().chain(now.crew_assigned.iter()) {
            prop_assert!(
                booked.insert((id.clone(), now.charter_date)),
                "{} booked twice on {}",
                id,
                now.charter_date
            );
            let hold = s
                .world
                .backend
                .holds
                .get(id, now.charter_date)
                .await
                .unwrap();
            prop_assert_eq!(
                hold.map(|h| h.charter_id),
                Some(now.charter_id.clone()),
                "assignment without its hold"
            );
        }
        let offers = s
            .world
            .backend
            .offers
            .for_charter(&c.charter_id)
            .await
            .unwrap();
        let asked: HashSet<&CrewId> = offers.iter().map(|o| &o.crew_id).collect();
        prop_assert_eq!(
            asked.len(),
            offers.len(),
            "someone was asked twice for one charter: {:?}",
            offers
        );
        for o in offers.iter().filter(|o| o.role == Role::Captain) {
            prop_assert!(
                by_id[&o.crew_id].captain_certified,
                "captain offer to an uncertified member"
            );
        }
    }
    drop(s.outbox);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
    #[test]
    fn cascade_invariants_hold_for_any_answers(roster in roster_strategy(), dates in prop::collection::vec(0usize..2, 1..4), acts in acts()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run_case(roster, dates, acts))?;
    }
}

#[test]
fn fairness_rotates_first_asked_across_charters() {
    let none_held: engine::CrewSet = Default::default();
    let no_load: engine::CrewMap<u32> = Default::default();
    let roster: Vec<CrewMember> = (0..6)
        .map(|i| member(&format!("cap{i}"), true, true, &DATES))
        .collect();
    let mut firsts = HashSet::new();
    for _ in 0..30 {
        let c = charter(DATES[0], 5, None);
        let slate = engine::slate(
            &engine::Situation {
                charter: &c,
                roster: &roster,
                held: &none_held,
                offers: &[],
                load: &no_load,
                vessel: None,
            },
            Role::Captain,
        );
        firsts.insert(slate.candidates[0].clone());
    }
    assert!(
        firsts.len() >= 4,
        "the same few are always asked first: {firsts:?}"
    );
    // Fewest assignments that month first.
    let c = charter(DATES[0], 5, None);
    let load: engine::CrewMap<u32> = roster
        .iter()
        .skip(1)
        .map(|m| (m.crew_id.clone(), 2))
        .collect();
    let slate = engine::slate(
        &engine::Situation {
            charter: &c,
            roster: &roster,
            held: &none_held,
            offers: &[],
            load: &load,
            vessel: None,
        },
        Role::Captain,
    );
    assert_eq!(slate.candidates[0].as_str(), "cap0");
}
