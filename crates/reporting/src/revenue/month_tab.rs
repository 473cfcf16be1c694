//! The month tab's data and total rows, written strictly in row order.
//!
//! The tab is a constant-memory worksheet: rust_xlsxwriter keeps only the current row and flushes
//! it to a temp file when a later row is written, silently ignoring writes to earlier rows. So
//! this writer checks that rows arrive in report order, writes each row completely before the
//! next, and writes the total row last (its formulas' cached results are the exact sums, kept here
//! as decimals while the rows go by).

use std::collections::HashMap;

use dispatch_core::domain::{Charter, CharterDate, CrewId};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, FormatBorder, Formula, Worksheet};

use super::{excel_serial, money_cell, Column};
use crate::error::ReportError;

/// The revenue workbook's cell formats.
pub(super) struct Formats {
    pub(super) header: Format,
    pub(super) title: Format,
    date: Format,
    money: Format,
    total_money: Format,
    bold: Format,
}

impl Formats {
    pub(super) fn new() -> Self {
        let money = Format::new().set_num_format("$#,##0.00");
        Self {
            header: Format::new()
                .set_bold()
                .set_border_bottom(FormatBorder::Thin),
            title: Format::new().set_bold().set_font_size(13),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            total_money: money.clone().set_bold(),
            money,
            bold: Format::new().set_bold(),
        }
    }
}

/// Writes data rows under the title and header rows, and then the total row.
pub(super) struct MonthTab<'a> {
    ws: &'a mut Worksheet,
    cols: &'a [Column],
    names: &'a HashMap<CrewId, String>,
    formats: &'a Formats,
    title: &'a str,
    /// Next 0-based row to write.
    row: u32,
    /// Sort key of the last row written (reused buffers, no allocation per row).
    last: Option<(CharterDate, String, String)>,
    guests: u64,
    revenue: Decimal,
    tips: Decimal,
}

impl<'a> MonthTab<'a> {
    pub(super) fn new(
        ws: &'a mut Worksheet,
        cols: &'a [Column],
        names: &'a HashMap<CrewId, String>,
        formats: &'a Formats,
        title: &'a str,
    ) -> Self {
        Self {
            ws,
            cols,
            names,
            formats,
            title,
            row: super::TITLE_ROWS + 1,
            last: None,
            guests: 0,
            revenue: Decimal::ZERO,
            tips: Decimal::ZERO,
        }
    }

    /// Writes one charter's row; it must not sort before the previous one.
    pub(super) fn push(&mut self, c: &Charter) -> Result<(), ReportError> {
        self.check_order(c)?;
        let r = self.row;
        for (j, col) in self.cols.iter().enumerate() {
            self.cell(r, j as u16, *col, c)
                .map_err(|source| ReportError::Xlsx {
                    what: format!("{} row {} ({})", self.title, r + 1, col.header()),
                    source,
                })?;
        }
        self.guests += u64::from(c.guest_count);
        self.revenue += c.reportable_revenue.decimal();
        self.tips += c.tips.decimal();
        self.row += 1;
        Ok(())
    }

    /// Why `c`'s row cannot be written (a text longer than an Excel cell holds), if so.
    pub(super) fn unwritable(&self, c: &Charter) -> Option<String> {
        let names = self.names;
        let too_long = |what: &str, chars: usize| {
            (chars > super::EXCEL_MAX_CHARS).then(|| {
                format!(
                    "its {what} is {chars} characters; an Excel cell holds at most {}: shorten it in the booking record",
                    super::EXCEL_MAX_CHARS
                )
            })
        };
        let joined = |parts: &mut dyn Iterator<Item = usize>| {
            parts.fold(0usize, |acc, n| acc.saturating_add(n).saturating_add(2))
        };
        self.cols.iter().find_map(|col| match col {
            Column::Vessel => too_long("vessel name", c.vessel_name.chars().count()),
            Column::Guests => too_long(
                "guest list",
                joined(&mut c.guest_names.iter().map(|g| g.chars().count())),
            ),
            Column::Captain => c
                .captain_assigned
                .as_ref()
                .and_then(|id| too_long("captain's name", name_of(names, id).chars().count())),
            Column::Crew => too_long(
                "crew list",
                joined(
                    &mut c
                        .crew_assigned
                        .iter()
                        .map(|id| name_of(names, id).chars().count()),
                ),
            ),
            _ => None,
        })
    }

    fn check_order(&mut self, c: &Charter) -> Result<(), ReportError> {
        let key = (c.charter_date, c.created_at.as_str(), c.charter_id.as_str());
        match &mut self.last {
            Some((date, created, id)) => {
                if key < (*date, created.as_str(), id.as_str()) {
                    return Err(ReportError::OutOfOrder(format!(
                        "charter {} ({} {}) came after {} ({} {}): rows must be sorted by date, \
                         created_at and id",
                        c.charter_id, c.charter_date, c.created_at, id, date, created
                    )));
                }
                *date = c.charter_date;
                created.clear();
                created.push_str(&c.created_at);
                id.clear();
                id.push_str(c.charter_id.as_str());
            }
            None => {
                self.last = Some((
                    c.charter_date,
                    c.created_at.clone(),
                    c.charter_id.as_str().to_string(),
                ))
            }
        }
        Ok(())
    }

    fn cell(
        &mut self,
        r: u32,
        j: u16,
        col: Column,
        c: &Charter,
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        let f = self.formats;
        let ws = &mut *self.ws;
        match col {
            Column::Date => {
                ws.write_number_with_format(r, j, excel_serial(c.charter_date.naive()), &f.date)?
            }
            Column::Vessel => ws.write_string(r, j, c.vessel_name.as_str())?,
            Column::Guests => {
                ws.write_string(r, j, join(c.guest_names.iter().map(String::as_str)))?
            }
            Column::GuestCount => ws.write_number(r, j, f64::from(c.guest_count))?,
            Column::Revenue => {
                ws.write_number_with_format(r, j, money_cell(c.reportable_revenue), &f.money)?
            }
            Column::Tips => ws.write_number_with_format(r, j, money_cell(c.tips), &f.money)?,
            Column::Captain => {
                let name = c
                    .captain_assigned
                    .as_ref()
                    .map(|id| name_of(self.names, id));
                ws.write_string(r, j, name.unwrap_or_default())?
            }
            Column::Crew => {
                let names = self.names;
                ws.write_string(
                    r,
                    j,
                    join(c.crew_assigned.iter().map(|id| name_of(names, id))),
                )?
            }
            Column::Status => ws.write_string(r, j, c.status.as_str())?,
            Column::CharterId => ws.write_string(r, j, c.charter_id.as_str())?,
        };
        Ok(())
    }

    /// Writes the total row right under the data and returns the last data row's Excel number
    /// (1-based; the first data row's when there was no data, so the named ranges cover one
    /// empty row).
    pub(super) fn finish(self) -> Result<u32, ReportError> {
        let above = super::TITLE_ROWS + 1;
        let data_rows = self.row - above;
        // 0-based: the row under the data (under one empty row when there was none).
        let total_row = data_rows.max(1) + above;
        let e = |w: &str| ReportError::xlsx(format!("{} {w}", self.title));
        let has_label = self
            .cols
            .first()
            .is_some_and(|c| c.defined_name().is_none());
        if has_label {
            self.ws
                .write_string_with_format(total_row, 0, "Total", &self.formats.bold)
                .map_err(e("total label"))?;
        }
        for (j, col) in self.cols.iter().enumerate() {
            let (result, fmt) = match col {
                Column::GuestCount => (self.guests.to_string(), &self.formats.bold),
                Column::Revenue => (
                    self.revenue.normalize().to_string(),
                    &self.formats.total_money,
                ),
                Column::Tips => (self.tips.normalize().to_string(), &self.formats.total_money),
                _ => continue,
            };
            let Some(name) = col.defined_name() else {
                continue;
            };
            let formula = Formula::new(format!("=SUM({name})")).set_result(result);
            self.ws
                .write_formula_with_format(total_row, j as u16, formula, fmt)
                .map_err(e("total formula"))?;
        }
        // The last data row, 1-based, is the 0-based total row.
        Ok(total_row)
    }
}

fn name_of<'n>(names: &'n HashMap<CrewId, String>, id: &'n CrewId) -> &'n str {
    names.get(id).map(String::as_str).unwrap_or(id.as_str())
}

/// `a, b, c` in one allocation, moved into the cell.
fn join<'s>(parts: impl Iterator<Item = &'s str> + Clone) -> String {
    let len: usize = parts.clone().map(|p| p.len() + 2).sum();
    let mut s = String::with_capacity(len);
    for (i, p) in parts.enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(p);
    }
    s
}
