use chrono::{DateTime, Utc};

use crate::domain::{CharterDate, CrewId, CrewMember};
use crate::StoreError;

use super::listing::Listing;

/// The `crew-roster` table.
#[async_trait::async_trait]
pub trait Roster: Send + Sync {
    /// Writes members, replacing each whole item (DynamoDB batches of 25, unprocessed items retried),
    /// except `links_not_before`, which keeps the later of the stored and the given time: an
    /// import or a sync never brings a revoked link back.
    async fn upsert_batch(&self, members: &[CrewMember]) -> Result<(), StoreError>;
    async fn get(&self, id: &CrewId) -> Result<Option<CrewMember>, StoreError>;
    /// Every member (paginated). Records of the wrong shape are skipped and listed.
    async fn list(&self) -> Result<Listing<CrewMember>, StoreError>;
    /// Voids the member's links issued before `at` (`links_not_before`; a later stored time
    /// stays). `Ok(false)`: no such member.
    async fn revoke_links(&self, id: &CrewId, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Adds `add` to the member's `available_dates` and takes `remove` out, in one write that
    /// touches nothing else; the member as stored afterwards (`None`: no such member).
    async fn set_availability(
        &self,
        id: &CrewId,
        add: &[CharterDate],
        remove: &[CharterDate],
    ) -> Result<Option<CrewMember>, StoreError>;
}
