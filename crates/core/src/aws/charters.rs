//! The charters port on DynamoDB: conditional assignment by condition expressions, the date
//! index read with only each charter's newest version kept.

use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnValue};

use super::charter_table::{
    ASSIGN_ATTEMPTS, CAPTAIN_CONDITION, CAPTAIN_UPDATE, CREW_CONDITION, CREW_UPDATE,
};
use super::client::Aws;
use super::convert::{from_sdk, n, s, to_sdk};
use super::errors::{classify, is_condition_failed};
use crate::domain::{
    booking_ref_of, charter_attr as attr, with_booking_ref, BookingRef, Charter, CharterDate,
    CharterId, CharterKey, CharterStatus, CrewId,
};
use crate::ports::{
    booking_sets_status, captain_rejection, crew_rejection, AssignOutcome, AssignRejection,
    Charters, Inserted, Listing, BOOKING_ATTRS,
};
use crate::StoreError;

impl Aws {
    /// Stores a new charter item (the charter's, perhaps with more attributes); a charter with
    /// the same key is left untouched.
    async fn insert_item(
        &self,
        charter: &Charter,
        item: crate::item::Item,
    ) -> Result<Inserted, StoreError> {
        let table = self.charters_table();
        crate::retry::retrying(|| async {
            match self
                .ddb
                .put_item()
                .table_name(&table)
                .set_item(Some(to_sdk(item.clone())))
                .condition_expression("attribute_not_exists(charter_id)")
                .send()
                .await
            {
                Ok(_) => Ok(Inserted::New),
                Err(e) if is_condition_failed(&e) => Ok(Inserted::AlreadyExists),
                Err(e) => Err(classify(
                    &format!("inserting charter {} into {table}", charter.key()),
                    e,
                )),
            }
        })
        .await
    }
}

#[async_trait::async_trait]
impl Charters for Aws {
    async fn insert(&self, charter: &Charter) -> Result<Inserted, StoreError> {
        self.insert_item(charter, charter.to_item()).await
    }

    async fn insert_with_ref(
        &self,
        charter: &Charter,
        booking_ref: &BookingRef,
    ) -> Result<Inserted, StoreError> {
        self.insert_item(charter, with_booking_ref(charter.to_item(), booking_ref))
            .await
    }

    async fn booking_ref(&self, id: &CharterId) -> Result<Option<BookingRef>, StoreError> {
        Ok(self
            .newest_item(id, false)
            .await?
            .and_then(|i| booking_ref_of(&from_sdk(i))))
    }

    async fn get(&self, id: &CharterId) -> Result<Option<Charter>, StoreError> {
        self.newest_item(id, false)
            .await?
            .map(|i| Charter::from_item(&from_sdk(i)))
            .transpose()
            .map_err(Into::into)
    }

    async fn get_item(&self, id: &CharterId) -> Result<Option<crate::item::Item>, StoreError> {
        Ok(self.newest_item(id, false).await?.map(from_sdk))
    }

    async fn put_raw(&self, item: &crate::item::Item) -> Result<(), StoreError> {
        self.put_raw_item(item).await
    }

    async fn on_date(&self, date: CharterDate) -> Result<Listing<Charter>, StoreError> {
        let table = self.charters_table();
        let mut items = Vec::new();
        let mut pages = self
            .ddb
            .query()
            .table_name(&table)
            .index_name(attr::DATE_INDEX)
            .key_condition_expression("charter_date = :d")
            .expression_attribute_values(":d", s(date.to_string()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                classify(
                    &format!("querying {} on {table} for {date}", attr::DATE_INDEX),
                    e,
                )
            })?;
            items.extend(page.items.unwrap_or_default().into_iter().map(from_sdk));
        }
        let mut listing = Listing::parse(items, Charter::from_item);
        listing.items = self.newest_only(listing.items).await?;
        listing
            .items
            .sort_by(|a, b| (&a.created_at, &a.charter_id).cmp(&(&b.created_at, &b.charter_id)));
        Ok(listing)
    }

    async fn update_booking(
        &self,
        key: &CharterKey,
        booking: &Charter,
    ) -> Result<Option<Charter>, StoreError> {
        let table = self.charters_table();
        let fields = to_sdk(booking.to_item());
        let mut set = Vec::new();
        let mut remove = Vec::new();
        let mut req = self
            .ddb
            .update_item()
            .table_name(&table)
            .set_key(Some(Self::charter_key(key)))
            .condition_expression("attribute_exists(charter_id)")
            .return_values(ReturnValue::AllNew);
        for (i, a) in BOOKING_ATTRS.iter().enumerate() {
            req = req.expression_attribute_names(format!("#b{i}"), *a);
            match fields.get(*a) {
                Some(v) => {
                    set.push(format!("#b{i} = :b{i}"));
                    req = req.expression_attribute_values(format!(":b{i}"), v.clone());
                }
                None => remove.push(format!("#b{i}")),
            }
        }
        if booking_sets_status(booking) {
            set.push("#st = :st".into());
            req = req
                .expression_attribute_names("#st", attr::STATUS)
                .expression_attribute_values(":st", s(booking.status.as_str()));
        }
        let mut expr = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expr.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        match req.update_expression(expr).send().await {
            Ok(out) => out
                .attributes
                .map(|i| Charter::from_item(&from_sdk(i)))
                .transpose()
                .map_err(Into::into),
            Err(e) if is_condition_failed(&e) => Ok(None),
            Err(e) => Err(classify(&format!("updating booking of charter {key}"), e)),
        }
    }

    async fn assign_captain(
        &self,
        key: &CharterKey,
        crew: &CrewId,
    ) -> Result<AssignOutcome, StoreError> {
        let table = self.charters_table();
        self.conditional_assign(
            key,
            "assigning captain",
            || {
                self.ddb
                    .update_item()
                    .table_name(&table)
                    .set_key(Some(Self::charter_key(key)))
                    .update_expression(CAPTAIN_UPDATE)
                    .condition_expression(CAPTAIN_CONDITION)
                    .expression_attribute_names("#st", attr::STATUS)
                    .expression_attribute_values(":c", s(crew.as_str()))
                    .expression_attribute_values(":empty", s(""))
                    .expression_attribute_values(":cancelled", s(CharterStatus::Cancelled.as_str()))
                    .expression_attribute_values(":completed", s(CharterStatus::Completed.as_str()))
            },
            |c| captain_rejection(c, crew),
        )
        .await
    }

    async fn add_crew(
        &self,
        key: &CharterKey,
        crew: &CrewId,
        needed: u32,
    ) -> Result<AssignOutcome, StoreError> {
        if needed == 0 {
            return Ok(match self.get_charter_by_key(key).await? {
                None => AssignOutcome::Rejected(AssignRejection::NotFound),
                Some(c) => AssignOutcome::Rejected(
                    crew_rejection(&c, crew, 0).unwrap_or(AssignRejection::CrewFull),
                ),
            });
        }
        let table = self.charters_table();
        self.conditional_assign(
            key,
            "adding crew",
            || {
                self.ddb
                    .update_item()
                    .table_name(&table)
                    .set_key(Some(Self::charter_key(key)))
                    .update_expression(CREW_UPDATE)
                    .condition_expression(CREW_CONDITION)
                    .expression_attribute_names("#st", attr::STATUS)
                    .expression_attribute_values(":c", s(crew.as_str()))
                    .expression_attribute_values(":none", Av::L(vec![]))
                    .expression_attribute_values(":one", Av::L(vec![s(crew.as_str())]))
                    .expression_attribute_values(":needed", n(needed))
                    .expression_attribute_values(":cancelled", s(CharterStatus::Cancelled.as_str()))
                    .expression_attribute_values(":completed", s(CharterStatus::Completed.as_str()))
            },
            |c| crew_rejection(c, crew, needed),
        )
        .await
    }

    async fn unassign(
        &self,
        key: &CharterKey,
        crew: &CrewId,
    ) -> Result<Option<Charter>, StoreError> {
        let table = self.charters_table();
        for _ in 0..ASSIGN_ATTEMPTS {
            let Some(c) = self.get_charter_by_key(key).await? else {
                return Ok(None);
            };
            // Remove exactly what was read, under the condition that it is still there.
            let (update, condition) = if c.captain_assigned.as_ref() == Some(crew) {
                (
                    "REMOVE captain_assigned".to_string(),
                    "captain_assigned = :c".to_string(),
                )
            } else if let Some(i) = c.crew_assigned.iter().position(|m| m == crew) {
                (
                    format!("REMOVE crew_assigned[{i}]"),
                    format!("crew_assigned[{i}] = :c"),
                )
            } else {
                return Ok(Some(c));
            };
            let res = self
                .ddb
                .update_item()
                .table_name(&table)
                .set_key(Some(Self::charter_key(key)))
                .update_expression(update)
                .condition_expression(condition)
                .expression_attribute_values(":c", s(crew.as_str()))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match res {
                Ok(out) => {
                    let item = out.attributes.ok_or_else(|| {
                        StoreError::Invalid("unassigning member: no attributes returned".into())
                    })?;
                    let after = Charter::from_item(&from_sdk(item))?;
                    // On the crew list twice (written by another tool): take the next one too.
                    if after.captain_assigned.as_ref() != Some(crew)
                        && !after.crew_assigned.contains(crew)
                    {
                        return Ok(Some(after));
                    }
                }
                Err(e) if is_condition_failed(&e) => {}
                Err(e) => {
                    return Err(classify(
                        &format!("unassigning {crew} from charter {key}"),
                        e,
                    ))
                }
            }
        }
        Err(StoreError::backend(
            format!("unassigning {crew} from charter {key}"),
            true,
            "the charter kept changing",
        ))
    }

    async fn set_status(
        &self,
        key: &CharterKey,
        status: CharterStatus,
    ) -> Result<bool, StoreError> {
        let table = self.charters_table();
        let res = self
            .ddb
            .update_item()
            .table_name(&table)
            .set_key(Some(Self::charter_key(key)))
            .update_expression("SET #st = :s")
            .condition_expression("attribute_exists(charter_id)")
            .expression_attribute_names("#st", attr::STATUS)
            .expression_attribute_values(":s", s(status.as_str()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(classify(&format!("setting status of charter {key}"), e)),
        }
    }

    async fn set_status_from(
        &self,
        key: &CharterKey,
        from: CharterStatus,
        to: CharterStatus,
    ) -> Result<bool, StoreError> {
        let table = self.charters_table();
        let condition = if from == CharterStatus::Booked {
            "attribute_exists(charter_id) AND (attribute_not_exists(#st) OR #st = :from)"
        } else {
            "attribute_exists(charter_id) AND #st = :from"
        };
        let res = crate::retry::retrying(|| async {
            match self
                .ddb
                .update_item()
                .table_name(&table)
                .set_key(Some(Self::charter_key(key)))
                .update_expression("SET #st = :s")
                .condition_expression(condition)
                .expression_attribute_names("#st", attr::STATUS)
                .expression_attribute_values(":s", s(to.as_str()))
                .expression_attribute_values(":from", s(from.as_str()))
                .send()
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(classify(&format!("setting status of charter {key}"), e)),
            }
        })
        .await?;
        if !res {
            // A retry after a lost response finds the status already moved: that is success.
            return Ok(self
                .get_charter_by_key(key)
                .await?
                .is_some_and(|c| c.status == to));
        }
        Ok(true)
    }

    async fn delete(&self, key: &CharterKey) -> Result<(), StoreError> {
        let table = self.charters_table();
        self.ddb
            .delete_item()
            .table_name(&table)
            .set_key(Some(Self::charter_key(key)))
            .send()
            .await
            .map_err(|e| classify(&format!("deleting charter {key}"), e))?;
        Ok(())
    }

    async fn get_marked(
        &self,
        id: &CharterId,
    ) -> Result<Option<(Charter, Option<String>)>, StoreError> {
        self.charter_get_marked(id).await
    }
    async fn mark_unsettled(&self, key: &CharterKey, mark: &str) -> Result<bool, StoreError> {
        self.charter_mark_unsettled(key, mark).await
    }
    async fn clear_unsettled(&self, key: &CharterKey, mark: &str) -> Result<bool, StoreError> {
        self.charter_clear_unsettled(key, mark).await
    }
    async fn unsettled(&self) -> Result<Vec<crate::ports::UnsettledCharter>, StoreError> {
        self.charters_unsettled().await
    }
}
