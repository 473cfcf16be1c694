//! Where the token is kept: a token file that cannot be written (a read-only folder, as on
//! Lambda) never fails a call, `check` says where it would be written and whether it can be,
//! and nothing planted at the token file's name is ever followed.

mod fake;

use std::os::unix::fs::PermissionsExt;

use dispatch_google::auth::{check, write_token_file, AccessToken, JwtTokenSource, SCOPES};
use dispatch_google::TokenSource;
use fake::world::{World, MAILBOX};

#[tokio::test]
async fn a_token_file_that_cannot_be_written_is_a_warning_not_a_failed_call() {
    let w = World::new().await;
    let unwritable = w
        .dir
        .path()
        .join("no-such-folder")
        .join("unified-token.json");
    let source = JwtTokenSource::new(w.key(), &SCOPES, Some(MAILBOX.to_owned()))
        .with_token_file(unwritable.clone());
    let token = source
        .access_token()
        .await
        .expect("the token is used from memory");
    assert!(token.secret.starts_with("ya29.fake-"));
    assert!(!unwritable.exists());
    // Cached: the next call needs no new exchange.
    source.access_token().await.unwrap();
    assert_eq!(w.fake.state().token_requests, 1);
}

#[tokio::test]
async fn check_says_when_the_token_file_cannot_be_written_where_it_would_be() {
    let w = World::new().await;
    let mut cfg = w.config();
    let unwritable = w
        .dir
        .path()
        .join("no-such-folder")
        .join("unified-token.json");
    cfg.token_file = Some(unwritable.clone());
    let e = check(&cfg, false).await.unwrap_err().to_string();
    assert!(e.contains(&unwritable.display().to_string()), "{e}");
    assert!(!e.contains('\n'), "{e}");
    // Where it can be written, the check leaves nothing behind.
    let ok = w.config();
    check(&ok, false).await.unwrap();
    let left: Vec<_> = std::fs::read_dir(w.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, vec!["key.json".to_string()], "nothing but the key");
}

#[test]
fn a_symlink_planted_at_the_token_file_is_replaced_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let path = dir.path().join("unified-token.json");
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let token = AccessToken {
        secret: "ya29.secret".into(),
        expires_at: chrono::Utc::now(),
    };
    write_token_file(&path, &token).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(
        meta.file_type().is_file(),
        "a regular file replaced the link"
    );
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}
