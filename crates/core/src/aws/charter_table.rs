//! Access to the `crew-dispatch` table behind the charters and staffing ports: its key, the read
//! of one version and the newest-version filter, the conditional assignment runner, and the
//! assignment expressions the accept transaction reuses.

use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnValue};

use super::client::Aws;
use super::convert::{from_sdk, s};
use super::errors::{classify, is_condition_failed};
use crate::config::tables;
use crate::domain::{charter_attr as attr, Charter, CharterId, CharterKey};
use crate::ports::{newest_versions, AssignOutcome, AssignRejection};
use crate::StoreError;

/// Sets the captain (`:c`) ...
pub(crate) const CAPTAIN_UPDATE: &str = "SET captain_assigned = :c";
/// ... only if none is set, the charter is open, and the member is not on its crew.
pub(crate) const CAPTAIN_CONDITION: &str = "attribute_exists(charter_id) \
     AND (attribute_not_exists(captain_assigned) OR captain_assigned = :empty) \
     AND (attribute_not_exists(#st) OR (#st <> :cancelled AND #st <> :completed)) \
     AND (attribute_not_exists(crew_assigned) OR NOT contains(crew_assigned, :c))";
/// Appends the member (`:one` = [`:c`]) to the crew ...
pub(crate) const CREW_UPDATE: &str =
    "SET crew_assigned = list_append(if_not_exists(crew_assigned, :none), :one)";
/// ... only below `:needed`, not twice, not the captain, and while the charter is open.
pub(crate) const CREW_CONDITION: &str = "attribute_exists(charter_id) \
     AND (attribute_not_exists(crew_assigned) OR (size(crew_assigned) < :needed AND NOT contains(crew_assigned, :c))) \
     AND (attribute_not_exists(captain_assigned) OR captain_assigned <> :c) \
     AND (attribute_not_exists(#st) OR (#st <> :cancelled AND #st <> :completed))";

impl Aws {
    pub(crate) fn charters_table(&self) -> String {
        self.table(tables::CHARTERS)
    }

    pub(crate) fn charter_key(key: &CharterKey) -> std::collections::HashMap<String, Av> {
        [
            (attr::CHARTER_ID.to_string(), s(key.charter_id.as_str())),
            (attr::CREATED_AT.to_string(), s(&key.created_at)),
        ]
        .into()
    }

    pub(crate) async fn get_charter_by_key(
        &self,
        key: &CharterKey,
    ) -> Result<Option<Charter>, StoreError> {
        let table = self.charters_table();
        let out = self
            .ddb
            .get_item()
            .table_name(&table)
            .set_key(Some(Self::charter_key(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(&format!("reading charter {key} from {table}"), e))?;
        out.item
            .map(|i| Charter::from_item(&from_sdk(i)))
            .transpose()
            .map_err(Into::into)
    }

    /// The newest stored version of a charter (only `created_at` when `keys_only`), if any.
    pub(crate) async fn newest_item(
        &self,
        id: &CharterId,
        keys_only: bool,
    ) -> Result<Option<std::collections::HashMap<String, Av>>, StoreError> {
        let table = self.charters_table();
        let out = self
            .ddb
            .query()
            .table_name(&table)
            .key_condition_expression("charter_id = :id")
            .expression_attribute_values(":id", s(id.as_str()))
            .set_projection_expression(keys_only.then(|| "created_at".to_string()))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(&format!("reading charter {id} from {table}"), e))?;
        Ok(out.items.unwrap_or_default().into_iter().next())
    }
}

impl Aws {
    /// PutItem of `item` as it is (see [`crate::ports::Charters::put_raw`]).
    pub(crate) async fn put_raw_item(&self, item: &crate::item::Item) -> Result<(), StoreError> {
        let table = self.charters_table();
        self.ddb
            .put_item()
            .table_name(&table)
            .set_item(Some(super::convert::to_sdk(item.clone())))
            .send()
            .await
            .map_err(|e| classify(&format!("writing an item into {table}"), e))?;
        Ok(())
    }
}

/// Retries a conditional assignment that failed for a reason that is gone when we look (a race).
pub(crate) const ASSIGN_ATTEMPTS: usize = 5;

impl Aws {
    /// Of the charters read through the date index, those that are their charter's newest
    /// version: one query per distinct id for its newest `created_at` (keys only, concurrent),
    /// so a version superseded by one on another date is left out too.
    pub(crate) async fn newest_only(
        &self,
        charters: Vec<Charter>,
    ) -> Result<Vec<Charter>, StoreError> {
        use futures::stream::{self, StreamExt, TryStreamExt};
        let charters = newest_versions(charters);
        let ids: Vec<CharterId> = charters.iter().map(|c| c.charter_id.clone()).collect();
        let newest: Vec<Option<String>> = stream::iter(ids)
            .map(|id| self.newest_created_at(id))
            .buffered(8)
            .try_collect()
            .await?;
        Ok(charters
            .into_iter()
            .zip(newest)
            .filter(|(c, n)| n.as_deref().is_none_or(|n| n <= c.created_at.as_str()))
            .map(|(c, _)| c)
            .collect())
    }

    /// The newest `created_at` stored for a charter id (keys only), `None` if there is none.
    async fn newest_created_at(&self, id: CharterId) -> Result<Option<String>, StoreError> {
        Ok(self
            .newest_item(&id, true)
            .await?
            .and_then(|mut i| match i.remove(attr::CREATED_AT) {
                Some(Av::S(v)) => Some(v),
                _ => None,
            }))
    }

    /// Runs a conditional charter update; on a failed condition reads the charter and asks `why`.
    pub(crate) async fn conditional_assign(
        &self,
        key: &CharterKey,
        what: &str,
        update: impl Fn() -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
        why: impl Fn(&Charter) -> Option<AssignRejection>,
    ) -> Result<AssignOutcome, StoreError> {
        for _ in 0..ASSIGN_ATTEMPTS {
            match update().return_values(ReturnValue::AllNew).send().await {
                Ok(out) => {
                    let item = out.attributes.ok_or_else(|| {
                        StoreError::Invalid(format!("{what}: no attributes returned"))
                    })?;
                    return Ok(AssignOutcome::Assigned(Charter::from_item(&from_sdk(
                        item,
                    ))?));
                }
                Err(e) if is_condition_failed(&e) => match self.get_charter_by_key(key).await? {
                    None => return Ok(AssignOutcome::Rejected(AssignRejection::NotFound)),
                    Some(c) => {
                        if let Some(reason) = why(&c) {
                            return Ok(AssignOutcome::Rejected(reason));
                        }
                        // Changed between our write and our read: try again.
                    }
                },
                Err(e) => return Err(classify(&format!("{what} on charter {key}"), e)),
            }
        }
        Err(StoreError::backend(
            format!("{what} on charter {key}"),
            true,
            "the charter kept changing under us",
        ))
    }
}
