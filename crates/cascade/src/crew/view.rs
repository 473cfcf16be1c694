//! What the member's page shows of what they can do themselves: "I can't make it" on each
//! upcoming charter (or where that stands), and the availability form for the next
//! [`AVAILABILITY_DAYS`] days. The page's forms post to `/p/{token}/…` with a page token minted
//! from the link the member came by (never outliving it) and its form guard.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use dispatch_core::domain::{CharterDate, CharterId, CrewMember, OfferId};
use dispatch_core::zone::format_date;

use crate::crew::give_back::inside_cutoff;
use crate::keys::EntryId;
use crate::service::{Cascade, CascadeError};
use crate::tokens::Claims;

/// How many days ahead the member marks their availability.
pub const AVAILABILITY_DAYS: i64 = 90;

/// Where the page's own forms post and the guard they carry.
pub(crate) struct Forms {
    /// `{base path}/p/{token}/cant-make-it`.
    pub(crate) drop: String,
    /// `{base path}/p/{token}/availability`.
    pub(crate) availability: String,
    pub(crate) guard: String,
}

/// What "I can't make it" looks like on an upcoming charter.
pub(crate) enum DropState {
    /// The form (charter and offer ids go in hidden fields).
    Form { charter: CharterId, offer: OfferId },
    /// Asked already: still theirs until someone takes it.
    Asked,
    /// Inside the cut-off: call the office.
    CallOffice,
}

/// One day of the availability form.
pub(crate) struct Day {
    /// `2027-06-05`: the checkbox's name is `d2027-06-05`.
    pub(crate) value: String,
    /// `Sat 5 Jun 2027`.
    pub(crate) label: String,
    pub(crate) available: bool,
    /// Booked on a charter that day: shown, not changeable here.
    pub(crate) booked: bool,
}

/// The days of the availability form from `today`.
pub fn window(today: CharterDate) -> Vec<CharterDate> {
    let mut out = Vec::new();
    let mut d = today.naive();
    for _ in 0..AVAILABILITY_DAYS {
        if let Ok(cd) = CharterDate::parse(&d.format("%Y-%m-%d").to_string()) {
            out.push(cd);
        }
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    out
}

impl Cascade {
    /// The page's forms for the holder of `source`.
    pub(crate) fn page_forms(&self, source: &Claims, now: DateTime<Utc>) -> Forms {
        let links = self.link_maker();
        let link = links.page_from(source, now);
        let token = link.rsplit('/').next().unwrap_or_default();
        Forms {
            guard: self.links.form_guard(token),
            drop: links.page_action(token, "cant-make-it"),
            availability: links.page_action(token, "availability"),
        }
    }

    /// "I can't make it" on an upcoming charter the member is on.
    pub(crate) async fn drop_state(
        &self,
        c: &dispatch_core::domain::Charter,
        offer: &OfferId,
        now: DateTime<Utc>,
    ) -> Result<DropState, CascadeError> {
        let asked = EntryId::dropped(offer);
        let thread = self.backend.thread.list(&c.charter_id).await?;
        Ok(if thread.iter().any(|e| e.id == asked.as_str()) {
            DropState::Asked
        } else {
            self.fresh_drop_state(c, offer, now)
        })
    }

    /// [`Self::drop_state`] of an offer accepted just now: nothing asked yet, so no thread read.
    pub(crate) fn fresh_drop_state(
        &self,
        c: &dispatch_core::domain::Charter,
        offer: &OfferId,
        now: DateTime<Utc>,
    ) -> DropState {
        if inside_cutoff(self, c, now) {
            DropState::CallOffice
        } else {
            DropState::Form {
                charter: c.charter_id.clone(),
                offer: offer.clone(),
            }
        }
    }
}

/// The availability form's days for `m` from `today`; `booked`: days they are on a charter.
pub(crate) fn days(m: &CrewMember, today: CharterDate, booked: &BTreeSet<CharterDate>) -> Vec<Day> {
    window(today)
        .into_iter()
        .map(|d| Day {
            value: d.to_string(),
            label: format_date(d),
            available: m.is_available(d),
            booked: booked.contains(&d),
        })
        .collect()
}
