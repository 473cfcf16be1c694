//! Heartbeats on DynamoDB: one row per part in the state table, read with one Query.

use super::client::Aws;
use super::convert::{from_sdk, s, to_sdk};
use super::errors::classify;
use crate::ports::{Heartbeat, Heartbeats};
use crate::retry::retrying;
use crate::StoreError;

#[async_trait::async_trait]
impl Heartbeats for Aws {
    async fn beat(&self, beat: &Heartbeat) -> Result<(), StoreError> {
        let table = self.state_table();
        let item = to_sdk(beat.to_item());
        retrying(|| async {
            self.ddb
                .put_item()
                .table_name(&table)
                .set_item(Some(item.clone()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify("writing heartbeat", e))
        })
        .await
    }

    async fn all(&self) -> Result<Vec<Heartbeat>, StoreError> {
        let table = self.state_table();
        let out = retrying(|| async {
            self.ddb
                .query()
                .table_name(&table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(Heartbeat::partition()))
                .send()
                .await
                .map_err(|e| classify("reading heartbeats", e))
        })
        .await?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|i| Heartbeat::from_item(&from_sdk(i)))
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }
}
