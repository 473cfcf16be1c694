//! The offers port on DynamoDB: offer items under their charter, pointer items under the member,
//! and the conditional status change.

use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Utc};

use super::client::Aws;
use super::convert::{from_sdk, s, to_sdk};
use super::errors::{classify, is_condition_failed};
use super::state_table::key;
use crate::domain::{CharterId, CrewId, Offer, OfferId, OfferStatus};
use crate::ports::{OfferOpening, OfferTransition, Offers};
use crate::records as rec;
use crate::retry::retrying;
use crate::StoreError;

#[async_trait::async_trait]
impl Offers for Aws {
    /// The offer and the member's pointer to it in one transaction (one request, not two): the
    /// offer only if it is new; with it, what `opening` takes along (the mail's claim, the
    /// charter's index mark, see [`OfferOpening`]). A cancelled transaction (the offer exists,
    /// the charter is gone, or a concurrent write) stores nothing and answers `false`: the
    /// reconcile reads again.
    async fn put_opening(
        &self,
        offer: &Offer,
        opening: OfferOpening<'_>,
    ) -> Result<bool, StoreError> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
        let table = self.state_table();
        let bad = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
        let put = |item, condition: Option<&str>| {
            Put::builder()
                .table_name(&table)
                .set_item(Some(to_sdk(item)))
                .set_condition_expression(condition.map(str::to_string))
                .build()
                .map_err(bad)
                .map(|p| TransactWriteItem::builder().put(p).build())
        };
        let mut items = vec![
            put(rec::crew_offer_pointer(offer), None)?,
            put(rec::offer_to_item(offer), Some("attribute_not_exists(pk)"))?,
        ];
        if let Some(claim) = opening.mail_claim {
            items.push(put(rec::idem_to_item(&claim.in_progress()), None)?);
        }
        if let Some((charter, mark)) = opening.unsettled {
            items.push(self.mark_unsettled_write(charter, mark)?);
        }
        self.transact_state(items, "storing offer").await
    }

    async fn for_crew(&self, crew: &CrewId) -> Result<Vec<Offer>, StoreError> {
        let table = self.state_table();
        let mut pointers = Vec::new();
        let mut pages = self
            .ddb
            .query()
            .table_name(&table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :offer)")
            .expression_attribute_values(":pk", s(rec::crew_offers_pk(crew)))
            .expression_attribute_values(":offer", s(rec::OFFER_SK_PREFIX))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| classify(&format!("reading offers of member {crew}"), e))?;
            pointers.extend(page.items.unwrap_or_default().into_iter().map(from_sdk));
        }
        // One BatchGetItem per 100 offers, not a GetItem each: the crew page reads them all.
        let keys = pointers
            .iter()
            .map(|p| rec::pointer_target(p).map(|(c, o)| rec::offer_key(&c, &o)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut offers = self
            .batch_get_state(keys, "offers")
            .await?
            .iter()
            .map(rec::offer_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        offers.sort_by(|a, b| (a.created_at, &a.offer_id).cmp(&(b.created_at, &b.offer_id)));
        Ok(offers)
    }

    async fn get(&self, charter: &CharterId, offer: &OfferId) -> Result<Option<Offer>, StoreError> {
        let (pk, sk) = rec::offer_key(charter, offer);
        let item = self.get_state(pk, sk, "offer").await?;
        item.as_ref()
            .map(rec::offer_from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn for_charter(&self, charter: &CharterId) -> Result<Vec<Offer>, StoreError> {
        let table = self.state_table();
        let mut items = Vec::new();
        let mut pages = self
            .ddb
            .query()
            .table_name(&table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :offer)")
            .expression_attribute_values(":pk", s(rec::offers_pk(charter)))
            .expression_attribute_values(":offer", s(rec::OFFER_SK_PREFIX))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&format!("reading offers of {charter}"), e))?;
            items.extend(page.items.unwrap_or_default().into_iter().map(from_sdk));
        }
        let mut offers = items
            .iter()
            .map(rec::offer_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        offers.sort_by(|a, b| (a.created_at, &a.offer_id).cmp(&(b.created_at, &b.offer_id)));
        Ok(offers)
    }

    async fn transition(
        &self,
        charter: &CharterId,
        offer: &OfferId,
        from: OfferStatus,
        to: OfferStatus,
        at: DateTime<Utc>,
    ) -> Result<OfferTransition, StoreError> {
        let table = self.state_table();
        let (pk, sk) = rec::offer_key(charter, offer);
        let res = retrying(|| async {
            match self
                .ddb
                .update_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .update_expression("SET #st = :to, updated_at = :at")
                .condition_expression("#st = :from")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":to", s(to.as_str()))
                .expression_attribute_values(":from", s(from.as_str()))
                .expression_attribute_values(
                    ":at",
                    s(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                )
                .return_values(ReturnValue::AllNew)
                .send()
                .await
            {
                Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
                Err(e) if is_condition_failed(&e) => Ok(None),
                Err(e) => Err(classify(&format!("updating offer {offer}"), e)),
            }
        })
        .await?;
        match res {
            Some(item) => Ok(OfferTransition::Done(rec::offer_from_item(&from_sdk(
                item,
            ))?)),
            None => match self.get_state(pk, sk, "offer").await? {
                None => Ok(OfferTransition::NotFound),
                Some(item) => Ok(OfferTransition::Conflict(rec::offer_from_item(&item)?)),
            },
        }
    }
}
