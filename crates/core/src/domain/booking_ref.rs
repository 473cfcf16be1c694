//! The booking system's own reference of a charter (`HL-1207-OSP`), and the charter id derived
//! from it: a row imported with a `booking_ref` and no `charter_id` gets the UUIDv5 of the
//! reference in [`BOOKING_REF_NAMESPACE`], so importing it again names the same charter and
//! stores nothing new, and a command given the reference finds the charter without a lookup.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::{string_newtype_impls, ParseError};
use super::CharterId;

/// The namespace of charter ids derived from booking references (fixed forever: changing it
/// would give every charter imported by reference a second id).
pub const BOOKING_REF_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6c1f_7d3e_2a94_4b0e_9f65_3d8c_a1b2_c4e7);

/// Longest booking reference accepted (characters).
pub const MAX_BOOKING_REF_CHARS: usize = 64;

/// A booking reference: trimmed, 1 to 64 characters of ASCII letters, digits and `-_./`,
/// starting with a letter or digit, in upper case (`hl-1207-osp` is the booking `HL-1207-OSP`, and derives the same id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BookingRef(String);

impl BookingRef {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let bad = |why: &str| ParseError::new("booking reference", s, why);
        if t.is_empty() {
            return Err(bad("it is empty"));
        }
        if t.chars().count() > MAX_BOOKING_REF_CHARS {
            return Err(bad("longer than 64 characters"));
        }
        if !t.starts_with(|c: char| c.is_ascii_alphanumeric())
            || t.chars()
                .any(|c| !(c.is_ascii_alphanumeric() || "-_./".contains(c)))
        {
            return Err(bad(
                "use letters, digits and - _ . / only, starting with a letter or digit",
            ));
        }
        Ok(Self(t.to_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The charter id of this booking: the UUIDv5 of the reference (upper case) in
    /// [`BOOKING_REF_NAMESPACE`].
    pub fn charter_id(&self) -> CharterId {
        CharterId::from_uuid(uuid::Uuid::new_v5(
            &BOOKING_REF_NAMESPACE,
            self.0.as_bytes(),
        ))
    }
}

string_newtype_impls!(BookingRef);

/// The `booking_ref` attribute of a charter item, if it holds a valid reference (readers are
/// tolerant: anything else is read as no reference).
pub fn booking_ref_of(item: &crate::item::Item) -> Option<BookingRef> {
    match item.get(super::charter_attr::BOOKING_REF)? {
        serde_dynamo::AttributeValue::S(s) => BookingRef::parse(s).ok(),
        _ => None,
    }
}

/// A charter item with its `booking_ref` attribute set.
pub fn with_booking_ref(mut item: crate::item::Item, r: &BookingRef) -> crate::item::Item {
    item.insert(
        super::charter_attr::BOOKING_REF.to_string(),
        serde_dynamo::AttributeValue::S(r.as_str().to_string()),
    );
    item
}

/// A charter as ops name it: its id, or the booking reference it was imported under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CharterRef {
    Id(CharterId),
    Booking(BookingRef),
}

impl CharterRef {
    /// A UUID is an id; anything else that is a valid booking reference is one.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if let Ok(id) = CharterId::parse(s) {
            return Ok(Self::Id(id));
        }
        BookingRef::parse(s).map(Self::Booking).map_err(|_| {
            ParseError::new(
                "charter",
                s,
                "expected a charter id (a UUID) or a booking reference such as HL-1207-OSP",
            )
        })
    }

    /// The id of the charter this names.
    pub fn charter_id(&self) -> CharterId {
        match self {
            Self::Id(id) => id.clone(),
            Self::Booking(r) => r.charter_id(),
        }
    }
}

impl fmt::Display for CharterRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Booking(r) => write!(f, "{r}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_uuid_v5_of_the_reference() {
        let r = BookingRef::parse(" HL-1207-OSP ").unwrap();
        assert_eq!(r.as_str(), "HL-1207-OSP");
        let id = r.charter_id();
        let u = uuid::Uuid::parse_str(id.as_str()).unwrap();
        assert_eq!(u.get_version_num(), 5);
        assert_eq!(
            u,
            uuid::Uuid::new_v5(&BOOKING_REF_NAMESPACE, b"HL-1207-OSP")
        );
        // Stable: the same reference, however written, is the same charter; another is not.
        assert_eq!(BookingRef::parse("hl-1207-osp").unwrap().charter_id(), id);
        assert_ne!(BookingRef::parse("HL-1208-OSP").unwrap().charter_id(), id);
        // Pinned, so a change of namespace or encoding cannot slip in unnoticed.
        // (Python: uuid.uuid5(UUID("6c1f7d3e-2a94-4b0e-9f65-3d8ca1b2c4e7"), "HL-1207-OSP").)
        assert_eq!(id.as_str(), "30526d15-6d07-5bcb-977b-09318124ab73");
    }

    #[test]
    fn blank_spaced_and_long_references_are_refused() {
        assert!(BookingRef::parse("  ").is_err());
        assert!(BookingRef::parse("HL 1207").is_err());
        assert!(BookingRef::parse("../../etc/passwd").is_err());
        assert!(BookingRef::parse("HL#1").is_err());
        assert!(BookingRef::parse("BK/2024/0012.a_b").is_ok());
        assert!(BookingRef::parse(&"X".repeat(65)).is_err());
        assert!(BookingRef::parse(&"X".repeat(64)).is_ok());
    }

    #[test]
    fn a_charter_is_named_by_id_or_reference() {
        let id = "0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a";
        assert_eq!(CharterRef::parse(id).unwrap().charter_id().as_str(), id);
        let by_ref = CharterRef::parse("HL-1207-OSP").unwrap();
        assert_eq!(
            by_ref.charter_id(),
            BookingRef::parse("HL-1207-OSP").unwrap().charter_id()
        );
        assert!(CharterRef::parse("").is_err());
    }
}
