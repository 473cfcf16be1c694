//! How state-table and thread records look as DynamoDB items: one codec, used by both adapters so
//! they cannot drift. Keys: `pk`/`sk` strings as documented on each port.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

use crate::domain::{
    CharterDate, CharterId, CrewId, Month, Offer, OfferId, OfferStatus, Role, ThreadEntry,
    ThreadKind,
};
use crate::item::{Item, ItemError, Reader, Writer};
use crate::ports::{Hold, IdempotencyRecord, IdempotencyStatus, Lease};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
/// Epoch seconds after which DynamoDB's TTL may delete a record.
pub const TTL_ATTR: &str = "expires_at_epoch";

pub fn hold_key(crew: &CrewId, date: CharterDate) -> (String, String) {
    (format!("{HOLD_PK_PREFIX}{crew}#{date}"), "hold".into())
}
/// How every hold's partition key begins.
pub const HOLD_PK_PREFIX: &str = "hold#";
/// A member's assignment count for a month, kept next to their holds: `load#<crew>` / `YYYY-MM`.
pub fn load_key(crew: &CrewId, month: Month) -> (String, String) {
    (format!("load#{crew}"), month.to_string())
}
/// The attribute holding the count on a load item.
pub const LOAD_COUNT: &str = "assignments";

/// The count on a load item (absent or of the wrong shape counts as 0).
pub fn load_count(item: &Item) -> u32 {
    Reader::new(item, &[PK, SK])
        .opt_n(LOAD_COUNT)
        .ok()
        .flatten()
        .and_then(|n| n.parse::<i64>().ok())
        .map(|n| n.clamp(0, i64::from(u32::MAX)) as u32)
        .unwrap_or(0)
}

/// A load item with `count`.
pub fn load_to_item(crew: &CrewId, month: Month, count: u32) -> Item {
    let (pk, sk) = load_key(crew, month);
    Writer::new()
        .s(PK, pk)
        .s(SK, sk)
        .s("crew_id", crew.as_str())
        .n(LOAD_COUNT, count)
        .build()
}

/// The idempotency key under which a queue message with job key `job_key` is sent once.
pub fn enqueue_key(job_key: &str) -> String {
    format!("enqueue#{job_key}")
}

pub fn offer_key(charter: &CharterId, offer: &OfferId) -> (String, String) {
    (format!("charter#{charter}"), format!("offer#{offer}"))
}
pub fn offers_pk(charter: &CharterId) -> String {
    format!("charter#{charter}")
}
pub const OFFER_SK_PREFIX: &str = "offer#";
/// The pointer from a member to one of their offers.
pub fn crew_offer_key(crew: &CrewId, charter: &CharterId, offer: &OfferId) -> (String, String) {
    (format!("crew#{crew}"), format!("offer#{charter}#{offer}"))
}
pub fn crew_offers_pk(crew: &CrewId) -> String {
    format!("crew#{crew}")
}
/// The pointer item: keys plus the offer's charter and id.
pub fn crew_offer_pointer(o: &Offer) -> Item {
    let (pk, sk) = crew_offer_key(&o.crew_id, &o.charter_id, &o.offer_id);
    Writer::new()
        .s(PK, pk)
        .s(SK, sk)
        .s("charter_id", o.charter_id.as_str())
        .s("offer_id", o.offer_id.as_str())
        .build()
}
/// (charter, offer) named by a pointer item.
pub fn pointer_target(item: &Item) -> Result<(CharterId, OfferId), ItemError> {
    let r = Reader::new(item, &[PK, SK]);
    Ok((
        parse_with(&r, "charter_id", CharterId::parse)?,
        parse_with(&r, "offer_id", OfferId::parse)?,
    ))
}
pub fn idem_key(key: &str) -> (String, String) {
    (format!("idem#{key}"), "idem".into())
}
pub fn lease_key(stream: &str, shard: &str) -> (String, String) {
    (format!("lease#{stream}"), shard.to_string())
}
pub fn lease_pk(stream: &str) -> String {
    format!("lease#{stream}")
}

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
fn parse_ts(r: &Reader<'_>, attr: &str) -> Result<DateTime<Utc>, ItemError> {
    let s = r.s(attr)?;
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| r.error(attr, format!("`{s}` is not an RFC 3339 time")))
}
fn parse_ms(r: &Reader<'_>, attr: &str) -> Result<DateTime<Utc>, ItemError> {
    let n = r.opt_n(attr)?.ok_or_else(|| r.error(attr, "is missing"))?;
    n.parse::<i64>()
        .ok()
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .ok_or_else(|| r.error(attr, format!("`{n}` is not epoch milliseconds")))
}
fn parse_with<T, E>(
    r: &Reader<'_>,
    attr: &str,
    f: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ItemError> {
    let s = r.s(attr)?;
    f(s).map_err(|_| r.error(attr, format!("`{s}` is not valid")))
}

pub fn hold_to_item(h: &Hold) -> Item {
    let (pk, sk) = hold_key(&h.crew_id, h.date);
    Writer::new()
        .s(PK, pk)
        .s(SK, sk)
        .s("crew_id", h.crew_id.as_str())
        .s("date", h.date.to_string())
        .s("charter_id", h.charter_id.as_str())
        .s("taken_at", ts(&h.taken_at))
        .build()
}
pub fn hold_from_item(item: &Item) -> Result<Hold, ItemError> {
    let r = Reader::new(item, &[PK, SK]);
    Ok(Hold {
        crew_id: parse_with(&r, "crew_id", CrewId::parse)?,
        date: parse_with(&r, "date", CharterDate::parse)?,
        charter_id: parse_with(&r, "charter_id", CharterId::parse)?,
        taken_at: parse_ts(&r, "taken_at")?,
    })
}

fn offer_status_parse(s: &str) -> Result<OfferStatus, ()> {
    [
        OfferStatus::Open,
        OfferStatus::Accepted,
        OfferStatus::Declined,
        OfferStatus::Lapsed,
        OfferStatus::Revoked,
    ]
    .into_iter()
    .find(|x| x.as_str() == s)
    .ok_or(())
}

pub fn offer_to_item(o: &Offer) -> Item {
    let (pk, sk) = offer_key(&o.charter_id, &o.offer_id);
    let (role, slot) = match o.role {
        Role::Captain => ("captain", None),
        Role::Crew { slot } => ("crew", Some(slot)),
    };
    Writer::new()
        .s(PK, pk)
        .s(SK, sk)
        .s("offer_id", o.offer_id.as_str())
        .s("charter_id", o.charter_id.as_str())
        .s("charter_date", o.charter_date.to_string())
        .s("crew_id", o.crew_id.as_str())
        .s("role", role)
        .opt_n("slot", slot)
        .s("status", o.status.as_str())
        .s("created_at", ts(&o.created_at))
        .s("expires_at", ts(&o.expires_at))
        .s("updated_at", ts(&o.updated_at))
        .build()
}
pub fn offer_from_item(item: &Item) -> Result<Offer, ItemError> {
    let r = Reader::new(item, &[PK, SK]);
    let role = match r.s("role")? {
        "captain" => Role::Captain,
        "crew" => Role::Crew {
            slot: r
                .opt_n("slot")?
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| r.error("slot", "must be a whole number"))?,
        },
        other => return Err(r.error("role", format!("`{other}` is not captain or crew"))),
    };
    Ok(Offer {
        offer_id: parse_with(&r, "offer_id", OfferId::parse)?,
        charter_id: parse_with(&r, "charter_id", CharterId::parse)?,
        charter_date: parse_with(&r, "charter_date", CharterDate::parse)?,
        crew_id: parse_with(&r, "crew_id", CrewId::parse)?,
        role,
        status: parse_with(&r, "status", offer_status_parse)?,
        created_at: parse_ts(&r, "created_at")?,
        expires_at: parse_ts(&r, "expires_at")?,
        updated_at: parse_ts(&r, "updated_at")?,
    })
}

pub fn idem_status_str(s: IdempotencyStatus) -> &'static str {
    match s {
        IdempotencyStatus::InProgress => "IN_PROGRESS",
        IdempotencyStatus::Completed => "COMPLETED",
    }
}

pub fn idem_to_item(rec: &IdempotencyRecord) -> Item {
    let (pk, sk) = idem_key(&rec.key);
    Writer::new()
        .s(PK, pk)
        .s(SK, sk)
        .s("key", &rec.key)
        .s("status", idem_status_str(rec.status))
        .s("payload_hash", &rec.payload_hash)
        .opt_s("result", rec.result.as_deref())
        .n("expires_at_ms", rec.expires_at.timestamp_millis())
        .n(TTL_ATTR, rec.expires_at.timestamp())
        .n(
            "in_progress_until_ms",
            rec.in_progress_until.timestamp_millis(),
        )
        .opt_s("owner", rec.owner.as_deref())
        .build()
}
pub fn idem_from_item(item: &Item) -> Result<IdempotencyRecord, ItemError> {
    let r = Reader::new(item, &[PK, SK]);
    let status = match r.s("status")? {
        "IN_PROGRESS" => IdempotencyStatus::InProgress,
        "COMPLETED" => IdempotencyStatus::Completed,
        other => {
            return Err(r.error(
                "status",
                format!("`{other}` is not IN_PROGRESS or COMPLETED"),
            ))
        }
    };
    Ok(IdempotencyRecord {
        key: r.s("key")?.to_string(),
        status,
        payload_hash: r.s("payload_hash")?.to_string(),
        result: r.opt_s("result")?.map(str::to_string),
        expires_at: parse_ms(&r, "expires_at_ms")?,
        in_progress_until: parse_ms(&r, "in_progress_until_ms")?,
        owner: r.opt_s("owner")?.map(str::to_string),
    })
}

pub fn lease_to_item(l: &Lease) -> Item {
    let (pk, sk) = lease_key(&l.stream, &l.shard_id);
    Writer::new()
        .s(PK, pk)
        .s(SK, sk)
        .s("stream", &l.stream)
        .s("shard_id", &l.shard_id)
        .s("owner", &l.owner)
        .n("counter", l.counter)
        .n("lease_expires_ms", l.expires_at.timestamp_millis())
        .opt_s("checkpoint", l.checkpoint.as_deref())
        .build()
}
pub fn lease_from_item(item: &Item) -> Result<Lease, ItemError> {
    let r = Reader::new(item, &[PK, SK]);
    Ok(Lease {
        stream: r.s("stream")?.to_string(),
        shard_id: r.s("shard_id")?.to_string(),
        owner: r.s("owner")?.to_string(),
        counter: r
            .opt_n("counter")?
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| r.error("counter", "must be a whole number"))?,
        expires_at: parse_ms(&r, "lease_expires_ms")?,
        checkpoint: r.opt_s("checkpoint")?.map(str::to_string),
    })
}

/// Attribute names of `charter-chats`.
pub mod thread_attr {
    pub const CHARTER_ID: &str = "charter_id";
    /// The sort key: `<ts>#<id>`.
    pub const TS_ID: &str = "ts#id";
}

pub fn thread_to_item(e: &ThreadEntry) -> Item {
    Writer::new()
        .s(thread_attr::CHARTER_ID, e.charter_id.as_str())
        .s(thread_attr::TS_ID, e.sort_key())
        .s("ts", ts(&e.ts))
        .s("id", &e.id)
        .s("kind", e.kind.as_str())
        .opt_s("crew_id", e.crew_id.as_ref().map(|c| c.as_str()))
        .s("text", &e.text)
        .build()
}
pub fn thread_from_item(item: &Item) -> Result<ThreadEntry, ItemError> {
    let r = Reader::new(item, &[thread_attr::CHARTER_ID, thread_attr::TS_ID]);
    let kinds = [
        ThreadKind::OfferSent,
        ThreadKind::Accepted,
        ThreadKind::Declined,
        ThreadKind::Lapsed,
        ThreadKind::Escalated,
        ThreadKind::Revoked,
        ThreadKind::Cancelled,
        ThreadKind::Staffed,
        ThreadKind::Note,
    ];
    Ok(ThreadEntry {
        charter_id: parse_with(&r, thread_attr::CHARTER_ID, CharterId::parse)?,
        ts: parse_ts(&r, "ts")?,
        id: r.s("id")?.to_string(),
        kind: parse_with(&r, "kind", |s| {
            kinds.into_iter().find(|k| k.as_str() == s).ok_or(())
        })?,
        crew_id: match r.opt_s("crew_id")? {
            Some(s) => Some(CrewId::parse(s).map_err(|_| r.error("crew_id", "is not valid"))?),
            None => None,
        },
        text: r.opt_s("text")?.unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let now = Utc.timestamp_millis_opt(1_714_000_000_123).unwrap();
        let offer = Offer {
            offer_id: OfferId::new_random(),
            charter_id: CharterId::new_random(),
            charter_date: CharterDate::parse("2024-05-03").unwrap(),
            crew_id: CrewId::parse("c1").unwrap(),
            role: Role::Crew { slot: 2 },
            status: OfferStatus::Open,
            created_at: now,
            expires_at: now,
            updated_at: now,
        };
        assert_eq!(offer_from_item(&offer_to_item(&offer)).unwrap(), offer);
        let hold = Hold {
            crew_id: offer.crew_id.clone(),
            date: offer.charter_date,
            charter_id: offer.charter_id.clone(),
            taken_at: now,
        };
        assert_eq!(hold_from_item(&hold_to_item(&hold)).unwrap(), hold);
        let rec = IdempotencyRecord {
            key: "k".into(),
            status: IdempotencyStatus::Completed,
            payload_hash: "h".into(),
            result: Some("{}".into()),
            expires_at: now,
            in_progress_until: now,
            owner: Some("host-1/7".into()),
        };
        assert_eq!(idem_from_item(&idem_to_item(&rec)).unwrap(), rec);
        let lease = Lease {
            stream: "s".into(),
            shard_id: "sh".into(),
            owner: "o".into(),
            counter: 3,
            expires_at: now,
            checkpoint: None,
        };
        assert_eq!(lease_from_item(&lease_to_item(&lease)).unwrap(), lease);
        let mut e = ThreadEntry::new(offer.charter_id.clone(), ThreadKind::Note, None, "hello");
        e.ts = now;
        assert_eq!(thread_from_item(&thread_to_item(&e)).unwrap(), e);
    }
}
