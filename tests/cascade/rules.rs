//! The cascade's rules on the real service and the embedded backend: properties over random
//! rosters and answer orders, and the flows around them (release, escalation, replays).

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use dispatch_cascade::engine;
use dispatch_cascade::Cascade;
use dispatch_core::domain::*;
use dispatch_core::ports::*;
use dispatch_mailer::Outbox;
use proptest::prelude::*;

struct Setup {
    world: common::World,
    cascade: Arc<Cascade>,
    outbox: Outbox,
    _dir: tempfile::TempDir,
}

async fn setup(offer_timeout: Duration) -> Setup {
    let world = common::World::local().await;
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path().join("outbox"));
    let cascade = common::cascade(&world, &outbox, "http://127.0.0.1:9", offer_timeout);
    Setup {
        world,
        cascade,
        outbox,
        _dir: dir,
    }
}

use common::{charter, member};

async fn open_offers(s: &Setup, charters: &[Charter]) -> Vec<Offer> {
    let mut out = Vec::new();
    for c in charters {
        out.extend(
            s.world
                .backend
                .offers
                .for_charter(&c.charter_id)
                .await
                .unwrap()
                .into_iter()
                .filter(|o| o.status == OfferStatus::Open),
        );
    }
    out
}

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

const DATES: [&str; 2] = ["2024-05-03", "2024-05-04"];

async fn run_case(
    roster: Vec<(bool, bool, u8)>,
    charter_dates: Vec<usize>,
    acts: Vec<Act>,
) -> Result<(), TestCaseError> {
    let s = setup(Duration::ZERO).await;
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
        s.cascade
            .reconcile(&c.charter_id)
            .await
            .unwrap();
    }
    for act in acts {
        let open = open_offers(&s, &charters).await;
        if open.is_empty() {
            break;
        }
        match act {
            Act::Accept(i) => {
                s.cascade.accept(&open[i % open.len()]).await.unwrap();
            }
            Act::Decline(i) => {
                s.cascade.decline(&open[i % open.len()]).await.unwrap();
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

#[tokio::test]
async fn cancellation_releases_holds_revokes_offers_and_tells_the_crew() {
    let s = setup(Duration::from_secs(3600)).await;
    let roster = vec![
        member("cap", true, true, &DATES),
        member("d1", false, true, &DATES),
        member("d2", false, true, &DATES),
    ];
    s.world.backend.roster.upsert_batch(&roster).await.unwrap();
    let c = charter(DATES[0], 20, Some(2));
    s.world.backend.charters.insert(&c).await.unwrap();
    s.cascade
        .reconcile(&c.charter_id)
        .await
        .unwrap();
    let cap_offer = open_offers(&s, std::slice::from_ref(&c)).await.remove(0);
    s.cascade.accept(&cap_offer).await.unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap();
    let crew_offers = open_offers(&s, std::slice::from_ref(&c)).await;
    assert_eq!(
        crew_offers.len(),
        2,
        "two slots offered in parallel to two people"
    );
    s.cascade.accept(&crew_offers[0]).await.unwrap();
    s.world
        .backend
        .charters
        .set_status(&c.key(), CharterStatus::Cancelled)
        .await
        .unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap(); // a replay changes nothing
    for m in ["cap", crew_offers[0].crew_id.as_ref()] {
        assert!(
            s.world
                .backend
                .holds
                .get(&CrewId::parse(m).unwrap(), c.charter_date)
                .await
                .unwrap()
                .is_none(),
            "{m} still held"
        );
    }
    let revoked = s
        .world
        .backend
        .offers
        .get(&c.charter_id, &crew_offers[1].offer_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.status, OfferStatus::Revoked);
    let cancelled_mails = s
        .outbox
        .files()
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("Subject: Charter cancelled")
        })
        .count();
    assert_eq!(
        cancelled_mails, 2,
        "captain and the accepted deckhand are told, once each"
    );
    let thread = s.world.backend.thread.list(&c.charter_id).await.unwrap();
    assert_eq!(
        thread
            .iter()
            .filter(|e| e.kind == ThreadKind::Cancelled)
            .count(),
        1
    );
}

#[tokio::test]
async fn replays_send_nothing_twice_and_escalation_happens_once() {
    let s = setup(Duration::from_secs(3600)).await;
    s.world
        .backend
        .roster
        .upsert_batch(&[member("cap", true, true, &DATES)])
        .await
        .unwrap();
    let c = charter(DATES[1], 5, None);
    s.world.backend.charters.insert(&c).await.unwrap();
    for _ in 0..3 {
        s.cascade
            .reconcile(&c.charter_id)
            .await
            .unwrap();
    }
    assert_eq!(
        s.world
            .backend
            .offers
            .for_charter(&c.charter_id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.outbox.files().len(),
        1,
        "one offer mail however often the job runs"
    );
    let timers = s
        .world
        .backend
        .queues
        .depth(QueueId::Cascade)
        .await
        .unwrap();
    assert_eq!(timers.delayed + timers.visible, 1, "one lapse timer");
    let o = open_offers(&s, std::slice::from_ref(&c)).await.remove(0);
    s.cascade.decline(&o).await.unwrap();
    s.cascade.decline(&o).await.unwrap();
    for _ in 0..2 {
        s.cascade
            .reconcile(&c.charter_id)
            .await
            .unwrap();
    }
    let ops: Vec<_> = s
        .outbox
        .files()
        .into_iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .contains("Subject: Needs attention")
        })
        .collect();
    assert_eq!(ops.len(), 1, "one escalation mail");
    let thread = s.world.backend.thread.list(&c.charter_id).await.unwrap();
    let kinds: BTreeMap<String, usize> = thread.iter().fold(BTreeMap::new(), |mut m, e| {
        *m.entry(e.kind.to_string()).or_default() += 1;
        m
    });
    assert_eq!(kinds.get("escalated"), Some(&1));
    assert_eq!(kinds.get("offer_sent"), Some(&1));
    assert_eq!(kinds.get("declined"), Some(&1));
}

#[tokio::test]
async fn long_lapse_is_chained_in_15_minute_links() {
    let s = setup(Duration::from_secs(2 * 3600)).await;
    s.world
        .backend
        .roster
        .upsert_batch(&[
            member("cap", true, true, &DATES),
            member("cap2", true, true, &DATES),
        ])
        .await
        .unwrap();
    let c = charter(DATES[0], 5, None);
    s.world.backend.charters.insert(&c).await.unwrap();
    s.cascade
        .reconcile(&c.charter_id)
        .await
        .unwrap();
    let o = open_offers(&s, std::slice::from_ref(&c)).await.remove(0);
    // The first link fires (early): the offer is not due, so the next link is scheduled.
    let timer = JobEnvelope::new(
        JobKind::OfferTimeout,
        format!("offer_timeout#{}#0", o.offer_id),
        serde_json::json!({"charter_id": c.charter_id, "offer_id": o.offer_id, "chain": 0}),
    );
    dispatch_ingest::worker::JobHandler::handle(
        &dispatch_cascade::jobs::CascadeJobs(s.cascade.clone()),
        &timer,
    )
    .await
    .unwrap();
    assert_eq!(
        s.world
            .backend
            .offers
            .get(&c.charter_id, &o.offer_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        OfferStatus::Open
    );
    let depth = s
        .world
        .backend
        .queues
        .depth(QueueId::Cascade)
        .await
        .unwrap();
    assert_eq!(
        depth.delayed, 2,
        "link 0 and link 1 are both waiting (15-minute SQS maximum each)"
    );
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
