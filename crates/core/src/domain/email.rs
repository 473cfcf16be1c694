//! E-mail addresses, parsed once.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::ParseError;

/// A plausible single e-mail address (`local@domain.tld`), trimmed, domain lower-cased.
///
/// This is a sanity check for data typed into a sheet, not RFC 5322: one `@`, a non-empty local part
/// without spaces or angle brackets, and a domain with a dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let bad = |why: &str| ParseError::new("e-mail address", s, why);
        if t.len() > 254 {
            return Err(bad("longer than 254 characters"));
        }
        let (local, domain) = t.split_once('@').ok_or_else(|| bad("it has no @"))?;
        if local.is_empty() || domain.contains('@') {
            return Err(bad("expected exactly one @ with a name before it"));
        }
        if t.chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c))
        {
            return Err(bad("it contains spaces or characters such as < > , ;"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
            return Err(bad("the domain after @ needs a dot, e.g. example.com"));
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for EmailAddress {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        Self::parse(&s)
    }
}
impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> String {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plausible_addresses() {
        assert_eq!(
            EmailAddress::parse(" Sam@Example.COM ").unwrap().as_str(),
            "Sam@example.com"
        );
        for bad in [
            "",
            "sam",
            "sam@",
            "@x.com",
            "sam@x",
            "a@b@c.com",
            "sam smith@x.com",
            "<sam@x.com>",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
