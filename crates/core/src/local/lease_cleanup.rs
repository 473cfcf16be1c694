//! Lease rows deleted on the embedded store under the same "held as seen" condition as every
//! lease update.

use super::db::TxExt;
use super::Local;
use crate::ports::{Lease, LeaseCleanup};
use crate::records as rec;
use crate::StoreError;

#[async_trait::async_trait]
impl LeaseCleanup for Local {
    async fn remove(&self, seen: &Lease) -> Result<bool, StoreError> {
        let tbl = self.names.state.clone();
        let seen = seen.clone();
        self.db
            .tx("removing lease row", move |tx| {
                let (pk, sk) = rec::lease_key(&seen.stream, &seen.shard_id);
                let Some(old) = tx.get_item(&tbl, &pk, &sk)? else {
                    return Ok(false);
                };
                let current = rec::lease_from_item(&old)?;
                if current.owner != seen.owner || current.counter != seen.counter {
                    return Ok(false);
                }
                tx.delete_item(&tbl, &pk, &sk, &old, false)?;
                Ok(true)
            })
            .await
    }
}
