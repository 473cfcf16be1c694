//! Mail through the Gmail port against the faithful fake Google of `dispatch-google` (its token
//! endpoint checks the signed JWT; its Gmail endpoint checks the bearer and parses the MIME).

use std::sync::Arc;

use dispatch::gmail::GmailMailer;
use dispatch_core::domain::EmailAddress;
use dispatch_google::gmail::GmailClient;
use dispatch_mailer::{Attachment, Mail, MailSender, XLSX};

use crate::fake;

#[tokio::test]
async fn offer_and_statement_mail_go_out_through_gmail() {
    let world = fake::world::World::new().await;
    let client = GmailClient::new(&world.fake.base, world.tokens(), world.http()).unwrap();
    let mailer = GmailMailer::new(client, fake::world::MAILBOX);
    let mail = Mail {
        key: "mail#statement#2024-05#crew-ana".into(),
        from_name: "Crew Dispatch".into(),
        from: EmailAddress::parse(fake::world::MAILBOX).unwrap(),
        to: vec![
            EmailAddress::parse("ana@example.com").unwrap(),
            EmailAddress::parse("ana.home@example.com").unwrap(),
        ],
        cc: vec![EmailAddress::parse("auditor@example.com").unwrap()],
        subject: "Crew statement May 2024 – Ana Silva".into(),
        text: "Your statement is attached.".into(),
        attachments: vec![Attachment {
            filename: "statement-2024-05.xlsx".into(),
            content_type: XLSX.into(),
            bytes: b"PK\x03\x04xlsx".to_vec(),
        }],
    };
    let id = mailer.send(&mail).await.unwrap();
    assert!(!id.is_empty());
    {
        let state = world.fake.state();
        let sent = state.sent.last().expect("the fake received the mail");
        assert_eq!(sent.to, vec!["ana@example.com", "ana.home@example.com"]);
        assert_eq!(sent.cc, vec!["auditor@example.com"]);
        assert_eq!(sent.subject, "Crew statement May 2024 – Ana Silva");
        assert_eq!(sent.attachments.len(), 1);
        assert_eq!(sent.attachments[0].0, "statement-2024-05.xlsx");
        assert_eq!(sent.attachments[0].2, b"PK\x03\x04xlsx".to_vec());
    }
    // A 400 from Gmail is not worth a retry; a 503 is.
    world.fake.fail_next(fake::Failure::BadRequest, 1);
    assert!(!mailer.send(&mail).await.unwrap_err().is_retryable());
    let _ = Arc::new(());
}

fn offer_mail(key: &str) -> Mail {
    Mail {
        key: key.into(),
        from_name: "Crew Dispatch".into(),
        from: EmailAddress::parse(fake::world::MAILBOX).unwrap(),
        to: vec![EmailAddress::parse("ana@example.com").unwrap()],
        cc: vec![],
        subject: "Charter offer: Marlin on 2024-05-03".into(),
        text: "Open the link".into(),
        attachments: vec![],
    }
}

#[tokio::test]
async fn a_send_accepted_then_timed_out_goes_out_once_and_is_known_as_sent() {
    let world = fake::world::World::new().await;
    let http = dispatch_google::HttpConfig {
        timeout: std::time::Duration::from_millis(700),
        ..world.http()
    };
    let mailer = GmailMailer::new(
        GmailClient::new(&world.fake.base, world.tokens(), http).unwrap(),
        fake::world::MAILBOX,
    );
    let mail = offer_mail("mail#offer#8c1e");
    assert!(!mailer.already_sent(&mail).await.unwrap());
    world
        .fake
        .fail_call("gmail.send", 1, fake::Failure::AcceptThenStall(3_000));
    mailer.send(&mail).await.unwrap();
    {
        let s = world.fake.state();
        assert_eq!(s.sent.len(), 1, "exactly one mail in the sent list");
        assert_eq!(s.sent[0].message_id, mail.message_id());
        assert_eq!(s.calls("gmail.send"), 1);
    }
    // A claim taken over from a dead owner asks first: this one went out.
    assert!(mailer.already_sent(&mail).await.unwrap());
    assert!(!mailer
        .already_sent(&offer_mail("mail#offer#other"))
        .await
        .unwrap());
    // Cut off, and the search that follows fails too: no blind retry; the error is retryable,
    // and the next send of that key looks before it sends.
    let second = offer_mail("mail#offer#9d2f");
    world
        .fake
        .fail_call("gmail.send", 2, fake::Failure::AcceptThenCut);
    let searches = world.fake.state().calls("gmail.list");
    world
        .fake
        .fail_call("gmail.list", searches + 1, fake::Failure::BadRequest);
    let err = mailer.send(&second).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(
        world.fake.state().calls("gmail.send"),
        2,
        "not retried blind"
    );
    mailer.send(&second).await.unwrap();
    assert_eq!(
        world.fake.state().calls("gmail.send"),
        2,
        "found, not sent again"
    );
    let s = world.fake.state();
    assert_eq!(
        s.sent
            .iter()
            .filter(|m| m.message_id == second.message_id())
            .count(),
        1,
        "not sent again after the unknown outcome"
    );
}
