//! The sparse index of unsettled charters on DynamoDB: two attributes on the charter item
//! (`unsettled`, always `"1"`, and `unsettled_mark`) keyed by the `unsettled-index` GSI, so the
//! sweep reads every charter that may need work with one Query, whatever its date. The GSI has
//! one partition ("1"): a charter business writes a few marks a minute, far below a
//! partition's limits, and one partition is what makes it one Query.

use aws_sdk_dynamodb::types::AttributeValue as Av;

use super::convert::{from_sdk, s};
use super::errors::{classify, is_condition_failed};
use super::Aws;
use crate::domain::{charter_attr as attr, Charter, CharterId, CharterKey};
use crate::ports::UnsettledCharter;
use crate::StoreError;

/// The value of `unsettled` on every charter in the index.
const IN_INDEX: &str = "1";

impl Aws {
    pub(crate) async fn charter_get_marked(
        &self,
        id: &CharterId,
    ) -> Result<Option<(Charter, Option<String>)>, StoreError> {
        let Some(item) = self.newest_item(id, false).await? else {
            return Ok(None);
        };
        let mark = match item.get(attr::UNSETTLED_MARK) {
            Some(Av::S(m)) if item.contains_key(attr::UNSETTLED) => Some(m.clone()),
            _ => None,
        };
        Ok(Some((Charter::from_item(&from_sdk(item))?, mark)))
    }

    pub(crate) async fn charter_mark_unsettled(
        &self,
        key: &CharterKey,
        mark: &str,
    ) -> Result<bool, StoreError> {
        let values = [(":u", s(IN_INDEX)), (":m", s(mark))];
        self.change_mark(
            key,
            "unsettled",
            "SET #u = :u, #m = :m",
            "attribute_exists(charter_id)",
            values,
        )
        .await
    }

    /// [`Self::charter_mark_unsettled`] as one write of a transaction (an offer's, see
    /// `Offers::put_opening`): cancels it if the charter is gone.
    pub(crate) fn mark_unsettled_write(
        &self,
        key: &CharterKey,
        mark: &str,
    ) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
        let update = aws_sdk_dynamodb::types::Update::builder()
            .table_name(self.charters_table())
            .set_key(Some(Self::charter_key(key)))
            .update_expression("SET #u = :u, #m = :m")
            .condition_expression("attribute_exists(charter_id)")
            .expression_attribute_names("#u", attr::UNSETTLED)
            .expression_attribute_names("#m", attr::UNSETTLED_MARK)
            .expression_attribute_values(":u", s(IN_INDEX))
            .expression_attribute_values(":m", s(mark))
            .build()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(aws_sdk_dynamodb::types::TransactWriteItem::builder()
            .update(update)
            .build())
    }

    pub(crate) async fn charter_clear_unsettled(
        &self,
        key: &CharterKey,
        mark: &str,
    ) -> Result<bool, StoreError> {
        self.change_mark(
            key,
            "settled",
            "REMOVE #u, #m",
            "#m = :m",
            [(":m", s(mark))],
        )
        .await
    }

    /// Updates the charter's two index attributes (`#u`, `#m` in the expressions) under
    /// `condition`; false when the condition fails (the charter is gone, or its mark moved on).
    async fn change_mark<const N: usize>(
        &self,
        key: &CharterKey,
        marking: &str,
        update: &str,
        condition: &str,
        values: [(&str, Av); N],
    ) -> Result<bool, StoreError> {
        let table = self.charters_table();
        crate::retry::retrying(|| async {
            let mut request = self
                .ddb
                .update_item()
                .table_name(&table)
                .set_key(Some(Self::charter_key(key)))
                .update_expression(update)
                .condition_expression(condition)
                .expression_attribute_names("#u", attr::UNSETTLED)
                .expression_attribute_names("#m", attr::UNSETTLED_MARK);
            for (name, value) in &values {
                request = request.expression_attribute_values(*name, value.clone());
            }
            match request.send().await {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(classify(&format!("marking charter {key} {marking}"), e)),
            }
        })
        .await
    }

    pub(crate) async fn charters_unsettled(&self) -> Result<Vec<UnsettledCharter>, StoreError> {
        let table = self.charters_table();
        let mut out = Vec::new();
        let mut pages = self
            .ddb
            .query()
            .table_name(&table)
            .index_name(attr::UNSETTLED_INDEX)
            .key_condition_expression("#u = :u")
            .expression_attribute_names("#u", attr::UNSETTLED)
            .expression_attribute_values(":u", s(IN_INDEX))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                classify(&format!("querying {} on {table}", attr::UNSETTLED_INDEX), e)
            })?;
            for item in page.items.unwrap_or_default() {
                let text = |name: &str| match item.get(name) {
                    Some(Av::S(v)) => Some(v.clone()),
                    _ => None,
                };
                let (Some(id), Some(created_at), Some(mark)) = (
                    text(attr::CHARTER_ID),
                    text(attr::CREATED_AT),
                    text(attr::UNSETTLED_MARK),
                ) else {
                    continue;
                };
                let Ok(charter_id) = CharterId::parse(&id) else {
                    tracing::warn!(charter_id = %id, "unsettled index holds a charter id that is not valid; skipped");
                    continue;
                };
                out.push(UnsettledCharter {
                    key: CharterKey {
                        charter_id,
                        created_at,
                    },
                    mark,
                });
            }
        }
        Ok(out)
    }
}
