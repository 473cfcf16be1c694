//! Offers of a slot on a charter to one crew member.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{string_newtype_impls, ParseError};
use super::{CharterDate, CharterId, CrewId};

/// An offer's id (a UUID).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OfferId(String);

impl OfferId {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        uuid::Uuid::parse_str(s.trim())
            .map(|u| Self(u.hyphenated().to_string()))
            .map_err(|_| ParseError::new("offer id", s, "expected a UUID"))
    }
    pub fn new_random() -> Self {
        Self(uuid::Uuid::new_v4().hyphenated().to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_newtype_impls!(OfferId);

/// Which slot an offer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    Captain,
    /// Crew slot `slot` (0-based) of the charter's `crew_needed`.
    Crew {
        slot: u32,
    },
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Captain => f.write_str("captain"),
            Role::Crew { slot } => write!(f, "crew (slot {})", slot + 1),
        }
    }
}

/// Where an offer stands. Only `Open` offers can be accepted or declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    Open,
    Accepted,
    Declined,
    Lapsed,
    Revoked,
}

impl OfferStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Lapsed => "lapsed",
            Self::Revoked => "revoked",
        }
    }
}

impl fmt::Display for OfferStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One offer of one slot to one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub offer_id: OfferId,
    pub charter_id: CharterId,
    pub charter_date: CharterDate,
    pub crew_id: CrewId,
    #[serde(flatten)]
    pub role: Role,
    pub status: OfferStatus,
    pub created_at: DateTime<Utc>,
    /// When the offer lapses if unanswered.
    pub expires_at: DateTime<Utc>,
    /// When the status last changed.
    pub updated_at: DateTime<Utc>,
}
