//! The hostile workbooks' makings: a roster tab (Ana and Bo) with whatever else a case adds, an
//! `Available` tab, one zip part rewritten, formulas stored without their cached values.

use std::io::{Cursor, Read, Write};

use rust_xlsxwriter::{Formula, Workbook, Worksheet};

fn roster(ws: &mut Worksheet) {
    ws.set_name("Roster").unwrap();
    for (c, h) in ["Crew ID", "Name", "E-mail"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in [
        ["crew-0001", "Ana Silva", "ana@example.com"],
        ["crew-0002", "Bo Lee", "bo@example.com"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(1 + r as u32, c as u16, *v).unwrap();
        }
    }
}

pub fn book(f: impl FnOnce(&mut Workbook)) -> Vec<u8> {
    let mut wb = Workbook::new();
    roster(wb.add_worksheet());
    f(&mut wb);
    wb.save_to_buffer().unwrap()
}

pub fn available(wb: &mut Workbook, cells: &[&str]) {
    let av = wb.add_worksheet();
    av.set_name("Available").unwrap();
    av.write_string(0, 0, "Ana Silva").unwrap();
    for (i, c) in cells.iter().enumerate() {
        av.write_string(0, 1 + i as u16, *c).unwrap();
    }
}

/// Rewrites one part of a zip (stored, uncompressed).
pub fn patch(bytes: &[u8], part: &str, f: impl Fn(String) -> String) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..zin.len() {
        let mut file = zin.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        if name == part {
            data = f(String::from_utf8(data).unwrap()).into_bytes();
        }
        out.start_file(name, opts).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

pub fn formulas(cells: &[(&str, Option<&str>)]) -> Vec<u8> {
    let bytes = book(|wb| {
        let av = wb.add_worksheet();
        av.set_name("Available").unwrap();
        av.write_string(0, 0, "Ana Silva").unwrap();
        for (i, (f, result)) in cells.iter().enumerate() {
            let mut formula = Formula::new(*f);
            if let Some(r) = result {
                formula = formula.set_result(*r);
            }
            av.write_formula(0, 1 + i as u16, formula).unwrap();
        }
    });
    // Formulas written without a result lose their cached value (as a non-calculating writer).
    patch(&bytes, "xl/worksheets/sheet2.xml", |x| {
        x.replace("<v>0</v>", "")
    })
}
