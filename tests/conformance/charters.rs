//! The port contracts, run on both backends: the same test bodies once on SQLite and once on the
//! AWS-protocol emulator (moto) on loopback. `local::*` and `aws::*` must both pass.

mod common;

both!(
    charter_insert_is_create_only,
    charter_versions_read_as_the_newest,
    booking_update_is_in_place_and_keeps_the_cascades_fields,
    second_captain_loses,
    concurrent_captains_exactly_one_wins,
    crew_never_exceeds_needed_nor_repeats,
    closed_charter_takes_no_assignment,
    unassign_takes_one_member_off,
    month_query_returns_exactly_the_month,
    change_feed_in_order_with_both_images_and_resumes,
    hold_taken_once,
    holds_among_reads_in_batches,
    offers_move_only_from_the_expected_status,
    idempotency_has_powertools_semantics,
    leases_guard_checkpoints,
    roster_upserts_in_batches,
    thread_keeps_order_and_dedups,
    unvisited_message_returns_then_dead_letters,
    delayed_message_not_seen_early,
    visibility_change_and_delete,
    bootstrap_twice_then_doctor_is_clean,
    accept_is_one_transaction,
    fifty_accepts_for_the_last_slot_one_wins,
    member_offers_are_listed,
);

mod contracts {
    use std::collections::HashSet;
    use std::time::{Duration, Instant};

    use chrono::Utc;
    use dispatch_core::domain::*;
    use dispatch_core::ports::*;

    use crate::common::{eventually, World, TEST_MAX_RECEIVES};

    fn crew(s: &str) -> CrewId {
        CrewId::parse(s).unwrap()
    }

    fn charter(date: &str) -> Charter {
        Charter {
            charter_id: CharterId::new_random(),
            created_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            charter_date: CharterDate::parse(date).unwrap(),
            vessel_name: "Sea Breeze".into(),
            captain_assigned: None,
            crew_assigned: vec![],
            guest_count: 20,
            guest_names: vec!["Guest One".into()],
            reportable_revenue: Money::parse("1850.25").unwrap(),
            tips: Money::parse("200").unwrap(),
            status: CharterStatus::Booked,
            crew_needed: Some(2),
        }
    }

    async fn stored(w: &World, date: &str) -> Charter {
        let c = charter(date);
        assert_eq!(w.backend.charters.insert(&c).await.unwrap(), Inserted::New);
        c
    }

    pub async fn charter_insert_is_create_only(w: &World) {
        let c = stored(w, "2024-05-03").await;
        let mut changed = c.clone();
        changed.vessel_name = "Other".into();
        assert_eq!(
            w.backend.charters.insert(&changed).await.unwrap(),
            Inserted::AlreadyExists
        );
        assert_eq!(
            w.backend.charters.get(&c.charter_id).await.unwrap(),
            Some(c)
        );
        assert_eq!(
            w.backend
                .charters
                .get(&CharterId::new_random())
                .await
                .unwrap(),
            None
        );
    }

    /// Several items with one `charter_id` (old data) are versions: `get`, `on_date` and
    /// `in_month` all give the newest `created_at` only, and a version superseded by one on
    /// another date is not on its old date.
    pub async fn charter_versions_read_as_the_newest(w: &World) {
        let mut old = charter("2024-05-07");
        old.created_at = "2024-04-01T10:00:00.000Z".into();
        old.reportable_revenue = Money::parse("100").unwrap();
        let mut same_day = old.clone();
        same_day.created_at = "2024-04-02T10:00:00.000Z".into();
        same_day.reportable_revenue = Money::parse("200").unwrap();
        let mut moved = old.clone();
        moved.created_at = "2024-04-03T10:00:00.000Z".into();
        moved.charter_date = CharterDate::parse("2024-05-09").unwrap();
        moved.reportable_revenue = Money::parse("300").unwrap();
        for c in [&same_day, &old, &moved] {
            assert_eq!(w.backend.charters.insert(c).await.unwrap(), Inserted::New);
        }
        let other = stored(w, "2024-05-07").await;
        assert_eq!(w.backend.charters.get(&old.charter_id).await.unwrap(), Some(moved.clone()));
        let day7 = w.backend.charters.on_date(old.charter_date).await.unwrap().items;
        assert_eq!(day7, vec![other.clone()], "the superseded versions are not on May 7");
        let day9 = w.backend.charters.on_date(moved.charter_date).await.unwrap().items;
        assert_eq!(day9, vec![moved.clone()]);
        let month = w.backend.charters.in_month(Month::parse("2024-05").unwrap()).await.unwrap().items;
        let ids: Vec<&CharterId> = month.iter().map(|c| &c.charter_id).collect();
        assert_eq!(ids, vec![&other.charter_id, &moved.charter_id], "each charter once");
        assert_eq!(month[1].reportable_revenue, Money::parse("300").unwrap());
    }

    /// `update_booking` rewrites the booking fields of one stored item in place (no second
    /// version, the same key), keeps captain, crew and status, applies a `cancelled` status,
    /// and says when there is nothing to update.
    pub async fn booking_update_is_in_place_and_keeps_the_cascades_fields(w: &World) {
        let c = stored(w, "2024-05-13").await;
        let AssignOutcome::Assigned(_) = w.backend.charters.assign_captain(&c.key(), &crew("cap-a")).await.unwrap() else {
            panic!("captain")
        };
        assert!(w.backend.charters.set_status(&c.key(), CharterStatus::Staffed).await.unwrap());
        let mut booking = charter("2024-05-13");
        booking.charter_id = c.charter_id.clone();
        booking.vessel_name = "Blue Heron".into();
        booking.guest_count = 7;
        booking.guest_names = vec![];
        booking.reportable_revenue = Money::parse("990.10").unwrap();
        booking.tips = Money::ZERO;
        booking.crew_needed = None;
        let now = w.backend.charters.update_booking(&c.key(), &booking).await.unwrap().unwrap();
        assert_eq!(now.created_at, c.created_at, "same key: updated in place");
        assert_eq!(now.vessel_name, "Blue Heron");
        assert_eq!(now.guest_count, 7);
        assert!(now.guest_names.is_empty());
        assert_eq!(now.reportable_revenue, Money::parse("990.10").unwrap());
        assert_eq!(now.crew_needed, None, "an absent crew_needed is removed");
        assert_eq!(now.captain_assigned, Some(crew("cap-a")), "the captain is kept");
        assert_eq!(now.status, CharterStatus::Staffed, "a booked booking keeps the status");
        assert_eq!(w.backend.charters.get(&c.charter_id).await.unwrap(), Some(now.clone()));
        let day = w.backend.charters.on_date(c.charter_date).await.unwrap().items;
        assert_eq!(day.iter().filter(|x| x.charter_id == c.charter_id).count(), 1);

        booking.status = CharterStatus::Cancelled;
        let now = w.backend.charters.update_booking(&c.key(), &booking).await.unwrap().unwrap();
        assert_eq!(now.status, CharterStatus::Cancelled, "the booking system cancelled it");

        let mut missing = c.key();
        missing.charter_id = CharterId::new_random();
        assert_eq!(w.backend.charters.update_booking(&missing, &booking).await.unwrap(), None);
    }

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
        let same = ch.unassign(&c.key(), &crew("nobody")).await.unwrap().unwrap();
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

    pub async fn month_query_returns_exactly_the_month(w: &World) {
        let mut in_may = Vec::new();
        for d in [
            "2024-04-30",
            "2024-05-01",
            "2024-05-15",
            "2024-05-15",
            "2024-05-31",
            "2024-06-01",
        ] {
            let c = stored(w, d).await;
            if d.starts_with("2024-05") {
                in_may.push(c);
            }
        }
        let month = Month::parse("2024-05").unwrap();
        // The GSI is eventually consistent on AWS: poll with a deadline.
        let got = eventually("the month's charters", Duration::from_secs(10), || async {
            let l = w.backend.charters.in_month(month).await.unwrap();
            (l.items.len() >= in_may.len()).then_some(l)
        })
        .await;
        assert!(got.skipped.is_empty());
        let ids: Vec<_> = got.items.iter().map(|c| c.charter_id.clone()).collect();
        let want: HashSet<_> = in_may.iter().map(|c| c.charter_id.clone()).collect();
        assert_eq!(ids.len(), want.len(), "{ids:?}");
        assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), want);
        let dates: Vec<_> = got.items.iter().map(|c| c.charter_date).collect();
        let mut sorted = dates.clone();
        sorted.sort();
        assert_eq!(dates, sorted, "month listing is in date order");
        let day = w
            .backend
            .charters
            .on_date(CharterDate::parse("2024-05-15").unwrap())
            .await
            .unwrap();
        assert_eq!(day.items.len(), 2);
    }

    async fn read_all(w: &World, it: String, want: usize) -> (Vec<ChangeRecord>, String) {
        let mut records = Vec::new();
        let mut iterator = it;
        let end = Instant::now() + Duration::from_secs(10);
        while records.len() < want {
            let page = w.backend.feed.read(&iterator, 100).await.unwrap();
            records.extend(page.records);
            iterator = page.next.expect("open shard keeps an iterator");
            if Instant::now() > end {
                panic!("feed gave {} of {want} records", records.len());
            }
            if records.len() < want {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        (records, iterator)
    }

    pub async fn change_feed_in_order_with_both_images_and_resumes(w: &World) {
        let shards = w.backend.feed.shards().await.unwrap();
        assert!(!shards.is_empty());
        let shard = shards
            .iter()
            .find(|s| !s.closed)
            .unwrap_or(&shards[0])
            .id
            .clone();
        let c = stored(w, "2024-05-07").await;
        w.backend
            .charters
            .assign_captain(&c.key(), &crew("cap-a"))
            .await
            .unwrap();
        w.backend.charters.delete(&c.key()).await.unwrap();

        let it = w
            .backend
            .feed
            .iterator(&shard, &StartAt::TrimHorizon)
            .await
            .unwrap();
        let (records, _) = read_all(w, it, 3).await;
        let kinds: Vec<_> = records.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            vec![ChangeKind::Insert, ChangeKind::Modify, ChangeKind::Remove]
        );
        let insert = &records[0];
        assert!(insert.old_image.is_none());
        assert_eq!(
            Charter::from_item(insert.new_image.as_ref().unwrap()).unwrap(),
            c
        );
        let modify = &records[1];
        assert_eq!(
            Charter::from_item(modify.old_image.as_ref().unwrap())
                .unwrap()
                .captain_assigned,
            None
        );
        assert_eq!(
            Charter::from_item(modify.new_image.as_ref().unwrap())
                .unwrap()
                .captain_assigned,
            Some(crew("cap-a"))
        );
        assert!(records[2].new_image.is_none() && records[2].old_image.is_some());
        assert_eq!(insert.keys.len(), 2, "keys carry charter_id and created_at");
        assert!(sequence_cmp(&records[0].sequence, &records[1].sequence).is_lt());
        assert!(sequence_cmp(&records[1].sequence, &records[2].sequence).is_lt());

        // Resume after the first record: the rest, and nothing before it.
        let it = w
            .backend
            .feed
            .iterator(&shard, &StartAt::After(records[0].sequence.clone()))
            .await
            .unwrap();
        let (rest, it) = read_all(w, it, 2).await;
        assert_eq!(
            rest.iter().map(|r| r.kind).collect::<Vec<_>>(),
            vec![ChangeKind::Modify, ChangeKind::Remove]
        );
        // And then nothing new until something changes.
        let page = w.backend.feed.read(&it, 100).await.unwrap();
        assert!(page.records.is_empty());
    }

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

    pub async fn idempotency_has_powertools_semantics(w: &World) {
        let idem = &w.backend.idempotency;
        let now = Utc::now();
        let claim = |key: &str, hash: &str, owner: &str, at: chrono::DateTime<Utc>| {
            IdempotencyClaim {
                key: key.into(),
                payload_hash: hash.into(),
                owner: owner.into(),
                now: at,
                in_progress_until: at + chrono::Duration::seconds(60),
                expires_at: at + chrono::Duration::hours(1),
            }
        };
        let fresh = ClaimOutcome::Claimed { taken_over: false };
        assert_eq!(idem.claim(&claim("k1", "h1", "a", now)).await.unwrap(), fresh);
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
            .complete("k1", "b", "h1", Some("{}"), now + chrono::Duration::hours(1))
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
        assert_eq!(idem.claim(&claim("k2", "h", "a", now)).await.unwrap(), fresh);
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
        assert_eq!(idem.get("k2").await.unwrap().unwrap().owner.as_deref(), Some("b"));
        // A renewed lease keeps others out past the first lease's end.
        assert!(matches!(
            idem.claim(&claim("k2", "h", "c", now + chrono::Duration::seconds(300)))
                .await
                .unwrap(),
            ClaimOutcome::InProgress { .. }
        ));
        // Released after a failure: claimable again at once (and not a take-over).
        assert_eq!(idem.claim(&claim("k3", "h", "a", now)).await.unwrap(), fresh);
        idem.release("k3", "a").await.unwrap();
        assert_eq!(idem.claim(&claim("k3", "h", "b", now)).await.unwrap(), fresh);
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

    pub async fn unvisited_message_returns_then_dead_letters(w: &World) {
        let q = &w.backend.queues;
        q.send(
            QueueId::Cascade,
            &[OutMessage::new("{\"poison\":true}").attribute("origin", "test")],
        )
        .await
        .unwrap();
        let vis = Duration::from_secs(1);
        let mut seen = Vec::new();
        for attempt in 1..=TEST_MAX_RECEIVES {
            let got = eventually(
                "the message to come back",
                Duration::from_secs(15),
                || async {
                    let r = q
                        .receive(QueueId::Cascade, 10, Duration::from_secs(1), vis)
                        .await
                        .unwrap();
                    (!r.is_empty()).then_some(r)
                },
            )
            .await;
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].receive_count, attempt, "receive count");
            assert_eq!(
                got[0].attributes.get("origin").map(String::as_str),
                Some("test")
            );
            seen.push(got[0].message_id.clone());
            // Not deleted: hidden for the visibility timeout.
            assert!(
                q.receive(QueueId::Cascade, 10, Duration::ZERO, vis)
                    .await
                    .unwrap()
                    .is_empty(),
                "hidden while in flight"
            );
        }
        assert!(
            seen.windows(2).all(|p| p[0] == p[1]),
            "the same message came back"
        );
        // Past maxReceiveCount it moves to the DLQ instead of coming back.
        let dead = eventually(
            "the message in the DLQ",
            Duration::from_secs(20),
            || async {
                let main = q
                    .receive(QueueId::Cascade, 10, Duration::ZERO, vis)
                    .await
                    .unwrap();
                assert!(
                    main.is_empty(),
                    "received more than maxReceiveCount times: {main:?}"
                );
                let d = q
                    .receive(
                        QueueId::CascadeDlq,
                        10,
                        Duration::from_secs(1),
                        Duration::from_secs(30),
                    )
                    .await
                    .unwrap();
                (!d.is_empty()).then_some(d)
            },
        )
        .await;
        assert_eq!(dead[0].body, "{\"poison\":true}");
        assert_eq!(dead[0].message_id, seen[0]);
    }

    pub async fn delayed_message_not_seen_early(w: &World) {
        let q = &w.backend.queues;
        let start = Instant::now();
        q.send(
            QueueId::Reports,
            &[OutMessage::new("later").delayed(Duration::from_secs(2))],
        )
        .await
        .unwrap();
        assert!(
            q.receive(QueueId::Reports, 10, Duration::ZERO, Duration::from_secs(5))
                .await
                .unwrap()
                .is_empty(),
            "seen before its delay"
        );
        let got = eventually("the delayed message", Duration::from_secs(15), || async {
            let r = q
                .receive(
                    QueueId::Reports,
                    10,
                    Duration::from_secs(1),
                    Duration::from_secs(5),
                )
                .await
                .unwrap();
            (!r.is_empty()).then_some(r)
        })
        .await;
        assert!(
            start.elapsed() >= Duration::from_millis(1900),
            "seen after {:?}",
            start.elapsed()
        );
        assert_eq!(got[0].body, "later");
    }

    pub async fn visibility_change_and_delete(w: &World) {
        let q = &w.backend.queues;
        let bodies: Vec<OutMessage> = (0..12).map(|i| OutMessage::new(format!("m{i}"))).collect();
        let ids = q.send(QueueId::Roster, &bodies).await.unwrap();
        assert_eq!(ids.len(), 12);
        let mut got = Vec::new();
        let end = Instant::now() + Duration::from_secs(15);
        while got.len() < 12 {
            assert!(
                Instant::now() < end,
                "only {} of 12 messages came",
                got.len()
            );
            got.extend(
                q.receive(
                    QueueId::Roster,
                    10,
                    Duration::from_secs(1),
                    Duration::from_secs(60),
                )
                .await
                .unwrap(),
            );
        }
        let mut bodies: Vec<_> = got.iter().map(|m| m.body.clone()).collect();
        bodies.sort();
        bodies.dedup();
        assert_eq!(bodies.len(), 12);
        // Release one at once: it is visible again.
        q.change_visibility(QueueId::Roster, &got[0].receipt, Duration::ZERO)
            .await
            .unwrap();
        let back = eventually("the released message", Duration::from_secs(10), || async {
            let r = q
                .receive(
                    QueueId::Roster,
                    10,
                    Duration::from_secs(1),
                    Duration::from_secs(60),
                )
                .await
                .unwrap();
            (!r.is_empty()).then_some(r)
        })
        .await;
        assert_eq!(back[0].body, got[0].body);
        let mut receipts: Vec<String> = got[1..].iter().map(|m| m.receipt.clone()).collect();
        receipts.push(back[0].receipt.clone());
        let failed = q.delete(QueueId::Roster, &receipts).await.unwrap();
        assert!(failed.is_empty(), "{failed:?}");
        let depth = q.depth(QueueId::Roster).await.unwrap();
        assert_eq!(depth, QueueDepth::default());
    }

    pub async fn bootstrap_twice_then_doctor_is_clean(w: &World) {
        let again = w.backend.admin.bootstrap().await.unwrap();
        assert_eq!(again.len(), 4 + QueueId::ALL.len());
        assert!(
            again.iter().all(|(_, p)| *p == Provisioned::AlreadyThere),
            "{again:?}"
        );
        let checks = w.backend.admin.doctor().await.unwrap();
        assert_eq!(checks.len(), 4 + QueueId::ALL.len());
        let problems: Vec<_> = checks.iter().filter(|c| c.problem.is_some()).collect();
        assert!(problems.is_empty(), "{problems:?}");
    }

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
        assert_eq!(
            w.backend
                .offers
                .get(&c.charter_id, &a.offer_id)
                .await
                .unwrap()
                .unwrap()
                .status,
            OfferStatus::Accepted
        );
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
        assert_eq!(
            w.backend
                .offers
                .get(&c.charter_id, &b.offer_id)
                .await
                .unwrap()
                .unwrap()
                .status,
            OfferStatus::Open
        );
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
        assert_eq!(
            w.backend
                .offers
                .get(&c.charter_id, &d.offer_id)
                .await
                .unwrap()
                .unwrap()
                .status,
            OfferStatus::Open
        );
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
}
