//! A member's statement as a single-tab workbook (the house format), and its file name.
//!
//! Layout of the tab, named like the month (`May 2024`):
//! - rows 1-3, the title block: `Crew statement`, the member's name, the month;
//! - row 5, the header: Date, Vessel, Role, Charter revenue, Tips (charter), Your share — frozen
//!   with the title block above it;
//! - one row per [`StatementLine`], in the statement's order;
//! - a `Total` row: `=SUM(F6:F…)` over the share column, with the exact
//!   [`Statement::total_share`] as its cached result (mail previews that do not recalculate
//!   show it too).
//!
//! Dates are real Excel dates (`yyyy-mm-dd`), money is currency (`$#,##0.00`).

use rust_xlsxwriter::{Format, FormatBorder, Formula, Workbook, Worksheet, XlsxError};

use crate::error::ReportError;
use crate::revenue::{col_letter, excel_serial, money_cell};
use crate::statement::{Statement, StatementLine};

/// The header row's titles, left to right.
pub const HEADERS: [&str; 6] = [
    "Date",
    "Vessel",
    "Role",
    "Charter revenue",
    "Tips (charter)",
    "Your share",
];

/// 0-based index of the header row (Excel row 5); data starts on the next row.
pub const HEADER_ROW: u32 = 4;

const WIDTHS: [f64; 6] = [12.0, 24.0, 10.0, 16.0, 15.0, 14.0];
const SHARE_COL: u16 = 5;

/// The statement workbook's xlsx bytes.
pub fn statement_workbook(statement: &Statement) -> Result<Vec<u8>, ReportError> {
    let mut ws = Worksheet::new();
    write_tab(&mut ws, statement).map_err(ReportError::xlsx(format!(
        "statement of {} for {}",
        statement.crew_id,
        statement.month.title()
    )))?;
    let mut wb = Workbook::new();
    wb.push_worksheet(ws);
    wb.save_to_buffer()
        .map_err(ReportError::xlsx("statement workbook"))
}

fn write_tab(ws: &mut Worksheet, st: &Statement) -> Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let money = Format::new().set_num_format("$#,##0.00");
    let total_money = money.clone().set_bold();

    ws.set_name(st.month.title())?;
    ws.write_string_with_format(0, 0, "Crew statement", &title)?;
    ws.write_string_with_format(1, 0, st.name.trim(), &bold)?;
    ws.write_string(2, 0, st.month.title())?;
    for (j, (h, w)) in HEADERS.iter().zip(WIDTHS).enumerate() {
        ws.write_string_with_format(HEADER_ROW, j as u16, *h, &header)?;
        ws.set_column_width(j as u16, w)?;
    }
    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;

    let first = HEADER_ROW + 1;
    for (i, line) in st.lines.iter().enumerate() {
        let r = first + i as u32;
        let StatementLine {
            date: d,
            vessel,
            role,
            charter_revenue,
            tips_total,
            share,
            ..
        } = line;
        ws.write_number_with_format(r, 0, excel_serial(d.naive()), &date)?;
        ws.write_string(r, 1, vessel.as_str())?;
        ws.write_string(r, 2, role.label())?;
        ws.write_number_with_format(r, 3, money_cell(*charter_revenue), &money)?;
        ws.write_number_with_format(r, 4, money_cell(*tips_total), &money)?;
        ws.write_number_with_format(r, SHARE_COL, money_cell(*share), &money)?;
    }
    // With no lines the range is the one empty row under the header, so the total is 0.
    let rows = (st.lines.len() as u32).max(1);
    let total_row = first + rows;
    let letter = col_letter(SHARE_COL);
    let formula = Formula::new(format!(
        "=SUM({letter}{}:{letter}{})",
        first + 1,
        first + rows
    ))
    .set_result(st.total_share.decimal().normalize().to_string());
    ws.write_string_with_format(total_row, 0, "Total", &bold)?;
    ws.write_formula_with_format(total_row, SHARE_COL, formula, &total_money)?;
    Ok(())
}

/// The attachment/file name, e.g. `Statement 2024-05 Ana Silva.xlsx`.
///
/// Safe on every common file system: characters that Windows, macOS or Drive treat specially
/// (`/ \ : * ? " < > |`) and control characters become spaces, runs of spaces collapse, leading
/// and trailing dots and spaces go, and the name is cut to 80 characters. A name with nothing
/// left falls back to the crew id (which is already safe).
pub fn statement_file_name(statement: &Statement) -> String {
    let cleaned: String = statement
        .name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = words.chars().take(80).collect();
    let name = short.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let name = if name.is_empty() {
        statement.crew_id.as_str()
    } else {
        name
    };
    format!("Statement {} {name}.xlsx", statement.month)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch_core::domain::{CrewId, Money, Month};
    use proptest::prelude::*;

    fn statement(name: &str) -> Statement {
        Statement {
            crew_id: CrewId::parse("crew-0007").expect("valid id"),
            name: name.to_string(),
            month: Month::new(2024, 5).expect("valid month"),
            lines: vec![],
            total_share: Money::ZERO,
        }
    }

    #[test]
    fn file_name_has_month_and_member() {
        assert_eq!(
            statement_file_name(&statement("Ana Silva")),
            "Statement 2024-05 Ana Silva.xlsx"
        );
        assert_eq!(
            statement_file_name(&statement(" José  Ñúñez ")),
            "Statement 2024-05 José Ñúñez.xlsx"
        );
    }

    #[test]
    fn file_name_drops_path_and_reserved_characters() {
        assert_eq!(
            statement_file_name(&statement("../../etc/passwd")),
            "Statement 2024-05 etc passwd.xlsx"
        );
        assert_eq!(
            statement_file_name(&statement("A/B\\C:D*E?F\"G<H>I|J\tK\n")),
            "Statement 2024-05 A B C D E F G H I J K.xlsx"
        );
        assert_eq!(
            statement_file_name(&statement(" ./?. ")),
            "Statement 2024-05 crew-0007.xlsx"
        );
    }

    proptest! {
        #[test]
        fn file_name_is_always_safe(name in "\\PC{0,200}") {
            let f = statement_file_name(&statement(&name));
            prop_assert!(f.starts_with("Statement 2024-05 "));
            prop_assert!(f.ends_with(".xlsx"));
            let stem = &f["Statement 2024-05 ".len()..f.len() - ".xlsx".len()];
            prop_assert!(!stem.is_empty());
            prop_assert!(stem.chars().count() <= 80);
            prop_assert!(!stem.starts_with('.') && !stem.ends_with('.'));
            prop_assert!(!stem.contains("  "));
            for bad in ['/', '\\', ':', '*', '?', '"', '<', '>', '|'] {
                prop_assert!(!stem.contains(bad));
            }
            prop_assert!(!stem.chars().any(char::is_control));
        }
    }
}
