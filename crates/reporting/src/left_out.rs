//! A charter a workbook could not hold, and why: named by the revenue writer and by the error
//! that refuses a whole month (its own module, so neither imports the other), and the
//! workbook's `Left out` tab that lists them for whoever reads the month.

/// A charter the month tab could not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeftOut {
    pub charter_id: String,
    pub charter_date: String,
    pub why: String,
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "charter {} on {}: {}",
            self.charter_id, self.charter_date, self.why
        )
    }
}

/// The name of the tab listing the charters a workbook leaves out.
pub const LEFT_OUT_TAB: &str = "Left out";

/// Adds the `Left out` tab (charter, date, why) when `left_out` names any charter.
pub(crate) fn write_tab(
    wb: &mut rust_xlsxwriter::Workbook,
    left_out: &[LeftOut],
    header: &rust_xlsxwriter::Format,
) -> Result<(), crate::error::ReportError> {
    use crate::error::ReportError;
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
            let clipped: String = text.chars().take(crate::revenue::EXCEL_MAX_CHARS).collect();
            ws.write_string(row, j as u16, clipped)
                .map_err(ReportError::xlsx("Left out tab"))?;
        }
    }
    Ok(())
}
