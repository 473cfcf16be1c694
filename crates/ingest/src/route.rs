//! Change records → domain events. Pure: no I/O, tested without a runtime.
//!
//! | change | event |
//! |---|---|
//! | INSERT of an open charter with no captain | [`DomainEvent::CharterBooked`] (start the captain cascade) |
//! | INSERT with a captain already set, or MODIFY where the captain became set | [`DomainEvent::CaptainSet`] (start the crew cascades) |
//! | MODIFY where the status became `cancelled` | [`DomainEvent::CharterReleased`] |
//! | MODIFY of an open charter whose date changed | [`DomainEvent::CharterMoved`] (withdraw its offers, move its holds) |
//! | REMOVE | [`DomainEvent::CharterReleased`] |
//!
//! Anything else (tips edited, crew added, status `staffed`) routes to nothing.

use dispatch_core::domain::{Charter, CharterDate, CharterStatus};
use dispatch_core::item::ItemError;
use dispatch_core::ports::{ChangeKind, ChangeRecord};

/// Why a charter is released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseReason {
    Cancelled,
    Removed,
}

/// What happened to a charter, in the domain's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    /// A new charter needs a captain.
    CharterBooked(Charter),
    /// The charter has its captain: crew slots can be offered.
    CaptainSet(Charter),
    /// Holds must be released and open offers revoked.
    CharterReleased {
        charter: Charter,
        reason: ReleaseReason,
    },
    /// The charter's date changed (`from` → its date): offers made for `from` are withdrawn,
    /// holds on `from` (of `was_assigned`, its crew before the change) released.
    CharterMoved {
        charter: Charter,
        from: CharterDate,
        was_assigned: Vec<dispatch_core::domain::CrewId>,
    },
}

impl DomainEvent {
    pub fn charter(&self) -> &Charter {
        match self {
            Self::CharterBooked(c)
            | Self::CaptainSet(c)
            | Self::CharterReleased { charter: c, .. }
            | Self::CharterMoved { charter: c, .. } => c,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Self::CharterBooked(_) => "charter_booked",
            Self::CaptainSet(_) => "captain_set",
            Self::CharterReleased { .. } => "charter_released",
            Self::CharterMoved { .. } => "charter_moved",
        }
    }
}

/// A change record that cannot be routed (never worth a retry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("{0} record has no {1} image (the stream must be NEW_AND_OLD_IMAGES)")]
    MissingImage(&'static str, &'static str),
    #[error(transparent)]
    BadRecord(#[from] ItemError),
}

fn open(c: &Charter) -> bool {
    matches!(c.status, CharterStatus::Booked | CharterStatus::Staffed)
}

/// Routes one change record.
pub fn route(record: &ChangeRecord) -> Result<Vec<DomainEvent>, RouteError> {
    let image = |which: &'static str,
                 img: &Option<dispatch_core::item::Item>|
     -> Result<Charter, RouteError> {
        let item = img
            .as_ref()
            .ok_or(RouteError::MissingImage(record.kind.as_str(), which))?;
        Ok(Charter::from_item(item)?)
    };
    Ok(match record.kind {
        ChangeKind::Insert => {
            let new = image("new", &record.new_image)?;
            if !open(&new) {
                vec![]
            } else if new.captain_assigned.is_some() {
                vec![DomainEvent::CaptainSet(new)]
            } else {
                vec![DomainEvent::CharterBooked(new)]
            }
        }
        ChangeKind::Modify => {
            let old = image("old", &record.old_image)?;
            let new = image("new", &record.new_image)?;
            if new.status == CharterStatus::Cancelled && old.status != CharterStatus::Cancelled {
                vec![DomainEvent::CharterReleased {
                    charter: new,
                    reason: ReleaseReason::Cancelled,
                }]
            } else if old.captain_assigned.is_none() && new.captain_assigned.is_some() && open(&new)
            {
                vec![DomainEvent::CaptainSet(new)]
            } else if old.charter_date != new.charter_date && open(&new) {
                vec![DomainEvent::CharterMoved {
                    from: old.charter_date,
                    was_assigned: old
                        .captain_assigned
                        .iter()
                        .chain(old.crew_assigned.iter())
                        .cloned()
                        .collect(),
                    charter: new,
                }]
            } else {
                vec![]
            }
        }
        ChangeKind::Remove => {
            let old = image("old", &record.old_image)?;
            if old.status == CharterStatus::Cancelled {
                vec![] // already released when it was cancelled
            } else {
                vec![DomainEvent::CharterReleased {
                    charter: old,
                    reason: ReleaseReason::Removed,
                }]
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch_core::domain::{CharterDate, CharterId, CrewId, Money};

    fn charter() -> Charter {
        Charter {
            charter_id: CharterId::new_random(),
            created_at: "2024-04-01T00:00:00Z".into(),
            charter_date: CharterDate::parse("2024-05-03").unwrap(),
            vessel_name: "V".into(),
            captain_assigned: None,
            crew_assigned: vec![],
            guest_count: 3,
            guest_names: vec![],
            reportable_revenue: Money::ZERO,
            tips: Money::ZERO,
            status: CharterStatus::Booked,
            crew_needed: None,
        }
    }

    fn rec(kind: ChangeKind, old: Option<&Charter>, new: Option<&Charter>) -> ChangeRecord {
        ChangeRecord {
            event_id: "e".into(),
            kind,
            shard_id: "s".into(),
            sequence: "1".into(),
            keys: Default::default(),
            old_image: old.map(Charter::to_item),
            new_image: new.map(Charter::to_item),
            created_at: None,
        }
    }

    #[test]
    fn routes_the_four_cases() {
        let c = charter();
        assert_eq!(
            route(&rec(ChangeKind::Insert, None, Some(&c))).unwrap(),
            vec![DomainEvent::CharterBooked(c.clone())]
        );
        let mut with_captain = c.clone();
        with_captain.captain_assigned = Some(CrewId::parse("cap").unwrap());
        assert_eq!(
            route(&rec(ChangeKind::Modify, Some(&c), Some(&with_captain))).unwrap(),
            vec![DomainEvent::CaptainSet(with_captain.clone())]
        );
        let mut cancelled = with_captain.clone();
        cancelled.status = CharterStatus::Cancelled;
        assert_eq!(
            route(&rec(
                ChangeKind::Modify,
                Some(&with_captain),
                Some(&cancelled)
            ))
            .unwrap(),
            vec![DomainEvent::CharterReleased {
                charter: cancelled.clone(),
                reason: ReleaseReason::Cancelled
            }]
        );
        assert_eq!(
            route(&rec(ChangeKind::Remove, Some(&with_captain), None)).unwrap(),
            vec![DomainEvent::CharterReleased {
                charter: with_captain.clone(),
                reason: ReleaseReason::Removed
            }]
        );
    }

    #[test]
    fn a_date_change_of_an_open_charter_is_a_move() {
        let mut c = charter();
        c.captain_assigned = Some(CrewId::parse("cap").unwrap());
        let mut moved = c.clone();
        moved.charter_date = CharterDate::parse("2024-05-10").unwrap();
        let events = route(&rec(ChangeKind::Modify, Some(&c), Some(&moved))).unwrap();
        assert_eq!(
            events,
            vec![DomainEvent::CharterMoved {
                charter: moved.clone(),
                from: c.charter_date,
                was_assigned: vec![CrewId::parse("cap").unwrap()],
            }]
        );
        let job = crate::sink::job_for(&events[0]);
        assert_eq!(job.kind, dispatch_core::domain::JobKind::Reconcile);
        assert_eq!(
            job.key,
            format!("charter_moved#{}#2024-05-03#2024-05-10", c.charter_id)
        );
        assert_eq!(job.payload["moved_from"], "2024-05-03");
        assert_eq!(job.payload["assigned"], serde_json::json!(["cap"]));
        // A cancelled one is not moved: it is released, or nothing.
        let mut closed = moved.clone();
        closed.status = CharterStatus::Completed;
        assert!(
            route(&rec(ChangeKind::Modify, Some(&closed), Some(&closed)))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn other_changes_route_to_nothing() {
        let c = charter();
        let mut tipped = c.clone();
        tipped.tips = Money::parse("10").unwrap();
        assert!(route(&rec(ChangeKind::Modify, Some(&c), Some(&tipped)))
            .unwrap()
            .is_empty());
        let mut cancelled = c.clone();
        cancelled.status = CharterStatus::Cancelled;
        assert!(route(&rec(ChangeKind::Insert, None, Some(&cancelled)))
            .unwrap()
            .is_empty());
        assert!(route(&rec(ChangeKind::Remove, Some(&cancelled), None))
            .unwrap()
            .is_empty());
        assert!(
            route(&rec(ChangeKind::Modify, Some(&cancelled), Some(&cancelled)))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn bad_records_are_errors_not_panics() {
        assert_eq!(
            route(&rec(ChangeKind::Insert, None, None)).unwrap_err(),
            RouteError::MissingImage("INSERT", "new")
        );
        let mut r = rec(ChangeKind::Insert, None, Some(&charter()));
        r.new_image.as_mut().unwrap().remove("charter_date");
        assert!(
            matches!(route(&r), Err(RouteError::BadRecord(e)) if e.attribute == "charter_date")
        );
    }
}
