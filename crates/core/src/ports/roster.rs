use crate::domain::{CrewId, CrewMember};
use crate::StoreError;

use super::listing::Listing;

/// The `crew-roster` table.
#[async_trait::async_trait]
pub trait Roster: Send + Sync {
    /// Writes members, replacing each whole item (DynamoDB batches of 25, unprocessed items retried).
    async fn upsert_batch(&self, members: &[CrewMember]) -> Result<(), StoreError>;
    async fn get(&self, id: &CrewId) -> Result<Option<CrewMember>, StoreError>;
    /// Every member (paginated). Records of the wrong shape are skipped and listed.
    async fn list(&self) -> Result<Listing<CrewMember>, StoreError>;
}
