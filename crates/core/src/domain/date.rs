//! Calendar types: a charter's local date and a month.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::ids::ParseError;

/// The local date of a charter, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CharterDate(NaiveDate);

impl CharterDate {
    /// Parses the strict storage form `YYYY-MM-DD` (other forms people type are the roster sync's job).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        // Exactly `dddd-dd-dd`: chrono alone also takes a sign (`-025-05-03` is year -25), which
        // then prints as `-0025-05-03` and no longer reads back (found by fuzzing).
        let shape = t.len() == 10
            && t.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !shape {
            return Err(ParseError::new("date", s, "expected YYYY-MM-DD"));
        }
        // The shape is checked: read the digits straight (chrono's format parser was ~4 % of
        // the embedded burst's CPU: every roster read parses every member's available dates).
        let num = |r: std::ops::Range<usize>| {
            t.as_bytes()[r]
                .iter()
                .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
        };
        NaiveDate::from_ymd_opt(num(0..4) as i32, num(5..7), num(8..10))
            .map(Self)
            .ok_or_else(|| ParseError::new("date", s, "expected an existing date as YYYY-MM-DD"))
    }
    pub fn from_naive(d: NaiveDate) -> Self {
        Self(d)
    }
    pub fn naive(&self) -> NaiveDate {
        self.0
    }
    pub fn month(&self) -> Month {
        Month {
            year: self.0.year(),
            month: self.0.month(),
        }
    }
}

impl fmt::Display for CharterDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = (self.0.year(), self.0.month(), self.0.day());
        if (0..=9999).contains(&y) {
            write!(f, "{y:04}-{m:02}-{d:02}")
        } else {
            write!(f, "{}", self.0.format("%Y-%m-%d"))
        }
    }
}
impl TryFrom<String> for CharterDate {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        Self::parse(&s)
    }
}
impl From<CharterDate> for String {
    fn from(d: CharterDate) -> String {
        d.to_string()
    }
}

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        let bad = || ParseError::new("month", s, "expected YYYY-MM, e.g. 2024-05");
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || year < 1900 {
            return Err(bad());
        }
        Ok(Self { year, month })
    }
    pub fn new(year: i32, month: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| Self { year, month })
    }
    pub fn year(&self) -> i32 {
        self.year
    }
    pub fn month(&self) -> u32 {
        self.month
    }
    pub fn first_day(&self) -> NaiveDate {
        #[allow(clippy::expect_used)] // a Month is built only from a valid year and month 1..=12
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("validated month")
    }
    /// Every day of the month, in order.
    pub fn days(&self) -> impl Iterator<Item = CharterDate> {
        let first = self.first_day();
        let month = self.month;
        first
            .iter_days()
            .take_while(move |d| d.month() == month)
            .map(CharterDate)
    }
    pub fn previous(&self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
    /// The tab name used in workbooks, e.g. `May 2024`.
    pub fn title(&self) -> String {
        self.first_day().format("%B %Y").to_string()
    }
    pub fn contains(&self, date: CharterDate) -> bool {
        date.month() == *self
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}
impl TryFrom<String> for Month {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        Self::parse(&s)
    }
}
impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            CharterDate::parse("2024-05-03").unwrap().to_string(),
            "2024-05-03"
        );
        assert!(CharterDate::parse("2024-02-30").is_err());
        assert!(CharterDate::parse("5/3/2024").is_err());
        assert!(CharterDate::parse("2024-5-3").is_err());
    }

    #[test]
    fn month_days_and_title() {
        let m = Month::parse("2024-02").unwrap();
        assert_eq!(m.days().count(), 29);
        assert_eq!(m.title(), "February 2024");
        assert_eq!(
            Month::parse("2024-01").unwrap().previous().to_string(),
            "2023-12"
        );
        assert!(Month::parse("2024-13").is_err());
        assert!(Month::parse("2024-5").is_err());
        assert!(m.contains(CharterDate::parse("2024-02-29").unwrap()));
    }

    #[test]
    fn signed_or_odd_years_are_not_dates() {
        for bad in [
            "-025-05-03",
            "+024-05-03",
            "2024-5-031",
            "２０２４-05-03",
            "2024/05/03",
        ] {
            assert!(CharterDate::parse(bad).is_err(), "{bad}");
        }
        let d = CharterDate::parse("0001-01-01").unwrap();
        assert_eq!(CharterDate::parse(&d.to_string()).unwrap(), d);
    }

    #[test]
    fn dates_read_and_print_as_chrono_does() {
        let mut day = NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        while day <= last {
            let text = day.format("%Y-%m-%d").to_string();
            let d = CharterDate::parse(&text).unwrap();
            assert_eq!(d.naive(), day);
            assert_eq!(d.to_string(), text);
            day = day + chrono::Days::new(37);
        }
        for bad in [
            "2023-02-29",
            "2024-00-10",
            "2024-13-01",
            "2024-04-31",
            "2024-01-00",
        ] {
            assert!(CharterDate::parse(bad).is_err(), "{bad}");
        }
        assert!(CharterDate::parse("2024-02-29").is_ok());
        // Years a date can hold but the storage form cannot print plainly: as chrono prints them.
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
        assert_eq!(
            CharterDate::from_naive(far).to_string(),
            far.format("%Y-%m-%d").to_string()
        );
    }
}
