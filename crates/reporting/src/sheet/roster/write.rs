//! The other way round: a member's availability written back into the sheet, when the
//! availability Sheet is the source of truth and the member changed their days on the crew page.
//! Pure: which cells to write, with what; the caller writes them (Sheets `values.update`) and
//! the next sync reads them back as [`super::read_sheet`] does.
//!
//! - Status tabs (`Available`, …): the member's row of the first available tab gets every day
//!   they are available, one ISO date a cell after their name, the cells after blanked; a member
//!   without a row gets one at the end. Their rows in unavailable tabs are blanked (the available
//!   row now says it all: a day there that is also in an unavailable tab would read as taken).
//! - One tab per member (named like them): its labels stay, every other cell is blanked and the
//!   days go one a row in column A below what was there.

use dispatch_core::domain::CrewMember;

use super::cells::{norm, status_of, text};
use crate::sheet::{a1, Cell, Tab};

/// Cells to write: `range` (A1, without the tab) of tab `tab`, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeWrite {
    pub tab: String,
    pub range: String,
    pub values: Vec<Vec<String>>,
}

/// The writes that make the sheet say `m`'s availability (its `available_dates`), or why the
/// sheet has no place for it.
pub fn availability_writes(tabs: &[Tab], m: &CrewMember) -> Result<Vec<RangeWrite>, String> {
    let refs: Vec<String> = [m.name.as_str(), m.email.as_str(), m.crew_id.as_str()]
        .iter()
        .map(|s| norm(s))
        .filter(|s| !s.is_empty())
        .collect();
    let is_member = |s: &str| refs.contains(&norm(s));
    let days: Vec<String> = m
        .available_dates
        .iter()
        .map(|d| d.naive().format("%Y-%m-%d").to_string())
        .collect();
    let mut out = Vec::new();
    if let Some(tab) = tabs.iter().find(|t| status_of(&t.name) == Some(true)) {
        out.push(match member_row(tab, &is_member) {
            Some((r, c0)) => {
                let width = days
                    .len()
                    .max(tab.rows[r].len().saturating_sub(c0 + 1))
                    .max(1);
                row_write(tab, r, c0 + 1, padded(days.clone(), width))
            }
            None => {
                let mut row = vec![m.name.clone()];
                row.extend(days.iter().cloned());
                row_write(tab, tab.rows.len(), 0, row)
            }
        });
        for tab in tabs.iter().filter(|t| status_of(&t.name) == Some(false)) {
            if let Some((r, c0)) = member_row(tab, &is_member) {
                let width = tab.rows[r].len().saturating_sub(c0 + 1);
                if width > 0 {
                    out.push(row_write(tab, r, c0 + 1, padded(Vec::new(), width)));
                }
            }
        }
        return Ok(out);
    }
    if let Some(tab) = tabs
        .iter()
        .find(|t| norm(&t.name) != "roster" && is_member(&t.name))
    {
        let cols = tab.rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut rows: Vec<Vec<String>> = tab
            .rows
            .iter()
            .map(|row| {
                (0..cols)
                    .map(|c| match row.get(c) {
                        Some(cell @ Cell::Text(t)) if is_label(t) => text(cell).unwrap_or_default(),
                        _ => String::new(),
                    })
                    .collect()
            })
            .collect();
        rows.extend(days.iter().map(|d| padded(vec![d.clone()], cols)));
        if rows.is_empty() {
            rows.push(padded(Vec::new(), cols));
        }
        let last = a1(rows.len() - 1, cols - 1);
        out.push(RangeWrite {
            tab: tab.name.clone(),
            range: format!("A1:{last}"),
            values: rows,
        });
        return Ok(out);
    }
    Err(format!(
        "the availability sheet has no `Available` tab and no tab named for {}: add an `Available` tab (a row per member: name, then dates)",
        m.name
    ))
}

/// A text cell with no digit: a label, as [`super::read_sheet`] skips it on a member's tab.
fn is_label(t: &str) -> bool {
    !t.chars().any(|c| c.is_ascii_digit())
}

/// The row and first column of the member's row in a status tab.
fn member_row(tab: &Tab, is_member: &impl Fn(&str) -> bool) -> Option<(usize, usize)> {
    tab.rows.iter().enumerate().find_map(|(r, row)| {
        let (c0, first) = row.iter().enumerate().find(|(_, c)| !c.is_empty())?;
        text(first).filter(|t| is_member(t)).map(|_| (r, c0))
    })
}

fn padded(mut cells: Vec<String>, width: usize) -> Vec<String> {
    cells.resize(width.max(cells.len()), String::new());
    cells
}

fn row_write(tab: &Tab, r: usize, c: usize, cells: Vec<String>) -> RangeWrite {
    let end = c + cells.len().max(1) - 1;
    RangeWrite {
        tab: tab.name.clone(),
        range: format!("{}:{}", a1(r, c), a1(r, end)),
        values: vec![cells],
    }
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
