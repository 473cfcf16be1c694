//! Tables for people: `comfy-table` wrapped to the terminal's width when stdout is a terminal.
//! When it is not (a pipe, a file, a test), the commands print their plain, stable layout
//! instead, which scripts and tests read. A leaf module shared by `charter list` and `dlq list`.

use std::io::IsTerminal;

use comfy_table::{presets, ColumnConstraint, ContentArrangement, Table};

/// Whether stdout is a terminal (a person reading), so a wrapped table is printed.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// A table with this header whose cells wrap so every line fits `width` columns, or the
/// terminal's width when `None`.
pub fn for_people(header: &[&str], width: Option<u16>) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    if let Some(w) = width {
        t.set_width(w);
    }
    t
}

/// Keeps these columns as wide as their content (ids a person copies, dates), never wrapped.
pub fn keep_whole(t: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}
