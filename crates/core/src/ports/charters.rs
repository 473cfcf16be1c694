use crate::domain::{
    charter_attr as attr, BookingRef, Charter, CharterDate, CharterId, CharterKey, CrewId, Month,
};
use crate::StoreError;

use super::listing::Listing;

/// Whether an insert created the charter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New,
    /// A charter with the same key was already there; it was left as it was.
    AlreadyExists,
}

/// Why a conditional assignment did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignRejection {
    NotFound,
    /// The charter is cancelled or completed.
    Closed(crate::domain::CharterStatus),
    /// A captain is already set (maybe this very member: a retry).
    CaptainAlreadySet(CrewId),
    /// The crew list already has `crew_needed` members.
    CrewFull,
    /// The member is already on the crew list.
    AlreadyOnCrew,
    /// The member is this charter's captain and cannot also be crew (or the reverse).
    RoleConflict,
}

/// The result of a conditional assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignOutcome {
    /// Assigned; the charter as it is now.
    Assigned(Charter),
    Rejected(AssignRejection),
}

/// The `crew-dispatch` table of charters.
#[async_trait::async_trait]
pub trait Charters: Send + Sync {
    /// Stores a new charter; a charter with the same key is left untouched.
    async fn insert(&self, charter: &Charter) -> Result<Inserted, StoreError>;
    /// [`Charters::insert`], with the booking system's reference as the item's `booking_ref`
    /// attribute (in the same write, so the feed's INSERT carries it).
    async fn insert_with_ref(
        &self,
        charter: &Charter,
        booking_ref: &BookingRef,
    ) -> Result<Inserted, StoreError>;
    /// The `booking_ref` of the charter's newest version, if it has one.
    async fn booking_ref(&self, id: &CharterId) -> Result<Option<BookingRef>, StoreError>;
    /// The charter with this id (the newest `created_at` if, against the rules, there are several).
    async fn get(&self, id: &CharterId) -> Result<Option<Charter>, StoreError>;
    /// The newest stored version of a charter as stored, not parsed: what `charter show` prints
    /// and a repair starts from when the item is of the wrong shape.
    async fn get_item(&self, id: &CharterId) -> Result<Option<crate::item::Item>, StoreError>;
    /// Writes an item as the booking system's PutItem does: no checks, an item with the same
    /// key replaced, the feed carrying an INSERT or MODIFY. For tools and tests that stand in
    /// for the booking system; crew-dispatch's own writes go through the typed calls.
    async fn put_raw(&self, item: &crate::item::Item) -> Result<(), StoreError>;
    /// Charters of one date, through the `charter_date-index` GSI (paginated, never a Scan).
    /// Several items with one `charter_id` are versions: only the newest `created_at` counts,
    /// and a charter whose newest version is on another date is not on this one.
    async fn on_date(&self, date: CharterDate) -> Result<Listing<Charter>, StoreError>;
    /// Charters of a month: one `on_date` query per day, run concurrently, merged in date order
    /// (each charter once, its newest version).
    async fn in_month(&self, month: Month) -> Result<Listing<Charter>, StoreError> {
        let days: Vec<CharterDate> = month.days().collect();
        let results = futures::future::join_all(days.into_iter().map(|d| self.on_date(d))).await;
        let mut all = Listing::default();
        for r in results {
            all.merge(r?);
        }
        all.items = newest_versions(all.items);
        all.items.sort_by(|a, b| {
            (a.charter_date, &a.created_at, &a.charter_id).cmp(&(
                b.charter_date,
                &b.created_at,
                &b.charter_id,
            ))
        });
        Ok(all)
    }
    /// Sets the captain if none is set, the charter is open, and the member is not on its crew.
    async fn assign_captain(
        &self,
        key: &CharterKey,
        crew: &CrewId,
    ) -> Result<AssignOutcome, StoreError>;
    /// Appends a member to the crew list if it has fewer than `needed`, does not hold them already,
    /// they are not the captain, and the charter is open.
    async fn add_crew(
        &self,
        key: &CharterKey,
        crew: &CrewId,
        needed: u32,
    ) -> Result<AssignOutcome, StoreError>;
    /// Takes a member off the charter (as captain or from the crew list), whatever its status.
    /// The charter as it is after, unchanged if they were not on it; `None` if it does not exist.
    async fn unassign(
        &self,
        key: &CharterKey,
        crew: &CrewId,
    ) -> Result<Option<Charter>, StoreError>;
    /// Sets the status (e.g. `staffed`, `cancelled`). Returns false if the charter does not exist.
    async fn set_status(
        &self,
        key: &CharterKey,
        status: crate::domain::CharterStatus,
    ) -> Result<bool, StoreError>;
    /// Moves the status from `from` to `to` only if it is `from` now (an absent status is
    /// `booked`), so `staffed` never overwrites `cancelled`. False if it was not `from`.
    async fn set_status_from(
        &self,
        key: &CharterKey,
        from: crate::domain::CharterStatus,
        to: crate::domain::CharterStatus,
    ) -> Result<bool, StoreError>;
    /// Rewrites the booking fields ([`BOOKING_ATTRS`]: date, vessel, guests, guest names, revenue,
    /// tips, crew needed) of the stored charter `key` from `booking`, in place (same key, so the
    /// feed carries a MODIFY and no second version appears). Captain, crew and status are the
    /// cascade's and are kept, except that a `booking` status of `cancelled` or `completed` is
    /// applied (the booking system saying so). The charter as it is now; `None` if absent.
    async fn update_booking(
        &self,
        key: &CharterKey,
        booking: &Charter,
    ) -> Result<Option<Charter>, StoreError>;
    /// Deletes a charter (the feed then carries a REMOVE).
    async fn delete(&self, key: &CharterKey) -> Result<(), StoreError>;

    // The sparse index of unsettled charters: the net under every timer. Reconcile puts a
    // charter in before it acts and takes it out once nothing is left to do or to wait for; the
    // sweep reads the index (one Query), never a window of dates.

    /// [`Charters::get`], with the charter's index mark (`None`: not in the index).
    async fn get_marked(
        &self,
        id: &CharterId,
    ) -> Result<Option<(Charter, Option<String>)>, StoreError>;
    /// Puts the charter in the index with `mark` (replacing any mark). False if it does not exist.
    async fn mark_unsettled(&self, key: &CharterKey, mark: &str) -> Result<bool, StoreError>;
    /// Takes the charter out of the index, only if its mark is still `mark`. False if it was not.
    async fn clear_unsettled(&self, key: &CharterKey, mark: &str) -> Result<bool, StoreError>;
    /// Every charter in the index (paginated; one Query on DynamoDB), oldest mark first.
    async fn unsettled(&self) -> Result<Vec<UnsettledCharter>, StoreError>;
}

/// A charter in the sparse index of unsettled charters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsettledCharter {
    pub key: CharterKey,
    /// Its mark: when it was put in the index (RFC 3339) and a random part.
    pub mark: String,
}

impl UnsettledCharter {
    /// When the charter was (last) put in the index, read from its mark.
    pub fn since(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let at = self.mark.split('#').next()?;
        chrono::DateTime::parse_from_rfc3339(at)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }
}

/// A fresh index mark: the time (RFC 3339, so marks sort by time) and a random part.
pub fn unsettled_mark(now: chrono::DateTime<chrono::Utc>) -> String {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{}#{}",
        now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        &nonce[..12]
    )
}

/// The attributes [`Charters::update_booking`] rewrites (an attribute absent from the booking,
/// such as `crew_needed`, is removed; the single `guest_name` form is replaced by the list).
pub const BOOKING_ATTRS: [&str; 8] = [
    attr::CHARTER_DATE,
    attr::VESSEL_NAME,
    attr::GUEST_COUNT,
    attr::GUEST_NAMES,
    attr::GUEST_NAME,
    attr::REPORTABLE_REVENUE,
    attr::TIPS,
    attr::CREW_NEEDED,
];

/// Whether `update_booking` with `booking` writes its status (only `cancelled` or `completed`).
pub fn booking_sets_status(booking: &Charter) -> bool {
    matches!(
        booking.status,
        crate::domain::CharterStatus::Cancelled | crate::domain::CharterStatus::Completed
    )
}

/// Keeps, of several stored versions of one charter (items with the same `charter_id`), only the
/// newest `created_at`; the order of the rest is kept. Readers use it so that old data written
/// twice under one id (a second `created_at`) counts once.
pub fn newest_versions(charters: Vec<Charter>) -> Vec<Charter> {
    let mut newest: std::collections::HashMap<CharterId, String> = std::collections::HashMap::new();
    for c in &charters {
        let e = newest.entry(c.charter_id.clone()).or_default();
        if c.created_at > *e {
            e.clone_from(&c.created_at);
        }
    }
    let mut kept: std::collections::HashSet<CharterId> = std::collections::HashSet::new();
    charters
        .into_iter()
        .filter(|c| {
            newest.get(&c.charter_id) == Some(&c.created_at) && kept.insert(c.charter_id.clone())
        })
        .collect()
}

/// Why `crew` cannot become `charter`'s captain now, or `None` if they can.
pub fn captain_rejection(charter: &Charter, crew: &CrewId) -> Option<AssignRejection> {
    use crate::domain::CharterStatus::*;
    if matches!(charter.status, Cancelled | Completed) {
        return Some(AssignRejection::Closed(charter.status));
    }
    if let Some(c) = &charter.captain_assigned {
        return Some(AssignRejection::CaptainAlreadySet(c.clone()));
    }
    if charter.crew_assigned.contains(crew) {
        return Some(AssignRejection::RoleConflict);
    }
    None
}

/// Why `crew` cannot join `charter`'s crew of `needed` now, or `None` if they can.
pub fn crew_rejection(charter: &Charter, crew: &CrewId, needed: u32) -> Option<AssignRejection> {
    use crate::domain::CharterStatus::*;
    if matches!(charter.status, Cancelled | Completed) {
        return Some(AssignRejection::Closed(charter.status));
    }
    if charter.crew_assigned.contains(crew) {
        return Some(AssignRejection::AlreadyOnCrew);
    }
    if charter.captain_assigned.as_ref() == Some(crew) {
        return Some(AssignRejection::RoleConflict);
    }
    if charter.crew_assigned.len() >= needed as usize {
        return Some(AssignRejection::CrewFull);
    }
    None
}
