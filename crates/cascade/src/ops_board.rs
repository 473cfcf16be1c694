//! The ops board (`templates/ops_board.html`): the next 30 days for a signed-in ops person
//! (see [`crate::board`]: sign-in links, sessions), each charter with a link to its actions;
//! or read-only for an older link of scope `ops` (no longer issued; those already mailed work
//! until they expire). The charters that need attention come first, with the names to call
//! (phone numbers as `tel:` links); then every charter by date with its state, whom we wait on
//! and until when. The page refreshes itself every [`crate::board::pages::REFRESH_SECONDS`] (a `Refresh` header,
//! which the person can turn off: `?still=1`).
//!
//! This module reads the board and shapes what it says; the template lays it out and escapes
//! it; the handlers are in `web/ops.rs`.

use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};
use dispatch_core::domain::{CharterDate, CharterId};
use dispatch_core::zone::{format_date, BusinessZone};

use std::collections::HashMap;

use dispatch_core::domain::CrewId;

use crate::board::pages::Named;
use crate::overview::{Overview, Person};
use crate::reconcile::Cascade;

/// Days the board shows, today included.
pub const BOARD_DAYS: u32 = 30;

impl Cascade {
    /// The board's charters: from `today` for [`BOARD_DAYS`], those needing attention first.
    pub async fn board(&self, today: CharterDate) -> Result<Vec<Overview>, crate::CascadeError> {
        let last = today
            .naive()
            .checked_add_days(chrono::Days::new(u64::from(BOARD_DAYS - 1)))
            .map(CharterDate::from_naive)
            .unwrap_or(today);
        let mut all = self.overviews(today, last).await?;
        // Stable: by date within each group.
        all.sort_by_key(|o| !o.needs_attention());
        Ok(all)
    }
}

/// The ops board page.
#[derive(Template, WebTemplate)]
#[template(path = "ops_board.html")]
pub(crate) struct OpsBoard {
    title: &'static str,
    /// Charters on the board.
    count: usize,
    /// The first day shown (`Sat 5 Jun 2027`).
    from: String,
    days: u32,
    /// When the board was read, in the business's zone.
    as_of: String,
    /// The signed-in address; `None`: an older read-only link.
    signed_in: Option<String>,
    /// `/ops` under the public URL's path.
    base: String,
    refresh: u32,
    attention: Vec<Card>,
    rest: Vec<Card>,
}

/// One charter on the board.
pub(crate) struct Card {
    charter_id: CharterId,
    needs_attention: bool,
    date: String,
    vessel: String,
    status: &'static str,
    /// Why it needs attention, naming whom to call.
    why: Vec<String>,
    captain: Vec<Named>,
    crew: Vec<Named>,
    crew_count: usize,
    crew_needed: u32,
    guests: u32,
    waiting: Vec<Waiting>,
}

/// Whom a charter waits on.
pub(crate) struct Waiting {
    who: Named,
    role: String,
    /// When the offer lapses, in the business's zone.
    until: String,
    overdue: bool,
    /// Its mail has not gone out yet: retried since this time (business zone, `HH:MM TZ`).
    undelivered_since: Option<String>,
}

/// How the board is seen: by whom, under which path, with whose phone numbers.
pub(crate) struct View {
    pub(crate) signed_in: Option<String>,
    pub(crate) base: String,
    pub(crate) phones: HashMap<CrewId, String>,
    /// Seconds between refreshes; 0: the person turned them off.
    pub(crate) refresh: u32,
}

impl View {
    pub(crate) fn named(&self, p: &Person) -> Named {
        Named::new(&p.name, self.phones.get(&p.crew_id).map(String::as_str))
    }
}

fn card(zone: &BusinessZone, o: &Overview, view: &View) -> Card {
    Card {
        charter_id: o.charter_id.clone(),
        needs_attention: o.needs_attention(),
        date: format_date(o.charter_date),
        vessel: o.vessel.clone(),
        status: o.status.as_str(),
        why: o.attention.clone(),
        captain: o.captain.iter().map(|p| view.named(p)).collect(),
        crew: o.crew.iter().map(|p| view.named(p)).collect(),
        crew_count: o.crew.len(),
        crew_needed: o.crew_needed,
        guests: o.guest_count,
        waiting: o
            .waiting
            .iter()
            .map(|w| Waiting {
                who: view.named(&w.who),
                role: w.role.clone(),
                until: zone.format_time(w.until),
                overdue: w.overdue,
                undelivered_since: w.undelivered_since.map(|t| zone.format_clock(t)),
            })
            .collect(),
    }
}

/// The board page of `board` (as [`Cascade::board`] orders it), read at `now`.
pub(crate) fn page(
    zone: &BusinessZone,
    today: CharterDate,
    now: DateTime<Utc>,
    board: &[Overview],
    view: &View,
) -> OpsBoard {
    let (attention, rest): (Vec<&Overview>, Vec<&Overview>) =
        board.iter().partition(|o| o.needs_attention());
    OpsBoard {
        title: "Ops board",
        count: board.len(),
        from: format_date(today),
        days: BOARD_DAYS,
        as_of: zone.format_time(now),
        signed_in: view.signed_in.clone(),
        base: view.base.clone(),
        refresh: view.refresh,
        attention: attention.into_iter().map(|o| card(zone, o, view)).collect(),
        rest: rest.into_iter().map(|o| card(zone, o, view)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use dispatch_core::domain::{CharterStatus, CrewId};

    use super::*;
    use crate::overview::Waiting as Waits;

    /// An offer whose mail has not gone out reads as such on the board, not as a plain wait.
    #[test]
    fn an_undelivered_offer_says_so_on_the_board() {
        let zone = BusinessZone::utc();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let ana = Person {
            crew_id: CrewId::parse("crew-ana").unwrap(),
            name: "Ana Silva".into(),
        };
        let o = Overview {
            charter_id: CharterId::new_random(),
            charter_date: CharterDate::parse("2027-06-05").unwrap(),
            vessel: "Marlin".into(),
            status: CharterStatus::Booked,
            guest_count: 4,
            captain: None,
            crew: vec![],
            crew_needed: 0,
            waiting: vec![Waits {
                role: "captain".into(),
                who: ana,
                until: at("2027-06-01T10:39:00Z"),
                overdue: false,
                undelivered_since: Some(at("2027-06-01T08:39:00Z")),
            }],
            attention: vec![],
        };
        let view = View {
            signed_in: None,
            base: String::new(),
            phones: HashMap::new(),
            refresh: 0,
        };
        let today = CharterDate::parse("2027-06-01").unwrap();
        let html = page(&zone, today, at("2027-06-01T09:00:00Z"), &[o], &view)
            .render()
            .unwrap();
        assert!(
            html.contains("not delivered yet: retrying since 08:39 UTC"),
            "{html}"
        );
    }
}
