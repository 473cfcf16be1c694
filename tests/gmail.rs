//! Mail through the Gmail port against the faithful fake Google of `dispatch-google` (its token
//! endpoint checks the signed JWT; its Gmail endpoint checks the bearer and parses the MIME).

#[path = "../crates/google/tests/fake/mod.rs"]
mod fake;

use std::sync::Arc;

use dispatch::gmail::GmailMailer;
use dispatch_core::domain::EmailAddress;
use dispatch_google::gmail::GmailClient;
use dispatch_mailer::{Attachment, Mail, MailSender, XLSX};

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
