//! Reading the prior month's workbook (calamine): its month tab's header row.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Reader, Xlsx};

use crate::error::ReportError;

/// The header row (first row with any non-empty cell) of the prior month's tab.
///
/// `month_tab_title` names the tab (e.g. `April 2024`); `None` takes the first tab that is not
/// `Template`. Blank header cells are dropped.
pub fn prior_columns(
    xlsx_bytes: &[u8],
    month_tab_title: Option<&str>,
) -> Result<Vec<String>, ReportError> {
    let read = |what: &str| {
        let what = what.to_string();
        move |source| ReportError::Read { what, source }
    };
    let mut wb: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(xlsx_bytes)).map_err(read("prior workbook"))?;
    let tab = match month_tab_title {
        Some(t) => t.to_string(),
        None => wb
            .sheet_names()
            .into_iter()
            .find(|n| !n.eq_ignore_ascii_case("Template"))
            .ok_or_else(|| ReportError::Missing("prior workbook has no month tab".into()))?,
    };
    let range = wb
        .worksheet_range(&tab)
        .map_err(read(&format!("tab {tab} of the prior workbook")))?;
    let header = range
        .rows()
        .find(|r| r.iter().any(|c| !c.to_string().trim().is_empty()))
        .ok_or_else(|| ReportError::Missing(format!("tab {tab} has no header row")))?;
    Ok(header
        .iter()
        .map(|c| c.to_string().trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}
