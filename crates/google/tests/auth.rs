//! Key loading, hardening, the JWT exchange against the fake, caching and refresh, `check`.

mod fake;

use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use dispatch_google::auth::{check, GcpAuthSource, JwtTokenSource, SCOPES};
use dispatch_google::{GoogleError, TokenSource};
use fake::world::{set_mode, write_private, World, MAILBOX};
use rsa::RsaPrivateKey;

fn other_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::thread_rng(), 1024).expect("generate RSA key"))
}

fn one_line(e: &GoogleError) -> String {
    let s = e.to_string();
    assert!(!s.contains('\n'), "error is one line: {s}");
    s
}

#[tokio::test]
async fn jwt_exchange_gets_a_token_for_the_mailbox() {
    let w = World::new().await;
    let t = w.tokens().access_token().await.unwrap();
    assert!(t.secret.starts_with("ya29.fake-"));
    assert!(t.expires_at > Utc::now());
    let s = w.fake.state();
    assert_eq!(s.token_requests, 1);
    assert_eq!(s.token_subs, vec![Some(MAILBOX.to_owned())]);
}

#[tokio::test]
async fn gcp_auth_source_works_against_the_fake_with_and_without_subject() {
    let w = World::new().await;
    let with_sub = GcpAuthSource::new(&w.key(), &SCOPES, Some(MAILBOX.to_owned())).unwrap();
    let without = GcpAuthSource::new(&w.key(), &SCOPES, None).unwrap();
    let a = with_sub.access_token().await.unwrap();
    let b = without.access_token().await.unwrap();
    assert_ne!(a.secret, b.secret);
    // gcp_auth sends padded base64url and `"sub": null`; the fake accepts both, as Google does.
    assert_eq!(
        w.fake.state().token_subs,
        vec![Some(MAILBOX.to_owned()), None]
    );
}

#[tokio::test]
async fn bad_signature_reports_googles_error_without_retrying() {
    let w = World::new().await;
    w.fake.state().public_key = other_key().to_public_key();
    let err = w.tokens().access_token().await.unwrap_err();
    assert_eq!(
        one_line(&err),
        "token request refused (400): invalid_grant: Invalid JWT Signature."
    );
    assert!(!err.is_retryable());
    assert_eq!(w.fake.state().token_requests, 1);
}

#[tokio::test]
async fn wrong_subject_is_refused_as_unauthorized_client() {
    let w = World::new().await;
    let tokens = JwtTokenSource::new(w.key(), &SCOPES, Some("someone@else.example".into()));
    let err = tokens.access_token().await.unwrap_err();
    assert!(one_line(&err).contains("unauthorized_client"), "{err}");
}

#[tokio::test]
async fn token_is_cached_then_refreshed_after_expiry() {
    let w = World::new().await;
    w.fake.state().expires_in = 120;
    let now = Arc::new(Mutex::new(Utc::now()));
    let clock_now = now.clone();
    let tokens = JwtTokenSource::new(w.key(), &SCOPES, Some(MAILBOX.into()))
        .with_clock(Arc::new(move || *clock_now.lock().unwrap()));
    let advance = |secs: i64| {
        let mut n = now.lock().unwrap();
        *n += chrono::Duration::seconds(secs);
    };
    let first = tokens.access_token().await.unwrap();
    assert_eq!(tokens.access_token().await.unwrap().secret, first.secret);
    advance(30); // 90 s left: still cached
    assert_eq!(tokens.access_token().await.unwrap().secret, first.secret);
    assert_eq!(w.fake.state().token_requests, 1);
    advance(91); // past expiry
    let second = tokens.access_token().await.unwrap();
    assert_ne!(second.secret, first.secret);
    assert_eq!(w.fake.state().token_requests, 2);
    let expected: DateTime<Utc> = *now.lock().unwrap() + chrono::Duration::seconds(120);
    assert_eq!(second.expires_at, expected);
}

#[tokio::test]
async fn token_within_a_minute_of_expiry_is_refreshed() {
    let w = World::new().await;
    w.fake.state().expires_in = 59;
    let tokens = w.tokens();
    let a = tokens.access_token().await.unwrap();
    let b = tokens.access_token().await.unwrap();
    assert_ne!(a.secret, b.secret);
}

#[tokio::test]
async fn refresh_writes_the_token_file_0600() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new().await;
    let cfg = w.config();
    let token = cfg.token_source().unwrap().access_token().await.unwrap();
    let path = cfg.token_file.unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["access_token"], token.secret.as_str());
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[tokio::test]
async fn loose_key_file_is_refused_with_the_chmod_fix() {
    let w = World::new().await;
    set_mode(&w.key_path, 0o644);
    let err = w.config().load_key().unwrap_err();
    let msg = one_line(&err);
    assert!(
        msg.contains(&format!("chmod 600 {}", w.key_path.display())),
        "{msg}"
    );
    assert!(msg.contains("0644") && msg.contains("key file"), "{msg}");
    let mut loose = w.config();
    loose.allow_loose_permissions = true;
    assert!(
        loose.load_key().is_ok(),
        "allow_loose_permissions turns it into a warning"
    );
}

#[tokio::test]
async fn loose_key_folder_is_refused_with_the_chmod_fix() {
    let w = World::new().await;
    set_mode(w.dir.path(), 0o755);
    let msg = one_line(&w.config().load_key().unwrap_err());
    assert!(
        msg.contains(&format!("chmod 700 {}", w.dir.path().display())),
        "{msg}"
    );
    assert!(msg.contains("0755") && msg.contains("key folder"), "{msg}");
}

#[tokio::test]
async fn loose_token_file_is_refused() {
    let w = World::new().await;
    let cfg = w.config();
    let token_file = cfg.token_file.clone().unwrap();
    std::fs::write(&token_file, "{}").unwrap();
    set_mode(&token_file, 0o640);
    let msg = one_line(&cfg.load_key().unwrap_err());
    assert!(
        msg.contains(&format!("chmod 600 {}", token_file.display())),
        "{msg}"
    );
}

#[tokio::test]
async fn corrupt_keys_give_clear_errors() {
    let w = World::new().await;
    let cases: [(&[u8], &str); 4] = [
        (b"{not json", "is not JSON"),
        (br#"{"client_email":"a@b","token_uri":"http://x","private_key_id":"k"}"#, "has no `private_key` field"),
        (
            br#"{"client_email":"a@b","token_uri":"http://x","private_key_id":"k","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}"#,
            "is not a PKCS#8 RSA PEM",
        ),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ];
    for (bytes, want) in cases {
        write_private(&w.key_path, bytes);
        let msg = one_line(&w.config().load_key().unwrap_err());
        assert!(
            msg.contains(want) && msg.contains(&w.key_path.display().to_string()),
            "{msg}"
        );
        assert!(!msg.contains("AAAA"), "never echo key material: {msg}");
    }
}

#[tokio::test]
async fn check_reports_success_and_one_line_errors() {
    let w = World::new().await;
    let report = check(&w.config(), false).await.unwrap();
    assert_eq!(report.client_email, fake::world::CLIENT_EMAIL);
    assert_eq!(report.scopes.len(), 4);
    assert_eq!(report.key_path, w.key_path);
    assert!(report.to_string().starts_with("ok: key "));
    assert!(
        !w.config().token_file.unwrap().exists(),
        "check without refresh writes no token file"
    );
    check(&w.config(), true).await.unwrap();
    assert!(
        w.config().token_file.unwrap().exists(),
        "refresh writes the token file"
    );

    let mut missing = w.config();
    missing.key_path = Some(w.dir.path().join("nope.json"));
    assert!(one_line(&check(&missing, false).await.unwrap_err()).contains("does not exist"));

    let mut unreadable = w.config();
    let dir_as_key = w.dir.path().join("a-directory");
    std::fs::create_dir(&dir_as_key).unwrap();
    set_mode(&dir_as_key, 0o600);
    unreadable.key_path = Some(dir_as_key);
    assert!(one_line(&check(&unreadable, false).await.unwrap_err()).contains("cannot read"));

    set_mode(&w.key_path, 0o604);
    assert!(one_line(&check(&w.config(), false).await.unwrap_err()).contains("chmod 600"));

    write_private(&w.key_path, b"]");
    assert!(one_line(&check(&w.config(), false).await.unwrap_err()).contains("is not JSON"));

    w.fake.state().public_key = other_key().to_public_key();
    write_private(
        &w.key_path,
        fake::world::key_json(fake::world::test_key(), &w.fake.token_uri()).as_bytes(),
    );
    let msg = one_line(&check(&w.config(), false).await.unwrap_err());
    assert!(
        msg.ends_with("invalid_grant: Invalid JWT Signature."),
        "{msg}"
    );
}
