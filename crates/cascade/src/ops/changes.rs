//! What an ops command changed, in words for the person who gave it, and the thread entry that
//! records who gave it ([`By`]): the offers made, withdrawn or lapsed, read as the difference
//! between the charter's offers before and after the command.

use std::collections::HashMap;

use dispatch_core::domain::{CharterId, CrewId, EmailAddress, Offer, OfferStatus, ThreadKind};

use crate::deliver::note;
use crate::keys::EntryId;
use crate::notes::entry;
use crate::service::{Cascade, CascadeError};

/// Who gave an ops command: it is recorded in the charter's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum By {
    /// `dispatch charter …` on the command line.
    Cli,
    /// A signed-in ops person on the board.
    Board(EmailAddress),
}

impl std::fmt::Display for By {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            By::Cli => f.write_str("the dispatch CLI"),
            By::Board(a) => write!(f, "{a} on the ops board"),
        }
    }
}

/// Records in the thread that `by` did `what` (`key`: a short word for the entry id).
pub(super) async fn record(
    cx: &Cascade,
    id: &CharterId,
    by: &By,
    key: &str,
    member: Option<&CrewId>,
    what: &str,
) -> Result<(), CascadeError> {
    let now = cx.now();
    let e = entry(
        id,
        EntryId::acted(key, now.timestamp_millis()),
        now,
        ThreadKind::Note,
        member,
        format!("{what} (by {by})"),
    );
    note(cx, e).await
}

/// The changes from `before` to `after` (the charter's offers), one line each: offers made,
/// withdrawn, lapsed. Offers ops put someone on by hand are the command's own summary.
pub fn offer_changes(
    before: &[Offer],
    after: &[Offer],
    name: impl Fn(&CrewId) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    for o in after {
        let was = before.iter().find(|b| b.offer_id == o.offer_id);
        let who = name(&o.crew_id);
        match (was.map(|b| b.status), o.status) {
            (None, OfferStatus::Open) => out.push(format!("offered {} to {who} (mailed)", o.role)),
            (Some(OfferStatus::Open) | None, OfferStatus::Revoked) => out.push(format!(
                "withdrew the {} offer to {who}; they are told it is no longer available",
                o.role
            )),
            (Some(OfferStatus::Open), OfferStatus::Lapsed) => {
                out.push(format!("the {} offer to {who} lapsed", o.role))
            }
            _ => {}
        }
    }
    out
}

/// Members' names by id (the roster as it is now), for [`offer_changes`]: a member who left
/// the roster is named by id.
pub(super) async fn names(cx: &Cascade) -> Result<impl Fn(&CrewId) -> String, CascadeError> {
    let roster: HashMap<CrewId, String> = cx
        .backend
        .roster
        .list()
        .await?
        .items
        .into_iter()
        .map(|m| (m.crew_id, m.name))
        .collect();
    Ok(move |c: &CrewId| roster.get(c).cloned().unwrap_or_else(|| c.to_string()))
}

/// The charter's offers now (for [`offer_changes`]).
pub(super) async fn offers(cx: &Cascade, id: &CharterId) -> Result<Vec<Offer>, CascadeError> {
    Ok(cx.backend.offers.for_charter(id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use dispatch_core::domain::{CharterDate, OfferId, Role};

    fn offer(n: u8, who: &str, status: OfferStatus) -> Offer {
        let now = Utc::now();
        Offer {
            offer_id: OfferId::parse(&format!("1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b{n:02x}"))
                .unwrap(),
            charter_id: CharterId::parse("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap(),
            charter_date: CharterDate::parse("2024-05-03").unwrap(),
            crew_id: CrewId::parse(who).unwrap(),
            role: Role::Crew { slot: 0 },
            status,
            created_at: now,
            expires_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn names_who_was_offered_and_whose_offer_went() {
        let before = vec![offer(1, "ana", OfferStatus::Open)];
        let after = vec![
            offer(1, "ana", OfferStatus::Revoked),
            offer(2, "ben", OfferStatus::Accepted),
            offer(3, "cy", OfferStatus::Open),
        ];
        let lines = offer_changes(&before, &after, |c| c.to_string().to_uppercase());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("offer to ANA") && lines[0].contains("no longer available"));
        assert!(lines[1].starts_with("offered") && lines[1].contains("CY"));
    }
}
