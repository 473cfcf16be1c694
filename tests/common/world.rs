//! A test's own storage: a fresh SQLite file, or fresh table and queue names on the AWS-protocol
//! emulator (moto) that `scripts/test` starts, bootstrapped and ready. Its own file because every
//! other part of the rig (the app, the process runner, `both!`) stands on it.

use std::path::PathBuf;

use dispatch_core::aws::Aws;
use dispatch_core::local::Local;
use dispatch_core::Backend;

/// The receive count after which test queues dead-letter a message (kept small for speed).
pub const TEST_MAX_RECEIVES: u32 = 2;

/// The env var naming the emulator's endpoint (SQS, and everything by default), set by `scripts/test`.
pub const ENDPOINT_VAR: &str = "DISPATCH_TEST_AWS_ENDPOINT";
/// The env var naming a separate emulator for DynamoDB and its stream (moto serving one request at
/// a time, so transactions are atomic as on DynamoDB; see scripts/moto_serial.py).
pub const DYNAMODB_ENDPOINT_VAR: &str = "DISPATCH_TEST_DYNAMODB_ENDPOINT";

/// Which backend a test runs on: `both!` makes one test of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The embedded backend: one SQLite file.
    Local,
    /// The AWS adapters against moto on loopback.
    Aws,
}

impl std::fmt::Display for Kind {
    /// `local` or `aws`, as test names say it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Local => "local",
            Kind::Aws => "aws",
        })
    }
}

/// A bootstrapped backend with a folder of its own. On SQLite the database is
/// `<dir>/data/dispatch.sqlite3`, where the `dispatch` binary finds it with
/// `DISPATCH_DATA_DIR=<dir>/data`; on moto every table and queue name starts with `prefix`.
pub struct World {
    pub backend: Backend,
    pub kind: Kind,
    /// The table and queue name prefix (empty on SQLite).
    pub prefix: String,
    pub dir: tempfile::TempDir,
}

impl World {
    /// A fresh world on `kind`, its queues redriving after [`TEST_MAX_RECEIVES`].
    pub async fn new(kind: Kind) -> Self {
        Self::with_receives(kind, TEST_MAX_RECEIVES).await
    }

    /// A fresh world whose queues redrive after `max_receives` (production's 5, say).
    pub async fn with_receives(kind: Kind, max_receives: u32) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data folder");
        let (backend, prefix) = match kind {
            Kind::Local => {
                let local = Local::open_path(&data.join("dispatch.sqlite3"), "", max_receives)
                    .expect("open sqlite");
                (local.backend(), String::new())
            }
            Kind::Aws => {
                let prefix = format!("t{}-", &uuid::Uuid::new_v4().simple().to_string()[..10]);
                let backend = aws_with_prefix(&prefix, max_receives).await.backend();
                (backend, prefix)
            }
        };
        backend.admin.bootstrap().await.expect("bootstrap");
        Self {
            backend,
            kind,
            prefix,
            dir,
        }
    }

    /// An embedded world (the tests that need no second backend).
    pub async fn local() -> Self {
        Self::new(Kind::Local).await
    }

    /// The folder the `dispatch` binary uses as `DISPATCH_DATA_DIR` for this world.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A file in the world's folder holding `bytes`.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).expect("write a test file");
        p
    }
}

/// The emulator's endpoint. Panics — never skips — when it is not there.
pub fn endpoint() -> String {
    std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set: the AWS-backend tests need the moto emulator. \
             Run ./scripts/test (it installs and starts moto), or start `moto_server -H 127.0.0.1 -p PORT` \
             and export {ENDPOINT_VAR}=http://127.0.0.1:PORT"
        )
    })
}

/// The DynamoDB endpoint: its own variable, else the common one.
pub fn dynamodb_endpoint() -> String {
    std::env::var(DYNAMODB_ENDPOINT_VAR).unwrap_or_else(|_| endpoint())
}

/// An SDK configuration pointing at `endpoint`.
pub async fn sdk_config_for(endpoint: String) -> aws_config::SdkConfig {
    dispatch_core::aws::sdk_defaults()
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

/// The AWS adapters on the emulator, every name prefixed with `prefix` (not bootstrapped).
pub async fn aws_with_prefix(prefix: &str, max_receives: u32) -> Aws {
    let ddb = sdk_config_for(dynamodb_endpoint()).await;
    let sqs = sdk_config_for(endpoint()).await;
    Aws::from_sdk_configs(&ddb, &sqs, prefix, max_receives)
}
