//! Crew statements, on both backends: once per member and month to the roster's address and last
//! month's extra recipients, CC the auditor; a member missing from the roster is reported and
//! the rest still go.

use dispatch::month::recipients::statement_key;
use dispatch::month::statements;
use dispatch_core::domain::*;
use dispatch_mailer::{header_values, Attachment, Mail, MailSender};

use crate::common::{self, World};
use crate::{addresses, email, files_in, may, month_world};

both!(
    statements_go_once_to_roster_and_prior_recipients,
    a_member_off_the_roster_is_reported_and_the_rest_still_go,
);

pub async fn statements_go_once_to_roster_and_prior_recipients(world: &World) {
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
    let bo = std::fs::read(outbox.file_for(&statement_key(may(), &CrewId::parse("bo").unwrap())))
        .unwrap();
    assert_eq!(
        addresses(&bo, "To"),
        ["bo@example.com", "bo.accounts@example.com"]
    );
    assert_eq!(addresses(&bo, "Cc"), ["auditor@example.com"]);
    let ana = std::fs::read(outbox.file_for(&statement_key(may(), &CrewId::parse("ana").unwrap())))
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

pub async fn a_member_off_the_roster_is_reported_and_the_rest_still_go(world: &World) {
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
