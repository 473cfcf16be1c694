//! The monthly revenue workbook: a `Template` tab and a month tab such as `May 2024`.
//!
//! Layout (pure; bytes out):
//! - `Template`: the header row (frozen), nothing else.
//! - month tab ([`Month::title`]), the tab the workbook opens on: a title row (business, month,
//!   generated at), then the header row (title and header frozen), then one row per charter that
//!   is reportable ([`is_reportable`]: `reportable_revenue > 0` and not cancelled; the filter is
//!   applied here; of several versions of one charter only the newest `created_at`), sorted by
//!   date then `created_at` (then `charter_id`); a `Total` row whose cells are formulas over
//!   workbook-level defined names, with the exact totals stored as the formulas' cached results
//!   (so previews that do not recalculate show them).
//! - defined names (workbook scope), each the data range of its month-tab column:
//!   `GuestCount`, `Revenue`, `Tips`. Totals are `=SUM(GuestCount)`, `=SUM(Revenue)`, `=SUM(Tips)`.
//!   With no data rows the ranges cover the single (empty) first data row, so the sums are 0.
//!
//! The month tab is written in rust_xlsxwriter's constant-memory mode (`month_tab.rs`): each row
//! goes to a temp file once the next one starts, so a 100,000-row month costs a few MB beyond the
//! input. [`revenue_workbook`] takes a slice and sorts it; [`RevenueReport::write_sorted`] takes
//! rows already in report order from any iterator (e.g. one day's query after another), so the
//! whole month never has to be in memory. Both report progress to a callback.
//!
//! The columns (their headers, order, widths, defined names, and cell conversions) are in
//! `columns.rs`; this file is the report itself.

mod columns;
mod month_tab;

pub use crate::left_out::LeftOut;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use dispatch_core::domain::{Charter, CharterStatus, CrewId, Month};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use crate::error::ReportError;
pub(crate) use columns::{col_letter, money_cell};
pub use columns::{column_order, excel_serial, is_known_header, Column, TITLE_ROWS};
use month_tab::{Formats, MonthTab};

/// Whether a charter belongs on the month tab: some reportable revenue, and not cancelled.
pub fn is_reportable(c: &Charter) -> bool {
    c.reportable_revenue.is_positive() && c.status != CharterStatus::Cancelled
}

/// The order rows appear in on the month tab: date, then `created_at`, then id.
fn report_order(a: &Charter, b: &Charter) -> std::cmp::Ordering {
    (a.charter_date, &a.created_at, a.charter_id.as_str()).cmp(&(
        b.charter_date,
        &b.created_at,
        b.charter_id.as_str(),
    ))
}

/// Builds the revenue workbook for `month` and returns the xlsx bytes.
///
/// `names` maps crew ids to display names (the id itself when absent); `prior_columns` is the header
/// row of the prior month's tab, if any (see [`column_order`]). Same as
/// `RevenueReport::new(month, names).prior_columns(prior_columns).workbook(charters, &mut |_, _| {})`.
pub fn revenue_workbook(
    charters: &[Charter],
    month: Month,
    names: &HashMap<CrewId, String>,
    prior_columns: Option<&[String]>,
) -> Result<Vec<u8>, ReportError> {
    RevenueReport::new(month, names)
        .prior_columns(prior_columns)
        .workbook(charters, &mut |_, _| {})
}

/// A month's revenue report settings; write it from a slice ([`RevenueReport::workbook`]) or
/// from sorted rows streamed in ([`RevenueReport::write_sorted`]).
///
/// Progress callbacks get `(rows done, rows expected)`: at the start, after every
/// [`RevenueReport::PROGRESS_EVERY`] rows, and once when the file is complete (then
/// `done == total`).
#[derive(Debug, Clone, Copy)]
pub struct RevenueReport<'a> {
    month: Month,
    names: &'a HashMap<CrewId, String>,
    prior_columns: Option<&'a [String]>,
    business: &'a str,
    generated_at: Option<DateTime<Utc>>,
    unreadable: &'a [LeftOut],
}

impl<'a> RevenueReport<'a> {
    /// How many rows pass between two progress calls.
    pub const PROGRESS_EVERY: usize = 1000;

    /// The report for `month`; `names` maps crew ids to display names.
    pub fn new(month: Month, names: &'a HashMap<CrewId, String>) -> Self {
        Self {
            month,
            names,
            prior_columns: None,
            business: "",
            generated_at: None,
            unreadable: &[],
        }
    }

    /// Charters of the month whose stored records cannot be read: named on the `Left out` tab
    /// with the rows the workbook itself could not hold.
    pub fn unreadable(mut self, left_out: &'a [LeftOut]) -> Self {
        self.unreadable = left_out;
        self
    }

    /// The title row's business name and time of generation (left out when not given).
    pub fn titled(mut self, business: &'a str, generated_at: DateTime<Utc>) -> Self {
        self.business = business;
        self.generated_at = Some(generated_at);
        self
    }

    /// The month tab's title row: `business · May 2024 · generated 2024-06-01 08:00 UTC`.
    pub fn title_line(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.business.trim().is_empty() {
            parts.push(self.business.trim().to_string());
        }
        parts.push(format!("Revenue {}", self.month.title()));
        if let Some(at) = self.generated_at {
            parts.push(format!("generated {}", at.format("%Y-%m-%d %H:%M UTC")));
        }
        parts.join(" · ")
    }

    /// Follow the column order of the prior month's header row (see [`column_order`]).
    pub fn prior_columns(mut self, prior: Option<&'a [String]>) -> Self {
        self.prior_columns = prior;
        self
    }

    /// The month tab's columns, in order.
    pub fn columns(&self) -> Vec<Column> {
        column_order(self.prior_columns)
    }

    /// Filters and sorts `charters` and returns the xlsx bytes. A charter that cannot be written
    /// (a text over Excel's 32,767 characters) is a [`ReportError::Unwritable`] naming it; use
    /// [`RevenueReport::workbook_leaving_out`] to write the rest anyway.
    pub fn workbook(
        &self,
        charters: &[Charter],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<u8>, ReportError> {
        let out = self.workbook_leaving_out(charters, progress)?;
        if !out.left_out.is_empty() {
            return Err(ReportError::Unwritable(out.left_out));
        }
        Ok(out.bytes)
    }

    /// Like [`RevenueReport::workbook`], but a charter that cannot be written is left out and
    /// named in [`Written::left_out`]; every other row is written.
    pub fn workbook_leaving_out(
        &self,
        charters: &[Charter],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Written, ReportError> {
        let newest = dispatch_core::ports::newest_versions(charters.to_vec());
        let mut rows: Vec<&Charter> = newest.iter().filter(|c| is_reportable(c)).collect();
        rows.sort_by(|a, b| report_order(a, b));
        let total = rows.len();
        let (mut wb, counts) = self.build(rows, total, progress)?;
        let bytes = wb.save_to_buffer().map_err(ReportError::xlsx("workbook"))?;
        progress(total, total);
        Ok(Written {
            bytes,
            left_out: counts.left_out,
        })
    }

    /// Streams `rows` (already in report order: date, `created_at`, `charter_id`; one version
    /// per charter, as [`dispatch_core::ports::Charters::in_month`] gives them) into the
    /// workbook and writes the xlsx file to `out`. Rows that are not reportable are skipped, as
    /// in [`RevenueReport::workbook`]; a row that sorts before the previous one is an
    /// [`ReportError::OutOfOrder`] error and nothing is written to `out`. `expected` is the row
    /// count shown to the progress callback. Returns the number of data rows written.
    pub fn write_sorted<C, I, W>(
        &self,
        rows: I,
        expected: usize,
        progress: &mut dyn FnMut(usize, usize),
        out: W,
    ) -> Result<usize, ReportError>
    where
        C: Borrow<Charter>,
        I: IntoIterator<Item = C>,
        W: Write + Send,
    {
        let (mut wb, counts) = self.build(rows, expected, progress)?;
        if !counts.left_out.is_empty() {
            return Err(ReportError::Unwritable(counts.left_out));
        }
        wb.save_to_writer(out)
            .map_err(ReportError::xlsx("workbook"))?;
        progress(counts.consumed, counts.consumed.max(expected));
        Ok(counts.written)
    }

    /// Template tab, month tab (reportable rows, in order) and defined names, ready to save.
    fn build<C: Borrow<Charter>>(
        &self,
        rows: impl IntoIterator<Item = C>,
        expected: usize,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(Workbook, Counts), ReportError> {
        let cols = self.columns();
        let title = self.month.title();
        let formats = Formats::new();
        let mut wb = Workbook::new();

        let mut template = Worksheet::new();
        template
            .set_name("Template")
            .map_err(ReportError::xlsx("Template tab"))?;
        write_header(&mut template, &cols, &formats.header)?;
        wb.push_worksheet(template);

        let ws = wb
            .add_worksheet_with_constant_memory()
            .map_err(ReportError::xlsx("month tab (temp file)"))?;
        ws.set_name(&title)
            .map_err(ReportError::xlsx("month tab name"))?;
        ws.set_active(true);
        ws.write_string_with_format(0, 0, self.title_line(), &formats.title)
            .map_err(ReportError::xlsx("title row"))?;
        write_header_at(ws, TITLE_ROWS, &cols, &formats.header)?;
        let mut tab = MonthTab::new(ws, &cols, self.names, &formats, &title);
        progress(0, expected);
        let mut counts = Counts::default();
        for row in rows {
            let c = row.borrow();
            if is_reportable(c) {
                // Checked before the row starts: a constant-memory row cannot be taken back.
                match tab.unwritable(c) {
                    Some(why) => counts.left_out.push(LeftOut {
                        charter_id: c.charter_id.to_string(),
                        charter_date: c.charter_date.to_string(),
                        why,
                    }),
                    None => {
                        tab.push(c)?;
                        counts.written += 1;
                    }
                }
            }
            counts.consumed += 1;
            if counts.consumed % Self::PROGRESS_EVERY == 0 {
                progress(counts.consumed, expected);
            }
        }
        let last_data_row = tab.finish()?;
        let mut named = self.unreadable.to_vec();
        named.extend(counts.left_out.iter().cloned());
        write_left_out_tab(&mut wb, &named, &formats.header)?;

        for col in &cols {
            if let Some(name) = col.defined_name() {
                let j = cols.iter().position(|c| c == col).unwrap_or(0) as u16;
                let letter = col_letter(j);
                let first = TITLE_ROWS + 2;
                let range = format!("='{title}'!${letter}${first}:${letter}${last_data_row}");
                wb.define_name(name, &range)
                    .map_err(ReportError::xlsx(format!("defined name {name}")))?;
            }
        }
        Ok((wb, counts))
    }
}

/// Rows taken from the input and rows written to the month tab.
#[derive(Debug, Default, Clone)]
struct Counts {
    consumed: usize,
    written: usize,
    left_out: Vec<LeftOut>,
}

/// A workbook and the charters left out of it.
#[derive(Debug, Clone)]
pub struct Written {
    pub bytes: Vec<u8>,
    pub left_out: Vec<LeftOut>,
}

/// The most characters an Excel cell holds.
pub const EXCEL_MAX_CHARS: usize = 32_767;

/// The header row (bold, ruled) on the first row, frozen, and the column widths.
fn write_header(ws: &mut Worksheet, cols: &[Column], fmt: &Format) -> Result<(), ReportError> {
    write_header_at(ws, 0, cols, fmt)
}

/// The header row on row `row` (0-based), frozen with everything above it, and the widths.
fn write_header_at(
    ws: &mut Worksheet,
    row: u32,
    cols: &[Column],
    fmt: &Format,
) -> Result<(), ReportError> {
    for (j, c) in cols.iter().enumerate() {
        ws.write_string_with_format(row, j as u16, c.header(), fmt)
            .map_err(ReportError::xlsx("header"))?;
        ws.set_column_width(j as u16, c.width())
            .map_err(ReportError::xlsx("widths"))?;
    }
    ws.set_freeze_panes(row + 1, 0)
        .map_err(ReportError::xlsx("frozen header"))?;
    Ok(())
}

/// The name of the tab listing the charters a workbook leaves out.
pub const LEFT_OUT_TAB: &str = "Left out";

/// Adds the `Left out` tab (charter, date, why) when `left_out` names any charter.
fn write_left_out_tab(
    wb: &mut rust_xlsxwriter::Workbook,
    left_out: &[LeftOut],
    header: &rust_xlsxwriter::Format,
) -> Result<(), ReportError> {
    if left_out.is_empty() {
        return Ok(());
    }
    let ws = wb.add_worksheet();
    ws.set_name(LEFT_OUT_TAB)
        .map_err(ReportError::xlsx("Left out tab"))?;
    for (j, (h, width)) in [
        ("Charter", 38.0),
        ("Date", 12.0),
        ("Why it is left out", 80.0),
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string_with_format(0, j as u16, h, header)
            .map_err(ReportError::xlsx("Left out tab"))?;
        ws.set_column_width(j as u16, width)
            .map_err(ReportError::xlsx("Left out tab"))?;
    }
    for (i, l) in left_out.iter().enumerate() {
        let row = i as u32 + 1;
        for (j, text) in [&l.charter_id, &l.charter_date, &l.why]
            .into_iter()
            .enumerate()
        {
            let clipped: String = text.chars().take(EXCEL_MAX_CHARS).collect();
            ws.write_string(row, j as u16, clipped)
                .map_err(ReportError::xlsx("Left out tab"))?;
        }
    }
    Ok(())
}
