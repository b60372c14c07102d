//! A decoded JSON value whose numbers keep their exact text.
//!
//! Flink writes DECIMAL(38, 18) columns as JSON numbers; parsing them into `f64` (what
//! `serde_json::Value` does without its crate-wide `arbitrary_precision` feature, which would
//! change number handling for every other module) would make `12345678901234567890.12` equal
//! to `12345678901234567890.13`. So numbers stay text here and [`Decimal`] compares them.
//! Parsing goes through `serde_json` (`RawValue` for each member, so numbers are never
//! converted); objects keep their field order for display.

use std::fmt::{self, Write as _};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;

use crate::expect::Decimal;

#[derive(Debug, Clone)]
pub enum Datum {
    Null,
    Bool(bool),
    /// The number exactly as written, e.g. `10.50` or `1E+3`.
    Number(Box<str>),
    String(String),
    Array(Vec<Datum>),
    /// Fields in the order they were written.
    Object(Vec<(String, Datum)>),
}

impl Datum {
    /// Parses one JSON document.
    pub fn parse(bytes: &[u8]) -> Result<Datum, serde_json::Error> {
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            // Containers go straight to the visitor, which reads members as raw text.
            Some(b'{') | Some(b'[') => serde_json::from_slice(bytes),
            // A bare scalar: take its raw text so a number is never converted.
            _ => {
                let raw: &RawValue = serde_json::from_slice(bytes)?;
                Datum::from_raw(raw.get())
            }
        }
    }

    pub fn parse_str(text: &str) -> Result<Datum, serde_json::Error> {
        Datum::parse(text.as_bytes())
    }

    /// Builds a value from one member's raw JSON text (already validated by serde_json).
    fn from_raw(raw: &str) -> Result<Datum, serde_json::Error> {
        Ok(match raw.as_bytes().first() {
            Some(b'{') | Some(b'[') => serde_json::from_str(raw)?,
            Some(b'"') => {
                let inner = &raw[1..raw.len() - 1];
                // Most strings have no escapes: slice them instead of parsing again.
                if inner.contains('\\') {
                    Datum::String(serde_json::from_str(raw)?)
                } else {
                    Datum::String(inner.to_owned())
                }
            }
            Some(b'n') => Datum::Null,
            Some(b't') => Datum::Bool(true),
            Some(b'f') => Datum::Bool(false),
            _ => Datum::Number(raw.into()),
        })
    }

    /// The value of field `name` when this is an object.
    pub fn get(&self, name: &str) -> Option<&Datum> {
        match self {
            Datum::Object(fields) => fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Moves field `name` out of an object.
    pub(crate) fn take(&mut self, name: &str) -> Option<Datum> {
        match self {
            Datum::Object(fields) => {
                let at = fields.iter().rposition(|(k, _)| k == name)?;
                Some(fields.swap_remove(at).1)
            }
            _ => None,
        }
    }

    /// The text of a number or a string.
    pub fn number_or_string(&self) -> Option<&str> {
        match self {
            Datum::Number(text) => Some(text),
            Datum::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Datum::Null)
    }

    /// A short name of the JSON type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Datum::Null => "null",
            Datum::Bool(_) => "boolean",
            Datum::Number(_) => "number",
            Datum::String(_) => "string",
            Datum::Array(_) => "array",
            Datum::Object(_) => "object",
        }
    }

    /// A text that is equal for two values exactly when they are equal as JSON: numbers by
    /// value (`1.50` = `1.5`), object fields in any order. Used to index records by key.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out
    }

    pub(crate) fn write_canonical(&self, out: &mut String) {
        match self {
            Datum::Null => out.push_str("null"),
            Datum::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Datum::Number(text) => {
                if !Decimal::write_canonical_of(text, out) {
                    out.push('#');
                    out.push_str(text);
                }
            }
            Datum::String(s) => write_json_string(s, out),
            Datum::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_canonical(out);
                }
                out.push(']');
            }
            Datum::Object(fields) => {
                let mut sorted: Vec<&(String, Datum)> = fields.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    v.write_canonical(out);
                }
                out.push('}');
            }
        }
    }
}

pub(crate) fn write_json_string(s: &str, out: &mut String) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        // Nothing to escape: the common case, without serde_json's allocation.
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).expect("a string always serializes"));
    }
}

/// JSON equality: numbers by value, object fields in any order.
impl PartialEq for Datum {
    fn eq(&self, other: &Datum) -> bool {
        match (self, other) {
            (Datum::Null, Datum::Null) => true,
            (Datum::Bool(a), Datum::Bool(b)) => a == b,
            (Datum::Number(a), Datum::Number(b)) => {
                a == b
                    || matches!((Decimal::parse(a), Decimal::parse(b)), (Some(x), Some(y)) if x == y)
            }
            (Datum::String(a), Datum::String(b)) => a == b,
            (Datum::Array(a), Datum::Array(b)) => a == b,
            (Datum::Object(a), Datum::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| other.get(k) == Some(v))
            }
            _ => false,
        }
    }
}

/// Compact JSON, numbers as written.
impl fmt::Display for Datum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Datum::Null => f.write_str("null"),
            Datum::Bool(b) => write!(f, "{b}"),
            Datum::Number(text) => f.write_str(text),
            Datum::String(s) => {
                let mut out = String::with_capacity(s.len() + 2);
                write_json_string(s, &mut out);
                f.write_str(&out)
            }
            Datum::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Datum::Object(fields) => {
                f.write_char('{')?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    let mut key = String::with_capacity(k.len() + 2);
                    write_json_string(k, &mut key);
                    write!(f, "{key}:{v}")?;
                }
                f.write_char('}')
            }
        }
    }
}

impl<'de> Deserialize<'de> for Datum {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Datum, D::Error> {
        deserializer.deserialize_any(DatumVisitor)
    }
}

/// One array element or object member, read as raw text so numbers keep their digits.
struct Member(Datum);

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Member, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(deserializer)?;
        Datum::from_raw(raw.get()).map(Member).map_err(de::Error::custom)
    }
}

struct DatumVisitor;

impl<'de> Visitor<'de> for DatumVisitor {
    type Value = Datum;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Datum, E> {
        Ok(Datum::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Datum, E> {
        Ok(Datum::Bool(v))
    }

    // Only reached for a document that is a bare number (members go through `Member`).
    fn visit_u64<E>(self, v: u64) -> Result<Datum, E> {
        Ok(Datum::Number(v.to_string().into()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Datum, E> {
        Ok(Datum::Number(v.to_string().into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Datum, E> {
        Ok(Datum::Number(v.to_string().into()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Datum, E> {
        Ok(Datum::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Datum, E> {
        Ok(Datum::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Datum, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Member(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Datum::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Datum, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(key) = map.next_key::<String>()? {
            let Member(value) = map.next_value()?;
            fields.push((key, value));
        }
        Ok(Datum::Object(fields))
    }
}

/// Serializes as JSON with numbers as written (for reports and artefacts).
impl Serialize for Datum {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Datum::Null => serializer.serialize_unit(),
            Datum::Bool(b) => serializer.serialize_bool(*b),
            Datum::Number(text) => match RawValue::from_string(text.to_string()) {
                Ok(raw) => raw.serialize(serializer),
                Err(_) => serializer.serialize_str(text),
            },
            Datum::String(s) => serializer.serialize_str(s),
            Datum::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Datum::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_exact_text() {
        let d =
            Datum::parse(br#"{"a": 12345678901234567890.123456789012345678, "b": [1E+3, -0.50]}"#)
                .unwrap();
        assert_eq!(
            d.get("a"),
            Some(&Datum::Number("12345678901234567890.123456789012345678".into()))
        );
        assert_eq!(
            d.to_string(),
            r#"{"a":12345678901234567890.123456789012345678,"b":[1E+3,-0.50]}"#
        );
        let top = Datum::parse(b" 99999999999999999999999.5 ").unwrap();
        assert_eq!(top.to_string(), "99999999999999999999999.5");
    }

    #[test]
    fn strings_with_and_without_escapes() {
        let d = Datum::parse("{\"plain\":\"héllo 😀\",\"esc\":\"a\\\"b\\u00e9\\n\"}".as_bytes())
            .unwrap();
        assert_eq!(d.get("plain"), Some(&Datum::String("héllo 😀".into())));
        assert_eq!(d.get("esc"), Some(&Datum::String("a\"bé\n".into())));
        assert_eq!(Datum::parse(br#""x\ty""#).unwrap(), Datum::String("x\ty".into()));
        // Written back as JSON: escaped only where needed.
        assert_eq!(d.get("esc").unwrap().to_string(), r#""a\"bé\n""#);
        assert_eq!(d.get("plain").unwrap().to_string(), "\"héllo 😀\"");
    }

    #[test]
    fn nested_nulls_and_booleans() {
        let d = Datum::parse(br#"{"r":{"x":null,"y":[true,false,{"z":1.0}]}}"#).unwrap();
        assert_eq!(d.to_string(), r#"{"r":{"x":null,"y":[true,false,{"z":1.0}]}}"#);
        assert!(d.get("r").unwrap().get("x").unwrap().is_null());
    }

    #[test]
    fn equality_is_by_json_value() {
        let a = Datum::parse(br#"{"id":1,"p":10.50}"#).unwrap();
        let b = Datum::parse(br#"{"p":10.5,"id":1.0}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.canonical(), b.canonical());
        let c = Datum::parse(br#"{"id":1,"p":"10.5"}"#).unwrap();
        assert_ne!(a, c);
        assert_ne!(a.canonical(), c.canonical());
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(Datum::parse(b"{\"a\":").is_err());
        assert!(Datum::parse(b"\xff\xfe").is_err());
        assert!(Datum::parse(b"").is_err());
        assert!(Datum::parse(b"{} trailing").is_err());
    }

    #[test]
    fn serializes_numbers_as_written() {
        let d = Datum::parse(br#"{"n":1.50,"s":"x"}"#).unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), r#"{"n":1.50,"s":"x"}"#);
    }
}
