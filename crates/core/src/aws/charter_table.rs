//! Access to the `crew-dispatch` table shared by the charters and staffing ports: its key, the
//! read of one version, and the assignment expressions the accept transaction reuses.

use aws_sdk_dynamodb::types::AttributeValue as Av;

use super::convert::{from_sdk, s};
use super::errors::classify;
use super::Aws;
use crate::config::tables;
use crate::domain::{charter_attr as attr, Charter, CharterId, CharterKey};
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
