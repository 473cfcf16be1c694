//! `dispatch bootstrap` on a table made by an older version: a GSI the schema has and the table
//! lacks (the sparse `unsettled-index`, say) is added in place with UpdateTable, and bootstrap
//! waits until DynamoDB has built it. Additive only: nothing is ever removed.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, IndexStatus,
    Projection, ProjectionType, ScalarAttributeType, TableDescription,
};

use super::errors::classify;
use super::Aws;
use crate::schema::TableSpec;
use crate::StoreError;

/// How long bootstrap waits for DynamoDB to build a new index (it backfills every item).
const BUILD_DEADLINE: Duration = Duration::from_secs(15 * 60);

fn bad(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(e.to_string())
}

impl Aws {
    /// Adds each index of `spec` the existing table lacks, one at a time (DynamoDB builds one
    /// per UpdateTable). True if any was added.
    pub(crate) async fn add_missing_indexes(&self, spec: &TableSpec) -> Result<bool, StoreError> {
        let name = self.table(spec.base);
        let mut added = false;
        for (index, key) in &spec.indexes {
            let out = self
                .ddb
                .describe_table()
                .table_name(&name)
                .send()
                .await
                .map_err(|e| classify(&format!("describing table {name}"), e))?;
            let present = out.table().is_some_and(|t| {
                t.global_secondary_indexes()
                    .iter()
                    .any(|g| g.index_name() == Some(*index))
            });
            if present {
                continue;
            }
            tracing::info!(table = %name, index, "adding a missing index");
            let mut req = self.ddb.update_table().table_name(&name);
            for a in std::iter::once(key.hash).chain(key.range) {
                req = req.attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(a)
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(bad)?,
                );
            }
            let create = CreateGlobalSecondaryIndexAction::builder()
                .index_name(*index)
                .set_key_schema(Some(super::admin::key_schema(key)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(bad)?;
            req.global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(create).build(),
            )
            .send()
            .await
            .map_err(|e| classify(&format!("adding index {index} to {name}"), e))?;
            self.wait_index_active(&name, index).await?;
            added = true;
        }
        Ok(added)
    }

    async fn wait_index_active(&self, name: &str, index: &str) -> Result<(), StoreError> {
        let built = |t: &TableDescription| {
            t.global_secondary_indexes().iter().any(|g| {
                g.index_name() == Some(index) && g.index_status() == Some(&IndexStatus::Active)
            })
        };
        if self
            .wait_for_table(name, built, Duration::from_secs(2), BUILD_DEADLINE)
            .await?
        {
            return Ok(());
        }
        Err(StoreError::backend(
            format!("waiting for index {index} of {name}"),
            true,
            "DynamoDB is still building it: run `dispatch bootstrap` again later",
        ))
    }
}
