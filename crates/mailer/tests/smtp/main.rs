//! The SMTP sender against a real SMTP server on loopback: `scripts/smtp_server.py` (aiosmtpd)
//! with STARTTLS or implicit TLS and AUTH, a CA and certificate made here with the `openssl` CLI,
//! and its fault modes (451 on the first DATA, 554 always, a connection dropped after DATA).
//! Judged by what the server stored. Python comes from `DISPATCH_TEST_PYTHON`, by default the
//! workspace's `.venv/bin/python` (set up by `./scripts/test`); nothing here is skipped: a missing
//! Python, aiosmtpd or openssl fails the test and says so.

mod server;

use dispatch_core::domain::EmailAddress;
use dispatch_mailer::{header_values, Mail, MailSender, SmtpConfig, SmtpMailer, SmtpPassword};
use server::{Server, PASSWORD, USER};

fn addr(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

fn mail(key: &str) -> Mail {
    Mail {
        key: key.into(),
        from_name: "Crew Dispatch".into(),
        from: addr("dispatch@example.com"),
        to: vec![addr("ana@example.com")],
        cc: vec![addr("audit@example.com")],
        subject: "Charter offer: Marlin on 2024-05-03".into(),
        text: "Open https://crew.example.com/p/abc to answer.".into(),
        attachments: vec![],
    }
}

fn data(record: &serde_json::Value) -> Vec<u8> {
    record["data"].as_str().unwrap().as_bytes().to_vec()
}

#[tokio::test]
async fn a_mail_is_received_once_over_starttls_with_auth_and_its_headers() {
    let server = Server::start("starttls", "none");
    let mailer = server.starttls_mailer();
    let m = mail("offer#1");
    assert_eq!(mailer.send(&m).await.unwrap(), m.message_id());
    let got = server.received();
    assert_eq!(got.len(), 1, "{got:?}");
    let r = &got[0];
    assert_eq!(r["tls"], true);
    assert_eq!(r["auth_user"], USER);
    assert_eq!(r["mail_from"], "dispatch@example.com");
    assert_eq!(
        r["rcpt_tos"],
        serde_json::json!(["ana@example.com", "audit@example.com"])
    );
    let d = data(r);
    assert_eq!(header_values(&d, "Message-ID"), [m.message_id()]);
    assert_eq!(header_values(&d, "To"), ["ana@example.com"]);
    assert_eq!(header_values(&d, "Cc"), ["audit@example.com"]);
    assert_eq!(
        header_values(&d, "Subject"),
        ["Charter offer: Marlin on 2024-05-03"]
    );
    assert_eq!(
        header_values(&d, "From"),
        ["\"Crew Dispatch\" <dispatch@example.com>"]
    );
    assert_eq!(mailer.resends(), 0);
    let described = mailer.describe();
    assert!(
        described.contains("STARTTLS") && described.contains(USER),
        "{described}"
    );
    assert!(!described.contains(PASSWORD));
}

#[tokio::test]
async fn doctor_check_authenticates_and_sends_nothing_and_names_what_to_fix() {
    let server = Server::start("starttls", "none");
    let line = server.starttls_mailer().check().await.unwrap();
    assert!(
        line.contains("as ops@example.com: connected, AUTH PLAIN accepted")
            && line.contains("no mail sent"),
        "{line}"
    );
    assert!(!line.contains(PASSWORD));
    let wrong = server.mailer(
        "smtp://ops%40example.com@127.0.0.1:{port}?tls=required",
        Some("wrong"),
    );
    let e = wrong.check().await.unwrap_err().to_string();
    assert!(
        e.contains("AUTH") && e.contains("535") && e.contains("DISPATCH_SMTP_PASSWORD"),
        "{e}"
    );
    // Without the private CA the certificate is not trusted: the error names DISPATCH_SMTP_CA_FILE.
    let mut cfg = SmtpConfig::new(
        format!(
            "smtp://ops%40example.com@127.0.0.1:{}?tls=required",
            server.port
        ),
        Some(SmtpPassword::new(PASSWORD)),
        None,
    );
    cfg.retry.retries = 0;
    let e = SmtpMailer::new(cfg)
        .unwrap()
        .check()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("STARTTLS") && e.contains("DISPATCH_SMTP_CA_FILE"),
        "{e}"
    );
    let closed = SmtpMailer::new(SmtpConfig::new("smtp://127.0.0.1:1", None, None)).unwrap();
    let e = closed.check().await.unwrap_err().to_string();
    assert!(
        e.contains("connecting") && e.contains("host and port"),
        "{e}"
    );
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn implicit_tls_works_too() {
    let server = Server::start("implicit", "none");
    let mailer = server.mailer("smtps://ops%40example.com@127.0.0.1:{port}", Some(PASSWORD));
    mailer.send(&mail("offer#tls")).await.unwrap();
    let got = server.received();
    assert_eq!(
        (got.len(), &got[0]["tls"], &got[0]["auth_user"]),
        (1, &serde_json::json!(true), &serde_json::json!(USER))
    );
}

#[tokio::test]
async fn a_451_is_tried_again_and_the_mail_received_once() {
    let server = Server::start("starttls", "451");
    let mailer = server.starttls_mailer();
    let m = mail("offer#451");
    mailer.send(&m).await.unwrap();
    assert_eq!(
        server.records("rejected").len(),
        1,
        "the first DATA was refused"
    );
    let got = server.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        header_values(&data(&got[0]), "Message-ID"),
        [m.message_id()]
    );
    assert_eq!(
        mailer.resends(),
        0,
        "a refused attempt left nothing to resend"
    );
}

#[tokio::test]
async fn a_554_is_permanent_and_carries_the_servers_text() {
    let server = Server::start("starttls", "554");
    let e = server
        .starttls_mailer()
        .send(&mail("offer#554"))
        .await
        .unwrap_err();
    assert!(!e.is_retryable(), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("554") && text.contains("Message refused by the test server's policy"),
        "{text}"
    );
    assert_eq!(server.records("rejected").len(), 1, "no retry after a 5xx");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_cut_after_data_is_retryable_and_sent_again_with_the_same_message_id() {
    let server = Server::start("starttls", "drop");
    let mailer = server.starttls_mailer();
    let m = mail("offer#drop");
    let e = mailer.send(&m).await.unwrap_err();
    assert!(e.is_retryable(), "{e}");
    assert!(e.to_string().contains("may have been delivered"), "{e}");
    assert_eq!(server.received().len(), 1, "the server had it");
    assert!(!mailer.already_sent(&m).await.unwrap(), "SMTP cannot look");
    assert_eq!(mailer.resends(), 0);
    mailer.send(&m).await.unwrap();
    let got = server.received();
    assert_eq!(got.len(), 2, "{got:?}");
    for r in &got {
        assert_eq!(header_values(&data(r), "Message-ID"), [m.message_id()]);
    }
    assert_eq!(mailer.resends(), 1);
    mailer.send(&mail("offer#next")).await.unwrap();
    assert_eq!(mailer.resends(), 1, "a new key is no resend");
}

#[tokio::test]
async fn plain_smtp_only_to_loopback() {
    let e = SmtpMailer::new(SmtpConfig::new("smtp://smtp.example.com:25", None, None))
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("DISPATCH_SMTP_URL") && e.contains("loopback"),
        "{e}"
    );
    let server = Server::start("none", "none");
    let mailer = SmtpMailer::new(SmtpConfig::new(
        format!("smtp://127.0.0.1:{}", server.port),
        None,
        None,
    ))
    .unwrap();
    mailer.send(&mail("offer#plain")).await.unwrap();
    let got = server.received();
    assert_eq!((got.len(), &got[0]["tls"]), (1, &serde_json::json!(false)));
}

#[tokio::test]
async fn a_wrong_password_is_a_permanent_error_naming_auth() {
    let server = Server::start("starttls", "none");
    let mailer = server.mailer(
        "smtp://ops%40example.com@127.0.0.1:{port}?tls=required",
        Some("wrong"),
    );
    let e = mailer.send(&mail("offer#auth")).await.unwrap_err();
    assert!(!e.is_retryable(), "{e}");
    let text = e.to_string();
    assert!(text.contains("AUTH") && text.contains("535"), "{text}");
    assert!(!text.contains("wrong"), "the password never shows: {text}");
    assert!(server.received().is_empty());
}
