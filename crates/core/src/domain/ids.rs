//! Identifiers that are parsed once at the edge and trusted afterwards.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value could not be parsed into a domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} `{value}` is not valid: {why}")]
pub struct ParseError {
    pub what: &'static str,
    pub value: String,
    pub why: String,
}

impl ParseError {
    pub fn new(what: &'static str, value: &str, why: impl Into<String>) -> Self {
        // Cap what we echo back: values come from outside.
        let value: String = value.chars().take(80).collect();
        Self {
            what,
            value,
            why: why.into(),
        }
    }
}

/// A charter's id: a UUID, kept in its canonical lower-case hyphenated form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CharterId(String);

impl CharterId {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        uuid::Uuid::parse_str(s.trim())
            .map(|u| Self(u.hyphenated().to_string()))
            .map_err(|_| {
                ParseError::new(
                    "charter id",
                    s,
                    "expected a UUID such as 0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a",
                )
            })
    }
    /// A fresh random id.
    pub fn new_random() -> Self {
        Self::from_uuid(uuid::Uuid::new_v4())
    }
    /// The id of this UUID (e.g. one derived from a booking reference).
    pub fn from_uuid(u: uuid::Uuid) -> Self {
        Self(u.hyphenated().to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A crew member's id, as the roster knows it (e.g. `crew-0042` or one derived from the e-mail).
///
/// Non-empty, at most 128 characters of letters, digits and `-_.@+`; it never contains `#`, which
/// separates the parts of the state table's keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CrewId(String);

impl CrewId {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(ParseError::new("crew id", s, "it is empty"));
        }
        if t.len() > 128 {
            return Err(ParseError::new("crew id", s, "longer than 128 characters"));
        }
        if let Some(bad) = t
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-_.@+".contains(*c)))
        {
            return Err(ParseError::new(
                "crew id",
                s,
                format!("character `{bad}` is not allowed (letters, digits and -_.@+ only)"),
            ));
        }
        Ok(Self(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $t {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, ParseError> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use string_newtype_impls;

string_newtype_impls!(CharterId);
string_newtype_impls!(CrewId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charter_id_is_canonical_uuid() {
        let id = CharterId::parse(" 0B7C9D2E-4F1A-4C3B-9A8E-2D6F5E4C3B2A ").unwrap();
        assert_eq!(id.as_str(), "0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a");
        assert!(CharterId::parse("charter-1").is_err());
    }

    #[test]
    fn crew_id_rejects_separators_and_blanks() {
        assert!(CrewId::parse("crew-007").is_ok());
        assert!(CrewId::parse("a#b")
            .unwrap_err()
            .to_string()
            .contains("`#`"));
        assert!(CrewId::parse("  ").is_err());
        assert!(CrewId::parse(&"x".repeat(129)).is_err());
    }
}
