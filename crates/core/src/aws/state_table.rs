//! Access to the `dispatch-state` table shared by the holds, offers, idempotency, leases and
//! staffing ports: its name and keys, consistent reads, conditional puts, and the assignment
//! count update that goes into every hold transaction.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as Av;

use super::batch::batch_get;
use super::client::Aws;
use super::convert::{from_sdk, n, s, to_sdk};
use super::errors::{classify, is_cancelled, is_condition_failed};
use crate::config::tables;
use crate::domain::{CrewId, Month};
use crate::item::Item;
use crate::records::{self as rec, PK, SK};
use crate::retry::retrying;
use crate::StoreError;

/// The key of a `dispatch-state` item.
pub(crate) fn key(pk: String, sk: String) -> HashMap<String, Av> {
    [(PK.to_string(), s(pk)), (SK.to_string(), s(sk))].into()
}

impl Aws {
    pub(crate) fn state_table(&self) -> String {
        self.table(tables::STATE)
    }

    /// `ADD assignments :d` on a member's load item for `month`: one part of a transaction.
    pub(crate) fn load_update(
        &self,
        crew: &CrewId,
        month: Month,
        delta: i64,
    ) -> Result<aws_sdk_dynamodb::types::Update, StoreError> {
        let (pk, sk) = rec::load_key(crew, month);
        aws_sdk_dynamodb::types::Update::builder()
            .table_name(self.state_table())
            .set_key(Some(key(pk, sk)))
            .update_expression("SET crew_id = :crew ADD #n :d")
            .expression_attribute_names("#n", rec::LOAD_COUNT)
            .expression_attribute_values(":crew", s(crew.as_str()))
            .expression_attribute_values(":d", n(delta))
            .build()
            .map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// Reads state items by key (consistent reads, in batches).
    pub(crate) async fn batch_get_state(
        &self,
        keys: Vec<(String, String)>,
        what: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let keys = keys.into_iter().map(|(pk, sk)| key(pk, sk)).collect();
        batch_get(self, &self.state_table(), keys, what).await
    }

    /// One state item by key (a consistent read).
    pub(crate) async fn get_state(
        &self,
        pk: String,
        sk: String,
        what: &str,
    ) -> Result<Option<Item>, StoreError> {
        let table = self.state_table();
        let out = retrying(|| async {
            self.ddb
                .get_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| classify(&format!("reading {what} from {table}"), e))
        })
        .await?;
        Ok(out.item.map(from_sdk))
    }

    /// Writes `items` in one transaction (retried on throttling and 5xx); Ok(false) when
    /// DynamoDB cancelled it: a condition failed, or a concurrent write to one of the items.
    pub(crate) async fn transact_state(
        &self,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
        what: &str,
    ) -> Result<bool, StoreError> {
        retrying(|| async {
            match self
                .ddb
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if is_cancelled(&e) => Ok(false),
                Err(e) => Err(classify(&format!("{what} in {}", self.state_table()), e)),
            }
        })
        .await
    }

    /// Puts a state item under a condition; Ok(false) when the condition failed.
    pub(crate) async fn put_state_if(
        &self,
        item: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, Av)>,
        what: &str,
    ) -> Result<bool, StoreError> {
        let table = self.state_table();
        retrying(|| async {
            let mut req = self
                .ddb
                .put_item()
                .table_name(&table)
                .set_item(Some(to_sdk(item.clone())))
                .condition_expression(condition);
            for (k, v) in names {
                req = req.expression_attribute_names(*k, *v);
            }
            for (k, v) in &values {
                req = req.expression_attribute_values(*k, v.clone());
            }
            match req.send().await {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(classify(&format!("{what} in {table}"), e)),
            }
        })
        .await
    }
}
