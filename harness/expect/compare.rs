//! The comparison rules, all in one place: does a received JSON value match an expected one?
//!
//! - Types are strict: a number matches a number, a string a string. `$decimal` is the one way
//!   to let a numeric string match a number (the expected side says so, never the data).
//! - Numbers compare by exact decimal value at any precision (`10.50` = `10.5`), floats by
//!   their shortest text (`0.1` = `0.1`).
//! - Timestamps: an expected date/time/timestamp matches a string in Flink's SQL or ISO form,
//!   with or without a zone (no zone = UTC), by instant (see `temporal.rs`).
//! - Bytes: expected bytes match the base64 text Flink's JSON formats write.
//! - Objects and arrays: same fields (no missing, no extra), same length; an object/array also
//!   matches a string containing that JSON (PostgreSQL jsonb arrives in Flink as STRING).
//! - Strings (unicode included) compare byte for byte; NULL only matches null.

use std::fmt;

use base64::Engine as _;

use super::value::ExpectedValue;
use super::{temporal, Decimal};
use crate::kafka::Datum;

/// Where and how a received value differs from the expected one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// `.price`, `.tags[2]`; empty for the value itself.
    pub path: String,
    pub expected: String,
    pub received: String,
    /// Why, or what to write instead, when the values alone do not say it.
    pub hint: Option<String>,
}

impl Mismatch {
    fn new(expected: &ExpectedValue, received: &Datum) -> Mismatch {
        Mismatch {
            path: String::new(),
            expected: clip(expected.to_string()),
            received: clip(received.to_string()),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Mismatch {
        self.hint = Some(hint.into());
        self
    }

    fn under(mut self, segment: &str) -> Mismatch {
        self.path.insert_str(0, segment);
        self
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "expected {}, received {}", self.expected, self.received)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// Long values are cut so one mismatch stays one readable line.
pub(crate) fn clip(mut text: String) -> String {
    const MAX: usize = 200;
    if text.len() > MAX {
        let mut end = MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// Whether `received` matches `expected`; the first difference otherwise.
pub fn compare(expected: &ExpectedValue, received: &Datum) -> Result<(), Mismatch> {
    use ExpectedValue as E;
    let differs = || Mismatch::new(expected, received);
    match (expected, received) {
        (E::Any, _) | (E::Null, Datum::Null) => Ok(()),
        (E::Bool(a), Datum::Bool(b)) if a == b => Ok(()),
        (E::Number { value, .. }, Datum::Number(text)) => {
            if value.equals_text(text) { Ok(()) } else { Err(differs()) }
        }
        (E::Number { value, .. }, Datum::String(text)) => Err(match Decimal::parse(text) {
            Some(found) if &found == value => differs().hint(format!(
                "received a string; write {{ \"$decimal\" = \"{text}\" }} to compare a numeric string as a number"
            )),
            _ => differs().hint("received a string, expected a number"),
        }),
        (E::Decimal { value, .. }, Datum::Number(_) | Datum::String(_)) => {
            match received.number_or_string() {
                Some(text) if value.equals_text(text) => Ok(()),
                Some(text) if Decimal::parse(text).is_some() => Err(differs()),
                _ => Err(differs().hint("not a decimal number")),
            }
        }
        (E::String(a), Datum::String(b)) if a == b => Ok(()),
        (E::String(a), Datum::String(b)) => Err(match (temporal::parse(a), temporal::parse(b)) {
            (Some(x), Some(y)) if temporal::same(&x, &y) => differs().hint(
                "the same timestamp written differently; write the expected value unquoted (a TOML datetime) to compare as timestamps",
            ),
            _ => differs(),
        }),
        (E::String(a), Datum::Number(_)) if Decimal::parse(a).is_some() => Err(differs().hint(format!(
            "received a number; write {{ \"$decimal\" = \"{a}\" }} to compare numerically"
        ))),
        (E::Temporal(dt), Datum::String(text)) => match temporal::parse(text) {
            Some(found) if temporal::same(dt, &found) => Ok(()),
            Some(_) => Err(differs()),
            None => Err(differs().hint("not a date, time or timestamp")),
        },
        (E::Bytes { base64 }, Datum::String(text)) if base64 == text => Ok(()),
        (E::Bytes { base64 }, Datum::String(text)) => {
            let decode = |t: &str| base64::engine::general_purpose::STANDARD.decode(t);
            match (decode(base64), decode(text)) {
                (Ok(want), Ok(found)) => Err(differs().hint(format!("bytes {} vs {}", hex(&want), hex(&found)))),
                _ => Err(differs().hint("not base64 (Flink writes BYTES as base64)")),
            }
        }
        (E::Json(inner), _) => compare(inner, received),
        (E::Array(items), Datum::Array(found)) => {
            for (i, (item, value)) in items.iter().zip(found).enumerate() {
                compare(item, value).map_err(|m| m.under(&format!("[{i}]")))?;
            }
            if items.len() == found.len() {
                Ok(())
            } else {
                Err(differs().hint(format!("{} elements expected, {} received", items.len(), found.len())))
            }
        }
        (E::Object(fields), Datum::Object(found)) => {
            // Fields are looked up from where the last one was found: rows usually list them
            // in the same order, which makes each lookup one comparison.
            let mut cursor = 0;
            for (name, value) in fields {
                let at = (0..found.len()).map(|k| (cursor + k) % found.len()).find(|&i| found[i].0 == *name);
                let Some(i) = at else {
                    return Err(Mismatch {
                        path: field_segment(name),
                        expected: clip(value.to_string()),
                        received: "no such field".into(),
                        hint: None,
                    });
                };
                compare(value, &found[i].1).map_err(|m| m.under(&field_segment(name)))?;
                cursor = i + 1;
            }
            // Every expected field was found: as many received ones means no other.
            if found.len() == fields.len() {
                return Ok(());
            }
            match found.iter().find(|(name, _)| expected.field(name).is_none()) {
                None => Ok(()),
                Some((name, got)) => Err(Mismatch {
                    path: field_segment(name),
                    expected: "no such field".into(),
                    received: clip(got.to_string()),
                    hint: Some("write { \"$any\" = true } for a field whose value does not matter".into()),
                }),
            }
        }
        // PostgreSQL json/jsonb columns reach Kafka as strings holding JSON.
        (E::Array(_) | E::Object(_), Datum::String(text)) => match Datum::parse_str(text) {
            Ok(inner @ (Datum::Array(_) | Datum::Object(_))) => {
                compare(expected, &inner).map_err(|m| m.hint("inside the JSON string"))
            }
            _ => Err(differs().hint("received a string that is not a JSON object or array")),
        },
        (_, _) => {
            let kind = received.type_name();
            match expected_type(expected) {
                Some(want) if want != kind => Err(differs().hint(format!("received {kind}, expected {want}"))),
                _ => Err(differs()),
            }
        }
    }
}

fn expected_type(expected: &ExpectedValue) -> Option<&'static str> {
    Some(match expected {
        ExpectedValue::Null => "null",
        ExpectedValue::Bool(_) => "boolean",
        ExpectedValue::Number { .. } => "number",
        ExpectedValue::Decimal { .. } => "a number or a numeric string",
        ExpectedValue::String(_) => "string",
        ExpectedValue::Temporal(_) => "a date/time string",
        ExpectedValue::Bytes { .. } => "base64 string",
        ExpectedValue::Array(_) => "array",
        ExpectedValue::Object(_) => "object",
        ExpectedValue::Json(_) | ExpectedValue::Any => return None,
    })
}

fn field_segment(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        format!(".{name}")
    } else {
        let mut out = String::from(".");
        crate::kafka::datum::write_json_string(name, &mut out);
        out
    }
}

fn hex(bytes: &[u8]) -> String {
    let shown: String = bytes.iter().take(32).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 32 {
        format!("{shown}…")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(toml_text: &str) -> ExpectedValue {
        let table: toml::Table = toml::from_str(&format!("v = {toml_text}")).unwrap();
        ExpectedValue::from_toml(&table["v"]).unwrap()
    }

    fn check(expected: &str, received: &str) -> Result<(), Mismatch> {
        compare(&exp(expected), &Datum::parse_str(received).unwrap())
    }

    #[test]
    fn decimals_by_value_at_any_precision() {
        assert!(check("10.50", "10.5").is_ok());
        assert!(check("10.5", "10.500000000000000000").is_ok());
        assert!(check("1000", "1E+3").is_ok());
        assert!(check("10.5", "10.51").is_err());
        assert!(check(
            r#"{ "$decimal" = "12345678901234567890.123456789012345678" }"#,
            "12345678901234567890.123456789012345678"
        )
        .is_ok());
        assert!(check(
            r#"{ "$decimal" = "12345678901234567890.123456789012345678" }"#,
            "12345678901234567890.123456789012345679"
        )
        .is_err());
    }

    #[test]
    fn numeric_strings_only_when_the_expectation_says_decimal() {
        let m = check("10.5", r#""10.50""#).unwrap_err();
        assert!(m.hint.as_deref().unwrap().contains("$decimal"), "{m}");
        assert!(check(r#"{ "$decimal" = "10.5" }"#, r#""10.50""#).is_ok());
        assert!(check(r#"{ "$decimal" = 10.5 }"#, "10.50").is_ok());
        let m = check(r#""10.5""#, "10.5").unwrap_err();
        assert!(m.hint.as_deref().unwrap().contains("$decimal"), "{m}");
        assert!(check(r#"{ "$decimal" = "10.5" }"#, r#""ten""#).is_err());
    }

    #[test]
    fn timestamps_with_and_without_zone() {
        assert!(check("2024-01-01 10:00:00", r#""2024-01-01T10:00:00""#).is_ok());
        assert!(check("2024-01-01T10:00:00", r#""2024-01-01 10:00:00""#).is_ok());
        assert!(check("2024-01-01T10:00:00Z", r#""2024-01-01 10:00:00Z""#).is_ok());
        assert!(check("2024-01-01T10:00:00", r#""2024-01-01 10:00:00Z""#).is_ok());
        assert!(check("2024-01-01T11:00:00+01:00", r#""2024-01-01 10:00:00Z""#).is_ok());
        assert!(check("2024-01-01T10:00:00.5", r#""2024-01-01 10:00:00.500""#).is_ok());
        assert!(check("2024-01-01", r#""2024-01-01""#).is_ok());
        assert!(check("10:00:00", r#""10:00:00""#).is_ok());
        assert!(check("2024-01-01T10:00:00", r#""2024-01-01 10:00:01""#).is_err());
        assert!(check("2024-01-01T10:00:00", r#""soon""#).unwrap_err().hint.is_some());
        let m = check(r#""2024-01-01 10:00:00""#, r#""2024-01-01T10:00:00""#).unwrap_err();
        assert!(m.hint.as_deref().unwrap().contains("unquoted"), "{m}");
    }

    #[test]
    fn null_matches_only_null() {
        assert!(check(r#"{ "$null" = true }"#, "null").is_ok());
        assert!(check(r#"{ "$null" = true }"#, r#""""#).is_err());
        assert!(check(r#"{ "$null" = true }"#, "0").is_err());
        assert!(check(r#""""#, "null").is_err());
        assert!(check(r#"{ a = { "$null" = true } }"#, r#"{"a":null}"#).is_ok());
    }

    #[test]
    fn unicode_byte_for_byte() {
        assert!(check(r#""héllo wörld 😀 日本""#, r#""héllo wörld 😀 日本""#).is_ok());
        assert!(check(r#""h\u00e9""#, r#""h\u00e9""#).is_ok());
        // U+00E9 vs e + U+0301: equal to the eye, different text.
        assert!(check(r#""h\u00e9""#, r#""he\u0301""#).is_err());
    }

    #[test]
    fn bytes_as_base64() {
        assert!(check(r#"{ "$hex" = "deadbeef" }"#, r#""3q2+7w==""#).is_ok());
        assert!(check(r#"{ "$base64" = "3q2+7w==" }"#, r#""3q2+7w==""#).is_ok());
        let m = check(r#"{ "$hex" = "deadbeef" }"#, r#""3q2+7A==""#).unwrap_err();
        assert!(m.hint.unwrap().contains("deadbeef vs deadbeec"));
        assert!(check(r#"{ "$hex" = "00" }"#, r#""%%%""#)
            .unwrap_err()
            .hint
            .unwrap()
            .contains("base64"));
    }

    #[test]
    fn json_columns_as_strings_or_structures() {
        assert!(check(r#"{ a = 1, b = [true, "x"] }"#, r#""{\"b\": [true, \"x\"], \"a\": 1.0}""#)
            .is_ok());
        assert!(check(r#"{ a = 1 }"#, r#"{"a":1}"#).is_ok());
        assert!(check(r#"{ "$json" = '{"a":1}' }"#, r#""{\"a\":1}""#).is_ok());
        let m = check(r#"{ a = 1 }"#, r#""{\"a\":2}""#).unwrap_err();
        assert_eq!(m.path, ".a");
        assert_eq!(m.hint.as_deref(), Some("inside the JSON string"));
        assert!(check("[1, 2]", r#""[1,2]""#).is_ok());
        assert!(check("[1, 2]", r#""not json""#).is_err());
    }

    #[test]
    fn objects_need_the_same_fields() {
        let m = check(r#"{ id = 1, name = "a" }"#, r#"{"id":1}"#).unwrap_err();
        assert_eq!((m.path.as_str(), m.received.as_str()), (".name", "no such field"));
        let m = check(r#"{ id = 1 }"#, r#"{"id":1,"ts":"x"}"#).unwrap_err();
        assert_eq!((m.path.as_str(), m.expected.as_str()), (".ts", "no such field"));
        assert!(check(r#"{ id = 1, ts = { "$any" = true } }"#, r#"{"id":1,"ts":"x"}"#).is_ok());
        let m = check(r#"{ r = { tags = [1, 2] } }"#, r#"{"r":{"tags":[1,3]}}"#).unwrap_err();
        assert_eq!(m.path, ".r.tags[1]");
        assert_eq!(m.to_string(), ".r.tags[1]: expected 2, received 3");
        assert!(check("[1, 2]", "[1, 2, 3]")
            .unwrap_err()
            .hint
            .unwrap()
            .contains("2 elements expected, 3 received"));
    }

    #[test]
    fn types_are_strict() {
        assert!(check("true", "true").is_ok());
        assert!(check("true", r#""true""#).is_err());
        assert!(check("1", "true")
            .unwrap_err()
            .hint
            .unwrap()
            .contains("received boolean, expected number"));
        assert!(check(r#""1""#, r#"{"a":1}"#).is_err());
    }
}
