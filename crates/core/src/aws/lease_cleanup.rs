//! Lease rows deleted on DynamoDB under the same "held as seen" condition as every lease update.

use super::client::Aws;
use super::convert::{n, s};
use super::errors::{classify, is_condition_failed};
use crate::config::tables;
use crate::ports::{Lease, LeaseCleanup};
use crate::records::{self as rec, PK, SK};
use crate::retry::retrying;
use crate::StoreError;

#[async_trait::async_trait]
impl LeaseCleanup for Aws {
    async fn remove(&self, seen: &Lease) -> Result<bool, StoreError> {
        let table = self.table(tables::STATE);
        let (pk, sk) = rec::lease_key(&seen.stream, &seen.shard_id);
        retrying(|| async {
            let out = self
                .ddb
                .delete_item()
                .table_name(&table)
                .key(PK, s(pk.clone()))
                .key(SK, s(sk.clone()))
                .condition_expression("#o = :o AND #c = :c")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_names("#c", "counter")
                .expression_attribute_values(":o", s(&seen.owner))
                .expression_attribute_values(":c", n(seen.counter))
                .send()
                .await;
            match out {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(classify("removing lease row", e)),
            }
        })
        .await
    }
}
