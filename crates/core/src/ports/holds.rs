//! Crew-day holds in the `dispatch-state` table: the lock that keeps a member from being booked
//! twice on a date, and the per-month assignment counts kept next to them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CharterDate, CharterId, CrewId};
use crate::StoreError;

/// A crew-day hold: the lock that keeps a member from being booked twice on a date.
/// Key `pk = hold#<crew_id>#<date>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub crew_id: CrewId,
    pub date: CharterDate,
    pub charter_id: CharterId,
    pub taken_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldOutcome {
    Taken,
    /// Someone (maybe this same charter, on a retry) already holds the member that day.
    AlreadyHeld(Hold),
}

/// Crew-day holds. Every hold is one assignment: taking one adds 1 to the member's assignment
/// count for the hold's month (kept next to the holds, `load#<crew>` / `YYYY-MM`) in the same
/// transaction, releasing one takes 1 off, so choosing candidates reads counts, not charters.
#[async_trait::async_trait]
pub trait Holds: Send + Sync {
    /// Takes the hold if nobody holds the member that day (`attribute_not_exists`), counting it.
    async fn take(&self, hold: &Hold) -> Result<HoldOutcome, StoreError>;
    /// Assignments per member in `month` among `crews` (batched reads; absent members have 0).
    async fn loads(
        &self,
        month: crate::domain::Month,
        crews: &[CrewId],
    ) -> Result<std::collections::HashMap<CrewId, u32>, StoreError>;
    /// Releases the hold if it belongs to `charter` (uncounting it); returns whether one was.
    async fn release(
        &self,
        crew: &CrewId,
        date: CharterDate,
        charter: &CharterId,
    ) -> Result<bool, StoreError>;
    async fn get(&self, crew: &CrewId, date: CharterDate) -> Result<Option<Hold>, StoreError>;
    /// The holds on `date` among `crews` (batched reads), for candidate selection.
    async fn among(&self, date: CharterDate, crews: &[CrewId]) -> Result<Vec<Hold>, StoreError>;
    /// What choosing candidates reads: the holds on `date` among `crews` and the month's
    /// assignment counts of those of them free that day. [`Holds::among`] then
    /// [`Holds::loads`]; a store keeping both kinds of item in one table reads them in one
    /// batch (a request, not two, for a charter's usual few dozen candidates).
    async fn day_of(
        &self,
        date: CharterDate,
        crews: &[CrewId],
    ) -> Result<(Vec<Hold>, std::collections::HashMap<CrewId, u32>), StoreError> {
        let holds = self.among(date, crews).await?;
        let free = free_of(crews, &holds);
        let loads = self.loads(date.month(), &free).await?;
        Ok((holds, loads))
    }
}

/// The members of `crews` none of `holds` holds.
pub fn free_of(crews: &[CrewId], holds: &[Hold]) -> Vec<CrewId> {
    let held: std::collections::HashSet<&CrewId> = holds.iter().map(|h| &h.crew_id).collect();
    crews
        .iter()
        .filter(|c| !held.contains(c))
        .cloned()
        .collect()
}
