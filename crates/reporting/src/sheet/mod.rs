//! The availability spreadsheet, read tab by tab: cells as a small enum whatever the source (an
//! `.xlsx` through `calamine`, or Google Sheets' `values.batchGet` JSON), A1 references for
//! reporting bad cells, date parsing ([`dates`]) and the roster/availability reader and sync plan
//! ([`roster`]). All pure: the caller fetches the workbook and writes the plan.

pub mod dates;
pub mod roster;
pub mod sample;
pub mod xlsx;

pub use xlsx::tabs_from_xlsx;

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A cell formatted as a date: its serial number (days since 1899-12-30).
    DateSerial(f64),
    /// A formula error, as Excel shows it (`#REF!`, `#DIV/0!`).
    Error(String),
    /// A formula whose value the file does not carry (written by a program that does not
    /// calculate): the formula text, without `=`.
    Uncomputed(String),
}

impl Cell {
    /// A value from Sheets `values.batchGet` (`UNFORMATTED_VALUE`, `SERIAL_NUMBER` dates): dates
    /// arrive as plain numbers, so a number is read as a date where a date is expected.
    pub fn from_json(v: &serde_json::Value) -> Cell {
        match v {
            serde_json::Value::Null => Cell::Empty,
            serde_json::Value::Bool(b) => Cell::Bool(*b),
            serde_json::Value::Number(n) => n.as_f64().map(Cell::Number).unwrap_or(Cell::Empty),
            serde_json::Value::String(s) if s.trim().is_empty() => Cell::Empty,
            serde_json::Value::String(s) if s.starts_with('#') && s.ends_with(['!', '?', 'A']) => {
                Cell::Error(s.clone())
            }
            serde_json::Value::String(s) => Cell::Text(s.clone()),
            other => Cell::Text(other.to_string()),
        }
    }

    /// The cell as it reads in a message.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) | Cell::DateSerial(n) => n.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Error(e) => e.clone(),
            Cell::Uncomputed(f) => format!("={f}"),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }
}

/// One tab: ragged rows (Google drops trailing empty cells and rows) from row 1, column A.
#[derive(Debug, Clone, PartialEq)]
pub struct Tab {
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
}

impl Tab {
    /// A tab from Sheets JSON rows.
    pub fn from_json(name: &str, rows: &[Vec<serde_json::Value>]) -> Tab {
        Tab {
            name: name.to_string(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(Cell::from_json).collect())
                .collect(),
        }
    }
}

/// The A1 reference of a zero-based row and column: `a1(6, 2)` is `C7`.
pub fn a1(row: usize, col: usize) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.push(b'A' + r as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_references() {
        assert_eq!(a1(0, 0), "A1");
        assert_eq!(a1(6, 2), "C7");
        assert_eq!(a1(0, 25), "Z1");
        assert_eq!(a1(9, 26), "AA10");
        assert_eq!(a1(0, 701), "ZZ1");
        assert_eq!(a1(0, 702), "AAA1");
    }

    #[test]
    fn json_cells() {
        use serde_json::json;
        assert_eq!(Cell::from_json(&json!(45415)), Cell::Number(45415.0));
        assert_eq!(Cell::from_json(&json!("")), Cell::Empty);
        assert_eq!(Cell::from_json(&json!(true)), Cell::Bool(true));
        assert_eq!(
            Cell::from_json(&json!("#REF!")),
            Cell::Error("#REF!".into())
        );
        assert_eq!(Cell::from_json(&json!("May 3")), Cell::Text("May 3".into()));
    }
}
