//! The staffing port on DynamoDB: accepting an offer as one transaction (hold, charter on the
//! offer's date, offer, assignment count, and a condition check on the member's roster item)
//! with the offer id as its client request token.

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, ConditionCheck, Put, TransactWriteItem, Update,
};

use super::charter_table::{CAPTAIN_CONDITION, CAPTAIN_UPDATE, CREW_CONDITION, CREW_UPDATE};
use super::client::Aws;
use super::convert::{n, s, to_sdk};
use super::errors::{classify, is_cancelled, is_token_reused};
use super::roster_check::roster_condition;
use super::state_table::key;
use crate::config::tables;
use crate::domain::{
    crew_attr, CharterDate, CharterStatus, CrewId, OfferStatus, Role, SlotNeeds, Unfit,
};
use crate::ports::{accept_refusal, AcceptOutcome, AcceptRequest, Hold, Holds, Offers, Staffing};
use crate::records as rec;
use crate::StoreError;

#[async_trait::async_trait]
impl Staffing for Aws {
    async fn accept_as(
        &self,
        req: &AcceptRequest,
        needs: Option<&SlotNeeds>,
    ) -> Result<AcceptOutcome, StoreError> {
        let o = &req.offer;
        let state = self.state_table();
        let charters = self.charters_table();
        let hold = Hold {
            crew_id: o.crew_id.clone(),
            date: o.charter_date,
            charter_id: o.charter_id.clone(),
            taken_at: req.at,
        };
        let bad = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
        for _ in 0..5 {
            let member_check = match needs {
                None => None,
                Some(needs) => match self.member_check(&o.crew_id, needs, o.charter_date).await? {
                    Ok(check) => Some(check),
                    // Said as the embedded store says it: the offer and the charter first.
                    Err(why) => {
                        return Ok(self
                            .refusal(req)
                            .await?
                            .unwrap_or(AcceptOutcome::Unfit(why)))
                    }
                },
            };
            let put_hold = Put::builder()
                .table_name(&state)
                .set_item(Some(to_sdk(rec::hold_to_item(&hold))))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(bad)?;
            let mut charter = Update::builder()
                .table_name(&charters)
                .set_key(Some(Self::charter_key(&req.charter_key)))
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":c", s(o.crew_id.as_str()))
                .expression_attribute_values(":cancelled", s(CharterStatus::Cancelled.as_str()))
                .expression_attribute_values(":completed", s(CharterStatus::Completed.as_str()))
                .expression_attribute_values(":date", s(o.charter_date.to_string()));
            charter = match o.role {
                Role::Captain => charter
                    .update_expression(CAPTAIN_UPDATE)
                    .condition_expression(format!("{CAPTAIN_CONDITION} AND {ON_OFFER_DATE}"))
                    .expression_attribute_values(":empty", s("")),
                Role::Crew { .. } => charter
                    .update_expression(CREW_UPDATE)
                    .condition_expression(format!("{CREW_CONDITION} AND {ON_OFFER_DATE}"))
                    .expression_attribute_values(":none", Av::L(vec![]))
                    .expression_attribute_values(":one", Av::L(vec![s(o.crew_id.as_str())]))
                    .expression_attribute_values(":needed", n(req.crew_needed)),
            };
            let (opk, osk) = rec::offer_key(&o.charter_id, &o.offer_id);
            let offer = Update::builder()
                .table_name(&state)
                .set_key(Some(key(opk, osk)))
                .update_expression("SET #st = :accepted, updated_at = :at")
                .condition_expression("#st = :open")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":accepted", s(OfferStatus::Accepted.as_str()))
                .expression_attribute_values(":open", s(OfferStatus::Open.as_str()))
                .expression_attribute_values(
                    ":at",
                    s(req.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                )
                .build()
                .map_err(bad)?;
            let mut items = vec![
                TransactWriteItem::builder().put(put_hold).build(),
                TransactWriteItem::builder()
                    .update(charter.build().map_err(bad)?)
                    .build(),
                TransactWriteItem::builder().update(offer).build(),
                TransactWriteItem::builder()
                    .update(self.load_update(&o.crew_id, o.charter_date.month(), 1)?)
                    .build(),
            ];
            if let Some(check) = member_check {
                items.push(TransactWriteItem::builder().condition_check(check).build());
            }
            // The offer id as the client request token: an SDK retry after a lost response is
            // recognised by DynamoDB as the same transaction, not reported as a conflict.
            match self
                .ddb
                .transact_write_items()
                .set_transact_items(Some(items))
                .client_request_token(o.offer_id.as_str())
                .send()
                .await
            {
                Ok(_) => {
                    let now = self
                        .get_charter_by_key(&req.charter_key)
                        .await?
                        .ok_or(StoreError::Invalid("charter vanished after accept".into()))?;
                    return Ok(AcceptOutcome::Accepted(now));
                }
                // The same offer accepted before, within DynamoDB's ten-minute token window (a
                // second press of Accept): the offer says what became of it.
                Err(e) if is_token_reused(&e) => {
                    if let Some(why) = self.refusal(req).await? {
                        return Ok(why);
                    }
                    return Err(classify(&format!("accepting offer {}", o.offer_id), e));
                }
                Err(e) if is_cancelled(&e) => {
                    // Find which condition failed by reading the items.
                    if let Some(why) = self.refusal(req).await? {
                        return Ok(why);
                    }
                    // The member's roster item changed: the next round's read says how.
                    if let Some(h) = Holds::get(self, &o.crew_id, o.charter_date).await? {
                        return Ok(AcceptOutcome::AlreadyBooked(h));
                    }
                    // A conflicting transaction that has since gone: try again.
                }
                Err(e) => return Err(classify(&format!("accepting offer {}", o.offer_id), e)),
            }
        }
        Err(StoreError::backend(
            format!("accepting offer {}", o.offer_id),
            true,
            "kept conflicting with other writes",
        ))
    }
}

/// The charter is still on the date the offer was made for (`:date`).
const ON_OFFER_DATE: &str = "charter_date = :date";

impl Aws {
    /// Why the accept cannot go through as far as the offer and the charter say (read now,
    /// consistently): the offer gone or no longer open, the charter closed, its slot taken or
    /// its date moved. `None`: they allow it.
    async fn refusal(&self, req: &AcceptRequest) -> Result<Option<AcceptOutcome>, StoreError> {
        let o = &req.offer;
        match Offers::get(self, &o.charter_id, &o.offer_id).await? {
            None => return Ok(Some(AcceptOutcome::CharterClosed)),
            Some(c) if c.status != OfferStatus::Open => {
                return Ok(Some(AcceptOutcome::OfferNotOpen(c.status)))
            }
            Some(_) => {}
        }
        Ok(match self.get_charter_by_key(&req.charter_key).await? {
            None => Some(AcceptOutcome::CharterClosed),
            Some(c) => accept_refusal(&c, o, req.crew_needed),
        })
    }

    /// Reads the member's roster item (consistently) and, if they meet `needs` on `date`, the
    /// condition check that keeps them so until the transaction commits ([`roster_condition`]).
    async fn member_check(
        &self,
        crew: &CrewId,
        needs: &SlotNeeds,
        date: CharterDate,
    ) -> Result<Result<ConditionCheck, Unfit>, StoreError> {
        let table = self.table(tables::ROSTER);
        let out = self
            .ddb
            .get_item()
            .table_name(&table)
            .key(crew_attr::CREW_ID, s(crew.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(&format!("reading member {crew} from {table}"), e))?;
        roster_condition(&table, crew, out.item.as_ref(), needs, date)
    }
}
