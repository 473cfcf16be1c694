//! Reading charters and roster members from JSON files.
//!
//! A file is a JSON array. Each element is either plain JSON with the table's attribute names
//! (`{"charter_id": "...", "guest_count": 12, "reportable_revenue": "1850.25", ...}`) or a DynamoDB
//! JSON item (`{"charter_id": {"S": "..."}, ...}`), as `aws dynamodb scan` prints. Money is best
//! given as a string so it stays exact. Each element is checked on its own: the good ones are
//! returned, the bad ones named by position and reason — never a panic, never a silent drop.

use serde_dynamo::AttributeValue as AV;
use serde_json::Value;

use dispatch_core::domain::{Charter, CrewMember};
use dispatch_core::item::{self, Item};

/// One element of an import file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based position in the file's array.
    pub row: usize,
    pub reason: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: {}", self.row, self.reason)
    }
}

/// The result of reading a file: usable rows and named bad rows.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    pub good: Vec<T>,
    pub bad: Vec<BadRow>,
}

/// Why a whole file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not valid JSON ({source}); expected an array of objects")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("{path}: expected a JSON array of objects at the top level")]
    NotArray { path: String },
}

fn plain_to_attr(v: &Value) -> Option<AV> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => AV::Bool(*b),
        Value::Number(n) => AV::N(n.to_string()),
        Value::String(s) => AV::S(s.clone()),
        Value::Array(a) => AV::L(a.iter().filter_map(plain_to_attr).collect()),
        Value::Object(o) => AV::M(
            o.iter()
                .filter_map(|(k, v)| plain_to_attr(v).map(|a| (k.clone(), a)))
                .collect(),
        ),
    })
}

fn is_dynamo_json(obj: &serde_json::Map<String, Value>) -> bool {
    const TAGS: [&str; 10] = ["S", "N", "BOOL", "NULL", "L", "M", "SS", "NS", "B", "BS"];
    !obj.is_empty()
        && obj.values().all(|v| {
            v.as_object()
                .is_some_and(|o| o.len() == 1 && o.keys().all(|k| TAGS.contains(&k.as_str())))
        })
}

/// Turns one element into an item; `numeric` names attributes that must be numbers even when
/// written as strings (money, counts).
fn element_to_item(v: &Value, numeric: &[&str]) -> Result<Item, String> {
    let obj = v.as_object().ok_or("expected an object")?;
    if is_dynamo_json(obj) {
        return item::from_json(v).map_err(|e| e.to_string());
    }
    let mut item: Item = obj
        .iter()
        .filter_map(|(k, v)| plain_to_attr(v).map(|a| (k.clone(), a)))
        .collect();
    for name in numeric {
        if let Some(AV::S(s)) = item.get(*name) {
            let t = s.trim().to_string();
            if t.parse::<rust_decimal::Decimal>().is_err() {
                return Err(format!("attribute `{name}` must be a number, found `{t}`"));
            }
            item.insert(name.to_string(), AV::N(t));
        }
    }
    Ok(item)
}

fn read_array(path: &std::path::Path) -> Result<Vec<Value>, ImportError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: p.clone(),
        source,
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|source| ImportError::Json {
        path: p.clone(),
        source,
    })?;
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(ImportError::NotArray { path: p }),
    }
}

fn parse_all<T>(
    values: &[Value],
    numeric: &[&str],
    parse: impl Fn(&Item) -> Result<T, String>,
) -> Parsed<T> {
    let mut out = Parsed {
        good: Vec::new(),
        bad: Vec::new(),
    };
    for (i, v) in values.iter().enumerate() {
        match element_to_item(v, numeric).and_then(|item| parse(&item)) {
            Ok(t) => out.good.push(t),
            Err(reason) => out.bad.push(BadRow { row: i + 1, reason }),
        }
    }
    out
}

const CHARTER_NUMBERS: [&str; 4] = ["guest_count", "reportable_revenue", "tips", "crew_needed"];

/// Charters from parsed JSON values.
pub fn charters_from_values(values: &[Value]) -> Parsed<Charter> {
    parse_all(values, &CHARTER_NUMBERS, |item| {
        Charter::from_item(item).map_err(|e| e.to_string())
    })
}

/// Charters from a file.
pub fn charters_from_file(path: &std::path::Path) -> Result<Parsed<Charter>, ImportError> {
    Ok(charters_from_values(&read_array(path)?))
}

/// Roster members from parsed JSON values (`available_dates` and `certifications` as arrays).
pub fn members_from_values(values: &[Value]) -> Parsed<CrewMember> {
    parse_all(values, &[], |item| {
        CrewMember::from_item(item).map_err(|e| e.to_string())
    })
}

/// Roster members from a file.
pub fn members_from_file(path: &std::path::Path) -> Result<Parsed<CrewMember>, ImportError> {
    Ok(members_from_values(&read_array(path)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn good_rows_kept_bad_rows_named() {
        let values = vec![
            json!({"charter_id": "0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-05-03", "vessel_name": "A", "guest_count": 4, "reportable_revenue": "100.10"}),
            json!({"charter_id": "not-a-uuid", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-05-03"}),
            json!({"charter_id": {"S": "1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a"}, "created_at": {"S": "x"}, "charter_date": {"S": "2024-05-04"}, "tips": {"N": "5"}}),
            json!({"charter_id": "2b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-05-03", "tips": "lots"}),
            json!("hello"),
        ];
        let p = charters_from_values(&values);
        assert_eq!(p.good.len(), 2);
        assert_eq!(p.good[0].reportable_revenue.to_string(), "100.10");
        assert_eq!(
            p.bad.iter().map(|b| b.row).collect::<Vec<_>>(),
            vec![2, 4, 5]
        );
        assert!(p.bad[0].reason.contains("charter_id"), "{}", p.bad[0]);
        assert!(p.bad[1].reason.contains("tips"), "{}", p.bad[1]);
    }
}
