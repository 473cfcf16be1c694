//! The holds port on DynamoDB: each hold taken or released in one transaction with the member's
//! assignment count for the month.

use std::collections::HashMap;

use super::client::Aws;
use super::convert::{s, to_sdk};
use super::state_table::key;
use crate::domain::{CharterDate, CharterId, CrewId, Month};
use crate::ports::{Hold, HoldOutcome, Holds};
use crate::records as rec;
use crate::StoreError;

#[async_trait::async_trait]
impl Holds for Aws {
    async fn take(&self, hold: &Hold) -> Result<HoldOutcome, StoreError> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
        let state = self.state_table();
        let bad = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
        for _ in 0..5 {
            let put = Put::builder()
                .table_name(&state)
                .set_item(Some(to_sdk(rec::hold_to_item(hold))))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(bad)?;
            let items = vec![
                TransactWriteItem::builder().put(put).build(),
                TransactWriteItem::builder()
                    .update(self.load_update(&hold.crew_id, hold.date.month(), 1)?)
                    .build(),
            ];
            let sent = self.transact_state(items, "taking hold").await?;
            if sent {
                return Ok(HoldOutcome::Taken);
            }
            let (pk, sk) = rec::hold_key(&hold.crew_id, hold.date);
            if let Some(item) = self.get_state(pk, sk, "hold").await? {
                return Ok(HoldOutcome::AlreadyHeld(rec::hold_from_item(&item)?));
            }
            // Released between our write and our read: try again.
        }
        Err(StoreError::backend(
            format!("taking hold of {} on {}", hold.crew_id, hold.date),
            true,
            "kept conflicting with other writes",
        ))
    }

    async fn loads(
        &self,
        month: Month,
        crews: &[CrewId],
    ) -> Result<HashMap<CrewId, u32>, StoreError> {
        let keys: Vec<(String, String)> = crews.iter().map(|c| rec::load_key(c, month)).collect();
        let items = self.batch_get_state(keys, "assignment counts").await?;
        let mut out = HashMap::new();
        for item in items {
            let crew = item.get("crew_id").and_then(|v| match v {
                serde_dynamo::AttributeValue::S(s) => CrewId::parse(s).ok(),
                _ => None,
            });
            if let Some(crew) = crew {
                out.insert(crew, rec::load_count(&item));
            }
        }
        Ok(out)
    }

    async fn release(
        &self,
        crew: &CrewId,
        date: CharterDate,
        charter: &CharterId,
    ) -> Result<bool, StoreError> {
        use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
        let table = self.state_table();
        let (pk, sk) = rec::hold_key(crew, date);
        let bad = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
        let delete = Delete::builder()
            .table_name(&table)
            .set_key(Some(key(pk.clone(), sk.clone())))
            .condition_expression("charter_id = :c")
            .expression_attribute_values(":c", s(charter.as_str()))
            .build()
            .map_err(bad)?;
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder()
                .update(self.load_update(crew, date.month(), -1)?)
                .build(),
        ];
        self.transact_state(items, &format!("releasing hold {pk}"))
            .await
    }

    async fn get(&self, crew: &CrewId, date: CharterDate) -> Result<Option<Hold>, StoreError> {
        let (pk, sk) = rec::hold_key(crew, date);
        let item = self.get_state(pk, sk, "hold").await?;
        item.as_ref()
            .map(rec::hold_from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn among(&self, date: CharterDate, crews: &[CrewId]) -> Result<Vec<Hold>, StoreError> {
        let keys = crews.iter().map(|c| rec::hold_key(c, date)).collect();
        self.batch_get_state(keys, "holds")
            .await?
            .iter()
            .map(|i| rec::hold_from_item(i).map_err(Into::into))
            .collect()
    }

    /// Holds and counts in one BatchGetItem (both live in the state table): the counts of
    /// every member asked about are read, those held that day dropped after.
    async fn day_of(
        &self,
        date: CharterDate,
        crews: &[CrewId],
    ) -> Result<(Vec<Hold>, HashMap<CrewId, u32>), StoreError> {
        let keys = crews
            .iter()
            .flat_map(|c| [rec::hold_key(c, date), rec::load_key(c, date.month())])
            .collect();
        let items = self
            .batch_get_state(keys, "holds and assignment counts")
            .await?;
        let mut holds = Vec::new();
        let mut counts = HashMap::new();
        for item in &items {
            let pk = item.get(rec::PK).and_then(|v| match v {
                serde_dynamo::AttributeValue::S(s) => Some(s.as_str()),
                _ => None,
            });
            if pk.is_some_and(|pk| pk.starts_with(rec::HOLD_PK_PREFIX)) {
                holds.push(rec::hold_from_item(item)?);
            } else if let Some(crew) = item.get("crew_id").and_then(|v| match v {
                serde_dynamo::AttributeValue::S(s) => CrewId::parse(s).ok(),
                _ => None,
            }) {
                counts.insert(crew, rec::load_count(item));
            }
        }
        for h in &holds {
            counts.remove(&h.crew_id);
        }
        Ok((holds, counts))
    }
}
