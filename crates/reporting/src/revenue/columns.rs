//! The month tab's columns: which there are, their headers, widths and defined names, the order
//! taken from the prior month's workbook, and the conversions of dates and money into cells.
//! Pure; its own file so the report (`mod.rs`) and the row writer (`month_tab.rs`) share it.

use chrono::NaiveDate;
use dispatch_core::domain::Money;
use rust_decimal::prelude::ToPrimitive;

/// A month-tab column. Header names are the `header()` strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Date,
    Vessel,
    Guests,
    GuestCount,
    Revenue,
    Tips,
    Captain,
    Crew,
    Status,
    CharterId,
}

/// Rows above the header on the month tab (the title row).
pub const TITLE_ROWS: u32 = 1;

/// Whether `text` is one of the month tab's column headers (case/space-insensitive).
pub fn is_known_header(text: &str) -> bool {
    let n = norm(text);
    Column::ALL.iter().any(|c| norm(c.header()) == n)
}

impl Column {
    /// Default order of the month tab (the columns added later come last, as they do after a
    /// prior month's order).
    pub const ALL: [Column; 10] = [
        Column::Date,
        Column::Vessel,
        Column::Guests,
        Column::GuestCount,
        Column::Revenue,
        Column::Tips,
        Column::Captain,
        Column::Crew,
        Column::Status,
        Column::CharterId,
    ];

    /// The header text, also what [`column_order`] matches (case/space-insensitive).
    pub fn header(self) -> &'static str {
        match self {
            Column::Date => "Date",
            Column::Vessel => "Vessel",
            Column::Guests => "Guests",
            Column::GuestCount => "Guest count",
            Column::Revenue => "Revenue",
            Column::Tips => "Tips",
            Column::Captain => "Captain",
            Column::Crew => "Crew",
            Column::Status => "Status",
            Column::CharterId => "Charter id",
        }
    }

    /// The workbook-level defined name over this column's data, for the summed columns.
    pub fn defined_name(self) -> Option<&'static str> {
        match self {
            Column::GuestCount => Some("GuestCount"),
            Column::Revenue => Some("Revenue"),
            Column::Tips => Some("Tips"),
            _ => None,
        }
    }

    /// Column width in Excel character units.
    pub fn width(self) -> f64 {
        match self {
            Column::Date => 12.0,
            Column::Vessel => 20.0,
            Column::Guests | Column::Crew => 40.0,
            Column::GuestCount => 12.0,
            Column::Revenue | Column::Tips => 14.0,
            Column::Captain => 20.0,
            Column::Status => 11.0,
            Column::CharterId => 38.0,
        }
    }
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The month tab's columns: known prior headers in their prior order, then any columns the prior
/// month lacked, in default order. Unknown prior headers are ignored.
pub fn column_order(prior: Option<&[String]>) -> Vec<Column> {
    let mut out: Vec<Column> = Vec::new();
    for h in prior.unwrap_or_default() {
        let n = norm(h);
        if let Some(c) = Column::ALL.iter().find(|c| norm(c.header()) == n) {
            if !out.contains(c) {
                out.push(*c);
            }
        }
    }
    for c in Column::ALL {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Excel serial day number (days since 1899-12-30) of a date.
pub fn excel_serial(d: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or(NaiveDate::MIN);
    (d - epoch).num_days() as f64
}

pub(crate) fn col_letter(mut i: u16) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// The one place money becomes `f64`: a spreadsheet cell.
pub(crate) fn money_cell(m: Money) -> f64 {
    m.decimal().to_f64().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prior_order_is_kept_new_columns_last_unknown_ignored() {
        let prior: Vec<String> = ["Vessel", "  date ", "Bogus", "Revenue"]
            .map(String::from)
            .into();
        let order = column_order(Some(&prior));
        assert_eq!(
            &order[..3],
            &[Column::Vessel, Column::Date, Column::Revenue]
        );
        assert_eq!(order.len(), Column::ALL.len());
        assert_eq!(column_order(None), Column::ALL.to_vec());
    }

    #[test]
    fn serials_and_letters() {
        let d = NaiveDate::from_ymd_opt(2024, 5, 3).expect("valid");
        assert_eq!(excel_serial(d), 45415.0);
        assert_eq!(col_letter(0), "A");
        assert_eq!(col_letter(25), "Z");
        assert_eq!(col_letter(26), "AA");
    }
}
