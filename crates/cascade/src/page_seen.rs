//! Which of a member's offers their page reads, and reading them: every offer the page can show
//! (the one they came by, and those of charters from today on that are open, accepted or
//! withdrawn), each with its charter and the names aboard. Offers the page never shows
//! (declined or lapsed ones, past days) cost no read, so the page's reads grow with what it
//! shows, not with the member's history; after an accept, their other open offers that day are
//! being withdrawn (the worker's reconcile) and are not shown as answerable.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use dispatch_core::domain::{
    Charter, CharterDate, CharterId, CharterStatus, CrewId, CrewMember, Offer, OfferId, OfferStatus,
};

use crate::facts::facts_for;
use crate::words::CharterFacts;
use crate::{Cascade, CascadeError};

/// One offer with what the page needs to say about it.
pub(crate) struct Seen {
    pub(crate) offer: Offer,
    pub(crate) charter: Charter,
    pub(crate) facts: CharterFacts,
}

/// Whether the page reads `o`'s charter: `focus` is the offer of the link they came by,
/// `accepted` an offer they accepted just now.
fn shown(o: &Offer, focus: Option<&OfferId>, accepted: Option<&Offer>, today: CharterDate) -> bool {
    if focus == Some(&o.offer_id) {
        return true;
    }
    if o.charter_date < today || matches!(o.status, OfferStatus::Declined | OfferStatus::Lapsed) {
        return false;
    }
    !accepted.is_some_and(|a| {
        o.status == OfferStatus::Open
            && o.charter_date == a.charter_date
            && o.charter_id != a.charter_id
    })
}

impl Cascade {
    /// The offers `member`'s page shows, read with their charters, oldest charter first; and for
    /// each charter when its newest offer to them was made (an older withdrawn one is not
    /// shown as withdrawn).
    pub(crate) async fn seen(
        &self,
        member: &CrewMember,
        focus: Option<&OfferId>,
        accepted: Option<&Offer>,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Seen>, HashMap<CharterId, DateTime<Utc>>), CascadeError> {
        let today = self.cfg.zone.today(now);
        let offers = self.backend.offers.for_crew(&member.crew_id).await?;
        let mut newest: HashMap<CharterId, DateTime<Utc>> = HashMap::new();
        for o in &offers {
            let at = newest.entry(o.charter_id.clone()).or_insert(o.created_at);
            *at = (*at).max(o.created_at);
        }
        let mut seen = Vec::new();
        for o in offers {
            if !shown(&o, focus, accepted, today) {
                continue;
            }
            let Some(c) = self.backend.charters.get(&o.charter_id).await? else {
                continue;
            };
            let facts = facts_for(self, &c, member).await?;
            seen.push(Seen {
                offer: o,
                charter: c,
                facts,
            });
        }
        seen.sort_by(|a, b| {
            (a.charter.charter_date, a.offer.created_at)
                .cmp(&(b.charter.charter_date, b.offer.created_at))
        });
        Ok((seen, newest))
    }
}

/// The days of `window` the member is on a charter, from their accepted offers as read.
pub(crate) fn booked_of(
    seen: &[Seen],
    crew: &CrewId,
    window: &[CharterDate],
) -> BTreeSet<CharterDate> {
    seen.iter()
        .filter(|s| {
            s.offer.status == OfferStatus::Accepted && window.contains(&s.offer.charter_date)
        })
        .filter(|s| {
            let c = &s.charter;
            (c.captain_assigned.as_ref() == Some(crew) || c.crew_assigned.contains(crew))
                && c.status != CharterStatus::Cancelled
        })
        .map(|s| s.charter.charter_date)
        .collect()
}
