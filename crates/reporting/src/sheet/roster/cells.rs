//! Reading the sheet's cells: which column a header names (synonyms and one-letter typos
//! tolerated), yes/no and text cells, cells of dates, status tabs, and the year a tab's dates
//! agree on.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};

use crate::sheet::dates::{from_serial, parse_dates, typed_years, YearRule};
use crate::sheet::Cell;
use crate::sheet::Tab;

/// Lower-case letters and digits only: `E-mail Address` → `emailaddress`.
pub(super) fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Field {
    Name,
    Email,
    Phone,
    Captain,
    Certs,
    Id,
    Active,
    LicenceClass,
    LicenceMax,
    LicenceExpires,
    CertExpiry,
}

const SYNONYMS: &[(Field, &[&str])] = &[
    (
        Field::Name,
        &["name", "fullname", "crewname", "member", "crewmember"],
    ),
    (Field::Email, &["email", "emailaddress", "mail", "emails"]),
    (
        Field::Phone,
        &["phone", "mobile", "cell", "phonenumber", "tel", "telephone"],
    ),
    (
        Field::Captain,
        &[
            "captain",
            "captaincertified",
            "captaincert",
            "iscaptain",
            "captaincertification",
            "skipper",
        ],
    ),
    (
        Field::Certs,
        &[
            "certifications",
            "certs",
            "certification",
            "certificates",
            "qualifications",
            "skills",
        ],
    ),
    (Field::Id, &["crewid", "id", "memberid"]),
    (Field::Active, &["active", "isactive"]),
    (
        Field::LicenceClass,
        &[
            "licenceclass",
            "licenseclass",
            "captainlicence",
            "captainlicense",
            "licence",
            "license",
        ],
    ),
    (
        Field::LicenceMax,
        &[
            "licencemaxpassengers",
            "licensemaxpassengers",
            "maxpassengers",
            "licencemaxguests",
            "licensemaxguests",
            "maxguests",
        ],
    ),
    (
        Field::LicenceExpires,
        &[
            "licenceexpires",
            "licenseexpires",
            "licenceexpiry",
            "licenseexpiry",
            "licenceexpiration",
            "licenseexpiration",
        ],
    ),
    (
        Field::CertExpiry,
        &[
            "certificationexpiry",
            "certificationsexpiry",
            "certificationexpires",
            "certexpiry",
            "certificationexpiration",
        ],
    ),
];

/// One edit (insert, delete, substitute or swap of neighbours) or none.
pub(super) fn near(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 || a.len().min(b.len()) < 4 {
        return false;
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() && a[i] == b[j] {
        i += 1;
        j += 1;
    }
    let (ra, rb) = (&a[i..], &b[j..]);
    match (ra.len(), rb.len()) {
        (x, y) if x == y => {
            ra[1..] == rb[1..] || (x >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        (x, y) if x > y => ra[1..] == *rb,
        _ => rb[1..] == *ra,
    }
}

pub(super) fn field_of(header: &str) -> Option<Field> {
    let h = norm(header);
    if h.is_empty() {
        return None;
    }
    SYNONYMS
        .iter()
        .find(|(_, names)| names.contains(&h.as_str()))
        .or_else(|| {
            SYNONYMS
                .iter()
                .find(|(_, names)| names.iter().any(|n| near(n, &h)))
        })
        .map(|(f, _)| *f)
}

pub(super) fn boolean(c: &Cell) -> Result<Option<bool>, String> {
    match c {
        Cell::Empty => Ok(None),
        Cell::Bool(b) => Ok(Some(*b)),
        Cell::Number(n) if *n == 1.0 => Ok(Some(true)),
        Cell::Number(n) if *n == 0.0 => Ok(Some(false)),
        Cell::Text(t) => match norm(t).as_str() {
            "yes" | "y" | "true" | "x" | "1" | "certified" | "active" => Ok(Some(true)),
            "no" | "n" | "false" | "0" | "inactive" => Ok(Some(false)),
            _ if t.trim() == "✓" || t.trim() == "✔" => Ok(Some(true)),
            _ if t.trim() == "-" => Ok(Some(false)),
            _ => Err("not yes or no".into()),
        },
        other => Err(format!("{} is not yes or no", other.display())),
    }
}

pub(super) fn text(c: &Cell) -> Option<String> {
    match c {
        Cell::Text(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
        Cell::Number(n) => Some(if n.fract() == 0.0 {
            format!("{}", *n as i64)
        } else {
            n.to_string()
        }),
        _ => None,
    }
}

/// Why a cell's value cannot be read at all (a formula error, a formula without a value).
pub(super) fn unreadable(c: &Cell) -> Option<String> {
    match c {
        Cell::Error(e) => Some(format!("the cell's formula gives {e}: fix the formula or type the value")),
        Cell::Uncomputed(_) => Some(
            "a formula whose value the file does not carry: open the file in Excel or Google Sheets and save it again, or type the value".into(),
        ),
        _ => None,
    }
}

/// Dates of one availability cell.
pub(super) fn cell_dates(c: &Cell, year: YearRule) -> Result<Vec<NaiveDate>, String> {
    if let Some(why) = unreadable(c) {
        return Err(why);
    }
    match c {
        Cell::DateSerial(n) | Cell::Number(n) => from_serial(*n).map(|d| vec![d]),
        Cell::Text(t) => parse_dates(t, year),
        other => Err(format!("{} is not a date", other.display())),
    }
}

pub(super) fn status_of(tab: &str) -> Option<bool> {
    match norm(tab).as_str() {
        "available" | "availability" | "availabledates" | "dates" => Some(true),
        "unavailable" | "notavailable" | "blackout" | "blackoutdates" | "off" | "timeoff"
        | "away" => Some(false),
        _ => None,
    }
}

/// The year for a tab's dates typed without one: with [`YearRule::NextFrom`], the year of the
/// tab's other dates (typed with a year, or sheet dates) when they all agree, else the next
/// occurrence from today. A fixed season year stays.
pub(super) fn tab_rule(tab: &Tab, rule: YearRule) -> YearRule {
    if let YearRule::Season(_) = rule {
        return rule;
    }
    let mut years = BTreeSet::new();
    for cell in tab.rows.iter().flatten() {
        match cell {
            Cell::DateSerial(n) => years.extend(from_serial(*n).ok().map(|d| d.year())),
            Cell::Text(t) => years.extend(typed_years(t)),
            _ => {}
        }
    }
    match (years.len(), years.first()) {
        (1, Some(y)) => YearRule::Season(*y),
        _ => rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_with_synonyms_and_typos() {
        assert_eq!(field_of("E-mail"), Some(Field::Email));
        assert_eq!(field_of("Emial"), Some(Field::Email));
        assert_eq!(field_of("Captain certified?"), Some(Field::Captain));
        assert_eq!(field_of("Certs"), Some(Field::Certs));
        assert_eq!(field_of("Crew ID"), Some(Field::Id));
        assert_eq!(field_of("Mobile"), Some(Field::Phone));
        assert_eq!(field_of("Notes"), None);
        assert_eq!(field_of("Licence class"), Some(Field::LicenceClass));
        assert_eq!(field_of("License max passengers"), Some(Field::LicenceMax));
        assert_eq!(field_of("Licence expires"), Some(Field::LicenceExpires));
        assert_eq!(field_of("Certification expiry"), Some(Field::CertExpiry));
        assert_eq!(field_of("Certifications"), Some(Field::Certs));
        assert_eq!(field_of(""), None);
    }
}
