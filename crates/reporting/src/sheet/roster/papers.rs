//! The licence and expiry columns of the `Roster` tab: `Licence class`, `Licence max passengers`,
//! `Licence expires` and `Certification expiry` (`first_aid 2027-01-03; deckhand 2026-12-31`).
//!
//! All optional. A column the sheet lacks, or a cell that cannot be read, says nothing: the stored
//! value stays (a blank cell in a column the sheet has clears it).

use std::collections::BTreeMap;

use dispatch_core::domain::{normalize_certification, CharterDate, CrewMember};

use super::cells::{cell_dates, text, unreadable};
use crate::sheet::dates::{parse_dates, YearRule};
use crate::sheet::Cell;

/// What the sheet says of one member's licence and certification expiry; `None`: nothing
/// (no such column, or an unreadable cell), the stored value stays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetPapers {
    /// `Some("")`: a blank cell.
    pub class: Option<String>,
    pub max_passengers: Option<Option<u32>>,
    pub expires: Option<Option<CharterDate>>,
    pub certification_expiry: Option<BTreeMap<String, CharterDate>>,
}

impl SheetPapers {
    /// Whether the sheet says anything of these papers.
    pub fn says_anything(&self) -> bool {
        self.class.is_some()
            || self.max_passengers.is_some()
            || self.expires.is_some()
            || self.certification_expiry.is_some()
    }

    /// `m`'s papers with what the sheet says laid over what `m` had (`m` is the stored member,
    /// or a new one with none).
    pub fn apply_to(&self, m: &mut CrewMember) {
        let mut l = m.captain_licence.clone().unwrap_or_default();
        if let Some(c) = &self.class {
            l.class = c.clone();
        }
        if let Some(n) = self.max_passengers {
            l.max_passengers = n;
        }
        if let Some(d) = self.expires {
            l.expires = d;
        }
        m.captain_licence = (!l.is_blank()).then_some(l);
        if let Some(e) = &self.certification_expiry {
            m.certification_expiry = e.clone();
        }
    }
}

/// The whole number of a `Licence max passengers` cell (`None`: blank).
pub(super) fn max_passengers(c: &Cell) -> Result<Option<u32>, String> {
    if let Some(why) = unreadable(c) {
        return Err(why);
    }
    match c {
        Cell::Empty => Ok(None),
        Cell::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(u32::MAX) => {
            Ok(Some(*n as u32))
        }
        Cell::Text(t) if t.trim().is_empty() => Ok(None),
        Cell::Text(t) => t
            .trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| "not a whole number of passengers".into()),
        other => Err(format!(
            "{} is not a whole number of passengers",
            other.display()
        )),
    }
}

/// The one date of a `Licence expires` cell (`None`: blank).
pub(super) fn one_date(c: &Cell, year: YearRule) -> Result<Option<CharterDate>, String> {
    if matches!(c, Cell::Empty) || text(c).is_none() && matches!(c, Cell::Text(_)) {
        return Ok(None);
    }
    match cell_dates(c, year)?.as_slice() {
        [d] => Ok(Some(CharterDate::from_naive(*d))),
        _ => Err("expected one date".into()),
    }
}

/// A `Certification expiry` cell: `first_aid 2027-01-03; deckhand 2026-12-31` (`;`, `,` or new
/// lines between entries; a `:` or `=` after the name is fine; names normalized).
pub(super) fn expiry_map(
    c: &Cell,
    year: YearRule,
) -> Result<BTreeMap<String, CharterDate>, String> {
    if let Some(why) = unreadable(c) {
        return Err(why);
    }
    let Some(t) = text(c) else {
        return Ok(BTreeMap::new());
    };
    let mut out = BTreeMap::new();
    for entry in t
        .split([';', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (name, date) = split_entry(entry, year).ok_or_else(|| {
            format!("`{entry}` is not a certification and a date (e.g. `first_aid 2027-01-03`)")
        })?;
        out.insert(name, date);
    }
    Ok(out)
}

/// `First Aid: Jan 3 2027` → (`first_aid`, 2027-01-03): the shortest name whose rest is one date.
fn split_entry(entry: &str, year: YearRule) -> Option<(String, CharterDate)> {
    let cuts = entry
        .char_indices()
        .filter(|(_, ch)| ch.is_whitespace())
        .map(|(i, _)| i);
    for i in cuts {
        let (name, rest) = entry.split_at(i);
        let name = normalize_certification(name.trim().trim_end_matches([':', '=']));
        if name.is_empty() {
            continue;
        }
        if let Ok(ds) = parse_dates(rest.trim().trim_start_matches([':', '=']).trim(), year) {
            if let [d] = ds.as_slice() {
                return Some((name, CharterDate::from_naive(*d)));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> CharterDate {
        CharterDate::parse(s).unwrap()
    }

    #[test]
    fn expiry_cells_read_name_then_date() {
        let got = expiry_map(
            &Cell::Text("First Aid: 2027-01-03; deckhand 12/31/2026".into()),
            YearRule::Season(2026),
        )
        .unwrap();
        assert_eq!(
            got,
            [
                ("first_aid".to_string(), d("2027-01-03")),
                ("deckhand".to_string(), d("2026-12-31"))
            ]
            .into()
        );
        assert!(expiry_map(&Cell::Text("first aid".into()), YearRule::Season(2026)).is_err());
        assert_eq!(
            expiry_map(&Cell::Empty, YearRule::Season(2026)).unwrap(),
            BTreeMap::new()
        );
    }

    #[test]
    fn licence_cells() {
        assert_eq!(max_passengers(&Cell::Number(6.0)), Ok(Some(6)));
        assert_eq!(max_passengers(&Cell::Text(" 12 ".into())), Ok(Some(12)));
        assert!(max_passengers(&Cell::Text("six".into())).is_err());
        assert_eq!(max_passengers(&Cell::Empty), Ok(None));
        assert_eq!(
            one_date(&Cell::Text("2027-01-03".into()), YearRule::Season(2026)),
            Ok(Some(d("2027-01-03")))
        );
        assert!(one_date(&Cell::Text("5/3-5/7".into()), YearRule::Season(2026)).is_err());
    }
}
