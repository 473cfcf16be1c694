//! The booking rules: one charter, one record. Storing a charter from the booking side (`charter
//! add`, `charter import`, the demo's loader) inserts a new id, leaves an identical booking alone,
//! refuses a changed one unless asked to update it, and never moves a charter with crew held on
//! its day. Its own module because these rules belong to the domain, not to any one command, and
//! they speak only to the [`Charters`] port.
//!
//! A booking may come with the booking system's own reference instead of a charter id and a
//! `created_at` ([`identify`]): its id is then the UUIDv5 of the reference and its `created_at`
//! the time of its first import, so importing the same file again stores nothing new.

use std::fmt;

use serde_dynamo::AttributeValue as AV;

use crate::domain::{
    charter_attr as attr, BookingRef, Charter, CharterDate, CharterId, CharterStatus,
};
use crate::item::Item;
use crate::ports::{booking_sets_status, Charters, Inserted};
use crate::StoreError;

/// A charter from the booking side, with the booking system's reference when it gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub charter: Charter,
    pub booking_ref: Option<BookingRef>,
}

/// Fills in what a row identified by its booking reference leaves out, before the row is read
/// as a charter: `charter_id` (the UUIDv5 of `booking_ref`) and `created_at` (`now`, ISO 8601
/// UTC; a stored charter keeps the `created_at` of its first import, as [`store_charter`]
/// leaves an identical booking alone). A row with a `charter_id` keeps it. The row's reference,
/// if any; the error names the attribute at fault.
pub fn identify(
    item: &mut Item,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<BookingRef>, String> {
    let booking_ref = match item.get(attr::BOOKING_REF) {
        None => None,
        Some(AV::S(s)) => Some(
            BookingRef::parse(s)
                .map_err(|e| format!("`{}` is `{}`: {}", attr::BOOKING_REF, e.value, e.why))?,
        ),
        Some(_) => {
            return Err(format!(
                "`{}` must be a string such as \"HL-1207-OSP\"",
                attr::BOOKING_REF
            ))
        }
    };
    let Some(r) = &booking_ref else {
        return Ok(None);
    };
    // The canonical spelling is what is stored.
    item.insert(attr::BOOKING_REF.into(), AV::S(r.as_str().to_string()));
    if !item.contains_key(attr::CHARTER_ID) {
        item.insert(
            attr::CHARTER_ID.into(),
            AV::S(r.charter_id().as_str().to_string()),
        );
    }
    if !item.contains_key(attr::CREATED_AT) {
        item.insert(
            attr::CREATED_AT.into(),
            AV::S(now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
    }
    Ok(booking_ref)
}

/// What storing one charter did.
#[derive(Debug)]
pub enum Stored {
    /// A new charter was inserted.
    New,
    /// Already stored with the same booking details.
    Unchanged,
    /// The stored charter's booking details were changed in place; it as it is now.
    Updated(Charter),
    /// Not stored, and why.
    Refused(Refusal),
}

/// Why a charter was not stored; its text says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The id is stored with other booking details and no update was asked for.
    AlreadyExists {
        id: CharterId,
        date: CharterDate,
        vessel: String,
        status: CharterStatus,
    },
    /// The update moves a charter whose crew hold its current day.
    CrewHeldOnDay {
        id: CharterId,
        from: CharterDate,
        to: CharterDate,
    },
    /// The charter disappeared between reading and updating it.
    Deleted { id: CharterId },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyExists {
                id,
                date,
                vessel,
                status,
            } => write!(
                f,
                "charter {id} already exists ({date} aboard {vessel}, {}); to change it use --update",
                status.as_str()
            ),
            Self::CrewHeldOnDay { id, from, to } => write!(
                f,
                "charter {id} has crew assigned on {from}; moving it to {to} would leave their day \
                 held: unassign them first, or cancel it and book a new charter"
            ),
            Self::Deleted { id } => write!(
                f,
                "charter {id} was deleted while being updated; run the command again"
            ),
        }
    }
}

/// A store call of [`store_charter`] failed; the source says why and whether a retry may help.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("reading charter {id} from crew-dispatch")]
    Read {
        id: CharterId,
        #[source]
        source: StoreError,
    },
    #[error("storing charter {id}")]
    Insert {
        id: CharterId,
        #[source]
        source: StoreError,
    },
    #[error("updating charter {id}")]
    Update {
        id: CharterId,
        #[source]
        source: StoreError,
    },
}

impl BookingError {
    /// Whether the same call may succeed later (throttling, timeouts, 5xx).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Read { source, .. }
            | Self::Insert { source, .. }
            | Self::Update { source, .. } => source.is_retryable(),
        }
    }
}

/// The booking details of two versions agree (the cascade's fields are left out; the status
/// counts only when the booking side sets it: `cancelled` or `completed`).
pub fn same_booking(a: &Charter, b: &Charter) -> bool {
    a.charter_date == b.charter_date
        && a.vessel_name == b.vessel_name
        && a.guest_count == b.guest_count
        && a.guest_names == b.guest_names
        && a.reportable_revenue == b.reportable_revenue
        && a.tips == b.tips
        && a.crew_needed == b.crew_needed
        && (!booking_sets_status(b) || a.status == b.status)
}

/// Stores a charter under the one-charter-one-record rule: a new id is inserted; an id already
/// stored is refused unless `update`, which rewrites its newest version's booking details in
/// place (never a second item with the same `charter_id`).
pub async fn store_charter(
    charters: &dyn Charters,
    charter: &Charter,
    update: bool,
) -> Result<Stored, BookingError> {
    store_booking(charters, charter, None, update).await
}

/// [`store_charter`], keeping the booking system's reference on a new charter's item (a stored
/// charter keeps the reference it was first stored with).
pub async fn store_booking(
    charters: &dyn Charters,
    charter: &Charter,
    booking_ref: Option<&BookingRef>,
    update: bool,
) -> Result<Stored, BookingError> {
    let id = &charter.charter_id;
    let existing = match charters.get(id).await {
        Ok(existing) => existing,
        // A stored item of the wrong shape (the booking system wrote it): `update` overwrites
        // its booking details, which is how it is repaired.
        Err(StoreError::BadRecord(_)) if update => return repair(charters, charter).await,
        Err(source) => {
            return Err(BookingError::Read {
                id: id.clone(),
                source,
            })
        }
    };
    let Some(old) = existing else {
        let inserted = match booking_ref {
            Some(r) => charters.insert_with_ref(charter, r).await,
            None => charters.insert(charter).await,
        };
        let inserted = inserted.map_err(|source| BookingError::Insert {
            id: id.clone(),
            source,
        })?;
        return Ok(match inserted {
            Inserted::New => Stored::New,
            Inserted::AlreadyExists => Stored::Unchanged,
        });
    };
    if same_booking(&old, charter) {
        return Ok(Stored::Unchanged);
    }
    if !update {
        return Ok(Stored::Refused(Refusal::AlreadyExists {
            id: id.clone(),
            date: old.charter_date,
            vessel: old.vessel_name.clone(),
            status: old.status,
        }));
    }
    let assigned = old.captain_assigned.is_some() || !old.crew_assigned.is_empty();
    if old.charter_date != charter.charter_date && assigned {
        return Ok(Stored::Refused(Refusal::CrewHeldOnDay {
            id: id.clone(),
            from: old.charter_date,
            to: charter.charter_date,
        }));
    }
    match charters
        .update_booking(&old.key(), charter)
        .await
        .map_err(|source| BookingError::Update {
            id: id.clone(),
            source,
        })? {
        Some(now) => Ok(Stored::Updated(now)),
        None => Ok(Stored::Refused(Refusal::Deleted { id: id.clone() })),
    }
}

/// Rewrites the booking details of a stored item that cannot be read as a charter (see
/// [`store_booking`]); its key is read from the item as stored.
async fn repair(charters: &dyn Charters, charter: &Charter) -> Result<Stored, BookingError> {
    let id = &charter.charter_id;
    let read = |source| BookingError::Read {
        id: id.clone(),
        source,
    };
    let raw = charters.get_item(id).await.map_err(read)?;
    let created_at = match raw.as_ref().and_then(|i| i.get(attr::CREATED_AT)) {
        Some(AV::S(s)) => s.clone(),
        _ => return Ok(Stored::Refused(Refusal::Deleted { id: id.clone() })),
    };
    let key = crate::domain::CharterKey {
        charter_id: id.clone(),
        created_at,
    };
    match charters
        .update_booking(&key, charter)
        .await
        .map_err(|source| BookingError::Update {
            id: id.clone(),
            source,
        })? {
        Some(now) => Ok(Stored::Updated(now)),
        None => Ok(Stored::Refused(Refusal::Deleted { id: id.clone() })),
    }
}

/// How storing the charters of a file went.
#[derive(Debug, Default)]
pub struct StoreReport {
    /// Charters inserted.
    pub new: usize,
    /// Charters already stored like this.
    pub unchanged: usize,
    /// Charters whose booking details were changed in place.
    pub updated: usize,
    /// Charters not stored, each naming its charter and why.
    pub refused: Vec<Refusal>,
}

/// Stores every charter (see [`store_charter`]), in order; stops at the first store failure.
pub async fn store_all(
    charters: &dyn Charters,
    rows: &[Charter],
    update: bool,
) -> Result<StoreReport, BookingError> {
    let rows: Vec<Booking> = rows
        .iter()
        .map(|c| Booking {
            charter: c.clone(),
            booking_ref: None,
        })
        .collect();
    store_all_bookings(charters, &rows, update).await
}

/// Stores every booking (see [`store_booking`]), in order; stops at the first store failure.
pub async fn store_all_bookings(
    charters: &dyn Charters,
    rows: &[Booking],
    update: bool,
) -> Result<StoreReport, BookingError> {
    let mut r = StoreReport::default();
    for b in rows {
        match store_booking(charters, &b.charter, b.booking_ref.as_ref(), update).await? {
            Stored::New => r.new += 1,
            Stored::Unchanged => r.unchanged += 1,
            Stored::Updated(_) => r.updated += 1,
            Stored::Refused(why) => r.refused.push(why),
        }
    }
    Ok(r)
}

#[cfg(test)]
#[path = "booking_tests.rs"]
mod tests;
