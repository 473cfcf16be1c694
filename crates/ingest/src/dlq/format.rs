//! The dead-letter wire format, in one place: the message attributes crew-dispatch writes on a
//! dead letter and on a job's re-sent copy, the original message id they carry, and the body of
//! a stream record in `ingest-dlq`.
//!
//! Its own module because three parts write or read it — the worker (job dead letters, delayed
//! copies), the stream consumer and the stream Lambda (record dead letters), and the DLQ tools
//! (list, show, replay) — and none of them should import another for it. Pure: no I/O, and
//! nothing of this crate is imported here. The names are on the wire: renaming one strands every
//! dead letter already written.

use chrono::{DateTime, Utc};
use dispatch_core::item;
use dispatch_core::ports::{ChangeKind, ChangeRecord, OutMessage, Received};

/// Message attributes written on dead letters and re-sent copies.
pub mod attr {
    /// Every attribute crew-dispatch writes starts with this (a replay drops them all).
    pub const PREFIX: &str = "dispatch-";
    /// Why the message was dead-lettered (at most [`super::REASON_CHARS`] characters).
    pub const ERROR: &str = "dispatch-error";
    /// The queue (base name) or `stream` the dead letter came from.
    pub const SOURCE: &str = "dispatch-source";
    /// Failed attempts when it was dead-lettered.
    pub const RECEIVES: &str = "dispatch-receive-count";
    /// When it was dead-lettered (RFC 3339).
    pub const FAILED_AT: &str = "dispatch-failed-at";
    /// The id of the message as first sent (the id the logs name), kept across waits and DLQ;
    /// for a stream record, its event id.
    pub const ORIGINAL_ID: &str = "dispatch-original-message-id";
    /// Failed receives before this copy was sent (a wait sends a fresh copy).
    pub const ATTEMPTS: &str = "dispatch-attempts";
    /// How many times the job waited for someone else's claim.
    pub const WAITS: &str = "dispatch-waits";
    /// On a replayed message: the DLQ it was replayed from.
    pub const REPLAYED_FROM: &str = "dispatch-replayed-from";
}

/// The message attribute naming the original message id (or stream event id) of a dead letter.
pub const ORIGINAL_MESSAGE_ID: &str = attr::ORIGINAL_ID;

/// The longest reason kept in [`attr::ERROR`], in characters.
pub const REASON_CHARS: usize = 1000;

/// The `kind` of a stream record's dead-letter body.
pub const STREAM_RECORD: &str = "stream_record";

fn clipped(reason: &str) -> String {
    reason.chars().take(REASON_CHARS).collect()
}

/// Failed attempts so far, this receive included: failures carried by earlier copies plus this
/// copy's receives.
pub fn attempts_of(msg: &Received) -> u32 {
    let carried = msg
        .attributes
        .get(attr::ATTEMPTS)
        .and_then(|a| a.parse::<u32>().ok())
        .unwrap_or(0);
    carried.saturating_add(msg.receive_count)
}

/// How many times the job of `msg` has waited for someone else's claim.
pub fn waits_of(msg: &Received) -> u32 {
    msg.attributes
        .get(attr::WAITS)
        .and_then(|w| w.parse::<u32>().ok())
        .unwrap_or(0)
}

/// The id the job's first message had (the one in the logs).
pub fn original_id(msg: &Received) -> &str {
    msg.attributes
        .get(attr::ORIGINAL_ID)
        .map(String::as_str)
        .unwrap_or(&msg.message_id)
}

/// A job message as a dead letter of `source` (a queue's base name): the exact body, the
/// reason, its attempts, when, its original id, and the attributes it came with.
pub fn job_dead_letter(
    msg: &Received,
    source: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> OutMessage {
    let mut out = OutMessage::new(msg.body.clone())
        .attribute(attr::ERROR, clipped(reason))
        .attribute(attr::SOURCE, source)
        .attribute(attr::RECEIVES, attempts_of(msg).to_string())
        .attribute(attr::FAILED_AT, now.to_rfc3339())
        .attribute(attr::ORIGINAL_ID, original_id(msg));
    for (k, v) in &msg.attributes {
        out.attributes.entry(k.clone()).or_insert_with(|| v.clone());
    }
    out
}

/// A fresh copy of `msg` (its body and attributes) carrying `attempts` failed attempts, `waits`
/// waits and its original id. The caller sets its delay.
pub fn job_copy(msg: &Received, attempts: u32, waits: u32) -> OutMessage {
    let mut out = OutMessage::new(msg.body.clone());
    out.attributes = msg.attributes.clone();
    out.attributes
        .insert(attr::ATTEMPTS.into(), attempts.to_string());
    out.attributes.insert(attr::WAITS.into(), waits.to_string());
    out.attributes
        .insert(attr::ORIGINAL_ID.into(), original_id(msg).to_string());
    out
}

/// The full stream record as a dead-letter body: enough to replay it.
pub fn dead_letter_body(
    stream: &str,
    record: &ChangeRecord,
    error: &str,
    now: DateTime<Utc>,
) -> serde_json::Value {
    serde_json::json!({
        "v": 1,
        "kind": STREAM_RECORD,
        "stream": stream,
        "shard_id": record.shard_id,
        "sequence": record.sequence,
        "event_id": record.event_id,
        "event_name": record.kind.as_str(),
        "keys": item::to_json(&record.keys),
        "old_image": record.old_image.as_ref().map(item::to_json),
        "new_image": record.new_image.as_ref().map(item::to_json),
        "error": error,
        "failed_at": now,
    })
}

/// The id the logs name a stream record by: its event id, else `shard/sequence`.
pub fn record_original_id(record: &ChangeRecord) -> String {
    if record.event_id.is_empty() {
        format!("{}/{}", record.shard_id, record.sequence)
    } else {
        record.event_id.clone()
    }
}

/// The `ingest-dlq` message for a record that can never succeed.
pub fn dead_letter_message(
    stream: &str,
    record: &ChangeRecord,
    error: &str,
    now: DateTime<Utc>,
) -> OutMessage {
    OutMessage::new(dead_letter_body(stream, record, error, now).to_string())
        .attribute(attr::ERROR, clipped(error))
        .attribute(attr::SOURCE, "stream")
        // One attempt: a record that can never succeed is not retried.
        .attribute(attr::RECEIVES, "1")
        .attribute(attr::FAILED_AT, now.to_rfc3339())
        .attribute(attr::ORIGINAL_ID, record_original_id(record))
}

/// The `shard/sequence` key of a stream record's dead-letter body, if `v` is one.
pub fn stream_record_key(v: &serde_json::Value) -> Option<String> {
    if v.get("kind").and_then(|k| k.as_str()) != Some(STREAM_RECORD) {
        return None;
    }
    Some(format!(
        "{}/{}",
        v.get("shard_id").and_then(|x| x.as_str()).unwrap_or("?"),
        v.get("sequence").and_then(|x| x.as_str()).unwrap_or("?")
    ))
}

/// Reads a dead letter written by [`dead_letter_body`] back into a record.
pub fn record_from_dead_letter(body: &str) -> Result<ChangeRecord, String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("kind").and_then(|k| k.as_str()) != Some(STREAM_RECORD) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ChangeRecord {
        ChangeRecord {
            event_id: "ev-1".into(),
            kind: ChangeKind::Insert,
            shard_id: "shard-1".into(),
            sequence: "42".into(),
            keys: item::Item::default(),
            old_image: None,
            new_image: None,
            created_at: None,
        }
    }

    #[test]
    fn a_record_dead_letter_reads_back_and_names_its_event() {
        let now = Utc::now();
        let msg = dead_letter_message("arn:stream", &record(), "cannot route", now);
        assert_eq!(
            msg.attributes.get(ORIGINAL_MESSAGE_ID).map(String::as_str),
            Some("ev-1")
        );
        assert_eq!(msg.attributes.get(attr::FAILED_AT), Some(&now.to_rfc3339()));
        let back = record_from_dead_letter(&msg.body).unwrap();
        assert_eq!(
            (back.shard_id.as_str(), back.sequence.as_str()),
            ("shard-1", "42")
        );
        let v: serde_json::Value = serde_json::from_str(&msg.body).unwrap();
        assert_eq!(stream_record_key(&v).as_deref(), Some("shard-1/42"));
    }

    #[test]
    fn a_copy_carries_attempts_waits_and_the_first_id() {
        let msg = Received {
            message_id: "copy-2".into(),
            receipt: "r".into(),
            body: "{}".into(),
            receive_count: 1,
            sent_at: None,
            attributes: [(attr::ORIGINAL_ID.to_string(), "first".to_string())].into(),
        };
        let copy = job_copy(&msg, 3, 1);
        assert_eq!(copy.attributes[attr::ATTEMPTS], "3");
        assert_eq!(copy.attributes[attr::WAITS], "1");
        assert_eq!(copy.attributes[attr::ORIGINAL_ID], "first");
        let dead = job_dead_letter(&msg, "reports", &"x".repeat(2000), Utc::now());
        assert_eq!(dead.attributes[attr::ERROR].len(), REASON_CHARS);
        assert_eq!(dead.attributes[attr::RECEIVES], "1");
    }
}
