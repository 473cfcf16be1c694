//! The floor: the same cells written straight with rust_xlsxwriter (constant memory, rows in
//! order) from rows rendered beforehand, so only the writing is timed.

use std::collections::HashMap;

use dispatch_core::domain::{Charter, CrewId};
use dispatch_reporting::revenue::{excel_serial, Column};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, FormatBorder, Formula, Workbook, Worksheet, XlsxError};

use super::data::month;

/// One month-tab row with every cell already rendered: what the floor writes.
pub struct Rendered {
    date: f64,
    vessel: String,
    guests: String,
    count: f64,
    revenue: f64,
    tips: f64,
    captain: String,
    crew: String,
}

pub fn render(c: &Charter, names: &HashMap<CrewId, String>) -> Rendered {
    let name = |id: &CrewId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    Rendered {
        date: excel_serial(c.charter_date.naive()),
        vessel: c.vessel_name.clone(),
        guests: c.guest_names.join(", "),
        count: f64::from(c.guest_count),
        revenue: c.reportable_revenue.decimal().to_f64().unwrap_or(0.0),
        tips: c.tips.decimal().to_f64().unwrap_or(0.0),
        captain: c.captain_assigned.as_ref().map(name).unwrap_or_default(),
        crew: c
            .crew_assigned
            .iter()
            .map(name)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The floor: the same workbook, cells pre-rendered, written straight with rust_xlsxwriter.
pub fn floor(rows: &[Rendered], totals: &[String; 3]) -> Result<Vec<u8>, XlsxError> {
    let title = month().title();
    let header = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let money = Format::new().set_num_format("$#,##0.00");
    let bold = Format::new().set_bold();
    let total_money = money.clone().set_bold();
    let head = |ws: &mut Worksheet| -> Result<(), XlsxError> {
        for (j, c) in Column::ALL.iter().enumerate() {
            ws.write_string_with_format(0, j as u16, c.header(), &header)?;
            ws.set_column_width(j as u16, c.width())?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(())
    };
    let mut wb = Workbook::new();
    let mut template = Worksheet::new();
    template.set_name("Template")?;
    head(&mut template)?;
    wb.push_worksheet(template);
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(&title)?;
    head(ws)?;
    for (i, r) in rows.iter().enumerate() {
        let i = i as u32 + 1;
        ws.write_number_with_format(i, 0, r.date, &date)?;
        ws.write_string(i, 1, r.vessel.as_str())?;
        ws.write_string(i, 2, r.guests.as_str())?;
        ws.write_number(i, 3, r.count)?;
        ws.write_number_with_format(i, 4, r.revenue, &money)?;
        ws.write_number_with_format(i, 5, r.tips, &money)?;
        ws.write_string(i, 6, r.captain.as_str())?;
        ws.write_string(i, 7, r.crew.as_str())?;
    }
    let last = rows.len().max(1) as u32 + 1;
    ws.write_string_with_format(last, 0, "Total", &bold)?;
    for (j, (name, fmt)) in [
        (3, ("GuestCount", &bold)),
        (4, ("Revenue", &total_money)),
        (5, ("Tips", &total_money)),
    ] {
        let f = Formula::new(format!("=SUM({name})")).set_result(totals[j as usize - 3].as_str());
        ws.write_formula_with_format(last, j, f, fmt)?;
    }
    for (name, l) in [("GuestCount", 'D'), ("Revenue", 'E'), ("Tips", 'F')] {
        wb.define_name(name, &format!("='{title}'!${l}$2:${l}${last}"))?;
    }
    wb.save_to_buffer()
}
