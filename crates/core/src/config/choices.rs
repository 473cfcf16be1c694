//! The switches of a deployment: which backend, where mail and reports go, where a new stream
//! consumer starts. Each is a closed set of names, parsed once.

use serde::{Deserialize, Serialize};

/// Which storage and queue backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Embedded: one SQLite file under `data_dir`.
    Local,
    /// DynamoDB, DynamoDB Streams and SQS through the AWS SDK's standard configuration chain.
    Aws,
}

/// Where mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailKind {
    /// `.eml` files under `<data_dir>/outbox`.
    Outbox,
    Gmail,
    /// An SMTP server (`DISPATCH_SMTP_URL`): the operator's mail host or a transactional provider.
    Smtp,
}

/// Where reports go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriveKind {
    /// A folder tree under `<data_dir>/drive`.
    Folder,
    Google,
}

/// Where a new stream consumer starts on a shard without a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamStart {
    TrimHorizon,
    Latest,
}
