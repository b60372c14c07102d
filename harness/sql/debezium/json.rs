//! A connector configuration as users post it to Kafka Connect, read with positions: either
//! `{"name": ..., "config": {...}}` (`POST /connectors`) or the `config` object alone (`PUT
//! /connectors/<name>/config`). Strict JSON, as Kafka Connect's Jackson reads it.

use crate::diagnostics::{Finding, SourceFile, Span};
use jsonc_parser::ast::{Object, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{parse_to_ast, CollectOptions, ParseOptions};

/// One `"key": value` of the configuration. Kafka Connect reads every value as a string; numbers
/// and booleans are taken as their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub key: String,
    pub key_span: Span,
    /// `None` for JSON `null` (the key counts as not set).
    pub value: Option<String>,
    pub value_span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct ParsedConfig {
    /// `name` of the `{"name", "config"}` form, or the configuration's own `name`.
    pub name: Option<(String, Span)>,
    pub entries: Vec<ConfigEntry>,
    /// The configuration object (the inner one in the `{"name", "config"}` form).
    pub span: Span,
    /// Syntax errors and shape problems; the entries read are kept where possible.
    pub findings: Vec<Finding>,
}

impl ParsedConfig {
    /// The entry Kafka Connect uses for `key`: the last one (Jackson keeps the last duplicate).
    pub fn get(&self, key: &str) -> Option<&ConfigEntry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// The value of `key`, when set and not null.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|e| e.value.as_deref())
    }
}

fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Reads `file.slice(region)`; every span is absolute in `file`.
pub fn parse_config(file: &SourceFile, region: Span) -> ParsedConfig {
    let text = file.slice(region);
    let at =
        |r: jsonc_parser::common::Range| Span::new(region.start + r.start, region.start + r.end);
    let mut out = ParsedConfig { span: region, ..ParsedConfig::default() };
    let parsed = match parse_to_ast(text, &CollectOptions::default(), &strict()) {
        Ok(parsed) => parsed,
        Err(e) => {
            out.findings.push(
                Finding::error("connect/json-syntax", at(e.range()), json_message(&e.kind().to_string()))
                    .with_help("the configuration is JSON as posted to Kafka Connect: double-quoted keys and strings, commas between entries, no comments"),
            );
            return out;
        }
    };
    let Some(Value::Object(root)) = parsed.value else {
        let span = parsed.value.as_ref().map(|v| at(v.range())).unwrap_or(region);
        out.findings.push(
            Finding::error("connect/not-an-object", span, "the connector configuration is not a JSON object")
                .with_help("write `{\"name\": \"orders\", \"config\": {\"connector.class\": ...}}`, or the `config` object alone"),
        );
        return out;
    };
    let wrapped = root.properties.iter().any(|p| p.name.as_str() == "config")
        && root.properties.iter().all(|p| matches!(p.name.as_str(), "name" | "config"));
    let config = if wrapped {
        for p in &root.properties {
            match (p.name.as_str(), &p.value) {
                ("name", Value::StringLit(s)) => {
                    out.name = Some((s.value.to_string(), at(s.range)));
                }
                ("name", other) => out.findings.push(
                    Finding::error(
                        "connect/value-type",
                        at(other.range()),
                        "`name` must be a string",
                    )
                    .with_help("write the connector's name in double quotes"),
                ),
                _ => {}
            }
        }
        match root.properties.iter().rev().find(|p| p.name.as_str() == "config") {
            Some(p) => match &p.value {
                Value::Object(inner) => inner,
                other => {
                    out.findings.push(
                        Finding::error("connect/not-an-object", at(other.range()), "`config` is not a JSON object")
                            .with_help("write the connector's properties as `\"config\": {\"key\": \"value\", ...}`"),
                    );
                    return out;
                }
            },
            None => &root,
        }
    } else {
        &root
    };
    read_entries(config, &at, &mut out);
    if let (Some((outer, _)), Some(inner)) = (out.name.clone(), out.get("name").cloned()) {
        if inner.value.as_deref().is_some_and(|v| v != outer) {
            out.findings.push(
                Finding::error(
                    "connect/name-mismatch",
                    inner.value_span,
                    format!("the configuration's `name` differs from the connector's name `{outer}`"),
                )
                .with_help("Kafka Connect refuses the request: remove `name` from `config`, or make both the same"),
            );
        }
    }
    if out.name.is_none() {
        out.name = out.get("name").and_then(|e| Some((e.value.clone()?, e.value_span)));
    }
    out
}

fn read_entries(
    object: &Object<'_>,
    at: &impl Fn(jsonc_parser::common::Range) -> Span,
    out: &mut ParsedConfig,
) {
    out.span = at(object.range);
    for p in &object.properties {
        let key = p.name.as_str().to_string();
        let key_span = at(p.name.range());
        let value = match &p.value {
            Value::StringLit(s) => Some(s.value.to_string()),
            Value::NumberLit(n) => Some(n.value.to_string()),
            Value::BooleanLit(b) => Some(b.value.to_string()),
            Value::NullKeyword(_) => None,
            Value::Object(_) | Value::Array(_) => {
                out.findings.push(
                    Finding::error(
                        "connect/value-type",
                        at(p.value.range()),
                        format!("'{key}' is not a string: Kafka Connect reads every property as a string"),
                    )
                    .with_help("write the value as a string; lists are comma-separated (\"public.a,public.b\")"),
                );
                continue;
            }
        };
        if out.entries.iter().any(|e| e.key == key) {
            out.findings.push(
                Finding::warning(
                    "connect/duplicate-key",
                    key_span,
                    format!("'{key}' is set twice; Kafka Connect keeps only this one"),
                )
                .with_label("set again here")
                .with_help("remove one of the two"),
            );
        }
        out.entries.push(ConfigEntry { key, key_span, value, value_span: at(p.value.range()) });
    }
}

/// jsonc-parser's messages, in the linter's voice.
fn json_message(kind: &str) -> String {
    let kind = kind.trim_end_matches('.');
    let mut chars = kind.chars();
    match chars.next() {
        Some(first) => format!("invalid JSON: {}{}", first.to_lowercase(), chars.as_str()),
        None => "invalid JSON".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (SourceFile, ParsedConfig) {
        let file = SourceFile::new("c.json", text);
        let parsed = parse_config(&file, Span::new(0, text.len()));
        (file, parsed)
    }

    #[test]
    fn both_forms_give_the_entries_with_their_positions() {
        let wrapped = "{\"name\": \"orders\", \"config\": {\"slot.name\": \"s\", \"database.port\": 5432, \"x\": null}}";
        let (file, parsed) = parse(wrapped);
        assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
        assert_eq!(parsed.name.as_ref().unwrap().0, "orders");
        assert_eq!(parsed.value("slot.name"), Some("s"));
        assert_eq!(parsed.value("database.port"), Some("5432"));
        assert_eq!(parsed.get("x").unwrap().value, None);
        assert_eq!(file.slice(parsed.get("slot.name").unwrap().key_span), "\"slot.name\"");
        assert_eq!(file.slice(parsed.get("slot.name").unwrap().value_span), "\"s\"");

        let (_, flat) = parse("{\"name\": \"o\", \"topic.prefix\": \"p\"}");
        assert_eq!(flat.name.as_ref().unwrap().0, "o");
        assert_eq!(flat.value("topic.prefix"), Some("p"));
    }

    #[test]
    fn positions_count_bytes_after_multibyte_text() {
        let (file, parsed) = parse("{\"a\": \"Grüße 🚀\", \"b\": \"x\"}");
        assert_eq!(file.slice(parsed.get("b").unwrap().value_span), "\"x\"");
    }

    #[test]
    fn syntax_errors_and_shapes_are_findings() {
        let (file, parsed) = parse("{\"a\": \"x\" \"b\": 1}");
        assert_eq!(parsed.findings[0].code, "connect/json-syntax");
        // Where the comma is missing, right after the value.
        assert_eq!(file.line_col(parsed.findings[0].span.start).column, 10);
        for bad in ["{\"a\": 1,}", "{'a': 1}", "{\"a\": 1} // c"] {
            assert_eq!(parse(bad).1.findings[0].code, "connect/json-syntax", "{bad}");
        }
        assert_eq!(parse("[1]").1.findings[0].code, "connect/not-an-object");
        assert_eq!(parse("{\"a\": {\"b\": 1}}").1.findings[0].code, "connect/value-type");
        let dup = parse("{\"a\": \"1\", \"a\": \"2\"}").1;
        assert_eq!(dup.findings[0].code, "connect/duplicate-key");
        assert_eq!(dup.value("a"), Some("2"));
        let mismatch = parse("{\"name\": \"a\", \"config\": {\"name\": \"b\"}}").1;
        assert_eq!(mismatch.findings[0].code, "connect/name-mismatch");
    }
}
