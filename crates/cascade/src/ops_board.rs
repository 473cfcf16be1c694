//! The ops board (`templates/ops_board.html`): a read-only page of the next 30 days for a link
//! of scope `ops` (mailed to `ops_emails` with every escalation; `dispatch ops link` prints a
//! fresh one). The charters that need attention come first, with the names to call; then every
//! charter by date with its state, whom we wait on and until when.
//!
//! This module reads the board and shapes what it says; the template lays it out and escapes
//! it; `GET /ops/{token}` is in [`crate::web`].

use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};
use dispatch_core::domain::{CharterDate, CharterId};
use dispatch_core::zone::{format_date, BusinessZone};

use crate::overview::{Overview, Person};
use crate::reconcile::Cascade;

/// Days the board shows, today included.
pub const BOARD_DAYS: u32 = 30;

impl Cascade {
    /// A fresh link to the ops board, valid for the page-link time (`link_ttl`); built by
    /// [`crate::links::Links::ops`], like the one in the mails to ops.
    pub fn ops_link(&self, now: DateTime<Utc>) -> String {
        self.link_maker().ops(now, self.cfg.link_ttl)
    }

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
    captain: String,
    crew: String,
    crew_count: usize,
    crew_needed: u32,
    guests: u32,
    waiting: Vec<Waiting>,
}

/// Whom a charter waits on.
pub(crate) struct Waiting {
    who: String,
    role: String,
    /// When the offer lapses, in the business's zone.
    until: String,
    overdue: bool,
}

/// Names, or `-` for nobody.
fn names<'a>(people: impl Iterator<Item = &'a Person>) -> String {
    let names: Vec<&str> = people.map(|p| p.name.as_str()).collect();
    if names.is_empty() {
        "-".into()
    } else {
        names.join(", ")
    }
}

fn card(zone: &BusinessZone, o: &Overview) -> Card {
    Card {
        charter_id: o.charter_id.clone(),
        needs_attention: o.needs_attention(),
        date: format_date(o.charter_date),
        vessel: o.vessel.clone(),
        status: o.status.as_str(),
        why: o.attention.clone(),
        captain: names(o.captain.iter()),
        crew: names(o.crew.iter()),
        crew_count: o.crew.len(),
        crew_needed: o.crew_needed,
        guests: o.guest_count,
        waiting: o
            .waiting
            .iter()
            .map(|w| Waiting {
                who: w.who.name.clone(),
                role: w.role.clone(),
                until: zone.format_time(w.until),
                overdue: w.overdue,
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
) -> OpsBoard {
    let (attention, rest): (Vec<&Overview>, Vec<&Overview>) =
        board.iter().partition(|o| o.needs_attention());
    OpsBoard {
        title: "Ops board",
        count: board.len(),
        from: format_date(today),
        days: BOARD_DAYS,
        as_of: zone.format_time(now),
        attention: attention.into_iter().map(|o| card(zone, o)).collect(),
        rest: rest.into_iter().map(|o| card(zone, o)).collect(),
    }
}
