//! The rest of the state table and its neighbours: idempotency records (Powertools semantics),
//! shard leases guarding checkpoints, the roster in batches, and the charter thread.

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::ports::*;

use crate::common::World;
use crate::crew;

both!(
    idempotency_has_powertools_semantics,
    leases_guard_checkpoints,
    roster_upserts_in_batches,
    thread_keeps_order_and_dedups,
);

pub async fn idempotency_has_powertools_semantics(w: &World) {
    let idem = &w.backend.idempotency;
    let now = Utc::now();
    let claim = |key: &str, hash: &str, owner: &str, at: chrono::DateTime<Utc>| IdempotencyClaim {
        key: key.into(),
        payload_hash: hash.into(),
        owner: owner.into(),
        now: at,
        in_progress_until: at + chrono::Duration::seconds(60),
        expires_at: at + chrono::Duration::hours(1),
    };
    let fresh = ClaimOutcome::Claimed { taken_over: false };
    assert_eq!(
        idem.claim(&claim("k1", "h1", "a", now)).await.unwrap(),
        fresh
    );
    assert!(matches!(
        idem.claim(&claim("k1", "h1", "b", now)).await.unwrap(),
        ClaimOutcome::InProgress { .. }
    ));
    assert_eq!(
        idem.claim(&claim("k1", "other", "b", now)).await.unwrap(),
        ClaimOutcome::PayloadMismatch
    );
    // Only the owner completes.
    assert!(!idem
        .complete(
            "k1",
            "b",
            "h1",
            Some("{}"),
            now + chrono::Duration::hours(1)
        )
        .await
        .unwrap());
    assert!(idem
        .complete(
            "k1",
            "a",
            "h1",
            Some("{\"sent\":true}"),
            now + chrono::Duration::hours(1),
        )
        .await
        .unwrap());
    assert_eq!(
        idem.claim(&claim("k1", "h1", "b", now)).await.unwrap(),
        ClaimOutcome::Completed {
            result: Some("{\"sent\":true}".into())
        }
    );
    // A completed record that expired counts as absent.
    assert_eq!(
        idem.claim(&claim("k1", "h1", "b", now + chrono::Duration::hours(2)))
            .await
            .unwrap(),
        fresh
    );
    // A dead owner's claim lapses with its lease and is taken over, and says so.
    assert_eq!(
        idem.claim(&claim("k2", "h", "a", now)).await.unwrap(),
        fresh
    );
    assert_eq!(
        idem.claim(&claim("k2", "h", "b", now + chrono::Duration::seconds(61)))
            .await
            .unwrap(),
        ClaimOutcome::Claimed { taken_over: true }
    );
    // The same claim made again because its answer was lost: whether it took over cannot be
    // told any more, so it says it did (a mail then checks it was not already sent).
    assert_eq!(
        idem.claim(&claim("k2", "h", "b", now + chrono::Duration::seconds(61)))
            .await
            .unwrap(),
        ClaimOutcome::Claimed { taken_over: true }
    );
    // The old owner can no longer renew, complete or release it; the new one can renew.
    let later = Utc::now() + chrono::Duration::seconds(600);
    assert!(!idem.renew("k2", "a", later).await.unwrap());
    assert!(idem.renew("k2", "b", later).await.unwrap());
    idem.release("k2", "a").await.unwrap();
    assert_eq!(
        idem.get("k2").await.unwrap().unwrap().owner.as_deref(),
        Some("b")
    );
    // A renewed lease keeps others out past the first lease's end.
    assert!(matches!(
        idem.claim(&claim("k2", "h", "c", now + chrono::Duration::seconds(300)))
            .await
            .unwrap(),
        ClaimOutcome::InProgress { .. }
    ));
    // Released after a failure: claimable again at once (and not a take-over).
    assert_eq!(
        idem.claim(&claim("k3", "h", "a", now)).await.unwrap(),
        fresh
    );
    idem.release("k3", "a").await.unwrap();
    assert_eq!(
        idem.claim(&claim("k3", "h", "b", now)).await.unwrap(),
        fresh
    );
    let rec = idem.get("k3").await.unwrap().unwrap();
    assert_eq!(rec.status, IdempotencyStatus::InProgress);
    assert_eq!(rec.owner.as_deref(), Some("b"));
    assert!(idem.get("nope").await.unwrap().is_none());
}

pub async fn leases_guard_checkpoints(w: &World) {
    let leases = &w.backend.leases;
    let now = Utc::now();
    let ttl = chrono::Duration::seconds(30);
    let a = leases
        .acquire("stream-1", "shard-1", "worker-a", now, ttl)
        .await
        .unwrap()
        .expect("free lease");
    assert!(
        leases
            .acquire("stream-1", "shard-1", "worker-b", now, ttl)
            .await
            .unwrap()
            .is_none(),
        "held lease is not taken"
    );
    assert!(leases.checkpoint(&a, "000100").await.unwrap());
    let a = leases
        .renew(&a, now, ttl)
        .await
        .unwrap()
        .expect("renew while held");
    assert!(leases.checkpoint(&a, "000200").await.unwrap());
    // A expires; B takes over and sees A's checkpoint.
    let later = now + chrono::Duration::seconds(31);
    let b = leases
        .acquire("stream-1", "shard-1", "worker-b", later, ttl)
        .await
        .unwrap()
        .expect("expired lease is taken over");
    assert_eq!(b.checkpoint.as_deref(), Some("000200"));
    assert!(b.counter > a.counter);
    // A can no longer move the checkpoint nor renew.
    assert!(!leases.checkpoint(&a, "000300").await.unwrap());
    assert!(leases.renew(&a, later, ttl).await.unwrap().is_none());
    assert!(leases.checkpoint(&b, "000300").await.unwrap());
    leases.release(&b).await.unwrap();
    let c = leases
        .acquire("stream-1", "shard-1", "worker-c", later, ttl)
        .await
        .unwrap()
        .expect("released lease is free");
    assert_eq!(c.checkpoint.as_deref(), Some("000300"));
    let all = leases.list("stream-1").await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].owner, "worker-c");
}

fn member(i: usize) -> CrewMember {
    CrewMember {
        crew_id: crew(&format!("crew-{i:03}")),
        name: format!("Member {i}"),
        email: EmailAddress::parse(&format!("m{i}@example.com")).unwrap(),
        phone: Some("555-0100".into()),
        captain_certified: i.is_multiple_of(5),
        available_dates: [CharterDate::parse("2024-05-03").unwrap()].into(),
        certifications: ["deckhand".to_string()].into(),
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
    }
}

pub async fn roster_upserts_in_batches(w: &World) {
    let members: Vec<CrewMember> = (0..60).map(member).collect();
    w.backend.roster.upsert_batch(&members).await.unwrap();
    let listed = w.backend.roster.list().await.unwrap();
    assert!(listed.skipped.is_empty());
    assert_eq!(listed.items, members);
    let mut changed = members[7].clone();
    changed.captain_certified = true;
    changed
        .available_dates
        .insert(CharterDate::parse("2024-05-04").unwrap());
    w.backend
        .roster
        .upsert_batch(std::slice::from_ref(&changed))
        .await
        .unwrap();
    assert_eq!(
        w.backend.roster.get(&changed.crew_id).await.unwrap(),
        Some(changed)
    );
    assert_eq!(w.backend.roster.list().await.unwrap().items.len(), 60);
    assert!(w
        .backend
        .roster
        .get(&crew("nobody"))
        .await
        .unwrap()
        .is_none());
}

pub async fn thread_keeps_order_and_dedups(w: &World) {
    let cid = CharterId::new_random();
    let base = Utc::now();
    let mut entries = Vec::new();
    for (i, kind) in [
        ThreadKind::OfferSent,
        ThreadKind::Declined,
        ThreadKind::OfferSent,
    ]
    .into_iter()
    .enumerate()
    {
        let mut e = ThreadEntry::new(cid.clone(), kind, Some(crew("d1")), format!("step {i}"));
        e.ts = base + chrono::Duration::milliseconds(i as i64 * 10);
        entries.push(e);
    }
    for e in entries.iter().rev() {
        w.backend.thread.append(e).await.unwrap();
    }
    w.backend.thread.append(&entries[1]).await.unwrap();
    let got = w.backend.thread.list(&cid).await.unwrap();
    let want: Vec<_> = entries
        .iter()
        .map(|e| (e.sort_key(), e.text.clone()))
        .collect();
    assert_eq!(
        got.iter()
            .map(|e| (e.sort_key(), e.text.clone()))
            .collect::<Vec<_>>(),
        want
    );
}
