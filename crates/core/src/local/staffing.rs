//! The staffing port on the embedded store: accepting an offer (the member's roster item and the
//! charter's date checked; hold, assignment count, charter, offer written) in one IMMEDIATE
//! transaction, the charter change fed like any other.

use super::charter_table::{assigned, replace_charter};
use super::db::TxExt;
use super::Local;
use crate::domain::{unfit, Charter, CrewMember, OfferStatus, Role, SlotNeeds};
use crate::ports::{accept_refusal, AcceptOutcome, AcceptRequest, Hold, Staffing};
use crate::records as rec;
use crate::StoreError;

#[async_trait::async_trait]
impl Staffing for Local {
    async fn accept_as(
        &self,
        req: &AcceptRequest,
        needs: Option<&SlotNeeds>,
    ) -> Result<AcceptOutcome, StoreError> {
        let state = self.names.state.clone();
        let charters = self.names.charters.clone();
        let roster = self.names.roster.clone();
        let req = req.clone();
        let needs = needs.cloned();
        self.db
            .tx("accepting offer", move |tx| {
                let o = &req.offer;
                let (opk, osk) = rec::offer_key(&o.charter_id, &o.offer_id);
                let Some(offer_item) = tx.get_item(&state, &opk, &osk)? else {
                    return Ok(AcceptOutcome::CharterClosed);
                };
                let mut offer = rec::offer_from_item(&offer_item)?;
                if offer.status != OfferStatus::Open {
                    return Ok(AcceptOutcome::OfferNotOpen(offer.status));
                }
                let key = &req.charter_key;
                let Some(old) = tx.get_item(&charters, key.charter_id.as_str(), &key.created_at)?
                else {
                    return Ok(AcceptOutcome::CharterClosed);
                };
                let charter = Charter::from_item(&old)?;
                if let Some(why) = accept_refusal(&charter, o, req.crew_needed) {
                    return Ok(why);
                }
                if let Some(needs) = &needs {
                    // The guests as the charter has them now, inside the transaction.
                    let needs = SlotNeeds {
                        guests: charter.guest_count,
                        ..needs.clone()
                    };
                    let member = tx
                        .get_item(&roster, o.crew_id.as_str(), "")?
                        .map(|m| CrewMember::from_item(&m))
                        .transpose()?;
                    if let Some(why) = unfit(member.as_ref(), &needs, o.charter_date) {
                        return Ok(AcceptOutcome::Unfit(why));
                    }
                }
                let (hpk, hsk) = rec::hold_key(&o.crew_id, charter.charter_date);
                if let Some(h) = tx.get_item(&state, &hpk, &hsk)? {
                    return Ok(AcceptOutcome::AlreadyBooked(rec::hold_from_item(&h)?));
                }
                let hold = Hold {
                    crew_id: o.crew_id.clone(),
                    date: charter.charter_date,
                    charter_id: charter.charter_id.clone(),
                    taken_at: req.at,
                };
                tx.put_item(
                    &state,
                    &hpk,
                    &hsk,
                    None,
                    &rec::hold_to_item(&hold),
                    None,
                    false,
                )?;
                tx.add_load(&state, &o.crew_id, charter.charter_date.month(), 1)?;
                let new = assigned(&old, &o.crew_id, matches!(o.role, Role::Captain));
                replace_charter(tx, &charters, key, &new, &old)?;
                offer.status = OfferStatus::Accepted;
                offer.updated_at = req.at;
                tx.put_item(
                    &state,
                    &opk,
                    &osk,
                    None,
                    &rec::offer_to_item(&offer),
                    Some(&offer_item),
                    false,
                )?;
                Ok(AcceptOutcome::Accepted(Charter::from_item(&new)?))
            })
            .await
    }
}
