//! Reading the prior month's workbook (calamine): its month tab's header row.

use calamine::Reader;

use crate::error::ReportError;

/// The header row (first row with any non-empty cell) of the prior month's tab.
///
/// `month_tab_title` names the tab (e.g. `April 2024`); `None` takes the first tab that is not
/// `Template`. Blank header cells are dropped.
pub fn prior_columns(
    xlsx_bytes: &[u8],
    month_tab_title: Option<&str>,
) -> Result<Vec<String>, ReportError> {
    let mut wb = crate::sheet::xlsx::open(xlsx_bytes)?;
    let tab = match month_tab_title {
        Some(t) => t.to_string(),
        None => wb
            .sheet_names()
            .into_iter()
            .find(|n| !n.eq_ignore_ascii_case("Template"))
            .ok_or_else(|| ReportError::Missing("prior workbook has no month tab".into()))?,
    };
    let header = crate::sheet::xlsx::first_row(&mut wb, &tab)?;
    if header.is_empty() {
        return Err(ReportError::Missing(format!("tab {tab} has no header row")));
    }
    Ok(header
        .iter()
        .map(|c| c.display().trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}
