//! The staffing port on DynamoDB: accepting an offer as one transaction (hold, charter, offer,
//! assignment count) with the offer id as its client request token.

use aws_sdk_dynamodb::types::{AttributeValue as Av, Put, TransactWriteItem, Update};

use super::charter_table::{CAPTAIN_CONDITION, CAPTAIN_UPDATE, CREW_CONDITION, CREW_UPDATE};
use super::client::Aws;
use super::convert::{n, s, to_sdk};
use super::errors::{classify, is_cancelled};
use super::state_table::key;
use crate::domain::{CharterStatus, OfferStatus, Role};
use crate::ports::{accept_rejection, AcceptOutcome, AcceptRequest, Hold, Holds, Offers, Staffing};
use crate::records as rec;
use crate::StoreError;

#[async_trait::async_trait]
impl Staffing for Aws {
    async fn accept(&self, req: &AcceptRequest) -> Result<AcceptOutcome, StoreError> {
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
                .expression_attribute_values(":completed", s(CharterStatus::Completed.as_str()));
            charter = match o.role {
                Role::Captain => charter
                    .update_expression(CAPTAIN_UPDATE)
                    .condition_expression(CAPTAIN_CONDITION)
                    .expression_attribute_values(":empty", s("")),
                Role::Crew { .. } => charter
                    .update_expression(CREW_UPDATE)
                    .condition_expression(CREW_CONDITION)
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
            let items = vec![
                TransactWriteItem::builder().put(put_hold).build(),
                TransactWriteItem::builder()
                    .update(charter.build().map_err(bad)?)
                    .build(),
                TransactWriteItem::builder().update(offer).build(),
                TransactWriteItem::builder()
                    .update(self.load_update(&o.crew_id, o.charter_date.month(), 1)?)
                    .build(),
            ];
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
                Err(e) if is_cancelled(&e) => {
                    // Find which condition failed by reading the three items.
                    let current = Offers::get(self, &o.charter_id, &o.offer_id).await?;
                    match current {
                        None => return Ok(AcceptOutcome::CharterClosed),
                        Some(c) if c.status != OfferStatus::Open => {
                            return Ok(AcceptOutcome::OfferNotOpen(c.status))
                        }
                        Some(_) => {}
                    }
                    match self.get_charter_by_key(&req.charter_key).await? {
                        None => return Ok(AcceptOutcome::CharterClosed),
                        Some(c) => {
                            if let Some(why) = accept_rejection(&c, o, req.crew_needed) {
                                return Ok(why);
                            }
                        }
                    }
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
