//! The business's time zone: every time shown to people (mails, the crew page, CLI output) is
//! local to it, and so is "today" (the sweep's horizon, dates typed without a year).
//!
//! Storage stays in UTC (`created_at`, deadlines) and in local dates (`charter_date` is already
//! the business's local date); this module only turns them into words and back.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};

use crate::domain::CharterDate;

/// An IANA time zone (`America/Los_Angeles`, `Europe/Paris`, `UTC`), with its rules.
#[derive(Clone)]
pub struct BusinessZone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl fmt::Debug for BusinessZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BusinessZone({})", self.name)
    }
}

impl PartialEq for BusinessZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Default for BusinessZone {
    fn default() -> Self {
        Self::utc()
    }
}

impl BusinessZone {
    /// Parses an IANA name; the error says what a valid one looks like.
    pub fn parse(name: &str) -> Result<Self, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err(
                "is empty: give an IANA time zone name such as America/New_York or UTC".into(),
            );
        }
        jiff::tz::TimeZone::get(name)
            .map(|tz| Self {
                name: name.to_string(),
                tz,
            })
            .map_err(|_| {
                format!(
                    "`{name}` is not an IANA time zone name: use one such as America/New_York, Europe/London or UTC (see `timedatectl list-timezones`)"
                )
            })
    }

    pub fn utc() -> Self {
        Self {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    /// The IANA name as configured.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn zoned(&self, at: DateTime<Utc>) -> Option<jiff::ZonedDateTime> {
        let ts = jiff::Timestamp::new(at.timestamp(), at.timestamp_subsec_nanos() as i32).ok()?;
        Some(ts.to_zoned_datetime(self.tz.clone()))
    }

    /// The business's local date at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> CharterDate {
        CharterDate::from_naive(self.local_date(now))
    }

    /// The local date of an instant.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        self.zoned(at)
            .and_then(|z| {
                let d = z.date();
                NaiveDate::from_ymd_opt(i32::from(d.year()), d.month() as u32, d.day() as u32)
            })
            .unwrap_or_else(|| at.date_naive())
    }

    /// An instant for people: `Sat 5 Jun 2027, 14:30 PDT`.
    pub fn format_time(&self, at: DateTime<Utc>) -> String {
        match self.zoned(at) {
            Some(z) => z.strftime("%a %-d %b %Y, %H:%M %Z").to_string(),
            None => at.format("%a %-d %b %Y, %H:%M UTC").to_string(),
        }
    }

    /// Only the local time of day of an instant: `14:30 PDT`.
    pub fn format_clock(&self, at: DateTime<Utc>) -> String {
        match self.zoned(at) {
            Some(z) => z.strftime("%H:%M %Z").to_string(),
            None => at.format("%H:%M UTC").to_string(),
        }
    }

    /// The instant of a local date and time of day (a charter's start). A time skipped by a
    /// DST change is taken as the same clock reading after the change; a repeated one as the
    /// first of the two.
    pub fn at_local(&self, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        let civil = jiff::civil::DateTime::new(
            i16::try_from(date.year()).ok()?,
            i8::try_from(date.month()).ok()?,
            i8::try_from(date.day()).ok()?,
            i8::try_from(time.hour()).ok()?,
            i8::try_from(time.minute()).ok()?,
            0,
            0,
        )
        .ok()?;
        let z = civil.to_zoned_datetime(self.tz.clone()).ok()?;
        let ts = z.timestamp();
        DateTime::from_timestamp(ts.as_second(), 0)
    }
}

/// A date for people, with its weekday: `Sat 5 Jun 2027`.
pub fn format_date(d: CharterDate) -> String {
    d.naive().format("%a %-d %b %Y").to_string()
}

/// A date for people in full: `Saturday 5 June 2027`.
pub fn format_date_long(d: CharterDate) -> String {
    d.naive().format("%A %-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn names_are_parsed_and_bad_ones_explained() {
        assert_eq!(
            BusinessZone::parse("America/Los_Angeles").unwrap().name(),
            "America/Los_Angeles"
        );
        assert_eq!(BusinessZone::parse("UTC").unwrap().name(), "UTC");
        let e = BusinessZone::parse("Mars/Olympus").unwrap_err();
        assert!(e.contains("Mars/Olympus") && e.contains("IANA"), "{e}");
        assert!(BusinessZone::parse(" ").unwrap_err().contains("IANA"));
    }

    #[test]
    fn times_are_local_with_weekday_and_abbreviation() {
        let la = BusinessZone::parse("America/Los_Angeles").unwrap();
        // 2027-06-05 21:30 UTC is 14:30 PDT on a Saturday.
        assert_eq!(
            la.format_time(utc("2027-06-05T21:30:00Z")),
            "Sat 5 Jun 2027, 14:30 PDT"
        );
        // In winter the same zone says PST.
        assert_eq!(
            la.format_time(utc("2027-01-05T21:30:00Z")),
            "Tue 5 Jan 2027, 13:30 PST"
        );
        assert_eq!(la.format_clock(utc("2027-01-05T21:30:00Z")), "13:30 PST");
        assert_eq!(
            BusinessZone::utc().format_time(utc("2027-06-05T21:30:00Z")),
            "Sat 5 Jun 2027, 21:30 UTC"
        );
        assert_eq!(
            format_date(CharterDate::parse("2027-06-05").unwrap()),
            "Sat 5 Jun 2027"
        );
        assert_eq!(
            format_date_long(CharterDate::parse("2027-06-05").unwrap()),
            "Saturday 5 June 2027"
        );
    }

    #[test]
    fn today_is_the_business_day_not_the_utc_day() {
        let la = BusinessZone::parse("America/Los_Angeles").unwrap();
        // 03:00 UTC on 1 Jan is still 31 Dec in Los Angeles.
        let now = utc("2027-01-01T03:00:00Z");
        assert_eq!(la.today(now).to_string(), "2026-12-31");
        assert_eq!(BusinessZone::utc().today(now).to_string(), "2027-01-01");
        let tokyo = BusinessZone::parse("Asia/Tokyo").unwrap();
        assert_eq!(
            tokyo.today(utc("2026-12-31T16:00:00Z")).to_string(),
            "2027-01-01"
        );
    }

    #[test]
    fn local_start_times_become_instants() {
        let la = BusinessZone::parse("America/Los_Angeles").unwrap();
        let d = NaiveDate::from_ymd_opt(2027, 6, 5).unwrap();
        let t = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        assert_eq!(la.at_local(d, t).unwrap(), utc("2027-06-05T16:00:00Z"));
        assert_eq!(la.format_clock(la.at_local(d, t).unwrap()), "09:00 PDT");
        // Skipped by the spring change (2027-03-14 02:30 does not exist in LA): still an instant.
        let gap = NaiveDate::from_ymd_opt(2027, 3, 14).unwrap();
        let skipped = la
            .at_local(gap, NaiveTime::from_hms_opt(2, 30, 0).unwrap())
            .unwrap();
        assert_eq!(skipped, utc("2027-03-14T10:30:00Z"));
        assert_eq!(
            la.format_clock(skipped),
            "03:30 PDT",
            "shown as the .ics has it"
        );
    }
}
