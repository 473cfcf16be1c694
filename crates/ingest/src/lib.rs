//! # dispatch-ingest
//!
//! Turns the charters table's change feed into work. It will own:
//!
//! - the long-running stream consumer over the [`dispatch_core::ports::ChangeFeed`] port (shard
//!   discovery, parent-before-child lineage, leases and checkpoints in the state table, iterator
//!   expiry, trimmed data), on DynamoDB Streams and on the embedded change feed alike;
//! - routing change records to domain events (INSERT → captain cascade, captain set → crew cascade,
//!   cancelled / REMOVE → release);
//! - the Lambda handlers (stream batch, SQS batch) with partial batch failure responses, calling the
//!   same code as the long-running mode.
//!
//! Today it holds only this map; the event engine issue fills it in.
