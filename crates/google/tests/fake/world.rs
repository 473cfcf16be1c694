//! A test's own world: a cached RSA key, a key folder with strict modes, a running fake.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use dispatch_google::auth::{AuthConfig, JwtTokenSource, KeyOptions, ServiceAccountKey, SCOPES};
use dispatch_google::HttpConfig;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::RsaPrivateKey;

use super::Fake;

pub const CLIENT_EMAIL: &str = "dispatch@crew-dispatch-test.iam.gserviceaccount.com";
pub const MAILBOX: &str = "office@jada.example";

/// One 2048-bit key per test binary (generated, never committed).
pub fn test_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("generate RSA key"))
}

/// A service-account key JSON for `key`, pointing at `token_uri`.
pub fn key_json(key: &RsaPrivateKey, token_uri: &str) -> String {
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("PKCS#8 PEM");
    serde_json::json!({
        "type": "service_account",
        "project_id": "crew-dispatch-test",
        "private_key_id": "test-key-1",
        "private_key": pem.as_str(),
        "client_email": CLIENT_EMAIL,
        "client_id": "1234567890",
        "token_uri": token_uri,
    })
    .to_string()
}

pub struct World {
    pub fake: Fake,
    pub dir: tempfile::TempDir,
    pub key_path: PathBuf,
}

impl World {
    pub async fn new() -> World {
        let fake = Fake::start(test_key().to_public_key(), CLIENT_EMAIL, MAILBOX).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let key_path = dir.path().join("key.json");
        write_private(
            &key_path,
            key_json(test_key(), &fake.token_uri()).as_bytes(),
        );
        set_mode(dir.path(), 0o700);
        World {
            fake,
            dir,
            key_path,
        }
    }

    pub fn config(&self) -> AuthConfig {
        AuthConfig {
            key_path: Some(self.key_path.clone()),
            token_file: Some(self.dir.path().join("unified-token.json")),
            subject: Some(MAILBOX.to_owned()),
            allow_loose_permissions: false,
        }
    }

    pub fn key(&self) -> ServiceAccountKey {
        ServiceAccountKey::load(&self.key_path, None, KeyOptions::default()).expect("load key")
    }

    pub fn tokens(&self) -> Arc<JwtTokenSource> {
        Arc::new(JwtTokenSource::new(
            self.key(),
            &SCOPES,
            Some(MAILBOX.to_owned()),
        ))
    }

    /// Retries fast: the fake's Retry-After still applies.
    pub fn http(&self) -> HttpConfig {
        HttpConfig {
            min_backoff: std::time::Duration::from_millis(5),
            max_backoff: std::time::Duration::from_millis(50),
            max_retries: 3,
            ..HttpConfig::default()
        }
    }
}

pub fn write_private(path: &std::path::Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write");
    set_mode(path, 0o600);
}

pub fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
