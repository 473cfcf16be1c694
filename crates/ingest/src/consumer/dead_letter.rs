//! Stream records as dead letters in `ingest-dlq`: the full record and the error, enough to
//! replay it, with the record's event id as its original message id.

use chrono::Utc;
use dispatch_core::item;
use dispatch_core::ports::{ChangeKind, ChangeRecord, OutMessage};

use crate::dlq::ORIGINAL_MESSAGE_ID;
use crate::worker::dlq_attr;

/// The full record as a dead letter: enough to replay it.
pub fn dead_letter_body(stream: &str, record: &ChangeRecord, error: &str) -> serde_json::Value {
    serde_json::json!({
        "v": 1,
        "kind": "stream_record",
        "stream": stream,
        "shard_id": record.shard_id,
        "sequence": record.sequence,
        "event_id": record.event_id,
        "event_name": record.kind.as_str(),
        "keys": item::to_json(&record.keys),
        "old_image": record.old_image.as_ref().map(item::to_json),
        "new_image": record.new_image.as_ref().map(item::to_json),
        "error": error,
        "failed_at": Utc::now(),
    })
}

/// The id the logs name a stream record by: its event id, else `shard/sequence`.
pub fn original_id(record: &ChangeRecord) -> String {
    if record.event_id.is_empty() {
        format!("{}/{}", record.shard_id, record.sequence)
    } else {
        record.event_id.clone()
    }
}

/// The `ingest-dlq` message for a record that can never succeed.
pub fn dead_letter_message(stream: &str, record: &ChangeRecord, error: &str) -> OutMessage {
    OutMessage::new(dead_letter_body(stream, record, error).to_string())
        .attribute(
            dlq_attr::ERROR,
            error.chars().take(1000).collect::<String>(),
        )
        .attribute(dlq_attr::SOURCE, "stream")
        .attribute(dlq_attr::FAILED_AT, Utc::now().to_rfc3339())
        .attribute(ORIGINAL_MESSAGE_ID, original_id(record))
}

/// Reads a dead letter written by [`dead_letter_body`] back into a record.
pub fn record_from_dead_letter(body: &str) -> Result<ChangeRecord, String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("kind").and_then(|k| k.as_str()) != Some("stream_record") {
        return Err("not a stream record dead letter".into());
    }
    let s = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let img = |k: &str| -> Result<Option<item::Item>, String> {
        match v.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(x) => item::from_json(x).map(Some).map_err(|e| e.to_string()),
        }
    };
    let kind = match s("event_name").as_str() {
        "INSERT" => ChangeKind::Insert,
        "MODIFY" => ChangeKind::Modify,
        "REMOVE" => ChangeKind::Remove,
        other => return Err(format!("unknown event_name {other}")),
    };
    Ok(ChangeRecord {
        event_id: s("event_id"),
        kind,
        shard_id: s("shard_id"),
        sequence: s("sequence"),
        keys: img("keys")?.unwrap_or_default(),
        old_image: img("old_image")?,
        new_image: img("new_image")?,
        created_at: None,
    })
}
