//! The offers port on the embedded store: the offer and its pointer under the member written
//! together, status changes checked and written in one transaction.

use chrono::{DateTime, Utc};

use super::db::TxExt;
use super::unsettled::mark_unsettled_in;
use super::Local;
use crate::domain::{CharterId, CrewId, Offer, OfferId, OfferStatus};
use crate::ports::{OfferOpening, OfferTransition, Offers};
use crate::records as rec;
use crate::StoreError;

#[async_trait::async_trait]
impl Offers for Local {
    /// The offer, its pointer and what `opening` takes along, in one transaction.
    async fn put_opening(
        &self,
        offer: &Offer,
        opening: OfferOpening<'_>,
    ) -> Result<bool, StoreError> {
        let tbl = self.names.state.clone();
        let charters = self.names.charters.clone();
        let item = rec::offer_to_item(offer);
        let pointer = rec::crew_offer_pointer(offer);
        let (pk, sk) = rec::offer_key(&offer.charter_id, &offer.offer_id);
        let (ppk, psk) = rec::crew_offer_key(&offer.crew_id, &offer.charter_id, &offer.offer_id);
        let claim = opening
            .mail_claim
            .map(|c| (rec::idem_key(&c.key), rec::idem_to_item(&c.in_progress())));
        let mark = opening.unsettled.map(|(k, m)| (k.clone(), m.to_string()));
        self.db
            .tx("storing offer", move |tx| {
                if tx.get_item(&tbl, &pk, &sk)?.is_some() {
                    return Ok(false);
                }
                if let Some((key, mark)) = &mark {
                    if !mark_unsettled_in(tx, &charters, key, mark)? {
                        return Ok(false);
                    }
                }
                tx.put_item(&tbl, &pk, &sk, None, &item, None, false)?;
                tx.put_item(&tbl, &ppk, &psk, None, &pointer, None, false)?;
                if let Some(((cpk, csk), claim)) = &claim {
                    let old = tx.get_item(&tbl, cpk, csk)?;
                    tx.put_item(&tbl, cpk, csk, None, claim, old.as_ref(), false)?;
                }
                Ok(true)
            })
            .await
    }

    async fn for_crew(&self, crew: &CrewId) -> Result<Vec<Offer>, StoreError> {
        let tbl = self.names.state.clone();
        let pk = rec::crew_offers_pk(crew);
        let offers = self
            .db
            .tx("reading a member's offers", move |tx| {
                let mut out = Vec::new();
                for p in tx.query_items(&tbl, &pk, Some(rec::OFFER_SK_PREFIX))? {
                    let (c, o) = rec::pointer_target(&p)?;
                    let (opk, osk) = rec::offer_key(&c, &o);
                    if let Some(item) = tx.get_item(&tbl, &opk, &osk)? {
                        out.push(rec::offer_from_item(&item)?);
                    }
                }
                Ok(out)
            })
            .await?;
        let mut offers = offers;
        offers.sort_by(|a, b| (a.created_at, &a.offer_id).cmp(&(b.created_at, &b.offer_id)));
        Ok(offers)
    }

    async fn get(&self, charter: &CharterId, offer: &OfferId) -> Result<Option<Offer>, StoreError> {
        let tbl = self.names.state.clone();
        let (pk, sk) = rec::offer_key(charter, offer);
        let item = self
            .db
            .tx("reading offer", move |tx| tx.get_item(&tbl, &pk, &sk))
            .await?;
        item.as_ref()
            .map(rec::offer_from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn for_charter(&self, charter: &CharterId) -> Result<Vec<Offer>, StoreError> {
        let tbl = self.names.state.clone();
        let pk = rec::offers_pk(charter);
        let items = self
            .db
            .tx("reading offers", move |tx| {
                tx.query_items(&tbl, &pk, Some(rec::OFFER_SK_PREFIX))
            })
            .await?;
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
        let tbl = self.names.state.clone();
        let (pk, sk) = rec::offer_key(charter, offer);
        self.db
            .tx("updating offer", move |tx| {
                let Some(item) = tx.get_item(&tbl, &pk, &sk)? else {
                    return Ok(OfferTransition::NotFound);
                };
                let mut offer = rec::offer_from_item(&item)?;
                if offer.status != from {
                    return Ok(OfferTransition::Conflict(offer));
                }
                offer.status = to;
                offer.updated_at = at;
                tx.put_item(
                    &tbl,
                    &pk,
                    &sk,
                    None,
                    &rec::offer_to_item(&offer),
                    Some(&item),
                    false,
                )?;
                Ok(OfferTransition::Done(offer))
            })
            .await
    }
}
