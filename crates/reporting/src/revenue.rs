//! The monthly revenue workbook: a `Template` tab and a month tab such as `May 2024`.
//!
//! Layout (pure; bytes out):
//! - `Template`: the header row (frozen), nothing else.
//! - month tab ([`Month::title`]): one row per charter with `reportable_revenue > 0` (the filter is
//!   applied here), sorted by date then `created_at`; frozen header; a `Total` row whose cells are
//!   formulas over workbook-level defined names.
//! - defined names (workbook scope), each the data range of its month-tab column:
//!   `GuestCount`, `Revenue`, `Tips`. Totals are `=SUM(GuestCount)`, `=SUM(Revenue)`, `=SUM(Tips)`.
//!   With no data rows the ranges cover the single (empty) first data row, so the sums are 0.

use std::collections::HashMap;

use chrono::NaiveDate;
use dispatch_core::domain::{Charter, CrewId, Month};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatBorder, Workbook, Worksheet};

use crate::error::ReportError;

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
}

impl Column {
    /// Default order of the month tab.
    pub const ALL: [Column; 8] = [
        Column::Date,
        Column::Vessel,
        Column::Guests,
        Column::GuestCount,
        Column::Revenue,
        Column::Tips,
        Column::Captain,
        Column::Crew,
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

    fn width(self) -> f64 {
        match self {
            Column::Date => 12.0,
            Column::Vessel => 20.0,
            Column::Guests | Column::Crew => 40.0,
            Column::GuestCount => 12.0,
            Column::Revenue | Column::Tips => 14.0,
            Column::Captain => 20.0,
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

fn col_letter(mut i: u16) -> String {
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

/// Builds the revenue workbook for `month` and returns the xlsx bytes.
///
/// `names` maps crew ids to display names (the id itself when absent); `prior_columns` is the header
/// row of the prior month's tab, if any (see [`column_order`]).
pub fn revenue_workbook(
    charters: &[Charter],
    month: Month,
    names: &HashMap<CrewId, String>,
    prior_columns: Option<&[String]>,
) -> Result<Vec<u8>, ReportError> {
    let cols = column_order(prior_columns);
    let mut rows: Vec<&Charter> = charters
        .iter()
        .filter(|c| c.reportable_revenue.is_positive())
        .collect();
    rows.sort_by(|a, b| {
        (a.charter_date, &a.created_at, a.charter_id.as_str()).cmp(&(
            b.charter_date,
            &b.created_at,
            b.charter_id.as_str(),
        ))
    });
    let title = month.title();
    let header = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let money_fmt = Format::new().set_num_format("$#,##0.00");
    let total_money = money_fmt.clone().set_bold();
    let bold = Format::new().set_bold();
    let name_of = |id: &CrewId| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.as_str().to_string())
    };

    let mut wb = Workbook::new();
    let mut template = Worksheet::new();
    template
        .set_name("Template")
        .map_err(ReportError::xlsx("Template tab"))?;
    write_header(&mut template, &cols, &header)?;

    let mut ws = Worksheet::new();
    ws.set_name(&title)
        .map_err(ReportError::xlsx("month tab name"))?;
    write_header(&mut ws, &cols, &header)?;
    let e = |w: &str| ReportError::xlsx(format!("{title} {w}"));
    for (i, c) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        for (j, col) in cols.iter().enumerate() {
            let j = j as u16;
            match col {
                Column::Date => ws
                    .write_number_with_format(r, j, excel_serial(c.charter_date.naive()), &date_fmt)
                    .map(|_| ()),
                Column::Vessel => ws.write_string(r, j, &c.vessel_name).map(|_| ()),
                Column::Guests => ws.write_string(r, j, c.guest_names.join(", ")).map(|_| ()),
                Column::GuestCount => ws.write_number(r, j, f64::from(c.guest_count)).map(|_| ()),
                Column::Revenue => ws
                    .write_number_with_format(r, j, money(c.reportable_revenue), &money_fmt)
                    .map(|_| ()),
                Column::Tips => ws
                    .write_number_with_format(r, j, money(c.tips), &money_fmt)
                    .map(|_| ()),
                Column::Captain => ws
                    .write_string(
                        r,
                        j,
                        c.captain_assigned.as_ref().map(name_of).unwrap_or_default(),
                    )
                    .map(|_| ()),
                Column::Crew => {
                    let crew: Vec<String> = c.crew_assigned.iter().map(name_of).collect();
                    ws.write_string(r, j, crew.join(", ")).map(|_| ())
                }
            }
            .map_err(e("data cell"))?;
        }
    }
    // Totals row, right under the data.
    let total_row = rows.len().max(1) as u32 + 1;
    let last_data_excel_row = rows.len().max(1) + 1;
    for (j, col) in cols.iter().enumerate() {
        let j16 = j as u16;
        if j == 0 {
            ws.write_string_with_format(total_row, 0, "Total", &bold)
                .map_err(e("total label"))?;
        }
        if let Some(name) = col.defined_name() {
            let letter = col_letter(j16);
            let range = format!("='{title}'!${letter}$2:${letter}${last_data_excel_row}");
            wb.define_name(name, &range)
                .map_err(ReportError::xlsx(format!("defined name {name}")))?;
            let f = format!("=SUM({name})");
            let fmt = if *col == Column::GuestCount {
                &bold
            } else {
                &total_money
            };
            ws.write_formula_with_format(total_row, j16, f.as_str(), fmt)
                .map_err(e("total formula"))?;
        }
    }
    for ws in [&mut template, &mut ws] {
        for (j, col) in cols.iter().enumerate() {
            ws.set_column_width(j as u16, col.width())
                .map_err(ReportError::xlsx("widths"))?;
        }
    }
    wb.push_worksheet(template);
    wb.push_worksheet(ws);
    wb.save_to_buffer().map_err(ReportError::xlsx("workbook"))
}

fn write_header(ws: &mut Worksheet, cols: &[Column], fmt: &Format) -> Result<(), ReportError> {
    for (j, c) in cols.iter().enumerate() {
        ws.write_string_with_format(0, j as u16, c.header(), fmt)
            .map_err(ReportError::xlsx("header"))?;
    }
    ws.set_freeze_panes(1, 0)
        .map_err(ReportError::xlsx("frozen header"))?;
    Ok(())
}

/// The one place money becomes `f64`: a spreadsheet cell.
fn money(m: dispatch_core::domain::Money) -> f64 {
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
