//! A small availability workbook written from members, in the layouts [`super::roster`] reads: a
//! `Roster` tab under a title row, and an `Available` tab (one row per member, dates as date cells
//! and as typed text). The demo writes one so it needs no checked-in binary file.

use rust_xlsxwriter::{Format, Workbook};

use dispatch_core::domain::CrewMember;

use crate::revenue::excel_serial;
use crate::ReportError;

/// The workbook's bytes. `title` goes in A1 above the header.
pub fn sample_availability_workbook(
    members: &[CrewMember],
    title: &str,
) -> Result<Vec<u8>, ReportError> {
    let e = |w: &str| ReportError::xlsx(w.to_string());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("m/d/yyyy");
    let ws = wb.add_worksheet();
    ws.set_name("Roster").map_err(e("Roster tab"))?;
    ws.merge_range(0, 0, 0, 5, title, &bold)
        .map_err(e("title"))?;
    for (c, h) in [
        "Crew ID",
        "Name",
        "E-mail",
        "Phone",
        "Captain certified",
        "Certifications",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(2, c as u16, *h, &bold)
            .map_err(e("header"))?;
    }
    for (i, m) in members.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_string(r, 0, m.crew_id.as_str()).map_err(e("id"))?;
        ws.write_string(r, 1, &m.name).map_err(e("name"))?;
        ws.write_string(r, 2, m.email.as_str())
            .map_err(e("email"))?;
        ws.write_string(r, 3, m.phone.as_deref().unwrap_or(""))
            .map_err(e("phone"))?;
        ws.write_string(r, 4, if m.captain_certified { "yes" } else { "no" })
            .map_err(e("captain"))?;
        let certs: Vec<&str> = m.certifications.iter().map(String::as_str).collect();
        ws.write_string(r, 5, certs.join(", "))
            .map_err(e("certifications"))?;
    }
    ws.set_column_width(1, 18).map_err(e("width"))?;
    ws.set_column_width(2, 28).map_err(e("width"))?;
    let av = wb.add_worksheet();
    av.set_name("Available").map_err(e("Available tab"))?;
    av.write_string_with_format(0, 0, "Member", &bold)
        .map_err(e("header"))?;
    av.write_string_with_format(0, 1, "Dates", &bold)
        .map_err(e("header"))?;
    for (i, m) in members.iter().enumerate() {
        let r = 1 + i as u32;
        av.write_string(r, 0, &m.name).map_err(e("member"))?;
        // Alternate the forms people type: a date cell, then `M/D` text.
        for (j, d) in m.available_dates.iter().enumerate() {
            let c = 1 + j as u16;
            if j % 2 == 0 {
                av.write_number_with_format(r, c, excel_serial(d.naive()), &date)
                    .map_err(e("date"))?;
            } else {
                let n = d.naive();
                av.write_string(
                    r,
                    c,
                    format!(
                        "{}/{}/{}",
                        chrono::Datelike::month(&n),
                        chrono::Datelike::day(&n),
                        chrono::Datelike::year(&n)
                    ),
                )
                .map_err(e("date"))?;
            }
        }
    }
    wb.save_to_buffer().map_err(e("availability workbook"))
}
