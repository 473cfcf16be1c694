//! Limits checked at the edge (imports, `dispatch charter add`, roster sync), the same on both
//! backends: names and vessels a few hundred characters, money never negative, `created_at` in
//! ISO 8601, and the whole item under DynamoDB's 400 KB item limit, so a record the embedded
//! backend accepts is one DynamoDB would accept too.
//!
//! The readers ([`super::Charter::from_item`], [`super::CrewMember::from_item`]) stay tolerant:
//! a record the booking system already wrote is read as it is, and the report names what it
//! cannot write (see `dispatch-reporting`).

use chrono::{DateTime, NaiveDateTime};

use super::{Charter, CrewMember, Money};
use crate::item::Item;
use serde_dynamo::AttributeValue;

/// Longest vessel, guest or member name (characters).
pub const MAX_NAME_CHARS: usize = 200;
/// Longest phone number (characters).
pub const MAX_PHONE_CHARS: usize = 40;
/// Most guest names on one charter.
pub const MAX_GUEST_NAMES: usize = 500;
/// Most crew slots or guests on one charter (a sanity bound, not a business rule).
pub const MAX_COUNT: u32 = 10_000;
/// Longest certification name (characters) and most certifications per member.
pub const MAX_CERT_CHARS: usize = 64;
pub const MAX_CERTS: usize = 50;
/// Most available dates kept per member (ten years of days).
pub const MAX_DATES: usize = 3660;
/// DynamoDB's item size limit, in bytes, as DynamoDB counts it (names + values).
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// Largest amount accepted (a typo guard: ten million).
pub const MAX_AMOUNT: i64 = 10_000_000;

/// The size of an item as DynamoDB counts it: attribute names plus values (strings as UTF-8,
/// numbers about one byte per two digits plus one, one byte per boolean/null, three bytes of
/// overhead per list or map plus one per element).
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(v) => v.iter().map(Vec::len).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|x| 1 + value_size(x)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, x)| 1 + k.len() + value_size(x))
                .sum::<usize>()
        }
    }
}

fn text_limit(what: &str, s: &str, max: usize) -> Result<(), String> {
    let n = s.chars().count();
    if n > max {
        return Err(format!(
            "`{what}` is {n} characters long; at most {max} are accepted"
        ));
    }
    if let Some(c) = s.chars().find(|c| c.is_control() && *c != '\t') {
        return Err(format!(
            "`{what}` contains the control character {:?}; remove it",
            c
        ));
    }
    Ok(())
}

/// An amount people typed or a booking file carries: never negative, at most [`MAX_AMOUNT`].
pub fn amount_limit(what: &str, m: Money) -> Result<(), String> {
    if m.decimal().is_sign_negative() && !m.decimal().is_zero() {
        return Err(format!(
            "`{what}` is {m}: amounts must not be negative (record a refund in the booking system)"
        ));
    }
    if m.decimal() > rust_decimal::Decimal::from(MAX_AMOUNT) {
        return Err(format!(
            "`{what}` is {m}: more than {MAX_AMOUNT} looks like a typo"
        ));
    }
    Ok(())
}

/// Whether `s` is an ISO 8601 date-time (RFC 3339 with `Z` or an offset, or without a zone,
/// read as UTC), as the `created_at` sort key must be.
pub fn is_iso_datetime(s: &str) -> bool {
    let t = s.trim();
    DateTime::parse_from_rfc3339(t).is_ok()
        || NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M").is_ok()
}

fn size_limit(item: &Item) -> Result<(), String> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(format!(
            "the record is {} KB; DynamoDB stores at most {} KB per item",
            size.div_ceil(1024),
            MAX_ITEM_BYTES / 1024
        ));
    }
    Ok(())
}

impl Charter {
    /// Checks a charter about to be booked (import, `charter add`): names, counts, money,
    /// `created_at` and the item's size. The message names the attribute.
    pub fn check_new(&self) -> Result<(), String> {
        if !is_iso_datetime(&self.created_at) {
            return Err(format!(
                "`created_at` is `{}`: it is the table's sort key and must be an ISO 8601 time such as 2024-04-01T10:00:00Z",
                self.created_at.chars().take(40).collect::<String>()
            ));
        }
        text_limit("vessel_name", &self.vessel_name, MAX_NAME_CHARS)?;
        if self.guest_names.len() > MAX_GUEST_NAMES {
            return Err(format!(
                "`guest_names` lists {} names; at most {MAX_GUEST_NAMES} are accepted",
                self.guest_names.len()
            ));
        }
        for (i, g) in self.guest_names.iter().enumerate() {
            text_limit(&format!("guest_names[{i}]"), g, MAX_NAME_CHARS)?;
        }
        if self.guest_count > MAX_COUNT {
            return Err(format!(
                "`guest_count` is {}; at most {MAX_COUNT}",
                self.guest_count
            ));
        }
        if let Some(n) = self.crew_needed {
            if n > MAX_COUNT {
                return Err(format!("`crew_needed` is {n}; at most {MAX_COUNT}"));
            }
        }
        amount_limit("reportable_revenue", self.reportable_revenue)?;
        amount_limit("tips", self.tips)?;
        size_limit(&self.to_item())
    }
}

impl CrewMember {
    /// Checks a member about to be written (import, roster sync): name, phone, certifications,
    /// the licence's class, certification expiry, dates and the item's size.
    pub fn check_new(&self) -> Result<(), String> {
        text_limit("name", &self.name, MAX_NAME_CHARS)?;
        if let Some(p) = &self.phone {
            text_limit("phone", p, MAX_PHONE_CHARS)?;
        }
        if self.certifications.len() > MAX_CERTS {
            return Err(format!(
                "`certifications` lists {}; at most {MAX_CERTS}",
                self.certifications.len()
            ));
        }
        for c in &self.certifications {
            text_limit("certifications", c, MAX_CERT_CHARS)?;
        }
        if self.available_dates.len() > MAX_DATES {
            return Err(format!(
                "`available_dates` lists {} dates; at most {MAX_DATES}",
                self.available_dates.len()
            ));
        }
        if let Some(l) = &self.captain_licence {
            text_limit("captain_licence.class", &l.class, MAX_CERT_CHARS)?;
        }
        if self.certification_expiry.len() > MAX_CERTS {
            return Err(format!(
                "`certification_expiry` lists {}; at most {MAX_CERTS}",
                self.certification_expiry.len()
            ));
        }
        for c in self.certification_expiry.keys() {
            text_limit("certification_expiry", c, MAX_CERT_CHARS)?;
        }
        size_limit(&self.to_item())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CharterDate, CharterId, CharterStatus, CrewId, EmailAddress};

    fn charter() -> Charter {
        Charter {
            charter_id: CharterId::new_random(),
            created_at: "2024-04-01T10:00:00Z".into(),
            charter_date: CharterDate::parse("2024-05-03").unwrap(),
            vessel_name: "Marlin".into(),
            captain_assigned: None,
            crew_assigned: vec![],
            guest_count: 4,
            guest_names: vec![],
            reportable_revenue: Money::parse("100").unwrap(),
            tips: Money::ZERO,
            status: CharterStatus::Booked,
            crew_needed: None,
        }
    }

    #[test]
    fn long_vessel_negative_money_and_bad_created_at_are_refused() {
        assert!(charter().check_new().is_ok());
        let mut c = charter();
        c.vessel_name = "V".repeat(32_768);
        assert!(c.check_new().unwrap_err().contains("vessel_name"));
        let mut c = charter();
        c.reportable_revenue = Money::parse("-5").unwrap();
        assert!(c.check_new().unwrap_err().contains("must not be negative"));
        let mut c = charter();
        c.tips = Money::parse("-0.01").unwrap();
        assert!(c.check_new().unwrap_err().contains("tips"));
        let mut c = charter();
        c.created_at = "yesterday".into();
        assert!(c.check_new().unwrap_err().contains("ISO 8601"));
        let mut c = charter();
        c.guest_names = vec!["g".repeat(150); 3000];
        assert!(c.check_new().is_err());
        let mut c = charter();
        c.vessel_name = "Sea\r\nBreeze".into();
        assert!(c.check_new().unwrap_err().contains("control character"));
    }

    #[test]
    fn item_size_counts_names_and_values() {
        let c = charter();
        let n = item_size(&c.to_item());
        assert!(n > 100 && n < 1000, "{n}");
        let mut m = CrewMember {
            crew_id: CrewId::parse("c1").unwrap(),
            name: "Ana".into(),
            email: EmailAddress::parse("a@example.com").unwrap(),
            phone: None,
            captain_certified: false,
            available_dates: Default::default(),
            certifications: Default::default(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        };
        assert!(m.check_new().is_ok());
        m.name = "x".repeat(201);
        assert!(m.check_new().unwrap_err().contains("name"));
    }

    #[test]
    fn iso_times() {
        for ok in [
            "2024-04-01T10:00:00Z",
            "2024-04-01T10:00:00.123Z",
            "2024-04-01T10:00:00+02:00",
            "2024-04-01T10:00:00",
        ] {
            assert!(is_iso_datetime(ok), "{ok}");
        }
        for bad in ["yesterday", "", "2024-04-01", "04/01/2024 10:00"] {
            assert!(!is_iso_datetime(bad), "{bad}");
        }
    }
}
