//! A roster import reconciles only the charters whose candidates it changed (#25 item 7): the
//! members as stored before the import are compared with those imported, and only the dates on
//! which some member became askable or stopped being askable (added, removed from or put on a
//! date, made active or inactive, certified or not) are looked at. An open offer to a member who
//! stopped fitting is on a charter of one of those dates, so no per-member read of offers is
//! needed. The charters of those dates are reconciled in batches sharing one roster.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use dispatch_core::domain::{CharterDate, CharterStatus, CrewId, CrewMember};
use tracing::Instrument;

use crate::jobs::SWEEP_DAYS;
use crate::service::{Cascade, CascadeError};
use crate::snapshot;
use crate::sweep::{reconcile_shared, SweepReport};

/// The dates on which the change from `before` (`None`: a new member) to `after` changes
/// whether they can be asked.
pub fn changed_dates(before: Option<&CrewMember>, after: &CrewMember) -> BTreeSet<CharterDate> {
    let askable = |m: &CrewMember| -> BTreeSet<CharterDate> {
        if m.active {
            m.available_dates.iter().copied().collect()
        } else {
            BTreeSet::new()
        }
    };
    let now = askable(after);
    let Some(before) = before else {
        return now;
    };
    let was = askable(before);
    let same_fit = before.active == after.active
        && before.captain_certified == after.captain_certified
        && before.certifications == after.certifications;
    if same_fit {
        was.symmetric_difference(&now).copied().collect()
    } else {
        was.union(&now).copied().collect()
    }
}

/// The dates any of `after` changed on, against the roster as stored `before` the import.
pub fn affected_dates(before: &[CrewMember], after: &[CrewMember]) -> BTreeSet<CharterDate> {
    let stored: HashMap<&CrewId, &CrewMember> = before.iter().map(|m| (&m.crew_id, m)).collect();
    after
        .iter()
        .flat_map(|m| changed_dates(stored.get(&m.crew_id).copied(), m))
        .collect()
}

/// After an import of `after` over the roster as it was (`before`): reconciles the open
/// charters from `today` for [`SWEEP_DAYS`] days on the dates whose candidates changed.
pub async fn reconcile_for_import(
    cx: &Cascade,
    before: &[CrewMember],
    after: &[CrewMember],
    today: CharterDate,
) -> Result<SweepReport, CascadeError> {
    let end = today
        .naive()
        .checked_add_days(chrono::Days::new(u64::from(SWEEP_DAYS)));
    let dates: Vec<CharterDate> = affected_dates(before, after)
        .into_iter()
        .filter(|d| *d >= today && end.is_none_or(|e| d.naive() < e))
        .collect();
    let span = tracing::info_span!("roster_import", members = after.len(), dates = dates.len());
    async {
        let mut report = SweepReport::default();
        if dates.is_empty() {
            return Ok(report);
        }
        let roster: Arc<[CrewMember]> = cx.backend.roster.list().await?.items.into();
        // Date by date (bounded memory: one date's charters at a time), each date's charters
        // in concurrent batches, sharing the day's holds and counts (read once: two batched
        // reads for the date, not two per charter over every member free that day).
        for date in dates {
            let listing = cx.backend.charters.on_date(date).await?;
            report.charters += listing.items.len();
            let todo: Vec<_> = listing
                .items
                .iter()
                .filter(|c| c.status == CharterStatus::Booked)
                .map(|c| c.charter_id.clone())
                .collect();
            if todo.is_empty() {
                continue;
            }
            let aboard = listing
                .items
                .iter()
                .flat_map(|c| c.captain_assigned.iter().chain(&c.crew_assigned))
                .cloned();
            let day = snapshot::read_day(cx, date, &roster, aboard).await?;
            let day = Some(Arc::new(day));
            reconcile_shared(
                cx,
                todo,
                roster.clone(),
                day,
                &mut report,
                "the roster import",
            )
            .await;
        }
        Ok(report)
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, active: bool, captain: bool, dates: &[&str]) -> CrewMember {
        CrewMember {
            crew_id: CrewId::parse(id).unwrap(),
            name: id.into(),
            email: dispatch_core::domain::EmailAddress::parse(&format!("{id}@example.com"))
                .unwrap(),
            phone: None,
            captain_certified: captain,
            available_dates: dates
                .iter()
                .map(|d| CharterDate::parse(d).unwrap())
                .collect(),
            certifications: Default::default(),
            active,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        }
    }

    fn ds(dates: &[&str]) -> BTreeSet<CharterDate> {
        dates
            .iter()
            .map(|d| CharterDate::parse(d).unwrap())
            .collect()
    }

    #[test]
    fn only_the_dates_a_member_changed_on_are_affected() {
        let a = m("ana", true, true, &["2027-06-01", "2027-06-02"]);
        // Unchanged, or only their name: nothing.
        assert!(changed_dates(Some(&a), &a).is_empty());
        let mut renamed = a.clone();
        renamed.name = "Ana Silva".into();
        assert!(changed_dates(Some(&a), &renamed).is_empty());
        // A date added and one dropped: those two.
        let moved = m("ana", true, true, &["2027-06-02", "2027-06-03"]);
        assert_eq!(
            changed_dates(Some(&a), &moved),
            ds(&["2027-06-01", "2027-06-03"])
        );
        // No longer certified or active: every date they were or are on.
        let uncert = m("ana", true, false, &["2027-06-02", "2027-06-03"]);
        assert_eq!(
            changed_dates(Some(&a), &uncert),
            ds(&["2027-06-01", "2027-06-02", "2027-06-03"])
        );
        let inactive = m("ana", false, true, &["2027-06-01", "2027-06-02"]);
        assert_eq!(
            changed_dates(Some(&a), &inactive),
            ds(&["2027-06-01", "2027-06-02"])
        );
        // New: their dates; new and inactive: none.
        assert_eq!(changed_dates(None, &a), ds(&["2027-06-01", "2027-06-02"]));
        assert!(changed_dates(None, &inactive).is_empty());
        // Over a roster: the union.
        let b = m("bo", true, true, &["2027-06-09"]);
        assert_eq!(
            affected_dates(&[a.clone(), b.clone()], &[moved, b]),
            ds(&["2027-06-01", "2027-06-03"])
        );
    }
}
