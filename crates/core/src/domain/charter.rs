//! A charter as booked in the `crew-dispatch` table, and its mapping to and from DynamoDB items.
//!
//! Attribute names are the existing table's and are kept. Reading is tolerant: unknown attributes are
//! ignored, `guest_name` (one string) is accepted for `guest_names`, `status` absent means booked. A
//! record of the wrong shape fails with an [`ItemError`] naming its key and the attribute.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{CharterDate, CharterId, CrewId, Money};
use crate::item::{Item, ItemError, Reader, Writer};

/// Attribute names of the `crew-dispatch` table.
pub mod attr {
    pub const CHARTER_ID: &str = "charter_id";
    pub const CREATED_AT: &str = "created_at";
    pub const CHARTER_DATE: &str = "charter_date";
    pub const VESSEL_NAME: &str = "vessel_name";
    pub const CAPTAIN_ASSIGNED: &str = "captain_assigned";
    pub const CREW_ASSIGNED: &str = "crew_assigned";
    pub const GUEST_COUNT: &str = "guest_count";
    pub const GUEST_NAMES: &str = "guest_names";
    pub const GUEST_NAME: &str = "guest_name";
    pub const REPORTABLE_REVENUE: &str = "reportable_revenue";
    pub const TIPS: &str = "tips";
    pub const STATUS: &str = "status";
    pub const CREW_NEEDED: &str = "crew_needed";
    /// The booking system's own reference (S, optional; see [`super::super::BookingRef`]).
    pub const BOOKING_REF: &str = "booking_ref";
    /// The GSI that reads charters by date.
    pub const DATE_INDEX: &str = "charter_date-index";
    /// Present (always `"1"`) only while a charter may need work: the partition key of the
    /// sparse [`UNSETTLED_INDEX`], so one Query reads every unsettled charter, whatever its date.
    pub const UNSETTLED: &str = "unsettled";
    /// The mark of whoever last put the charter in the index (when and a random part): taking
    /// it out is conditional on the mark, so a reconcile that saw a settled charter never takes
    /// out a mark written after it looked. The sort key of [`UNSETTLED_INDEX`].
    pub const UNSETTLED_MARK: &str = "unsettled_mark";
    /// The sparse GSI of unsettled charters (only items with [`UNSETTLED`] are in it).
    pub const UNSETTLED_INDEX: &str = "unsettled-index";
}

/// Where a charter stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CharterStatus {
    #[default]
    Booked,
    Staffed,
    Cancelled,
    Completed,
}

impl CharterStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "booked" => Some(Self::Booked),
            "staffed" => Some(Self::Staffed),
            "cancelled" | "canceled" => Some(Self::Cancelled),
            "completed" => Some(Self::Completed),
            _ => None,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Staffed => "staffed",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
        }
    }
}

impl fmt::Display for CharterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The primary key of a charter item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CharterKey {
    pub charter_id: CharterId,
    /// The sort key exactly as stored (ISO 8601 UTC).
    pub created_at: String,
}

impl fmt::Display for CharterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "charter_id={},created_at={}",
            self.charter_id, self.created_at
        )
    }
}

/// A charter booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charter {
    pub charter_id: CharterId,
    /// Sort key, ISO 8601 UTC, kept exactly as stored.
    pub created_at: String,
    pub charter_date: CharterDate,
    pub vessel_name: String,
    pub captain_assigned: Option<CrewId>,
    pub crew_assigned: Vec<CrewId>,
    pub guest_count: u32,
    /// Guest names: shown to the assigned crew only, never logged.
    pub guest_names: Vec<String>,
    pub reportable_revenue: Money,
    pub tips: Money,
    pub status: CharterStatus,
    /// Crew slots wanted besides the captain; absent means "from vessel config".
    pub crew_needed: Option<u32>,
}

impl Charter {
    pub fn key(&self) -> CharterKey {
        CharterKey {
            charter_id: self.charter_id.clone(),
            created_at: self.created_at.clone(),
        }
    }

    /// Reads a charter item.
    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
        let r = Reader::new(item, &[attr::CHARTER_ID, attr::CREATED_AT]);
        let parse_err =
            |a: &str, e: super::ParseError| r.error(a, format!("is not valid: {}", e.why));
        let charter_id =
            CharterId::parse(r.s(attr::CHARTER_ID)?).map_err(|e| parse_err(attr::CHARTER_ID, e))?;
        let created_at = r.s(attr::CREATED_AT)?.to_string();
        if created_at.trim().is_empty() {
            return Err(r.error(attr::CREATED_AT, "is empty"));
        }
        let charter_date = CharterDate::parse(r.s(attr::CHARTER_DATE)?)
            .map_err(|e| parse_err(attr::CHARTER_DATE, e))?;
        let vessel_name = r.opt_s(attr::VESSEL_NAME)?.unwrap_or_default().to_string();
        let captain_assigned = match r.opt_s(attr::CAPTAIN_ASSIGNED)? {
            None => None,
            Some(s) if s.trim().is_empty() => None,
            Some(s) => Some(CrewId::parse(s).map_err(|e| parse_err(attr::CAPTAIN_ASSIGNED, e))?),
        };
        let crew_assigned = r
            .opt_strings(attr::CREW_ASSIGNED)?
            .unwrap_or_default()
            .into_iter()
            .map(|s| CrewId::parse(s).map_err(|e| parse_err(attr::CREW_ASSIGNED, e)))
            .collect::<Result<Vec<_>, _>>()?;
        let guest_count = match r.opt_n(attr::GUEST_COUNT)? {
            None => 0,
            Some(n) => parse_count(n).ok_or_else(|| {
                r.error(
                    attr::GUEST_COUNT,
                    format!("must be a whole number ≥ 0, found {n}"),
                )
            })?,
        };
        let guest_names = match r.opt_strings(attr::GUEST_NAMES)? {
            Some(names) => names.into_iter().map(str::to_string).collect(),
            None => r
                .opt_s(attr::GUEST_NAME)?
                .map(|s| vec![s.to_string()])
                .unwrap_or_default(),
        };
        let money = |a: &str| -> Result<Money, ItemError> {
            match r.opt_n(a)? {
                None => Ok(Money::ZERO),
                Some(n) => Money::parse(n).map_err(|e| parse_err(a, e)),
            }
        };
        let reportable_revenue = money(attr::REPORTABLE_REVENUE)?;
        let tips = money(attr::TIPS)?;
        let status = match r.opt_s(attr::STATUS)? {
            None => CharterStatus::Booked,
            Some(s) => CharterStatus::parse(s).ok_or_else(|| {
                r.error(
                    attr::STATUS,
                    format!("must be booked, staffed, cancelled or completed, found `{s}`"),
                )
            })?,
        };
        let crew_needed = match r.opt_n(attr::CREW_NEEDED)? {
            None => None,
            Some(n) => Some(parse_count(n).ok_or_else(|| {
                r.error(
                    attr::CREW_NEEDED,
                    format!("must be a whole number ≥ 0, found {n}"),
                )
            })?),
        };
        Ok(Self {
            charter_id,
            created_at,
            charter_date,
            vessel_name,
            captain_assigned,
            crew_assigned,
            guest_count,
            guest_names,
            reportable_revenue,
            tips,
            status,
            crew_needed,
        })
    }

    /// The item as the booking system writes it. `status` is always written.
    pub fn to_item(&self) -> Item {
        Writer::new()
            .s(attr::CHARTER_ID, self.charter_id.as_str())
            .s(attr::CREATED_AT, &self.created_at)
            .s(attr::CHARTER_DATE, self.charter_date.to_string())
            .s(attr::VESSEL_NAME, &self.vessel_name)
            .opt_s(
                attr::CAPTAIN_ASSIGNED,
                self.captain_assigned.as_ref().map(|c| c.as_str()),
            )
            .list(
                attr::CREW_ASSIGNED,
                self.crew_assigned.iter().map(|c| c.as_str()),
            )
            .n(attr::GUEST_COUNT, self.guest_count)
            .list(
                attr::GUEST_NAMES,
                self.guest_names.iter().map(String::as_str),
            )
            .n(attr::REPORTABLE_REVENUE, self.reportable_revenue)
            .n(attr::TIPS, self.tips)
            .s(attr::STATUS, self.status.as_str())
            .opt_n(attr::CREW_NEEDED, self.crew_needed)
            .build()
    }
}

/// A whole number in a DynamoDB `N` ("12" or "12.0").
fn parse_count(n: &str) -> Option<u32> {
    let d: rust_decimal::Decimal = n.trim().parse().ok()?;
    if d.fract() != rust_decimal::Decimal::ZERO || d.is_sign_negative() {
        return None;
    }
    rust_decimal::prelude::ToPrimitive::to_u32(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_dynamo::AttributeValue as AV;

    fn sample() -> Charter {
        Charter {
            charter_id: CharterId::parse("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap(),
            created_at: "2024-04-01T10:00:00Z".into(),
            charter_date: CharterDate::parse("2024-05-03").unwrap(),
            vessel_name: "Sea Breeze".into(),
            captain_assigned: None,
            crew_assigned: vec![CrewId::parse("crew-2").unwrap()],
            guest_count: 14,
            guest_names: vec!["A. Guest".into()],
            reportable_revenue: Money::parse("2450.50").unwrap(),
            tips: Money::parse("300").unwrap(),
            status: CharterStatus::Booked,
            crew_needed: Some(2),
        }
    }

    #[test]
    fn round_trips_through_an_item() {
        let c = sample();
        assert_eq!(Charter::from_item(&c.to_item()).unwrap(), c);
    }

    #[test]
    fn tolerant_reader() {
        let mut item = sample().to_item();
        item.remove(attr::STATUS);
        item.remove(attr::GUEST_NAMES);
        item.insert(attr::GUEST_NAME.into(), AV::S("Solo".into()));
        item.insert("some_new_field".into(), AV::Bool(true));
        item.insert(attr::GUEST_COUNT.into(), AV::N("14.0".into()));
        let c = Charter::from_item(&item).unwrap();
        assert_eq!(c.status, CharterStatus::Booked);
        assert_eq!(c.guest_names, vec!["Solo".to_string()]);
        assert_eq!(c.guest_count, 14);
    }

    #[test]
    fn wrong_shape_names_key_and_attribute() {
        let mut item = sample().to_item();
        item.insert(attr::GUEST_COUNT.into(), AV::S("fourteen".into()));
        let e = Charter::from_item(&item).unwrap_err();
        assert_eq!(e.attribute, "guest_count");
        assert!(
            e.key.contains("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a"),
            "{e}"
        );
        let mut item = sample().to_item();
        item.insert(attr::GUEST_COUNT.into(), AV::N("2.5".into()));
        assert_eq!(
            Charter::from_item(&item).unwrap_err().attribute,
            "guest_count"
        );
        let mut item = sample().to_item();
        item.insert(attr::CHARTER_DATE.into(), AV::S("2024-02-30".into()));
        assert_eq!(
            Charter::from_item(&item).unwrap_err().attribute,
            "charter_date"
        );
        let mut item = sample().to_item();
        item.insert(attr::STATUS.into(), AV::S("maybe".into()));
        assert!(Charter::from_item(&item)
            .unwrap_err()
            .to_string()
            .contains("maybe"));
    }
}
