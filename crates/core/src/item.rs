//! DynamoDB items as plain data, shared by both adapters.
//!
//! [`Item`] is `serde_dynamo`'s attribute map: the AWS SDK's DynamoDB and DynamoDB Streams types and
//! the Lambda event types all convert to and from it, so it is the one place where those three
//! `AttributeValue` types meet. The embedded backend stores items in DynamoDB's JSON form
//! (`{"S": "..."}`), written and read by [`to_json`] and [`from_json`].
//!
//! The `get_*` helpers read one attribute and fail with an [`ItemError`] that names the record's key
//! and the attribute, so a record of the wrong shape is reported, never a panic.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use serde_dynamo::AttributeValue;
use serde_json::{json, Map, Value};

/// One DynamoDB item: attribute name → value.
pub type Item = HashMap<String, AttributeValue>;

/// A record that does not have the shape the domain needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {key}: attribute `{attribute}` {problem}")]
pub struct ItemError {
    /// The record's key as `name=value` pairs (never its body).
    pub key: String,
    /// The attribute at fault.
    pub attribute: String,
    /// What is wrong with it, e.g. "is missing" or "must be a string (S), found N".
    pub problem: String,
}

impl ItemError {
    pub fn new(
        key: impl Into<String>,
        attribute: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self {
            key: key.into(),
            attribute: attribute.into(),
            problem: problem.into(),
        }
    }
}

/// The short DynamoDB type tag of a value (`S`, `N`, `L`, ...), for error messages.
pub fn type_tag(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::N(_) => "N",
        AttributeValue::S(_) => "S",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::B(_) => "B",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::M(_) => "M",
        AttributeValue::L(_) => "L",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
    }
}

/// Reads attributes of one record, naming the record's key in every error.
pub struct Reader<'a> {
    item: &'a Item,
    key: String,
}

impl<'a> Reader<'a> {
    /// `key_attrs` are the attributes that identify the record (its primary key), used in errors.
    pub fn new(item: &'a Item, key_attrs: &[&str]) -> Self {
        let key = key_attrs
            .iter()
            .map(|name| match item.get(*name) {
                Some(AttributeValue::S(s)) => format!("{name}={s}"),
                Some(AttributeValue::N(n)) => format!("{name}={n}"),
                Some(other) => format!("{name}=<{}>", type_tag(other)),
                None => format!("{name}=<missing>"),
            })
            .collect::<Vec<_>>()
            .join(",");
        Self { item, key }
    }

    /// The record's key as printed in errors.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn error(&self, attribute: &str, problem: impl Into<String>) -> ItemError {
        ItemError::new(self.key.clone(), attribute, problem)
    }

    fn wrong_type(&self, attribute: &str, want: &str, found: &AttributeValue) -> ItemError {
        self.error(
            attribute,
            format!("must be {want}, found {}", type_tag(found)),
        )
    }

    /// The raw value, if present and not NULL.
    pub fn raw(&self, attribute: &str) -> Option<&'a AttributeValue> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => None,
            Some(v) => Some(v),
        }
    }

    pub fn opt_s(&self, attribute: &str) -> Result<Option<&'a str>, ItemError> {
        match self.raw(attribute) {
            None => Ok(None),
            Some(AttributeValue::S(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(self.wrong_type(attribute, "a string (S)", other)),
        }
    }

    pub fn s(&self, attribute: &str) -> Result<&'a str, ItemError> {
        self.opt_s(attribute)?
            .ok_or_else(|| self.error(attribute, "is missing"))
    }

    /// A number, returned as its exact decimal text.
    pub fn opt_n(&self, attribute: &str) -> Result<Option<&'a str>, ItemError> {
        match self.raw(attribute) {
            None => Ok(None),
            Some(AttributeValue::N(n)) => Ok(Some(n.as_str())),
            Some(other) => Err(self.wrong_type(attribute, "a number (N)", other)),
        }
    }

    pub fn opt_bool(&self, attribute: &str) -> Result<Option<bool>, ItemError> {
        match self.raw(attribute) {
            None => Ok(None),
            Some(AttributeValue::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong_type(attribute, "a boolean (BOOL)", other)),
        }
    }

    /// A list of strings: accepts `L` of `S` and `SS` alike (writers differ).
    pub fn opt_strings(&self, attribute: &str) -> Result<Option<Vec<&'a str>>, ItemError> {
        match self.raw(attribute) {
            None => Ok(None),
            Some(AttributeValue::Ss(v)) => Ok(Some(v.iter().map(String::as_str).collect())),
            Some(AttributeValue::L(values)) => values
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    AttributeValue::S(s) => Ok(s.as_str()),
                    other => Err(self.error(
                        attribute,
                        format!("item {i} must be a string (S), found {}", type_tag(other)),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.wrong_type(attribute, "a list of strings (L or SS)", other)),
        }
    }
}

/// Builds an item attribute by attribute.
#[derive(Default)]
pub struct Writer {
    item: Item,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn s(mut self, name: &str, value: impl Into<String>) -> Self {
        self.item
            .insert(name.to_string(), AttributeValue::S(value.into()));
        self
    }
    pub fn opt_s(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.s(name, v),
            None => self,
        }
    }
    pub fn n(mut self, name: &str, value: impl ToString) -> Self {
        self.item
            .insert(name.to_string(), AttributeValue::N(value.to_string()));
        self
    }
    pub fn opt_n(self, name: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.n(name, v),
            None => self,
        }
    }
    pub fn bool(mut self, name: &str, value: bool) -> Self {
        self.item
            .insert(name.to_string(), AttributeValue::Bool(value));
        self
    }
    /// A list of strings as `L` of `S` (keeps order, allows empty).
    pub fn list(mut self, name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let list = values
            .into_iter()
            .map(|v| AttributeValue::S(v.into()))
            .collect();
        self.item.insert(name.to_string(), AttributeValue::L(list));
        self
    }
    /// A string set (`SS`); DynamoDB forbids empty sets, so an empty one is left out.
    pub fn set(mut self, name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let mut set: Vec<String> = values.into_iter().map(Into::into).collect();
        set.sort();
        set.dedup();
        if !set.is_empty() {
            self.item.insert(name.to_string(), AttributeValue::Ss(set));
        }
        self
    }
    pub fn build(self) -> Item {
        self.item
    }
}

/// An item in DynamoDB's JSON form, e.g. `{"charter_id": {"S": "..."}}`, keys sorted.
pub fn to_json(item: &Item) -> Value {
    let sorted: BTreeMap<&String, &AttributeValue> = item.iter().collect();
    let mut map = Map::new();
    for (k, v) in sorted {
        map.insert(k.clone(), value_to_json(v));
    }
    Value::Object(map)
}

fn value_to_json(value: &AttributeValue) -> Value {
    let b64 = |b: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(b);
    match value {
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::M(m) => {
            let inner: Item = m.clone();
            json!({ "M": to_json(&inner) })
        }
        AttributeValue::L(l) => json!({ "L": l.iter().map(value_to_json).collect::<Vec<_>>() }),
        AttributeValue::Ss(s) => json!({ "SS": s }),
        AttributeValue::Ns(n) => json!({ "NS": n }),
        AttributeValue::Bs(b) => json!({ "BS": b.iter().map(b64).collect::<Vec<_>>() }),
    }
}

/// Why a DynamoDB-JSON document could not be read as an item.
#[derive(Debug, thiserror::Error)]
#[error("not a DynamoDB JSON item: {0}")]
pub struct JsonItemError(String);

/// Reads an item in DynamoDB's JSON form.
pub fn from_json(value: &Value) -> Result<Item, JsonItemError> {
    let obj = value
        .as_object()
        .ok_or_else(|| JsonItemError("expected an object".into()))?;
    obj.iter()
        .map(|(k, v)| {
            Ok((
                k.clone(),
                value_from_json(v).map_err(|e| JsonItemError(format!("{k}: {}", e.0)))?,
            ))
        })
        .collect()
}

fn value_from_json(value: &Value) -> Result<AttributeValue, JsonItemError> {
    let err = |m: &str| JsonItemError(m.to_string());
    let obj = value
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or_else(|| err("expected {\"TYPE\": value}"))?;
    let (tag, v) = obj.iter().next().ok_or_else(|| err("empty value"))?;
    let string = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| err("expected a string"))
    };
    let strings = |v: &Value| -> Result<Vec<String>, JsonItemError> {
        v.as_array()
            .ok_or_else(|| err("expected an array"))?
            .iter()
            .map(string)
            .collect()
    };
    let bytes = |v: &Value| -> Result<Vec<u8>, JsonItemError> {
        base64::engine::general_purpose::STANDARD
            .decode(string(v)?)
            .map_err(|_| err("bad base64"))
    };
    Ok(match tag.as_str() {
        "S" => AttributeValue::S(string(v)?),
        "N" => AttributeValue::N(match v {
            Value::Number(n) => n.to_string(),
            other => string(other)?,
        }),
        "BOOL" => AttributeValue::Bool(v.as_bool().ok_or_else(|| err("expected a boolean"))?),
        "NULL" => AttributeValue::Null(true),
        "B" => AttributeValue::B(bytes(v)?),
        "SS" => AttributeValue::Ss(strings(v)?),
        "NS" => AttributeValue::Ns(strings(v)?),
        "BS" => AttributeValue::Bs(
            v.as_array()
                .ok_or_else(|| err("expected an array"))?
                .iter()
                .map(bytes)
                .collect::<Result<_, _>>()?,
        ),
        "L" => AttributeValue::L(
            v.as_array()
                .ok_or_else(|| err("expected an array"))?
                .iter()
                .map(value_from_json)
                .collect::<Result<_, _>>()?,
        ),
        "M" => AttributeValue::M(from_json(v)?),
        other => return Err(JsonItemError(format!("unknown type tag {other}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_every_type() {
        let mut item = Writer::new()
            .s("s", "x")
            .n("n", "12.50")
            .bool("b", true)
            .list("l", ["a", "b"])
            .set("ss", ["z", "y"])
            .build();
        item.insert(
            "m".into(),
            AttributeValue::M(Writer::new().s("k", "v").build()),
        );
        item.insert("bin".into(), AttributeValue::B(vec![0, 1, 255]));
        item.insert("null".into(), AttributeValue::Null(true));
        let back = from_json(&to_json(&item)).unwrap();
        assert_eq!(back, item);
        assert_eq!(to_json(&item)["n"], json!({"N": "12.50"}));
    }

    #[test]
    fn reader_names_key_and_attribute() {
        let item = Writer::new()
            .s("charter_id", "c1")
            .n("vessel_name", 3)
            .build();
        let r = Reader::new(&item, &["charter_id", "created_at"]);
        let err = r.s("vessel_name").unwrap_err();
        assert_eq!(err.to_string(), "record charter_id=c1,created_at=<missing>: attribute `vessel_name` must be a string (S), found N");
        assert!(r
            .s("status")
            .unwrap_err()
            .to_string()
            .contains("`status` is missing"));
    }
}
