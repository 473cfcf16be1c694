//! Dates as people type them in the availability sheet, and sheet serial numbers.
//!
//! One cell may hold several dates and ranges separated by commas, semicolons or new lines:
//! `2024-05-03`, `5/3/2024`, `5/3/24`, `5/3`, `May 3`, `May 3 2024`, `3 May`, `5/3-5/7`, `May 3-7`,
//! `2024-05-03 - 2024-05-07`, `5/3 to 5/7`. Forms without a year get one by a [`YearRule`]: a
//! fixed season year, or the next occurrence from the business's today (in December, `1/5` is
//! next January). A range without years that wraps the year end (`12/28-1/3`) ends next year.
//! A date that does not exist (`2/30`), a reversed range or anything else is an error for the cell.

use chrono::{Datelike, Duration, NaiveDate};

/// The longest range accepted (a typo such as `5/3-9/3` is more likely than a 4-month stint).
pub const MAX_RANGE_DAYS: i64 = 93;

/// The date of a sheet serial number (days since 1899-12-30; the fraction is the time of day).
pub fn from_serial(serial: f64) -> Result<NaiveDate, String> {
    if !serial.is_finite() || !(1.0..=2_958_465.0).contains(&serial) {
        return Err(format!("{serial} is not a date serial number"));
    }
    let Some(base) = NaiveDate::from_ymd_opt(1899, 12, 30) else {
        return Err("no base date".into()); // 1899-12-30 exists: never taken
    };
    base.checked_add_signed(Duration::days(serial.trunc() as i64))
        .ok_or_else(|| format!("{serial} is out of range"))
}

/// How a date typed without a year gets one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearRule {
    /// Always this year (the `roster_year` setting, or the year the tab's other dates agree on).
    Season(i32),
    /// The next occurrence on or after this day (the business's today).
    NextFrom(NaiveDate),
}

impl From<i32> for YearRule {
    fn from(y: i32) -> Self {
        Self::Season(y)
    }
}

impl YearRule {
    /// The year of month `m`, day `d`.
    fn year_of(self, m: u32, d: u32) -> i32 {
        match self {
            Self::Season(y) => y,
            Self::NextFrom(today) => (today.year()..today.year() + 8)
                .find(|y| NaiveDate::from_ymd_opt(*y, m, d).is_some_and(|x| x >= today))
                .unwrap_or(today.year()),
        }
    }
}

/// Every date in a cell's text, ranges expanded, in order written.
pub fn parse_dates(text: &str, year: impl Into<YearRule>) -> Result<Vec<NaiveDate>, String> {
    Ok(parse_typed(text, year.into())?
        .into_iter()
        .map(|(d, _)| d)
        .collect())
}

/// The years of the dates in a cell that were written with a year (ISO, `5/3/2024`, `May 3 2024`).
pub fn typed_years(text: &str) -> Vec<i32> {
    parse_typed(text, YearRule::Season(2000))
        .map(|v| {
            v.into_iter()
                .filter(|(_, typed)| *typed)
                .map(|(d, _)| d.year())
                .collect()
        })
        .unwrap_or_default()
}

/// Dates with whether their year was typed.
fn parse_typed(text: &str, year: YearRule) -> Result<Vec<(NaiveDate, bool)>, String> {
    let mut out = Vec::new();
    for part in text.split([',', ';', '\n']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        out.extend(parse_item(part, year)?);
    }
    if out.is_empty() {
        return Err("no date in it".into());
    }
    Ok(out)
}

fn parse_item(s: &str, year: YearRule) -> Result<Vec<(NaiveDate, bool)>, String> {
    let single = parse_one(s, year, None);
    let Some((a, b)) = split_range(s) else {
        return single.map(|d| vec![d]);
    };
    if let Ok(d) = single {
        return Ok(vec![d]);
    }
    let (start, typed) = parse_one(a, year, None)?;
    let (mut end, end_typed) = parse_one(b, year, Some(start))?;
    if end < start && !end_typed {
        // `12/28-1/3`: a range without a year that runs over the year end.
        if let Some(next) = end
            .with_year(end.year() + 1)
            .filter(|n| (*n - start).num_days() <= MAX_RANGE_DAYS)
        {
            end = next;
        }
    }
    if end < start {
        return Err(format!("`{s}` ends before it starts"));
    }
    if (end - start).num_days() > MAX_RANGE_DAYS {
        return Err(format!(
            "`{s}` spans more than {MAX_RANGE_DAYS} days: split it or check for a typo"
        ));
    }
    Ok(start
        .iter_days()
        .take_while(|d| *d <= end)
        .map(|d| (d, typed || end_typed))
        .collect())
}

/// Splits `a - b`, `a – b`, `a to b`, or `a-b` where neither side is an ISO date's own dash.
fn split_range(s: &str) -> Option<(&str, &str)> {
    for sep in [" - ", " – ", " — ", " to ", "–", "—"] {
        if let Some((a, b)) = s.split_once(sep) {
            return Some((a.trim(), b.trim()));
        }
    }
    // `5/3-5/7`, `May 3-7`: one dash, not in ISO form.
    if s.matches('-').count() == 1 {
        return s.split_once('-').map(|(a, b)| (a.trim(), b.trim()));
    }
    None
}

fn month_of(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    if w == "sept" {
        return Some(9);
    }
    NAMES
        .iter()
        .position(|n| n.starts_with(&w) && (w.len() == 3 || w.len() == n.len()))
        .map(|i| i as u32 + 1)
}

fn ymd(y: i32, m: u32, d: u32, s: &str) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("`{s}` is not a date that exists"))
}

fn num(s: &str) -> Option<u32> {
    (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn full_year(y: u32) -> i32 {
    if y < 100 {
        2000 + y as i32
    } else {
        y as i32
    }
}

/// One date, and whether its year was typed. `after` is a range's start: a bare day (`7` in
/// `May 3-7`) takes its month and year, and so does a yearless end (`5/3-5/7`).
fn parse_one(
    s: &str,
    year: YearRule,
    after: Option<NaiveDate>,
) -> Result<(NaiveDate, bool), String> {
    let yearless = |m: u32, d: u32| {
        after
            .map(|a| a.year())
            .unwrap_or_else(|| year.year_of(m, d))
    };
    let s = s.trim();
    let bad = || {
        format!("`{s}` is not a date this sheet understands (use 2024-05-03, 5/3/2024 or May 3)")
    };
    // ISO.
    let dash: Vec<&str> = s.split('-').collect();
    if dash.len() == 3 && dash[0].len() == 4 {
        if let (Some(y), Some(m), Some(d)) = (num(dash[0]), num(dash[1]), num(dash[2])) {
            return ymd(y as i32, m, d, s).map(|x| (x, true));
        }
    }
    // US: M/D[/Y].
    let slash: Vec<&str> = s.split('/').collect();
    if slash.len() == 2 || slash.len() == 3 {
        let (m, d) = (
            num(slash[0]).ok_or_else(bad)?,
            num(slash[1]).ok_or_else(bad)?,
        );
        let (y, typed) = match slash.get(2) {
            Some(y) => (full_year(num(y).ok_or_else(bad)?), true),
            None => (yearless(m, d), false),
        };
        return ymd(y, m, d, s).map(|x| (x, typed));
    }
    // A bare day after a range start.
    if let (Some(d), Some(a)) = (num(s), after) {
        if d <= 31 {
            return ymd(a.year(), a.month(), d, s).map(|x| (x, false));
        }
    }
    // Words: `May 3`, `May 3 2024`, `May 3, 2024` (commas already split), `3 May`, `3 May 2024`.
    let words: Vec<&str> = s
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let day =
        |w: &str| num(w.trim_end_matches(['s', 't', 'n', 'd', 'r', 'h'])).filter(|d| *d <= 31);
    let y_of = |w: Option<&&str>, m: u32, d: u32| -> Result<(i32, bool), String> {
        match w {
            None => Ok((yearless(m, d), false)),
            Some(w) => num(w).map(|y| (full_year(y), true)).ok_or_else(bad),
        }
    };
    if (2..=3).contains(&words.len()) {
        let md = month_of(words[0])
            .zip(day(words[1]))
            .or_else(|| day(words[0]).zip(month_of(words[1])).map(|(d, m)| (m, d)));
        if let Some((m, d)) = md {
            let (y, typed) = y_of(words.get(2), m, d)?;
            return ymd(y, m, d, s).map(|x| (x, typed));
        }
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_form() {
        let may3 = vec![d("2024-05-03")];
        for s in [
            "2024-05-03",
            "5/3/2024",
            "5/3/24",
            "5/3",
            "05/03",
            "May 3",
            "may 3 2024",
            "3 May",
            "3 May 2024",
            "May 3rd",
            "Sept 3",
        ] {
            let want = if s.starts_with("Sept") {
                vec![d("2024-09-03")]
            } else {
                may3.clone()
            };
            assert_eq!(parse_dates(s, 2024).unwrap(), want, "{s}");
        }
        let five: Vec<NaiveDate> = (3..=7).map(|i| d(&format!("2024-05-0{i}"))).collect();
        for s in [
            "5/3-5/7",
            "May 3-7",
            "2024-05-03 - 2024-05-07",
            "5/3 to 5/7",
            "May 3 – May 7",
        ] {
            assert_eq!(parse_dates(s, 2024).unwrap(), five, "{s}");
        }
        assert_eq!(parse_dates("5/3, 5/10; 5/11\n5/12", 2024).unwrap().len(), 4);
        assert_eq!(from_serial(45415.0).unwrap(), d("2024-05-03"));
        assert_eq!(from_serial(45415.75).unwrap(), d("2024-05-03"));
    }

    #[test]
    fn bad_ones_say_why() {
        assert!(parse_dates("2/30", 2024).unwrap_err().contains("exists"));
        assert!(parse_dates("2024-02-30", 2024)
            .unwrap_err()
            .contains("exists"));
        assert!(parse_dates("5/7-5/3", 2024).unwrap_err().contains("before"));
        assert!(parse_dates("soon", 2024)
            .unwrap_err()
            .contains("not a date"));
        assert!(parse_dates("5/3-9/30", 2024).unwrap_err().contains("days"));
        assert!(parse_dates(" , ", 2024).is_err());
        assert!(from_serial(-3.0).is_err());
        assert!(from_serial(f64::NAN).is_err());
    }

    #[test]
    fn yearless_dates_are_the_next_occurrence_from_today() {
        let december = YearRule::NextFrom(d("2026-12-01"));
        assert_eq!(parse_dates("1/5", december).unwrap(), vec![d("2027-01-05")]);
        assert_eq!(
            parse_dates("Jan 5", december).unwrap(),
            vec![d("2027-01-05")]
        );
        assert_eq!(
            parse_dates("12/24", december).unwrap(),
            vec![d("2026-12-24")]
        );
        assert_eq!(
            parse_dates("12/1", december).unwrap(),
            vec![d("2026-12-01")],
            "today counts"
        );
        assert_eq!(
            parse_dates("1/5/2026", december).unwrap(),
            vec![d("2026-01-05")],
            "a typed year stays"
        );
        // A range over the year end.
        let wrap = parse_dates("12/30-1/2", december).unwrap();
        assert_eq!(
            wrap,
            vec![
                d("2026-12-30"),
                d("2026-12-31"),
                d("2027-01-01"),
                d("2027-01-02")
            ]
        );
        // Feb 29 is the next one that exists.
        assert_eq!(
            parse_dates("2/29", YearRule::NextFrom(d("2026-03-01"))).unwrap(),
            vec![d("2028-02-29")]
        );
        assert_eq!(typed_years("5/3/2027, 6/1, 2027-07-04"), vec![2027, 2027]);
        assert!(typed_years("5/3").is_empty());
    }

    proptest! {
        #[test]
        fn any_date_in_any_form_reads_back(days in 0i64..3650) {
            let date = d("2020-01-01") + Duration::days(days);
            let y = date.year();
            let names = ["Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"];
            let forms = [
                date.format("%Y-%m-%d").to_string(),
                format!("{}/{}/{}", date.month(), date.day(), y),
                format!("{}/{}/{}", date.month(), date.day(), y % 100),
                format!("{}/{}", date.month(), date.day()),
                format!("{} {}", names[date.month0() as usize], date.day()),
                format!("{} {} {}", date.day(), names[date.month0() as usize], y),
            ];
            for f in forms {
                prop_assert_eq!(parse_dates(&f, y).unwrap(), vec![date], "{}", f);
            }
        }
    }
}
