//! Faults are an input. Random charters, rosters and answers run through the cascade while the
//! storage ports and the mailer fail at random (before a call, or after it: a lost response),
//! with whole outages of mail; then the faults stop and sweeps run. The end state must be what
//! the answers say: every charter staffed, escalated with nobody left to ask, or cancelled and
//! released; nobody booked twice on a date; no offer mailed twice; a thread that tells it all.
//! 200 cases on the embedded backend, 12 on moto.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use dispatch_cascade::plan::ids;
use dispatch_core::domain::*;
use dispatch_core::faults::When;

use crate::common::{charter, member, Kind, TestApp};

both!(random_faults_leave_every_charter_where_its_answers_say);

/// A small deterministic generator (SplitMix64), so a failing case is named by its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accept,
    Decline,
    Ignore,
}

/// Two dates a few days out, and one more than a year ahead (far beyond any window of dates:
/// the sweep must find it through the index of unsettled charters).
fn dates() -> [String; 3] {
    let today = Utc::now().date_naive();
    [3, 4, 400].map(|d| {
        (today + chrono::Days::new(d))
            .format("%Y-%m-%d")
            .to_string()
    })
}
const TIMEOUT: Duration = Duration::from_secs(3600);

/// One random case: the app (faults and a manual clock), its charters, and how each member answers.
struct Case {
    app: TestApp,
    charters: Vec<Charter>,
    answers: HashMap<CrewId, Answer>,
    cancelled: HashSet<CharterId>,
    /// Charters whose last triggered reconcile failed: their trigger (a queue job, a stream
    /// record) is tried again until it succeeds, as the worker and the consumer do.
    pending: HashSet<CharterId>,
}

async fn build(kind: Kind, seed: u64) -> (Case, Rng) {
    let mut rng = Rng(seed);
    // Claims lapse fast here, so a claim left behind by a lost release is over in a moment.
    let app = TestApp::on(kind)
        .offer_timeout(TIMEOUT)
        .faults(seed)
        .manual_clock(Utc::now())
        .claim_lease(Duration::from_millis(300))
        .build()
        .await;
    let (world, faults) = (&app.world, &app.faults);
    let days = dates();
    let n = 3 + rng.below(5) as usize;
    let mut roster = Vec::new();
    let mut answers = HashMap::new();
    for i in 0..n {
        let dates: Vec<&str> = days
            .iter()
            .map(String::as_str)
            .filter(|_| rng.chance(0.8))
            .collect();
        let m = member(&format!("m{i}"), rng.chance(0.5), rng.chance(0.7), &dates);
        let a = match rng.below(3) {
            0 => Answer::Accept,
            1 => Answer::Decline,
            _ => Answer::Ignore,
        };
        answers.insert(m.crew_id.clone(), a);
        roster.push(m);
    }
    world.backend.roster.upsert_batch(&roster).await.unwrap();
    let mut charters = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let c = charter(
            &days[rng.below(days.len() as u64) as usize],
            1 + rng.below(30) as u32,
            None,
        );
        world.backend.charters.insert(&c).await.unwrap();
        charters.push(c);
    }
    // The schedule: random failures everywhere, before and after calls, at a random rate.
    let p = [0.05, 0.15, 0.3][rng.below(3) as usize];
    faults.fail("", When::Probability(p));
    faults.fail_after("", When::Probability(p / 2.0));
    // Now and then the index write is the one that fails, every time, until the faults change.
    if rng.chance(0.5) {
        faults.fail("charters.mark_unsettled", When::Always);
    }
    let case = Case {
        app,
        charters,
        answers,
        cancelled: HashSet::new(),
        pending: HashSet::new(),
    };
    (case, rng)
}

impl Case {
    /// Open offers as they really are (read past the faults).
    async fn open_offers(&self) -> Vec<Offer> {
        self.app.open_offers(&self.charters).await
    }

    /// Every member with an open offer answers as scripted (errors are ignored: they try again).
    async fn answer(&self) {
        for o in self.open_offers().await {
            let _ = match self.answers[&o.crew_id] {
                Answer::Accept => self.app.accept(&o).await.map(|_| ()),
                Answer::Decline => self.app.decline(&o).await.map(|_| ()),
                Answer::Ignore => Ok(()),
            };
        }
    }

    async fn reconcile_all(&mut self) -> usize {
        let mut moved = 0;
        for c in &self.charters {
            match self.app.cascade.reconcile(&c.charter_id).await {
                Ok(r) => {
                    moved += r.actions;
                    self.pending.remove(&c.charter_id);
                }
                Err(_) => {
                    self.pending.insert(c.charter_id.clone());
                }
            }
        }
        moved
    }

    /// The failed triggers, tried again (a job's retry); those that succeed are done.
    async fn retry_pending(&mut self) {
        let ids: Vec<CharterId> = self.pending.iter().cloned().collect();
        for id in ids {
            if self.app.cascade.reconcile(&id).await.is_ok() {
                self.pending.remove(&id);
            }
        }
    }
}

async fn run_case(kind: Kind, seed: u64) -> Result<(), String> {
    let (mut case, mut rng) = build(kind, seed).await;
    // Under faults: reconciles, answers, time passing, a mail outage, maybe a cancellation.
    for step in 0..12 {
        if step == 3 && rng.chance(0.5) {
            case.app.faults.fail("mail.send", When::Always);
        }
        if step == 7 {
            case.app.faults.clear();
            case.app.faults.fail("", When::Probability(0.1));
        }
        if rng.chance(0.08) {
            let c = &case.charters[rng.below(case.charters.len() as u64) as usize];
            if case
                .app
                .world
                .backend
                .charters
                .set_status(&c.key(), CharterStatus::Cancelled)
                .await
                .unwrap()
            {
                case.cancelled.insert(c.charter_id.clone());
            }
        }
        case.reconcile_all().await;
        case.answer().await;
        case.app.clock().advance(chrono::Duration::minutes(25));
    }
    // The faults stop; sweeps run (time moving on so unanswered offers lapse) until nothing moves.
    case.app.faults.clear();
    let mut quiet = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    for _ in 0..200 {
        case.answer().await;
        case.retry_pending().await;
        let r = case
            .app
            .cascade
            .sweep()
            .await
            .map_err(|e| format!("seed {seed}: sweep failed without faults: {e}"))?;
        if r.failed > 0 {
            // A claim whose release was lost to a fault waits out its lease (short here).
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "seed {seed}: {} reconciles still failing without faults",
                    r.failed
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        if r.moved == 0 && case.open_offers().await.is_empty() {
            quiet += 1;
            if quiet == 2 {
                break;
            }
        } else {
            quiet = 0;
        }
        case.app.clock().advance(chrono::Duration::minutes(61));
    }
    check(&case, seed).await
}

async fn held_for(b: &dispatch_core::Backend, m: &CrewId, d: CharterDate) -> Option<CharterId> {
    b.holds.get(m, d).await.unwrap().map(|h| h.charter_id)
}

async fn check(case: &Case, seed: u64) -> Result<(), String> {
    let b = &case.app.world.backend;
    let fail = |m: String| Err(format!("seed {seed}: {m}"));
    if !case.open_offers().await.is_empty() {
        return fail("offers still open after the sweeps".into());
    }
    // No mail twice.
    let sent = case.app.mailer.sent();
    let mut seen = HashSet::new();
    for k in &sent {
        if !seen.insert(k) {
            return fail(format!(
                "mail {k} sent twice ({} faults injected)",
                case.app.faults.injected()
            ));
        }
    }
    let roster = b.roster.list().await.unwrap().items;
    let mut booked: HashSet<(CrewId, CharterDate)> = HashSet::new();
    for c0 in &case.charters {
        let c = b.charters.get(&c0.charter_id).await.unwrap().unwrap();
        let offers = b.offers.for_charter(&c.charter_id).await.unwrap();
        let thread: HashSet<String> = b
            .thread
            .list(&c.charter_id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        // The thread tells what happened to every offer; every mailed offer was mailed once.
        for o in &offers {
            if !thread.contains(&ids::closed(o.status, &o.offer_id)) {
                return fail(format!(
                    "thread of {} lacks the {:?} of offer {}",
                    c.charter_id, o.status, o.offer_id
                ));
            }
            let key = format!("mail#offer#{}", o.offer_id);
            if thread.contains(&ids::sent(&o.offer_id)) && !sent.contains(&key) {
                return fail(format!(
                    "offer {} noted as sent but never mailed",
                    o.offer_id
                ));
            }
        }
        if c.status == CharterStatus::Cancelled {
            if !thread.contains(ids::CANCELLED) {
                return fail(format!("cancelled charter {} not noted", c.charter_id));
            }
            for m in c.captain_assigned.iter().chain(c.crew_assigned.iter()) {
                if held_for(b, m, c.charter_date).await == Some(c.charter_id.clone()) {
                    return fail(format!("{m} still held for cancelled {}", c.charter_id));
                }
                if !sent.contains(&format!("mail#release#{}#{m}", c.charter_id)) {
                    return fail(format!("{m} not told {} is cancelled", c.charter_id));
                }
            }
            continue;
        }
        for m in c.captain_assigned.iter().chain(c.crew_assigned.iter()) {
            if !booked.insert((m.clone(), c.charter_date)) {
                return fail(format!("{m} booked twice on {}", c.charter_date));
            }
            if held_for(b, m, c.charter_date).await != Some(c.charter_id.clone()) {
                return fail(format!("{m} assigned to {} without its hold", c.charter_id));
            }
            if case.answers[m] != Answer::Accept {
                return fail(format!("{m} never accepted but is on {}", c.charter_id));
            }
        }
        let needed = case.app.cascade.crew_needed(&c) as usize;
        let filled = c.captain_assigned.is_some() && c.crew_assigned.len() >= needed;
        if filled {
            if c.status != CharterStatus::Staffed || !thread.contains(ids::STAFFED) {
                return fail(format!(
                    "{} is full but {:?} / not noted",
                    c.charter_id, c.status
                ));
            }
            continue;
        }
        // Not full: the open slot must be escalated, with nobody left who would accept.
        if !thread.iter().any(|id| id.starts_with("escalated-")) {
            return fail(format!(
                "{} neither staffed nor escalated: {c:?}\noffers {offers:?}",
                c.charter_id
            ));
        }
        let asked: HashSet<&CrewId> = offers.iter().map(|o| &o.crew_id).collect();
        for m in &roster {
            let free = m.is_available(c.charter_date)
                && b.holds
                    .get(&m.crew_id, c.charter_date)
                    .await
                    .unwrap()
                    .is_none();
            let fits = if c.captain_assigned.is_none() {
                m.captain_certified
            } else {
                m.has_certification("deckhand") && c.captain_assigned.as_ref() != Some(&m.crew_id)
            };
            if free && fits && !asked.contains(&m.crew_id) {
                return fail(format!(
                    "{} escalated but {} was never asked",
                    c.charter_id, m.crew_id
                ));
            }
        }
    }
    Ok(())
}

/// 200 cases (seeds 0..200) on the embedded backend, 12 (seeds 1000..1012) on moto.
async fn random_faults_leave_every_charter_where_its_answers_say(kind: &Kind) {
    let seeds = match kind {
        Kind::Local => 0..200u64,
        Kind::Aws => 1000..1012u64,
    };
    let n = seeds.end - seeds.start;
    let mut failures = Vec::new();
    for seed in seeds {
        if let Err(e) = run_case(*kind, seed).await {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
