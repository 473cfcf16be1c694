//! Month-end flows on both backends (SQLite and moto): the revenue report (one file per month,
//! prior column order, shared with ops) and crew statements (once per member and month, prior
//! recipients kept, CC the auditor), run directly and as queue jobs.

#[path = "../common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use calamine::{Data, Reader, Xlsx};
use dispatch::month::files::DriveFolder;
use dispatch::month::recipients::{statement_key, OutboxRecipients};
use dispatch::month::report::{report_file_name, run_report};
use dispatch::month::roster::XlsxFile;
use dispatch::month::{statements, MonthContext};
use dispatch_core::domain::*;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_mailer::{header_values, parse_address_list, Attachment, Mail, MailSender, Outbox};

pub struct Month5 {
    pub ctx: Arc<MonthContext>,
    pub dir: tempfile::TempDir,
}

impl Month5 {
    pub fn outbox(&self) -> Outbox {
        Outbox::new(self.dir.path().join("outbox"))
    }
    pub fn reports(&self) -> PathBuf {
        self.dir.path().join("drive/JADA Business/Reports")
    }
}

pub fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

/// Ana captains, Bo and Cy crew; three May charters with revenue, one without, one in June.
pub async fn month_world(world: &common::World) -> Month5 {
    let dir = tempfile::tempdir().unwrap();
    let b = &world.backend;
    let mut ana = common::member("ana", true, false, &[]);
    ana.name = "Ana Silva".into();
    let mut bo = common::member("bo", false, true, &[]);
    bo.name = "Bo Lee".into();
    let mut cy = common::member("cy", false, true, &[]);
    cy.name = "Cy Diaz".into();
    b.roster.upsert_batch(&[ana, bo, cy]).await.unwrap();
    let staffed = |date: &str, revenue: &str, tips: &str, crew: &[&str]| {
        let mut c = common::charter(date, 4, Some(crew.len() as u32));
        c.captain_assigned = Some(CrewId::parse("ana").unwrap());
        c.crew_assigned = crew.iter().map(|id| CrewId::parse(id).unwrap()).collect();
        c.reportable_revenue = Money::parse(revenue).unwrap();
        c.tips = Money::parse(tips).unwrap();
        c.guest_names = vec!["Guest One".into()];
        c.status = CharterStatus::Staffed;
        c
    };
    for c in [
        staffed("2024-05-03", "1200.00", "100.00", &["bo", "cy"]),
        staffed("2024-05-10", "800.50", "50.01", &["bo"]),
        staffed("2024-05-20", "0", "0", &["cy"]),
        staffed("2024-05-28", "950.00", "0.10", &["cy"]),
        staffed("2024-06-01", "700.00", "30.00", &["bo"]),
    ] {
        b.charters.insert(&c).await.unwrap();
    }
    let outbox = Outbox::new(dir.path().join("outbox"));
    let ctx = Arc::new(MonthContext {
        backend: b.clone(),
        files: Arc::new(DriveFolder::new(
            dir.path().join("drive"),
            "JADA Business/Reports",
        )),
        mailer: Arc::new(outbox.clone()),
        recipients: Arc::new(OutboxRecipients(outbox)),
        availability: Arc::new(XlsxFile(dir.path().join("availability.xlsx"))),
        from: email("office@jada.example"),
        from_name: "JADA Crew Office".into(),
        auditor: Some(email("auditor@example.com")),
        ops: vec![email("ops@example.com"), email("owner@example.com")],
        roster_year: Some(2024),
        zone: Default::default(),
        idem: IdempotencyConfig::default(),
    });
    Month5 { ctx, dir }
}

pub fn may() -> Month {
    Month::parse("2024-05").unwrap()
}

pub fn month_tab(bytes: &[u8], title: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range(title).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

pub fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn addresses(mime: &[u8], header: &str) -> Vec<String> {
    header_values(mime, header)
        .iter()
        .flat_map(|v| parse_address_list(v))
        .map(|a| a.as_str().to_string())
        .collect()
}

mod contracts {
    use super::*;

    pub async fn report_is_one_file_per_month_in_the_prior_order(world: &common::World) {
        let m = month_world(world).await;
        let b = &m.ctx.backend;
        // Old data: a cancelled charter with revenue; a charter stored twice under one id (an
        // older version on the same day with more revenue); and one whose newer version moved
        // it to June (its older version still sits on a May date). None may count in May.
        let mut cancelled = common::charter("2024-05-15", 4, Some(1));
        cancelled.reportable_revenue = Money::parse("1850.00").unwrap();
        cancelled.status = CharterStatus::Cancelled;
        b.charters.insert(&cancelled).await.unwrap();
        let mut newer = common::charter("2024-05-12", 4, Some(1));
        newer.reportable_revenue = Money::parse("300.00").unwrap();
        newer.created_at = "2024-04-20T10:00:00.000Z".into();
        let mut older = newer.clone();
        older.created_at = "2024-04-01T10:00:00.000Z".into();
        older.reportable_revenue = Money::parse("2150.00").unwrap();
        older.vessel_name = "Stale Version".into();
        b.charters.insert(&older).await.unwrap();
        b.charters.insert(&newer).await.unwrap();
        let mut moved = common::charter("2024-06-02", 4, Some(1));
        moved.reportable_revenue = Money::parse("400.00").unwrap();
        moved.created_at = "2024-04-20T10:00:00.000Z".into();
        let mut was_may = moved.clone();
        was_may.charter_date = CharterDate::parse("2024-05-22").unwrap();
        was_may.created_at = "2024-04-02T10:00:00.000Z".into();
        was_may.vessel_name = "Stale Version".into();
        b.charters.insert(&was_may).await.unwrap();
        b.charters.insert(&moved).await.unwrap();
        let listed = b.charters.in_month(may()).await.unwrap().items;
        assert_eq!(
            listed.iter().filter(|c| c.charter_id == newer.charter_id).count(),
            1,
            "one charter id, one row"
        );
        assert!(!listed.iter().any(|c| c.charter_id == moved.charter_id), "moved to June");
        assert_eq!(b.charters.on_date(CharterDate::parse("2024-05-22").unwrap()).await.unwrap().items, vec![]);

        let mut stages = Vec::new();
        let out = run_report(&m.ctx, may(), &mut |s: &str| stages.push(s.to_string()))
            .await
            .unwrap();
        assert_eq!(out.rows, 4, "reportable revenue > 0 only, May only, newest versions, not cancelled");
        assert_eq!(out.without_revenue, 1);
        assert_eq!(out.cancelled, 1);
        assert!(!out.prior_order);
        assert!(
            stages.iter().any(|s| s.contains("one query per day")),
            "{stages:?}"
        );
        let bytes = std::fs::read(m.reports().join("Revenue 2024-05.xlsx")).unwrap();
        let rows = month_tab(&bytes, "May 2024");
        let title = rows[0][0].to_string();
        assert!(
            title.starts_with("JADA Crew Office · Revenue May 2024 · generated ")
                && title.ends_with(" UTC"),
            "{title}"
        );
        assert_eq!(rows[1][0], Data::String("Date".into()));
        assert_eq!(rows.len(), 2 + 4 + 1, "title, header, four charters, total");
        assert!(
            rows[2]
                .iter()
                .any(|c| *c == Data::String("Ana Silva".into())),
            "names from the roster: {:?}",
            rows[2]
        );
        let flat: Vec<String> = rows.iter().flatten().map(|c| c.to_string()).collect();
        assert!(!flat.iter().any(|c| c == "Stale Version" || c == "cancelled"), "{flat:?}");
        assert!(flat.contains(&newer.charter_id.to_string()), "a charter id column");
        assert!(flat.iter().any(|c| c == "staffed"), "a status column");
        // $1200 + $800.50 + $950 + $300 (the newest version), never $2150 or $1850.
        let header = &rows[1];
        let rev = header.iter().position(|c| *c == Data::String("Revenue".into())).unwrap();
        assert_eq!(rows[6][rev], Data::Float(3250.5));

        // The prior month's workbook decides the order: put one with Revenue first.
        let april = may().previous();
        let prior = dispatch_reporting::revenue::revenue_workbook(
            &[],
            april,
            &Default::default(),
            Some(&["Revenue".to_string(), "Date".to_string()]),
        )
        .unwrap();
        std::fs::write(m.reports().join(report_file_name(april)), prior).unwrap();
        let again = run_report(&m.ctx, may(), &mut |_| {}).await.unwrap();
        assert!(again.prior_order);
        assert_eq!(
            files_in(&m.reports()),
            [
                "Revenue 2024-04.xlsx",
                "Revenue 2024-05.xlsx",
                "sharing.json"
            ]
        );
        let rows = month_tab(
            &std::fs::read(m.reports().join("Revenue 2024-05.xlsx")).unwrap(),
            "May 2024",
        );
        assert_eq!(rows[1][0], Data::String("Revenue".into()));
        assert_eq!(rows[1][1], Data::String("Date".into()));
        let sharing: serde_json::Value =
            serde_json::from_slice(&std::fs::read(m.reports().join("sharing.json")).unwrap())
                .unwrap();
        assert_eq!(
            sharing["Revenue 2024-05.xlsx"],
            serde_json::json!(["ops@example.com", "owner@example.com"])
        );
    }

    pub async fn statements_go_once_to_roster_and_prior_recipients(world: &common::World) {
        let m = month_world(world).await;
        let outbox = m.outbox();
        // April's statement to Bo also went to his accountant: May's must too.
        let april = may().previous();
        outbox
            .send(&Mail {
                key: statement_key(april, &CrewId::parse("bo").unwrap()),
                from_name: "JADA Crew Office".into(),
                from: email("office@jada.example"),
                to: vec![email("bo@example.com"), email("bo.accounts@example.com")],
                cc: vec![email("auditor@example.com")],
                subject: dispatch_reporting::statement::statement_subject("Bo Lee", april),
                text: "April".into(),
                attachments: vec![Attachment {
                    filename: "a.xlsx".into(),
                    content_type: "application/octet-stream".into(),
                    bytes: vec![1],
                }],
            })
            .await
            .unwrap();

        let planned = statements::plan(&m.ctx, may()).await.unwrap();
        let lines: Vec<String> = planned.iter().map(|p| p.line()).collect();
        assert_eq!(planned.len(), 3, "{lines:#?}");
        assert!(
            lines.iter().all(|l| !l.contains("Guest")),
            "no guest names in the dry run"
        );
        assert_eq!(files_in(outbox.dir()).len(), 1, "planning sends nothing");

        let out = statements::send(&m.ctx, may()).await.unwrap();
        assert_eq!(out.sent, ["ana", "bo", "cy"]);
        let bo =
            std::fs::read(outbox.file_for(&statement_key(may(), &CrewId::parse("bo").unwrap())))
                .unwrap();
        assert_eq!(
            addresses(&bo, "To"),
            ["bo@example.com", "bo.accounts@example.com"]
        );
        assert_eq!(addresses(&bo, "Cc"), ["auditor@example.com"]);
        let ana =
            std::fs::read(outbox.file_for(&statement_key(may(), &CrewId::parse("ana").unwrap())))
                .unwrap();
        assert_eq!(addresses(&ana, "To"), ["ana@example.com"]);
        let subject = header_values(&ana, "Subject").join(" ");
        assert!(
            subject.contains("=?utf-8?") || subject.contains("Crew statement May 2024"),
            "{subject}"
        );

        // Again (a retry, a replay, a second trigger): nothing is sent twice.
        let before: Vec<_> = files_in(outbox.dir());
        let mtimes: Vec<_> = before
            .iter()
            .map(|f| {
                std::fs::metadata(outbox.dir().join(f))
                    .unwrap()
                    .modified()
                    .unwrap()
            })
            .collect();
        let again = statements::send(&m.ctx, may()).await.unwrap();
        assert!(again.sent.is_empty(), "{again:?}");
        assert_eq!(again.already_sent, ["ana", "bo", "cy"]);
        let after_mtimes: Vec<_> = before
            .iter()
            .map(|f| {
                std::fs::metadata(outbox.dir().join(f))
                    .unwrap()
                    .modified()
                    .unwrap()
            })
            .collect();
        assert_eq!(files_in(outbox.dir()), before);
        assert_eq!(mtimes, after_mtimes, "no file rewritten");
    }

    pub async fn a_member_off_the_roster_is_reported_and_the_rest_still_go(world: &common::World) {
        let m = month_world(world).await;
        let mut c = common::charter("2024-05-15", 2, Some(1));
        c.captain_assigned = Some(CrewId::parse("ana").unwrap());
        c.crew_assigned = vec![CrewId::parse("ghost").unwrap()];
        c.reportable_revenue = Money::parse("100").unwrap();
        c.tips = Money::parse("10").unwrap();
        world.backend.charters.insert(&c).await.unwrap();
        let err = statements::send(&m.ctx, may()).await.unwrap_err();
        assert!(
            !err.is_retryable(),
            "a missing roster entry needs a person: {err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("3 sent") && text.contains("ghost") && text.contains("roster"),
            "{text}"
        );
        // Fixed roster: the next run sends only Ghost's.
        let mut ghost = common::member("ghost", false, true, &[]);
        ghost.name = "Gus Host".into();
        world.backend.roster.upsert_batch(&[ghost]).await.unwrap();
        let out = statements::send(&m.ctx, may()).await.unwrap();
        assert_eq!(out.sent, ["ghost"]);
        assert_eq!(out.already_sent, ["ana", "bo", "cy"]);
    }

    pub async fn roster_sync_writes_in_batches_and_twice_changes_nothing(world: &common::World) {
        let m = month_world(world).await;
        let members: Vec<CrewMember> = (0..30)
            .map(|i| {
                let mut x = common::member(
                    &format!("sync{i:02}"),
                    i % 5 == 0,
                    true,
                    &["2024-05-03", "2024-05-04"],
                );
                x.name = format!("Member {i:02}");
                x.phone = Some(format!("+1-555-01{i:02}"));
                x
            })
            .collect();
        let bytes = dispatch_reporting::sheet::sample::sample_availability_workbook(
            &members,
            "Season 2024",
        )
        .unwrap();
        std::fs::write(m.dir.path().join("availability.xlsx"), bytes).unwrap();
        let first = dispatch::month::roster::sync(&m.ctx, None).await.unwrap();
        assert_eq!(first.created.len(), 30, "{first}");
        assert_eq!(first.batches, 2, "30 members: a batch of 25 and one of 5");
        assert!(first.problems.is_empty(), "{first}");
        assert_eq!(first.not_in_sheet, 3, "Ana, Bo and Cy are left alone");
        let stored = world
            .backend
            .roster
            .get(&CrewId::parse("sync07").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.name, "Member 07");
        assert_eq!(stored.available_dates.len(), 2);
        let second = dispatch::month::roster::sync(&m.ctx, None).await.unwrap();
        assert_eq!(
            (
                second.created.len(),
                second.updated.len(),
                second.unchanged,
                second.batches
            ),
            (0, 0, 30, 0),
            "{second}"
        );
        // --file with a missing file: a clear error, nothing written.
        let err = dispatch::month::roster::sync(&m.ctx, Some(m.dir.path().join("nope.xlsx")))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("nope.xlsx") && err.to_string().contains("--file"),
            "{err}"
        );
    }

    pub async fn month_jobs_on_the_queue_run_once(world: &common::World) {
        use dispatch_core::ports::{OutMessage, QueueId};
        use dispatch_ingest::worker::{Registry, Worker, WorkerConfig};
        let m = month_world(world).await;
        let registry = dispatch::month::jobs::register(Registry::new(), m.ctx.clone());
        let worker = Worker::new(
            QueueId::Reports,
            world.backend.queues.clone(),
            world.backend.idempotency.clone(),
            Arc::new(registry),
            // A duplicate delivery waits (Defer) for at most the visibility timeout: keep it short.
            WorkerConfig {
                visibility: Duration::from_secs(2),
                ..WorkerConfig::default()
            },
        );
        let report = JobEnvelope::new(
            JobKind::MonthlyReport,
            "monthly_report#2024-05",
            serde_json::json!({"month": "2024-05"}),
        );
        let stmts = JobEnvelope::new(
            JobKind::Statements,
            "statements#2024-05",
            serde_json::json!({"month": "2024-05"}),
        );
        // The schedule's payload: `previous` of 2024-06-01 is May; a different key, same month.
        let scheduled = JobEnvelope::new(
            JobKind::Statements,
            "statements#2024-06-01T06:00:00Z",
            serde_json::json!({"month": "previous", "scheduled_time": "2024-06-01T13:00:00Z"}),
        );
        let bodies = [&report, &stmts, &stmts, &scheduled, &report]
            .iter()
            .map(|e| OutMessage::new(e.to_body()))
            .collect::<Vec<_>>();
        world
            .backend
            .queues
            .send(QueueId::Reports, &bodies)
            .await
            .unwrap();
        let mut done = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while done < bodies.len() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "jobs not done in time ({done})"
            );
            let decisions = worker
                .try_process_one(10, Duration::from_millis(200))
                .await
                .unwrap();
            for d in decisions {
                use dispatch_ingest::worker::Decision;
                match d {
                    Decision::Ack { .. } => done += 1,
                    // Two statements jobs for one month at once: the second waits for the first's
                    // claims (per member) and comes back; it never sends a second copy.
                    Decision::Retry { .. } | Decision::Defer { .. } => {}
                    Decision::DeadLetter { reason } => panic!("dead-lettered: {reason}"),
                }
            }
        }
        let outbox = m.outbox();
        assert_eq!(
            files_in(outbox.dir()).len(),
            3,
            "three statements, each once"
        );
        assert_eq!(
            files_in(&m.reports()),
            ["Revenue 2024-05.xlsx", "sharing.json"]
        );
    }
}

both!(
    report_is_one_file_per_month_in_the_prior_order,
    statements_go_once_to_roster_and_prior_recipients,
    a_member_off_the_roster_is_reported_and_the_rest_still_go,
    month_jobs_on_the_queue_run_once,
    roster_sync_writes_in_batches_and_twice_changes_nothing,
);
