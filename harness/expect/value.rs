//! Expected values: what a scenario says a column (or key) must hold.
//!
//! Written as TOML (or JSON) values. Plain values compare by their own type; a one-key table
//! whose key starts with `$` says how to compare when the type alone cannot:
//!
//! | written                          | matches                                                  |
//! |----------------------------------|----------------------------------------------------------|
//! | `10.50`, `3`                     | a JSON number of equal value (`10.5`, `1.05E+1`)        |
//! | `{ "$decimal" = "10.50" }`       | a number *or a numeric string* of equal value            |
//! | `"text"`                         | exactly that string                                      |
//! | `2024-01-01T10:00:00` (TOML)     | a string of the same timestamp (SQL/ISO form, zone)      |
//! | `{ "$timestamp" = "…" }`         | the same, written as a string (for JSON input)           |
//! | `{ "$base64" = "3q2+7w==" }`, `{ "$hex" = "deadbeef" }` | BYTES, which Flink writes as base64 |
//! | `{ a = 1 }`, `[1, 2]`            | an object/array, or a string containing that JSON (jsonb)|
//! | `{ "$json" = '{"a":1}' }`        | the same, written as JSON text                           |
//! | `{ "$null" = true }`             | null (TOML has no null)                                  |
//! | `{ "$any" = true }`              | anything (volatile columns)                              |
//!
//! The rules themselves live in `compare.rs`.

use std::fmt;

use base64::Engine as _;
use toml::value::Datetime;

use super::{temporal, Decimal, ExpectError};
use crate::kafka::datum::write_json_string;
use crate::kafka::Datum;

#[derive(Debug, Clone, PartialEq)]
pub enum ExpectedValue {
    Null,
    Bool(bool),
    /// A number: matches a JSON number of equal value.
    Number {
        text: String,
        value: Decimal,
    },
    /// `$decimal`: matches a number or a numeric string of equal value.
    Decimal {
        text: String,
        value: Decimal,
    },
    String(String),
    /// A TOML datetime or `$timestamp`: matches a string denoting the same date/time/instant.
    Temporal(Datetime),
    /// `$base64` / `$hex`: matches the base64 text of these bytes (standard alphabet, padded:
    /// the one text each byte string has, as Flink writes it).
    Bytes {
        base64: String,
    },
    /// `$json`: matches this structure, given as JSON or as a string containing JSON.
    Json(Box<ExpectedValue>),
    Array(Vec<ExpectedValue>),
    /// Fields in the order written.
    Object(Vec<(String, ExpectedValue)>),
    /// `$any`: matches anything.
    Any,
}

const TYPED_KEYS: &str = "$decimal, $timestamp, $base64, $hex, $json, $null, $any";

impl ExpectedValue {
    pub fn from_toml(value: &toml::Value) -> Result<ExpectedValue, ExpectError> {
        Ok(match value {
            toml::Value::String(s) => ExpectedValue::String(s.clone()),
            toml::Value::Integer(i) => number(i.to_string())?,
            toml::Value::Float(f) => match Decimal::from_f64(*f) {
                Some(value) => ExpectedValue::Number { text: f.to_string(), value },
                None => {
                    return Err(invalid(format!("{f} cannot be compared (not a finite number)")))
                }
            },
            toml::Value::Boolean(b) => ExpectedValue::Bool(*b),
            toml::Value::Datetime(dt) => ExpectedValue::Temporal(*dt),
            toml::Value::Array(items) => ExpectedValue::Array(
                items.iter().map(ExpectedValue::from_toml).collect::<Result<_, _>>()?,
            ),
            toml::Value::Table(table) => {
                let fields = table
                    .iter()
                    .map(|(k, v)| {
                        Ok((k.clone(), ExpectedValue::from_toml(v).map_err(|e| e.at(k))?))
                    })
                    .collect::<Result<Vec<_>, ExpectError>>()?;
                typed_or_object(fields)?
            }
        })
    }

    pub fn from_json(value: &serde_json::Value) -> Result<ExpectedValue, ExpectError> {
        Ok(match value {
            serde_json::Value::Null => ExpectedValue::Null,
            serde_json::Value::Bool(b) => ExpectedValue::Bool(*b),
            serde_json::Value::Number(n) => number(n.to_string())?,
            serde_json::Value::String(s) => ExpectedValue::String(s.clone()),
            serde_json::Value::Array(items) => ExpectedValue::Array(
                items.iter().map(ExpectedValue::from_json).collect::<Result<_, _>>()?,
            ),
            serde_json::Value::Object(map) => {
                let fields = map
                    .iter()
                    .map(|(k, v)| {
                        Ok((k.clone(), ExpectedValue::from_json(v).map_err(|e| e.at(k))?))
                    })
                    .collect::<Result<Vec<_>, ExpectError>>()?;
                typed_or_object(fields)?
            }
        })
    }

    /// Exactly the value received (e.g. a recorded topic used as the expectation).
    pub fn from_datum(value: &Datum) -> ExpectedValue {
        match value {
            Datum::Null => ExpectedValue::Null,
            Datum::Bool(b) => ExpectedValue::Bool(*b),
            Datum::Number(text) => match Decimal::parse(text) {
                Some(value) => ExpectedValue::Number { text: text.to_string(), value },
                None => ExpectedValue::String(text.to_string()),
            },
            Datum::String(s) => ExpectedValue::String(s.clone()),
            Datum::Array(items) => {
                ExpectedValue::Array(items.iter().map(ExpectedValue::from_datum).collect())
            }
            Datum::Object(fields) => ExpectedValue::Object(
                fields.iter().map(|(k, v)| (k.clone(), ExpectedValue::from_datum(v))).collect(),
            ),
        }
    }

    /// The value of field `name` when this is an object.
    pub fn field(&self, name: &str) -> Option<&ExpectedValue> {
        match self {
            ExpectedValue::Object(fields) => fields.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            ExpectedValue::Json(inner) => inner.field(name),
            _ => None,
        }
    }

    /// The [`Datum::canonical`] text of the received value this most likely matches, or `None`
    /// when that cannot be known before seeing it (timestamps, `$any`). Only an index hint: a
    /// hit is still compared with the full rules.
    pub fn canonical(&self) -> Option<String> {
        let mut out = String::new();
        self.write_canonical(&mut out).then_some(out)
    }

    fn write_canonical(&self, out: &mut String) -> bool {
        match self {
            ExpectedValue::Null => out.push_str("null"),
            ExpectedValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            ExpectedValue::Number { value, .. } | ExpectedValue::Decimal { value, .. } => {
                value.write_canonical(out)
            }
            ExpectedValue::String(s) => write_json_string(s, out),
            ExpectedValue::Bytes { base64 } => write_json_string(base64, out),
            ExpectedValue::Json(inner) => return inner.write_canonical(out),
            ExpectedValue::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if !item.write_canonical(out) {
                        return false;
                    }
                }
                out.push(']');
            }
            ExpectedValue::Object(fields) => {
                let mut sorted: Vec<&(String, ExpectedValue)> = fields.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    if !v.write_canonical(out) {
                        return false;
                    }
                }
                out.push('}');
            }
            ExpectedValue::Temporal(_) | ExpectedValue::Any => return false,
        }
        true
    }
}

fn number(text: String) -> Result<ExpectedValue, ExpectError> {
    match Decimal::parse(&text) {
        Some(value) => Ok(ExpectedValue::Number { text, value }),
        None => Err(invalid(format!("{text} is not a number"))),
    }
}

fn invalid(message: String) -> ExpectError {
    ExpectError::InvalidValue { path: String::new(), message }
}

/// A table is a typed literal when its only key starts with `$`; otherwise an object.
fn typed_or_object(mut fields: Vec<(String, ExpectedValue)>) -> Result<ExpectedValue, ExpectError> {
    let typed_keys = fields.iter().filter(|(k, _)| k.starts_with('$')).count();
    if typed_keys == 0 {
        return Ok(ExpectedValue::Object(fields));
    }
    if fields.len() > 1 {
        return Err(invalid(format!(
            "a `$` key ({}) must be alone in its table",
            fields.iter().find(|(k, _)| k.starts_with('$')).map(|(k, _)| k.as_str()).unwrap_or("$")
        )));
    }
    let (key, arg) = fields.pop().expect("one field");
    let bad = |what: &str| invalid(format!("`{key}` takes {what}, got {arg}"));
    match (key.as_str(), &arg) {
        ("$decimal", ExpectedValue::String(s)) => match Decimal::parse(s) {
            Some(value) => Ok(ExpectedValue::Decimal { text: s.clone(), value }),
            None => Err(bad("a decimal number")),
        },
        ("$decimal", ExpectedValue::Number { text, value }) => {
            Ok(ExpectedValue::Decimal { text: text.clone(), value: value.clone() })
        }
        ("$timestamp", ExpectedValue::String(s)) => temporal::parse(s)
            .map(ExpectedValue::Temporal)
            .ok_or_else(|| bad("a date, time or timestamp")),
        ("$timestamp", ExpectedValue::Temporal(_)) => Ok(arg),
        ("$base64", ExpectedValue::String(s)) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map(bytes)
            .map_err(|_| bad("base64 text")),
        ("$hex", ExpectedValue::String(s)) => {
            decode_hex(s).map(bytes).ok_or_else(|| bad("hex digits"))
        }
        ("$json", ExpectedValue::String(s)) => match Datum::parse_str(s) {
            Ok(datum) => Ok(ExpectedValue::Json(Box::new(ExpectedValue::from_datum(&datum)))),
            Err(e) => Err(invalid(format!("`$json` text is not JSON: {e}"))),
        },
        ("$json", _) => Ok(ExpectedValue::Json(Box::new(arg))),
        ("$null", ExpectedValue::Bool(true)) => Ok(ExpectedValue::Null),
        ("$any", ExpectedValue::Bool(true)) => Ok(ExpectedValue::Any),
        ("$null" | "$any", _) => Err(bad("`true`")),
        ("$decimal" | "$timestamp" | "$base64" | "$hex", _) => Err(bad("a string")),
        _ => Err(invalid(format!("unknown typed value `{key}` (known: {TYPED_KEYS})"))),
    }
}

fn bytes(bytes: Vec<u8>) -> ExpectedValue {
    ExpectedValue::Bytes { base64: base64::engine::general_purpose::STANDARD.encode(bytes) }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.strip_prefix("\\x").or_else(|| text.strip_prefix("0x")).unwrap_or(text);
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// JSON-like text; typed values are shown as written (`{"$decimal":"10.50"}`).
impl fmt::Display for ExpectedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted = |s: &str| {
            let mut out = String::with_capacity(s.len() + 2);
            write_json_string(s, &mut out);
            out
        };
        match self {
            ExpectedValue::Null => f.write_str("null"),
            ExpectedValue::Bool(b) => write!(f, "{b}"),
            ExpectedValue::Number { text, .. } => f.write_str(text),
            ExpectedValue::Decimal { text, .. } => write!(f, "{{\"$decimal\":{}}}", quoted(text)),
            ExpectedValue::String(s) => f.write_str(&quoted(s)),
            ExpectedValue::Temporal(dt) => write!(f, "{dt}"),
            ExpectedValue::Bytes { base64 } => write!(f, "{{\"$base64\":{}}}", quoted(base64)),
            ExpectedValue::Json(inner) => write!(f, "{{\"$json\":{inner}}}"),
            ExpectedValue::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            ExpectedValue::Object(fields) => {
                f.write_str("{")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{v}", quoted(k))?;
                }
                f.write_str("}")
            }
            ExpectedValue::Any => f.write_str("{\"$any\":true}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toml_value(text: &str) -> Result<ExpectedValue, ExpectError> {
        let table: toml::Table = toml::from_str(&format!("v = {text}")).unwrap();
        ExpectedValue::from_toml(&table["v"])
    }

    #[test]
    fn plain_toml_values() {
        assert_eq!(toml_value("\"héllo\"").unwrap(), ExpectedValue::String("héllo".into()));
        assert!(matches!(toml_value("10.50").unwrap(), ExpectedValue::Number { .. }));
        assert!(matches!(toml_value("2024-01-01T10:00:00").unwrap(), ExpectedValue::Temporal(_)));
        assert!(matches!(toml_value("2024-01-01 10:00:00Z").unwrap(), ExpectedValue::Temporal(_)));
        let obj = toml_value("{ id = 1, tags = [\"a\"] }").unwrap();
        assert_eq!(obj.to_string(), r#"{"id":1,"tags":["a"]}"#);
    }

    #[test]
    fn typed_values() {
        assert!(matches!(
            toml_value(r#"{ "$decimal" = "12345678901234567890.1" }"#).unwrap(),
            ExpectedValue::Decimal { .. }
        ));
        assert_eq!(
            toml_value(r#"{ "$hex" = "\\xDEADbeef" }"#).unwrap(),
            ExpectedValue::Bytes { base64: "3q2+7w==".into() }
        );
        assert_eq!(
            toml_value(r#"{ "$base64" = "3q2+7w==" }"#).unwrap(),
            ExpectedValue::Bytes { base64: "3q2+7w==".into() }
        );
        assert_eq!(toml_value(r#"{ "$null" = true }"#).unwrap(), ExpectedValue::Null);
        assert_eq!(toml_value(r#"{ "$any" = true }"#).unwrap(), ExpectedValue::Any);
        let json = toml_value(r#"{ "$json" = '{"a": [1, null]}' }"#).unwrap();
        assert_eq!(json.to_string(), r#"{"$json":{"a":[1,null]}}"#);
        assert!(matches!(
            toml_value(r#"{ "$timestamp" = "2024-01-01 10:00:00" }"#).unwrap(),
            ExpectedValue::Temporal(_)
        ));
    }

    #[test]
    fn bad_typed_values_are_errors_with_a_path() {
        let err = toml_value(r#"{ row = { "$decimal" = "ten" } }"#).unwrap_err().to_string();
        assert!(err.contains("row") && err.contains("$decimal"), "{err}");
        let err = toml_value(r#"{ "$decimal" = "1", other = 2 }"#).unwrap_err().to_string();
        assert!(err.contains("must be alone"), "{err}");
        let err = toml_value(r#"{ "$regex" = "x" }"#).unwrap_err().to_string();
        assert!(err.contains("unknown typed value `$regex`") && err.contains("$decimal"), "{err}");
        assert!(toml_value(r#"{ "$hex" = "abc" }"#).is_err());
        assert!(toml_value(r#"{ "$null" = false }"#).is_err());
        assert!(toml_value("nan").is_err());
    }

    #[test]
    fn json_input_has_null() {
        let v = ExpectedValue::from_json(&serde_json::json!({"a": null, "b": {"$decimal": "1.0"}}))
            .unwrap();
        assert_eq!(v.field("a"), Some(&ExpectedValue::Null));
        assert!(matches!(v.field("b"), Some(ExpectedValue::Decimal { .. })));
    }

    #[test]
    fn canonical_matches_the_datum_form() {
        let datum = Datum::parse(br#"{"id":1.0,"name":"x","b":"3q2+7w=="}"#).unwrap();
        let v = toml_value(r#"{ name = "x", id = 1, b = { "$hex" = "deadbeef" } }"#).unwrap();
        assert_eq!(v.canonical().unwrap(), datum.canonical());
        assert_eq!(toml_value("{ t = 2024-01-01 }").unwrap().canonical(), None);
    }
}
