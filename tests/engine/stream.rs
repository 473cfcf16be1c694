//! The event engine on both backends: stream → router → queue, leases and take-over, dead letters,
//! worker crashes and replay. Time-dependent steps poll with deadlines; nothing sleeps blindly.

mod common;

both!(
    charter_becomes_exactly_one_job,
    consumer_takes_over_from_checkpoint,
    consumers_split_shards,
    consumer_dead_letters_only_records_that_can_never_succeed,
    consumer_retries_a_record_that_may_pass_until_it_does,
    consumer_waits_for_someone_elses_enqueue_claim,
    consumer_failing_shard_does_not_hold_up_the_others,
    consumer_renews_leases_while_a_record_is_slow,
    consumer_heartbeats_of_stopped_consumers_are_removed,
    stream_failure_records_replay_by_rereading_the_range,
    killed_worker_loses_nothing_and_effect_happens_once,
    worker_receives_ahead_and_deletes_in_batches,
    worker_hands_back_unstarted_messages_at_shutdown,
    poison_messages_dead_letter_with_reason_and_replay_once,
);

#[path = "engine/stream_consumer.rs"]
mod stream_consumer;

mod contracts {
    pub use crate::stream_consumer::*;
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use chrono::Utc;
    use dispatch_core::domain::*;
    use dispatch_core::idempotency::IdempotencyConfig;
    use dispatch_core::ports::*;
    use dispatch_core::StoreError;
    use dispatch_ingest::consumer::{
        Consumer, ConsumerConfig, HandleError, RecordHandler, RouterHandler,
    };
    use dispatch_ingest::dlq::{self, ReplayFilter};
    use dispatch_ingest::sink::QueueSink;
    use dispatch_ingest::worker::{Decision, JobError, JobHandler, Worker, WorkerConfig};

    use crate::common::{eventually, World};

    pub(crate) fn charter(date: &str) -> Charter {
        Charter {
            charter_id: CharterId::new_random(),
            created_at: Utc::now().to_rfc3339(),
            charter_date: CharterDate::parse(date).unwrap(),
            vessel_name: "Marlin".into(),
            captain_assigned: None,
            crew_assigned: vec![],
            guest_count: 8,
            guest_names: vec![],
            reportable_revenue: Money::parse("900").unwrap(),
            tips: Money::ZERO,
            status: CharterStatus::Booked,
            crew_needed: None,
        }
    }

    pub(crate) fn fast(owner: &str) -> ConsumerConfig {
        ConsumerConfig {
            lease_ttl: Duration::from_secs(2),
            rebalance_every: Duration::from_millis(200),
            idle_sleep: Duration::from_millis(50),
            retry_base: Duration::from_millis(10),
            retry_max: Duration::from_millis(200),
            ..ConsumerConfig::new(owner)
        }
    }

    pub(crate) fn router(w: &World) -> Arc<dyn RecordHandler> {
        Arc::new(RouterHandler {
            sink: Arc::new(QueueSink {
                queues: w.backend.queues.clone(),
                idempotency: w.backend.idempotency.clone(),
                config: IdempotencyConfig::default(),
            }),
        })
    }

    pub(crate) fn consumer(w: &World, owner: &str, handler: Arc<dyn RecordHandler>) -> Consumer {
        Consumer::for_backend(&w.backend, handler, fast(owner))
    }

    /// Receives everything currently on a queue (and deletes it).
    pub(crate) async fn take_all(w: &World, q: QueueId) -> Vec<Received> {
        let mut out = Vec::new();
        loop {
            let got = w
                .backend
                .queues
                .receive(q, 10, Duration::from_millis(500), Duration::from_secs(30))
                .await
                .unwrap();
            if got.is_empty() {
                return out;
            }
            let receipts: Vec<String> = got.iter().map(|m| m.receipt.clone()).collect();
            w.backend.queues.delete(q, &receipts).await.unwrap();
            out.extend(got);
        }
    }

    pub(crate) async fn poll_until(
        c: &mut Consumer,
        what: &str,
        mut done: impl FnMut(usize) -> bool,
    ) {
        let mut total = 0;
        let end = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            c.rebalance().await.unwrap();
            total += c.poll_once().await.unwrap().records;
            if done(total) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < end,
                "timed out waiting for {what} ({total} records seen)"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn charter_becomes_exactly_one_job(w: &World) {
        let c = charter("2024-05-03");
        w.backend.charters.insert(&c).await.unwrap();
        let handler = router(w);
        let mut a = consumer(w, "a", handler.clone());
        poll_until(&mut a, "the INSERT", |n| n >= 1).await;
        // The same record handled again (a crash before the checkpoint) enqueues nothing more.
        let shard = w.backend.feed.shards().await.unwrap()[0].id.clone();
        let it = w
            .backend
            .feed
            .iterator(&shard, &StartAt::TrimHorizon)
            .await
            .unwrap();
        let page = w.backend.feed.read(&it, 10).await.unwrap();
        handler.handle(&page.records[0]).await.unwrap();
        let jobs = take_all(w, QueueId::Cascade).await;
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        let env = JobEnvelope::parse(&jobs[0].body).unwrap();
        assert_eq!(env.kind, JobKind::CaptainCascade);
        assert_eq!(env.key, format!("captain_cascade#{}", c.charter_id));
        assert_eq!(env.payload["charter_id"], c.charter_id.as_str());
        // Captain set → one crew cascade job; cancelled → one release job.
        w.backend
            .charters
            .assign_captain(&c.key(), &CrewId::parse("cap").unwrap())
            .await
            .unwrap();
        w.backend
            .charters
            .set_status(&c.key(), CharterStatus::Cancelled)
            .await
            .unwrap();
        poll_until(&mut a, "MODIFYs", |n| n >= 2).await;
        let kinds: Vec<JobKind> = take_all(w, QueueId::Cascade)
            .await
            .iter()
            .map(|m| JobEnvelope::parse(&m.body).unwrap().kind)
            .collect();
        assert_eq!(kinds, vec![JobKind::CrewCascade, JobKind::Release]);
    }

    pub async fn consumer_takes_over_from_checkpoint(w: &World) {
        let seen = Arc::new(Recorder::default());
        for d in ["2024-05-01", "2024-05-02"] {
            w.backend.charters.insert(&charter(d)).await.unwrap();
        }
        let mut a = consumer(w, "a", seen.clone());
        let mut b = consumer(w, "b", seen.clone());
        poll_until(&mut a, "two records on a", |n| n >= 2).await;
        b.rebalance().await.unwrap();
        assert!(b.held_shards().is_empty(), "b must not take a's live lease");
        drop(a); // killed: no release, its lease just stops being renewed
        w.backend
            .charters
            .insert(&charter("2024-05-03"))
            .await
            .unwrap();
        poll_until(&mut b, "b to take over and read the third", |n| n >= 1).await;
        assert!(!b.held_shards().is_empty());
        let dates = seen.dates();
        assert_eq!(
            dates,
            vec!["2024-05-01", "2024-05-02", "2024-05-03"],
            "each record handled once, in order"
        );
    }

    pub async fn consumers_split_shards(w: &World) {
        // Four shards of a multi-shard feed, leased through this backend's lease store.
        let feed: Arc<dyn ChangeFeed> = Arc::new(ManyShards::new(4));
        let seen = Arc::new(Recorder::default());
        let mk = |owner: &str| {
            Consumer::new(
                feed.clone(),
                w.backend.leases.clone(),
                w.backend.queues.clone(),
                seen.clone(),
                fast(owner),
            )
        };
        let (mut a, mut b) = (mk("a"), mk("b"));
        // Both announce themselves, then take their fair share.
        a.rebalance().await.unwrap();
        b.rebalance().await.unwrap();
        a.rebalance().await.unwrap();
        b.rebalance().await.unwrap();
        let (ha, hb) = (a.held_shards(), b.held_shards());
        assert_eq!(ha.len() + hb.len(), 4, "a={ha:?} b={hb:?}");
        assert!(
            ha.len() == 2 && hb.len() == 2,
            "split evenly: a={ha:?} b={hb:?}"
        );
        a.poll_once().await.unwrap();
        b.poll_once().await.unwrap();
        drop(a);
        // After a's leases expire, b takes all four and reads on from a's checkpoints.
        let end = tokio::time::Instant::now() + Duration::from_secs(15);
        while b.held_shards().len() < 4 {
            assert!(
                tokio::time::Instant::now() < end,
                "b never took over a's shards: {:?}",
                b.held_shards()
            );
            b.rebalance().await.unwrap();
            b.poll_once().await.unwrap();
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        b.poll_once().await.unwrap();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for id in seen.ids() {
            *counts.entry(id).or_default() += 1;
        }
        assert_eq!(
            counts.len(),
            8,
            "every record of every shard handled: {counts:?}"
        );
        assert!(
            counts.values().all(|&n| n == 1),
            "none handled twice: {counts:?}"
        );
    }

    pub async fn consumer_dead_letters_only_records_that_can_never_succeed(w: &World) {
        let bad = charter("2024-05-13");
        let good = charter("2024-05-14");
        w.backend.charters.insert(&bad).await.unwrap();
        w.backend.charters.insert(&good).await.unwrap();
        let seen = Arc::new(Recorder {
            fail_date: Some("2024-05-13".into()),
            fail_permanently: true,
            ..Default::default()
        });
        let mut a = consumer(w, "a", seen.clone());
        poll_until(&mut a, "both records", |n| n >= 2).await;
        assert_eq!(
            seen.dates(),
            vec!["2024-05-14"],
            "the shard moved on past the record that can never succeed"
        );
        assert_eq!(
            seen.attempts.load(Ordering::SeqCst),
            1 + 1,
            "a permanent failure is not retried"
        );
        let dead = dlq::list(w.backend.queues.as_ref(), QueueId::IngestDlq, 10)
            .await
            .unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].kind.as_deref(), Some("stream_record"));
        assert!(
            dead[0].reason.as_deref().unwrap_or("").contains("refusing"),
            "{:?}",
            dead[0]
        );
        assert!(dead[0].body.contains(bad.charter_id.as_str()));
        // The full record, and the event id the logs name as its original id.
        let record = dispatch_ingest::consumer::record_from_dead_letter(&dead[0].body).unwrap();
        assert!(!record.event_id.is_empty());
        assert_eq!(
            dead[0].original_id.as_deref(),
            Some(record.event_id.as_str())
        );
        assert_eq!(
            Charter::from_item(record.new_image.as_ref().unwrap())
                .unwrap()
                .charter_id,
            bad.charter_id
        );
        // Listing did not consume it; replaying it through a healthy handler does.
        let healthy = Arc::new(Recorder::default());
        let report = dlq::replay(
            w.backend.queues.clone(),
            QueueId::IngestDlq,
            &ReplayFilter::default(),
            false,
            Some(dlq::StreamReplay {
                handler: healthy.clone(),
                feed: None,
            }),
            &|_, _| {},
        )
        .await
        .unwrap();
        assert_eq!(report.replayed, 1);
        assert_eq!(healthy.dates(), vec!["2024-05-13"]);
        assert!(dlq::list(w.backend.queues.as_ref(), QueueId::IngestDlq, 10)
            .await
            .unwrap()
            .is_empty());
    }

    pub async fn killed_worker_loses_nothing_and_effect_happens_once(w: &World) {
        let effects = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Notify::new());
        let handler = Arc::new(Gated {
            effects: effects.clone(),
            gate: gate.clone(),
            block_first: AtomicUsize::new(1),
        });
        let cfg = WorkerConfig {
            visibility: Duration::from_secs(1),
            wait: Duration::from_secs(1),
            // The dead worker's claim lapses before the message comes back (test queues redrive after 2 receives).
            idempotency: IdempotencyConfig {
                in_progress_ttl: Duration::from_millis(500),
                expiry: Duration::from_secs(3600),
            },
            ..WorkerConfig::default()
        };
        let worker = Arc::new(Worker::new(
            QueueId::Reports,
            w.backend.queues.clone(),
            w.backend.idempotency.clone(),
            handler.clone(),
            cfg,
        ));
        let job = JobEnvelope::new(
            JobKind::MonthlyReport,
            "report#2024-05",
            serde_json::json!({"month": "2024-05"}),
        );
        w.backend
            .queues
            .send(QueueId::Reports, &[OutMessage::new(job.to_body())])
            .await
            .unwrap();
        // First delivery: the job starts, then the worker dies mid-job.
        let first = {
            let worker = worker.clone();
            tokio::spawn(async move { worker.try_process_one(10, Duration::from_secs(5)).await })
        };
        eventually("the job to start", Duration::from_secs(10), || async {
            (handler.started() >= 1).then_some(())
        })
        .await;
        first.abort();
        assert!(first.await.unwrap_err().is_cancelled());
        assert_eq!(effects.load(Ordering::SeqCst), 0);
        // The message comes back; once the dead worker's claim lapses the job runs, once.
        let mut decisions = Vec::new();
        let end = tokio::time::Instant::now() + Duration::from_secs(20);
        while !decisions.iter().any(|x| matches!(x, Decision::Ack { .. })) {
            assert!(
                tokio::time::Instant::now() < end,
                "job never completed: {decisions:?}"
            );
            decisions.extend(
                worker
                    .try_process_one(10, Duration::from_secs(1))
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(effects.load(Ordering::SeqCst), 1, "{decisions:?}");
        // Delivered again (at-least-once): recognised as done, no second effect.
        w.backend
            .queues
            .send(QueueId::Reports, &[OutMessage::new(job.to_body())])
            .await
            .unwrap();
        let again = eventually("the duplicate", Duration::from_secs(10), || {
            let worker = worker.clone();
            async move {
                let got = worker
                    .try_process_one(10, Duration::from_secs(1))
                    .await
                    .unwrap();
                (!got.is_empty()).then_some(got)
            }
        })
        .await;
        assert_eq!(again, vec![Decision::Ack { already_done: true }]);
        assert_eq!(effects.load(Ordering::SeqCst), 1);
        assert_eq!(
            w.backend.queues.depth(QueueId::Reports).await.unwrap(),
            QueueDepth::default()
        );
    }

    pub async fn poison_messages_dead_letter_with_reason_and_replay_once(w: &World) {
        let flaky = Arc::new(Flaky {
            healthy: Mutex::new(false),
            runs: AtomicUsize::new(0),
        });
        let cfg = WorkerConfig {
            visibility: Duration::from_secs(1),
            retry_base: Duration::from_millis(1),
            retry_max: Duration::from_millis(1),
            max_attempts: 2,
            ..WorkerConfig::default()
        };
        let worker = Worker::new(
            QueueId::Roster,
            w.backend.queues.clone(),
            w.backend.idempotency.clone(),
            flaky.clone(),
            cfg,
        );
        let job = JobEnvelope::new(JobKind::RosterSync, "roster#1", serde_json::json!({}));
        w.backend
            .queues
            .send(
                QueueId::Roster,
                &[
                    OutMessage::new("not json at all"),
                    OutMessage::new(job.to_body()),
                ],
            )
            .await
            .unwrap();
        let mut decisions = Vec::new();
        let end = tokio::time::Instant::now() + Duration::from_secs(20);
        while decisions
            .iter()
            .filter(|d| matches!(d, Decision::DeadLetter { .. }))
            .count()
            < 2
        {
            assert!(tokio::time::Instant::now() < end, "{decisions:?}");
            decisions.extend(
                worker
                    .try_process_one(10, Duration::from_secs(1))
                    .await
                    .unwrap(),
            );
        }
        let dead = dlq::list(w.backend.queues.as_ref(), QueueId::RosterDlq, 10)
            .await
            .unwrap();
        assert_eq!(dead.len(), 2, "{dead:?}");
        let garbage = dead.iter().find(|d| d.body == "not json at all").unwrap();
        assert!(
            garbage
                .reason
                .as_deref()
                .unwrap()
                .contains("not a job envelope"),
            "{garbage:?}"
        );
        let gave_up = dead
            .iter()
            .find(|d| d.key.as_deref() == Some("roster#1"))
            .unwrap();
        assert!(
            gave_up
                .reason
                .as_deref()
                .unwrap()
                .contains("gave up after 2 attempts"),
            "{gave_up:?}"
        );
        assert_eq!(
            flaky.runs.load(Ordering::SeqCst),
            2,
            "bounded attempts, never forever"
        );
        // Listing again shows the same two (nothing consumed); a dry run moves nothing.
        assert_eq!(
            dlq::list(w.backend.queues.as_ref(), QueueId::RosterDlq, 10)
                .await
                .unwrap()
                .len(),
            2
        );
        let filter = ReplayFilter {
            kind: Some("roster_sync".into()),
            ..Default::default()
        };
        let dry = dlq::replay(
            w.backend.queues.clone(),
            QueueId::RosterDlq,
            &filter,
            true,
            None,
            &|_, _| {},
        )
        .await
        .unwrap();
        assert_eq!((dry.matched.len(), dry.replayed, dry.left), (1, 0, 1));
        // Fixed, then replayed: processed once.
        *flaky.healthy.lock().unwrap() = true;
        let report = dlq::replay(
            w.backend.queues.clone(),
            QueueId::RosterDlq,
            &filter,
            false,
            None,
            &|_, _| {},
        )
        .await
        .unwrap();
        assert_eq!((report.replayed, report.left), (1, 1));
        let done = eventually("the replayed job", Duration::from_secs(10), || async {
            let got = worker
                .try_process_one(10, Duration::from_secs(1))
                .await
                .unwrap();
            (!got.is_empty()).then_some(got)
        })
        .await;
        assert_eq!(
            done,
            vec![Decision::Ack {
                already_done: false
            }]
        );
        assert_eq!(flaky.runs.load(Ordering::SeqCst), 3);
        let left = dlq::list(w.backend.queues.as_ref(), QueueId::RosterDlq, 10)
            .await
            .unwrap();
        assert_eq!(
            left.len(),
            1,
            "the garbage stays until someone deals with it"
        );
    }

    // ---- test doubles (handlers; storage and queues are real) ----

    #[derive(Default)]
    pub(crate) struct Recorder {
        pub(crate) seen: Mutex<Vec<(String, String)>>,
        /// Records of this date fail...
        pub(crate) fail_date: Option<String>,
        /// ...for good (else for a reason that may pass)...
        pub(crate) fail_permanently: bool,
        /// ...this many times (0: always).
        pub(crate) fail_times: usize,
        pub(crate) attempts: AtomicUsize,
        pub(crate) failures: AtomicUsize,
    }

    impl Recorder {
        pub(crate) fn dates(&self) -> Vec<String> {
            self.seen
                .lock()
                .unwrap()
                .iter()
                .map(|(_, d)| d.clone())
                .collect()
        }
        pub(crate) fn ids(&self) -> Vec<String> {
            self.seen
                .lock()
                .unwrap()
                .iter()
                .map(|(id, _)| id.clone())
                .collect()
        }
    }

    #[async_trait::async_trait]
    impl RecordHandler for Recorder {
        async fn handle(&self, record: &ChangeRecord) -> Result<(), HandleError> {
            self.attempts.fetch_add(1, Ordering::SeqCst);
            let c = Charter::from_item(
                record
                    .new_image
                    .as_ref()
                    .or(record.old_image.as_ref())
                    .unwrap(),
            )
            .unwrap();
            if self.fail_date.as_deref() == Some(c.charter_date.to_string().as_str())
                && (self.fail_times == 0 || self.failures.load(Ordering::SeqCst) < self.fail_times)
            {
                self.failures.fetch_add(1, Ordering::SeqCst);
                return Err(HandleError {
                    retryable: !self.fail_permanently,
                    message: "refusing this date".into(),
                });
            }
            self.seen.lock().unwrap().push((
                format!("{}/{}", record.shard_id, record.sequence),
                c.charter_date.to_string(),
            ));
            Ok(())
        }
    }

    /// Queues that record each delete call's size and can hold the first delete until let go.
    struct Watched {
        inner: Arc<dyn Queues>,
        deletes: Mutex<Vec<usize>>,
        hold_first_delete: tokio::sync::Semaphore,
    }

    #[async_trait::async_trait]
    impl Queues for Watched {
        async fn send(&self, q: QueueId, m: &[OutMessage]) -> Result<Vec<String>, StoreError> {
            self.inner.send(q, m).await
        }
        async fn receive(
            &self,
            q: QueueId,
            max: u32,
            wait: Duration,
            vis: Duration,
        ) -> Result<Vec<Received>, StoreError> {
            self.inner.receive(q, max, wait, vis).await
        }
        async fn delete(&self, q: QueueId, r: &[String]) -> Result<Vec<String>, StoreError> {
            let first = {
                let mut d = self.deletes.lock().unwrap();
                d.push(r.len());
                d.len() == 1
            };
            if first {
                let _ = self.hold_first_delete.acquire().await.unwrap();
            }
            self.inner.delete(q, r).await
        }
        async fn change_visibility(
            &self,
            q: QueueId,
            r: &str,
            t: Duration,
        ) -> Result<(), StoreError> {
            self.inner.change_visibility(q, r, t).await
        }
        async fn depth(&self, q: QueueId) -> Result<QueueDepth, StoreError> {
            self.inner.depth(q).await
        }
    }

    /// Counts runs; each run waits for a permit of `gate`.
    struct Turnstile {
        started: AtomicUsize,
        done: AtomicUsize,
        gate: tokio::sync::Semaphore,
    }

    #[async_trait::async_trait]
    impl JobHandler for Turnstile {
        async fn handle(&self, _job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
            self.started.fetch_add(1, Ordering::SeqCst);
            self.gate.acquire().await.unwrap().forget();
            self.done.fetch_add(1, Ordering::SeqCst);
            Ok(serde_json::json!(null))
        }
    }

    async fn send_jobs(w: &World, n: usize, tag: &str) -> Vec<String> {
        let keys: Vec<String> = (0..n).map(|i| format!("{tag}-{i}")).collect();
        let msgs: Vec<OutMessage> = keys
            .iter()
            .map(|k| {
                OutMessage::new(
                    JobEnvelope::new(JobKind::Statements, k.clone(), serde_json::json!({}))
                        .to_body(),
                )
            })
            .collect();
        w.backend
            .queues
            .send(QueueId::Reports, &msgs)
            .await
            .unwrap();
        keys
    }

    /// `Worker::run` receives while its jobs run (up to one batch beyond its concurrency, kept
    /// invisible), and deletes what is done in batches rather than one call per message.
    pub async fn worker_receives_ahead_and_deletes_in_batches(w: &World) {
        let queues = Arc::new(Watched {
            inner: w.backend.queues.clone(),
            deletes: Mutex::default(),
            hold_first_delete: tokio::sync::Semaphore::new(0),
        });
        let handler = Arc::new(Turnstile {
            started: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            gate: tokio::sync::Semaphore::new(0),
        });
        let worker = Arc::new(Worker::new(
            QueueId::Reports,
            queues.clone(),
            w.backend.idempotency.clone(),
            handler.clone(),
            WorkerConfig {
                concurrency: 2,
                wait: Duration::from_secs(1),
                ..WorkerConfig::default()
            },
        ));
        let keys = send_jobs(w, 12, "ahead").await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let run = tokio::spawn(worker.clone().run(stopped));
        // Two run, the other ten were received ahead and wait, invisible.
        eventually(
            "two jobs running and ten waiting",
            Duration::from_secs(20),
            || async {
                let d = w.backend.queues.depth(QueueId::Reports).await.unwrap();
                (handler.started.load(Ordering::SeqCst) == 2 && d.visible == 0 && d.in_flight == 12)
                    .then_some(())
            },
        )
        .await;
        assert_eq!(
            handler.started.load(Ordering::SeqCst),
            2,
            "never more than the concurrency at once"
        );
        // Let every job through; the first delete is held, so the others queue up behind it.
        handler.gate.add_permits(12);
        eventually("every job completed", Duration::from_secs(30), || async {
            for k in &keys {
                let r = w
                    .backend
                    .idempotency
                    .get(&format!("job#{k}"))
                    .await
                    .unwrap()?;
                (r.status == IdempotencyStatus::Completed).then_some(())?;
            }
            Some(())
        })
        .await;
        queues.hold_first_delete.add_permits(1);
        eventually("the queue to empty", Duration::from_secs(30), || async {
            (w.backend.queues.depth(QueueId::Reports).await.unwrap() == QueueDepth::default())
                .then_some(())
        })
        .await;
        let deletes = queues.deletes.lock().unwrap().clone();
        assert_eq!(
            deletes.iter().sum::<usize>(),
            12,
            "each message deleted once: {deletes:?}"
        );
        assert!(
            deletes.len() < 12 && deletes.iter().any(|&n| n > 1),
            "deletes were batched: {deletes:?}"
        );
        assert_eq!(handler.done.load(Ordering::SeqCst), 12);
        stop.send(true).unwrap();
        run.await.unwrap();
    }

    /// At shutdown, messages received ahead that never started are made visible at once for
    /// another worker; they are not run on the way out.
    pub async fn worker_hands_back_unstarted_messages_at_shutdown(w: &World) {
        let handler = Arc::new(Turnstile {
            started: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            gate: tokio::sync::Semaphore::new(0),
        });
        let worker = Arc::new(Worker::new(
            QueueId::Reports,
            w.backend.queues.clone(),
            w.backend.idempotency.clone(),
            handler.clone(),
            WorkerConfig {
                concurrency: 1,
                wait: Duration::from_secs(1),
                shutdown_grace: Duration::from_secs(20),
                ..WorkerConfig::default()
            },
        ));
        send_jobs(w, 5, "unstarted").await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let run = tokio::spawn(worker.clone().run(stopped));
        eventually(
            "one job running, four waiting",
            Duration::from_secs(20),
            || async {
                let d = w.backend.queues.depth(QueueId::Reports).await.unwrap();
                (handler.started.load(Ordering::SeqCst) == 1 && d.in_flight == 5).then_some(())
            },
        )
        .await;
        stop.send(true).unwrap();
        // The running job may finish within the grace; its permit must not start a waiting one.
        handler.gate.add_permits(5);
        run.await.unwrap();
        assert_eq!(
            handler.started.load(Ordering::SeqCst),
            1,
            "nothing started on the way out"
        );
        assert_eq!(handler.done.load(Ordering::SeqCst), 1);
        // The four that never started are visible again at once; the finished one is gone.
        let d = w.backend.queues.depth(QueueId::Reports).await.unwrap();
        assert_eq!((d.visible, d.in_flight), (4, 0), "{d:?}");
        assert_eq!(
            w.backend
                .queues
                .depth(QueueId::ReportsDlq)
                .await
                .unwrap()
                .visible,
            0
        );
    }

    struct Gated {
        effects: Arc<AtomicUsize>,
        gate: Arc<tokio::sync::Notify>,
        block_first: AtomicUsize,
    }

    impl Gated {
        fn started(&self) -> usize {
            1 - self.block_first.load(Ordering::SeqCst)
        }
    }

    #[async_trait::async_trait]
    impl JobHandler for Gated {
        async fn handle(&self, _job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
            if self.block_first.swap(0, Ordering::SeqCst) == 1 {
                self.gate.notified().await; // never notified: the worker dies here
            }
            self.effects.fetch_add(1, Ordering::SeqCst);
            Ok(serde_json::json!({"uploaded": true}))
        }
    }

    struct Flaky {
        healthy: Mutex<bool>,
        runs: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl JobHandler for Flaky {
        async fn handle(&self, _job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
            self.runs.fetch_add(1, Ordering::SeqCst);
            if *self.healthy.lock().unwrap() {
                Ok(serde_json::json!(null))
            } else {
                Err(JobError::Retry("upstream 503".into()))
            }
        }
    }

    /// A feed of `n` open shards with two records each, for lease-splitting tests.
    pub(crate) struct ManyShards {
        shards: Vec<String>,
        records: BTreeMap<String, Vec<ChangeRecord>>,
    }

    impl ManyShards {
        pub(crate) fn new(n: usize) -> Self {
            let mut records = BTreeMap::new();
            let shards: Vec<String> = (0..n).map(|i| format!("shard-{i}")).collect();
            for s in &shards {
                let recs = (1..=2)
                    .map(|seq| ChangeRecord {
                        event_id: format!("{s}-{seq}"),
                        kind: ChangeKind::Insert,
                        shard_id: s.clone(),
                        sequence: format!("{seq:05}"),
                        keys: Default::default(),
                        old_image: None,
                        new_image: Some(charter("2024-05-20").to_item()),
                        created_at: None,
                    })
                    .collect();
                records.insert(s.clone(), recs);
            }
            Self { shards, records }
        }
    }

    #[async_trait::async_trait]
    impl ChangeFeed for ManyShards {
        async fn stream_name(&self) -> Result<String, StoreError> {
            Ok("many-shards".into())
        }
        async fn shards(&self) -> Result<Vec<Shard>, StoreError> {
            Ok(self
                .shards
                .iter()
                .map(|id| Shard {
                    id: id.clone(),
                    parent: None,
                    closed: false,
                })
                .collect())
        }
        async fn iterator(&self, shard: &str, start: &StartAt) -> Result<String, StoreError> {
            let after = match start {
                StartAt::After(s) => s.clone(),
                _ => "00000".into(),
            };
            Ok(format!("{shard}|{after}"))
        }
        async fn read(&self, iterator: &str, _limit: u32) -> Result<FeedPage, StoreError> {
            let (shard, after) = iterator.split_once('|').unwrap();
            let recs: Vec<ChangeRecord> = self.records[shard]
                .iter()
                .filter(|r| r.sequence.as_str() > after)
                .cloned()
                .collect();
            let last = recs
                .last()
                .map(|r| r.sequence.clone())
                .unwrap_or(after.to_string());
            Ok(FeedPage {
                records: recs,
                next: Some(format!("{shard}|{last}")),
            })
        }
    }
}

/// Consumer behaviour that needs a feed misbehaving on purpose (expired iterators, trimmed data,
/// split shards); the lease store is the real embedded one.
mod feed_edges {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use chrono::Utc;
    use dispatch_core::domain::*;
    use dispatch_core::ports::*;
    use dispatch_core::StoreError;
    use dispatch_ingest::consumer::{Consumer, ConsumerConfig, HandleError, RecordHandler};

    use crate::common::World;

    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    #[async_trait::async_trait]
    impl RecordHandler for Seen {
        async fn handle(&self, r: &ChangeRecord) -> Result<(), HandleError> {
            self.0
                .lock()
                .unwrap()
                .push(format!("{}:{}", r.shard_id, r.sequence));
            Ok(())
        }
    }

    fn rec(shard: &str, seq: u32) -> ChangeRecord {
        let c = Charter {
            charter_id: CharterId::new_random(),
            created_at: Utc::now().to_rfc3339(),
            charter_date: CharterDate::parse("2024-05-03").unwrap(),
            vessel_name: "V".into(),
            captain_assigned: None,
            crew_assigned: vec![],
            guest_count: 1,
            guest_names: vec![],
            reportable_revenue: Money::ZERO,
            tips: Money::ZERO,
            status: CharterStatus::Booked,
            crew_needed: None,
        };
        ChangeRecord {
            event_id: format!("{shard}-{seq}"),
            kind: ChangeKind::Insert,
            shard_id: shard.into(),
            sequence: format!("{seq:05}"),
            keys: Default::default(),
            old_image: None,
            new_image: Some(c.to_item()),
            created_at: None,
        }
    }

    /// A parent shard (closed) with a child; the first read expires, the first resume is trimmed.
    struct Tricky {
        shards: Vec<Shard>,
        records: BTreeMap<String, Vec<ChangeRecord>>,
        expire_once: AtomicUsize,
        trim_once: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl ChangeFeed for Tricky {
        async fn stream_name(&self) -> Result<String, StoreError> {
            Ok("tricky".into())
        }
        async fn shards(&self) -> Result<Vec<Shard>, StoreError> {
            Ok(self.shards.clone())
        }
        async fn iterator(&self, shard: &str, start: &StartAt) -> Result<String, StoreError> {
            match start {
                StartAt::After(s) => {
                    if self.trim_once.swap(0, Ordering::SeqCst) == 1 {
                        return Err(StoreError::TrimmedData);
                    }
                    Ok(format!("{shard}|{s}"))
                }
                _ => Ok(format!("{shard}|00000")),
            }
        }
        async fn read(&self, it: &str, _limit: u32) -> Result<FeedPage, StoreError> {
            if self.expire_once.swap(0, Ordering::SeqCst) == 1 {
                return Err(StoreError::IteratorExpired);
            }
            let (shard, after) = it.split_once('|').unwrap();
            // One record per read, so the consumer must come back for more.
            let next = self.records[shard]
                .iter()
                .find(|r| r.sequence.as_str() > after)
                .cloned();
            let closed = self.shards.iter().any(|s| s.id == shard && s.closed);
            match next {
                Some(r) => Ok(FeedPage {
                    next: Some(format!("{shard}|{}", r.sequence)),
                    records: vec![r],
                }),
                None if closed => Ok(FeedPage {
                    records: vec![],
                    next: None,
                }),
                None => Ok(FeedPage {
                    records: vec![],
                    next: Some(it.to_string()),
                }),
            }
        }
    }

    #[tokio::test]
    async fn parent_before_child_and_survives_expiry_and_trimming() {
        let world = World::local().await;
        let feed = Arc::new(Tricky {
            shards: vec![
                Shard {
                    id: "child".into(),
                    parent: Some("parent".into()),
                    closed: false,
                },
                Shard {
                    id: "parent".into(),
                    parent: None,
                    closed: true,
                },
            ],
            records: [
                (
                    "parent".to_string(),
                    vec![rec("parent", 1), rec("parent", 2)],
                ),
                ("child".to_string(), vec![rec("child", 3)]),
            ]
            .into(),
            expire_once: AtomicUsize::new(1),
            trim_once: AtomicUsize::new(0),
        });
        let seen = Arc::new(Seen::default());
        let mut c = Consumer::new(
            feed.clone(),
            world.backend.leases.clone(),
            world.backend.queues.clone(),
            seen.clone(),
            ConsumerConfig::new("solo"),
        );
        c.rebalance().await.unwrap();
        assert_eq!(
            c.held_shards(),
            vec!["parent"],
            "the child waits for its parent"
        );
        for _ in 0..10 {
            c.rebalance().await.unwrap();
            c.poll_once().await.unwrap();
        }
        assert_eq!(
            *seen.0.lock().unwrap(),
            vec!["parent:00001", "parent:00002", "child:00003"]
        );
        let leases = world.backend.leases.list("tricky").await.unwrap();
        let parent = leases.iter().find(|l| l.shard_id == "parent").unwrap();
        assert_eq!(parent.checkpoint.as_deref(), Some(SHARD_END));
        // A new consumer resuming from a trimmed checkpoint continues from the oldest record.
        feed.trim_once.store(1, Ordering::SeqCst);
        let again = Arc::new(Seen::default());
        let child = leases
            .iter()
            .find(|l| l.shard_id == "child")
            .unwrap()
            .clone();
        world.backend.leases.release(&child).await.unwrap();
        let mut d = Consumer::new(
            feed.clone(),
            world.backend.leases.clone(),
            world.backend.queues.clone(),
            again.clone(),
            ConsumerConfig::new("late"),
        );
        for _ in 0..5 {
            d.rebalance().await.unwrap();
            d.poll_once().await.unwrap();
        }
        assert_eq!(
            *again.0.lock().unwrap(),
            vec!["child:00003"],
            "re-read from the trim horizon after the loss was logged"
        );
    }
}
