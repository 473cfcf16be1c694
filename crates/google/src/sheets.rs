//! Sheets: list tabs, read them all in one `values:batchGet`, write one range
//! (`values.update`, [`SheetsClient::update`]).
//!
//! Values are read `UNFORMATTED_VALUE` with dates as `SERIAL_NUMBER` (days since 1899-12-30);
//! Google drops trailing empty cells and rows, so rows are ragged.

use std::sync::Arc;

use crate::http::{segment, Api, HttpConfig};
use crate::{GoogleError, TokenSource};

/// Sheets' public base URL.
pub const SHEETS_BASE: &str = "https://sheets.googleapis.com";

/// One tab of a spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tab {
    /// Tab title (used in A1 ranges).
    pub title: String,
    /// Numeric sheet id.
    pub sheet_id: i64,
    /// Position, from 0.
    pub index: i64,
}

/// A tab's cells, ragged rows of numbers, strings and booleans.
#[derive(Debug, Clone, PartialEq)]
pub struct TabValues {
    /// Tab title.
    pub title: String,
    /// Rows as Google returned them.
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// A Sheets v4 client.
#[derive(Clone)]
pub struct SheetsClient {
    api: Api,
    base: String,
}

/// The A1 range of a whole tab: its title, quoted (`'` doubled).
pub fn tab_range(title: &str) -> String {
    format!("'{}'", title.replace('\'', "''"))
}

impl SheetsClient {
    /// A client on `base` (e.g. [`SHEETS_BASE`]).
    pub fn new(
        base: &str,
        tokens: Arc<dyn TokenSource>,
        cfg: HttpConfig,
    ) -> Result<Self, GoogleError> {
        Ok(Self {
            api: Api::new(tokens, cfg)?,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// The tabs of spreadsheet `id`, in order.
    pub async fn list_tabs(&self, id: &str) -> Result<Vec<Tab>, GoogleError> {
        let url = format!("{}/v4/spreadsheets/{}", self.base, segment(id));
        let query = [("fields", "sheets.properties")];
        let v: serde_json::Value = self
            .api
            .json("sheets.get", &|c| c.get(&url).query(&query))
            .await?;
        let tabs = v["sheets"]
            .as_array()
            .map(|sheets| {
                sheets
                    .iter()
                    .filter_map(|s| {
                        let p = &s["properties"];
                        Some(Tab {
                            title: p["title"].as_str()?.to_owned(),
                            sheet_id: p["sheetId"].as_i64().unwrap_or_default(),
                            index: p["index"].as_i64().unwrap_or_default(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(tabs)
    }

    /// Every tab's values, in one `values:batchGet`.
    pub async fn read_all(&self, id: &str) -> Result<Vec<TabValues>, GoogleError> {
        let tabs = self.list_tabs(id).await?;
        if tabs.is_empty() {
            return Ok(Vec::new());
        }
        let url = format!(
            "{}/v4/spreadsheets/{}/values:batchGet",
            self.base,
            segment(id)
        );
        let mut query: Vec<(&str, String)> = vec![
            ("valueRenderOption", "UNFORMATTED_VALUE".into()),
            ("dateTimeRenderOption", "SERIAL_NUMBER".into()),
            ("majorDimension", "ROWS".into()),
        ];
        query.extend(tabs.iter().map(|t| ("ranges", tab_range(&t.title))));
        let v: serde_json::Value = self
            .api
            .json("sheets.batchGet", &|c| c.get(&url).query(&query))
            .await?;
        let ranges = v["valueRanges"].as_array().cloned().unwrap_or_default();
        if ranges.len() != tabs.len() {
            return Err(GoogleError::Decode {
                what: "sheets.batchGet",
                detail: format!("asked for {} ranges, got {}", tabs.len(), ranges.len()),
            });
        }
        Ok(tabs
            .into_iter()
            .zip(ranges)
            .map(|(tab, range)| {
                let rows = match range.get("values") {
                    Some(serde_json::Value::Array(rows)) => rows
                        .iter()
                        .map(|r| r.as_array().cloned().unwrap_or_default())
                        .collect(),
                    _ => Vec::new(),
                };
                TabValues {
                    title: tab.title,
                    rows,
                }
            })
            .collect())
    }
}

impl SheetsClient {
    /// Writes `values` (rows) to `range` of tab `tab` (`A1:C3` style, without the tab) of
    /// spreadsheet `id`: `values.update` with `valueInputOption=RAW` (text stays text; a date
    /// is written as the ISO text the sync reads back). An empty string blanks a cell.
    pub async fn update(
        &self,
        id: &str,
        tab: &str,
        range: &str,
        values: &[Vec<String>],
    ) -> Result<(), GoogleError> {
        let a1 = format!("{}!{range}", tab_range(tab));
        let url = format!(
            "{}/v4/spreadsheets/{}/values/{}",
            self.base,
            segment(id),
            segment(&a1)
        );
        let body = serde_json::json!({"range": a1, "majorDimension": "ROWS", "values": values});
        let query = [("valueInputOption", "RAW")];
        let _: serde_json::Value = self
            .api
            .json("sheets.valuesUpdate", &|c| {
                c.put(&url).query(&query).json(&body)
            })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tab_ranges_quote_titles() {
        assert_eq!(super::tab_range("Roster"), "'Roster'");
        assert_eq!(super::tab_range("O'Hara"), "'O''Hara'");
    }
}
