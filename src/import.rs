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

/// Why a whole file could not be read (nothing of it is stored).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: not valid JSON ({message}); expected an array of objects")]
    Json { path: String, message: String },
    #[error("{path}: expected a JSON array of objects at the top level, found {found}")]
    NotArray { path: String, found: String },
    #[error("{path}: not UTF-8 text (first bad byte at line {line}, byte {offset}): save the file as UTF-8 and import it again")]
    Encoding {
        path: String,
        line: usize,
        offset: usize,
    },
    #[error("{path}: {size} MB is more than the {max} MB an import file may be: split it")]
    TooBig { path: String, size: u64, max: u64 },
}

/// The largest import file read (bytes).
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

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

const TAGS: [&str; 10] = ["S", "N", "BOOL", "NULL", "L", "M", "SS", "NS", "B", "BS"];

/// DynamoDB JSON: every attribute is a one-key object and at least one key is a type tag (so a
/// mistyped tag is blamed on its own attribute, not read as plain JSON and blamed elsewhere).
fn is_dynamo_json(obj: &serde_json::Map<String, Value>) -> bool {
    let tagged = |v: &Value| {
        v.as_object()
            .is_some_and(|o| o.len() == 1 && o.keys().all(|k| TAGS.contains(&k.as_str())))
    };
    !obj.is_empty()
        && obj
            .values()
            .all(|v| v.as_object().is_some_and(|o| o.len() == 1))
        && obj.values().any(tagged)
}

/// The attribute of a DynamoDB JSON item whose type tag is not one DynamoDB has.
fn bad_tag(obj: &serde_json::Map<String, Value>) -> Option<String> {
    obj.iter().find_map(|(k, v)| {
        let tag = v.as_object()?.keys().next()?;
        (!TAGS.contains(&tag.as_str())).then(|| {
            format!(
                "attribute `{k}` has the DynamoDB type tag `{tag}`, which does not exist (use S, N, BOOL, NULL, L, M, SS, NS, B or BS)"
            )
        })
    })
}

/// Turns one element into an item; `numeric` names attributes that must be numbers even when
/// written as strings (money, counts).
fn element_to_item(v: &Value, numeric: &[&str]) -> Result<Item, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("expected an object, found {}", kind_of(v)))?;
    if is_dynamo_json(obj) {
        if let Some(why) = bad_tag(obj) {
            return Err(why);
        }
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

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One element of the file: its JSON, or why it is not JSON this program can read.
pub type Element = Result<Value, String>;

/// The elements of a JSON array, each parsed on its own, so one bad element (a number out of
/// range such as `1e400`) is a bad row, not a refused file. A UTF-8 byte-order mark is skipped.
pub fn elements_from_text(path: &str, text: &str) -> Result<Vec<Element>, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw: Vec<Box<serde_json::value::RawValue>> = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            // Not an array: say what it is, or why it is not JSON at all.
            return Err(match serde_json::from_str::<Value>(text) {
                Ok(v) => ImportError::NotArray {
                    path: path.into(),
                    found: kind_of(&v).to_string(),
                },
                Err(e) => ImportError::Json {
                    path: path.into(),
                    message: e.to_string(),
                },
            });
        }
        Err(e) => {
            return Err(ImportError::Json {
                path: path.into(),
                message: e.to_string(),
            })
        }
    };
    Ok(raw
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(r.get()).map_err(|e| {
                if e.to_string().contains("out of range") {
                    format!(
                        "a number is out of range ({}): write amounts as strings such as \"1850.25\"",
                        r.get().chars().take(60).collect::<String>()
                    )
                } else {
                    format!("not valid JSON: {e}")
                }
            })
        })
        .collect())
}

/// The elements of an import file (see [`elements_from_text`]).
pub fn elements_from_bytes(path: &str, bytes: &[u8]) -> Result<Vec<Element>, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        ImportError::Encoding {
            path: path.into(),
            line: bytes.iter().take(offset).filter(|b| **b == b'\n').count() + 1,
            offset,
        }
    })?;
    elements_from_text(path, text)
}

fn read_elements(path: &std::path::Path) -> Result<Vec<Element>, ImportError> {
    let p = path.display().to_string();
    let read_err = |e: std::io::Error| ImportError::Read {
        path: p.clone(),
        message: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        },
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ImportError::TooBig {
            path: p,
            size: size / (1024 * 1024),
            max: MAX_FILE_BYTES / (1024 * 1024),
        });
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    elements_from_bytes(&p, &bytes)
}

/// Parses every element; `key` names what must be unique within the file (a second row with
/// the same key is a bad row naming the first, never silently dropped).
fn parse_all<T, K: std::hash::Hash + Eq + std::fmt::Display>(
    values: &[Element],
    numeric: &[&str],
    parse: impl Fn(&Item) -> Result<T, String>,
    keys: impl Fn(&T) -> Vec<(&'static str, K)>,
) -> Parsed<T> {
    let mut out = Parsed {
        good: Vec::new(),
        bad: Vec::new(),
    };
    let mut seen: std::collections::HashMap<(&'static str, K), usize> = Default::default();
    for (i, v) in values.iter().enumerate() {
        let row = i + 1;
        let parsed = v
            .clone()
            .and_then(|v| element_to_item(&v, numeric))
            .and_then(|item| parse(&item));
        match parsed {
            Ok(t) => {
                let dup = keys(&t).into_iter().find_map(|k| {
                    seen.get(&k)
                        .map(|first| format!("duplicate row: {} `{}` is also on row {first}; only row {first} is used, fix or remove this one", k.0, k.1))
                        .or_else(|| {
                            seen.insert(k, row);
                            None
                        })
                });
                match dup {
                    Some(reason) => out.bad.push(BadRow { row, reason }),
                    None => out.good.push(t),
                }
            }
            Err(reason) => out.bad.push(BadRow { row, reason }),
        }
    }
    out
}

const CHARTER_NUMBERS: [&str; 4] = ["guest_count", "reportable_revenue", "tips", "crew_needed"];

/// Charters from parsed JSON values.
pub fn charters_from_values(values: &[Value]) -> Parsed<Charter> {
    charters_from_elements(&values.iter().cloned().map(Ok).collect::<Vec<_>>())
}

/// Charters from the elements of a file: each checked against the limits of a new booking.
pub fn charters_from_elements(values: &[Element]) -> Parsed<Charter> {
    parse_all(
        values,
        &CHARTER_NUMBERS,
        |item| {
            let c = Charter::from_item(item).map_err(|e| e.to_string())?;
            c.check_new()?;
            Ok(c)
        },
        |c| vec![("charter_id", c.charter_id.to_string())],
    )
}

/// Charters from a file.
pub fn charters_from_file(path: &std::path::Path) -> Result<Parsed<Charter>, ImportError> {
    Ok(charters_from_elements(&read_elements(path)?))
}

/// Roster members from parsed JSON values (`available_dates` and `certifications` as arrays).
pub fn members_from_values(values: &[Value]) -> Parsed<CrewMember> {
    members_from_elements(&values.iter().cloned().map(Ok).collect::<Vec<_>>())
}

/// Roster members from the elements of a file.
pub fn members_from_elements(values: &[Element]) -> Parsed<CrewMember> {
    parse_all(
        values,
        &[],
        |item| {
            let m = CrewMember::from_item(item).map_err(|e| e.to_string())?;
            m.check_new()?;
            Ok(m)
        },
        |m| {
            vec![
                ("crew_id", m.crew_id.to_string()),
                ("email", m.email.as_str().to_ascii_lowercase()),
            ]
        },
    )
}

/// Roster members from a file.
pub fn members_from_file(path: &std::path::Path) -> Result<Parsed<CrewMember>, ImportError> {
    Ok(members_from_elements(&read_elements(path)?))
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
