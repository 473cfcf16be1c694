//! Reading the prior month's workbook (calamine): its month tab's header row.

use calamine::Reader;

use crate::error::ReportError;

/// The header row of the prior month's tab: the first row naming a known month-tab column
/// (workbooks since the title row have it under the title; older ones on the first row), else
/// the first row with any non-empty cell.
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
    let rows = crate::sheet::xlsx::leading_rows(&mut wb, &tab, 3)?;
    let known = |cells: &Vec<crate::sheet::Cell>| {
        cells
            .iter()
            .any(|c| crate::revenue::is_known_header(c.display().trim()))
    };
    let header = rows
        .iter()
        .find(|r| known(r))
        .or(rows.first())
        .cloned()
        .unwrap_or_default();
    if header.is_empty() {
        return Err(ReportError::Missing(format!("tab {tab} has no header row")));
    }
    Ok(header
        .iter()
        .map(|c| c.display().trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}
