//! Reads the TOML document section by section, so that one broken section or step does not hide
//! the errors of the others, and turns toml/serde errors into findings with a hint.

use super::raw::{RawExpect, RawFlink, RawPostgres, RawStep, RawTable, RawTimeouts};
use crate::diagnostics::{Finding, SourceFile, Span};
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned as S;

pub const TOP_LEVEL_KEYS: &[&str] =
    &["name", "description", "postgres", "source", "sink", "flink", "steps", "expect", "timeouts"];

/// `[source]` and `[sink]` share one serde struct; these are the fields each one documents, so
/// that a did-you-mean never suggests a sink field for the source.
const SOURCE_KEYS: &[&str] =
    &["connector", "table", "columns", "primary_key", "options", "name", "sql", "config"];
const SINK_KEYS: &[&str] = &[
    "connector",
    "topic",
    "format",
    "key_format",
    "value_format",
    "columns",
    "primary_key",
    "options",
    "name",
    "sql",
];

/// The sections that deserialized; `broken` names those that were present but wrong (already
/// reported), so validation does not also call them missing.
#[derive(Debug, Default)]
pub struct RawScenario {
    pub name: Option<S<String>>,
    pub description: Option<S<String>>,
    pub postgres: Option<S<RawPostgres>>,
    pub source: Option<S<RawTable>>,
    pub sink: Option<S<RawTable>>,
    pub flink: Option<S<RawFlink>>,
    pub steps: Vec<S<RawStep>>,
    pub expect: Vec<S<RawExpect>>,
    pub timeouts: Option<S<RawTimeouts>>,
    pub broken: BTreeSet<&'static str>,
    /// The span of the whole document, for "missing section" findings.
    pub document: Span,
}

/// Parses the TOML; `None` when its syntax is broken (the findings say where).
pub fn read(file: &SourceFile, findings: &mut Vec<Finding>) -> Option<RawScenario> {
    let (root, errors) = DeTable::parse_recoverable(file.text());
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().map(Span::from).unwrap_or_default();
            findings.push(
                Finding::error("scenario/toml-syntax", span, e.message().trim().to_string())
                    .with_help("the file is not valid TOML; see https://toml.io for the syntax"),
            );
        }
        return None;
    }
    let mut raw = RawScenario { document: Span::new(0, file.text().len()), ..Default::default() };
    for (key, value) in root.get_ref().iter() {
        let key_span = Span::from(key.span());
        let Some(&name) = TOP_LEVEL_KEYS.iter().find(|k| **k == key.get_ref().as_ref()) else {
            findings.push(unknown_field(key.get_ref(), key_span, "the top level", TOP_LEVEL_KEYS));
            continue;
        };
        let ok = match name {
            "name" => store(&mut raw.name, piece(value, "`name`", findings)),
            "description" => store(&mut raw.description, piece(value, "`description`", findings)),
            "postgres" => store(&mut raw.postgres, piece(value, "[postgres]", findings)),
            "source" => store(&mut raw.source, piece(value, "[source]", findings)),
            "sink" => store(&mut raw.sink, piece(value, "[sink]", findings)),
            "flink" => store(&mut raw.flink, piece(value, "[flink]", findings)),
            "timeouts" => store(&mut raw.timeouts, piece(value, "[timeouts]", findings)),
            "steps" => {
                let before = findings.len();
                raw.steps = array_of_tables(value, "steps", findings);
                findings.len() == before
            }
            "expect" => {
                let before = findings.len();
                raw.expect = array_of_tables(value, "expect", findings);
                findings.len() == before
            }
            _ => unreachable!("every top-level key is handled"),
        };
        if !ok {
            raw.broken.insert(name);
        }
    }
    Some(raw)
}

fn store<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let ok = value.is_some();
    *slot = value;
    ok
}

/// `[[steps]]` / `[[expect]]`; a single `[expect]` table counts as a list of one. Each element is
/// read on its own, so every broken one is reported.
fn array_of_tables<T: DeserializeOwned>(
    value: &S<DeValue<'_>>,
    name: &str,
    findings: &mut Vec<Finding>,
) -> Vec<S<T>> {
    match value.get_ref() {
        DeValue::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| piece(item, &format!("[[{name}]] #{}", i + 1), findings))
            .collect(),
        DeValue::Table(_) => piece(value, &format!("[{name}]"), findings).into_iter().collect(),
        other => {
            findings.push(
                Finding::error(
                    "scenario/wrong-type",
                    value.span().into(),
                    format!("`{name}` must be a list of tables, found {}", other.type_str()),
                )
                .with_help(format!("write each entry as a `[[{name}]]` table")),
            );
            Vec::new()
        }
    }
}

/// Deserializes one value with serde; a failure becomes a finding.
fn piece<T: DeserializeOwned>(
    value: &S<DeValue<'_>>,
    context: &str,
    findings: &mut Vec<Finding>,
) -> Option<S<T>> {
    let span = value.span();
    match T::deserialize(ValueDeserializer::from(value.clone())) {
        Ok(v) => Some(S::new(span.clone(), v)),
        Err(e) => {
            findings.push(serde_finding(&e, Span::from(span), context));
            None
        }
    }
}

/// Turns serde's messages (which are stable: they come from serde's derive) into findings.
fn serde_finding(error: &toml::de::Error, fallback: Span, context: &str) -> Finding {
    let span = error.span().map(Span::from).unwrap_or(fallback);
    let message = error.message().trim();
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let field = backticked(rest).unwrap_or_default();
        let expected = match context {
            "[source]" => SOURCE_KEYS.to_vec(),
            "[sink]" => SINK_KEYS.to_vec(),
            _ => expected_list(rest),
        };
        return unknown_field(&field, span, context, &expected);
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = backticked(rest).unwrap_or_default();
        return Finding::error(
            "scenario/missing-field",
            span,
            format!("missing field `{field}` in {context}"),
        )
        .with_label(format!("this table needs `{field}`"))
        .with_help(format!("add `{field} = ...`; the README's scenario reference describes it"));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "another type"));
        let expected = plain_type(expected);
        return Finding::error(
            "scenario/wrong-type",
            span,
            format!("wrong type in {context}: found {found}, expected {expected}"),
        )
        .with_label(format!("expected {expected}"))
        .with_help(type_hint(expected));
    }
    Finding::error("scenario/invalid", span, format!("{message} (in {context})"))
}

/// serde's Rust-flavoured type names in words a scenario author uses.
fn plain_type(expected: &str) -> &str {
    match expected {
        "u64" | "i64" | "u32" => "a whole number",
        "a boolean" | "bool" => "`true` or `false`",
        "a sequence" => "a list",
        e if e.starts_with("struct ") || e == "a map" => "a table",
        e => e,
    }
}

fn type_hint(expected: &str) -> String {
    if expected.contains("whole number") {
        "write a whole number without quotes, such as `count = 100`".into()
    } else if expected.contains("true") {
        "write `true` or `false` without quotes".into()
    } else if expected.contains("string") {
        "put the value in quotes; use '''...''' for SQL over several lines".into()
    } else if expected.contains("list") {
        "write a list, such as `[\"id\"]`".into()
    } else {
        format!("write {expected}")
    }
}

/// An unknown key, with the closest valid one.
pub fn unknown_field(field: &str, span: Span, context: &str, valid: &[&str]) -> Finding {
    let mut finding = Finding::error(
        "scenario/unknown-field",
        span,
        format!("unknown field `{field}` in {context}"),
    );
    let list = valid.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
    match did_you_mean(field, valid) {
        Some(best) => {
            finding = finding
                .with_label(format!("did you mean `{best}`?"))
                .with_help(format!("did you mean `{best}`? valid fields here: {list}"));
        }
        None if valid.is_empty() => {}
        None => finding = finding.with_help(format!("valid fields here: {list}")),
    }
    finding
}

/// The candidate closest to `word` by edit distance, if close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let folded = word.to_ascii_lowercase().replace('-', "_");
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&folded, &c.replace('-', "_")), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn backticked(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let end = start + text[start..].find('`')?;
    Some(text[start..end].to_string())
}

/// The names in serde's "expected one of `a`, `b`" / "expected `a`" tail.
fn expected_list(text: &str) -> Vec<&str> {
    let Some((_, tail)) = text.split_once("expected") else { return Vec::new() };
    tail.split('`').skip(1).step_by(2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_typos_only() {
        let keys = ["connector", "table", "primary_key", "columns"];
        assert_eq!(did_you_mean("conector", &keys), Some("connector"));
        assert_eq!(did_you_mean("primary-key", &keys), Some("primary_key"));
        assert_eq!(did_you_mean("primary_keys", &keys), Some("primary_key"));
        assert_eq!(did_you_mean("Table", &keys), Some("table"));
        assert_eq!(did_you_mean("watermark", &keys), None);
    }

    #[test]
    fn serde_lists_are_parsed() {
        assert_eq!(expected_list("`x`, expected one of `a`, `b`"), vec!["a", "b"]);
        assert_eq!(expected_list("`x`, expected `a`"), vec!["a"]);
        assert!(expected_list("`x`, there are no fields").is_empty());
        assert_eq!(backticked("`conector`, expected"), Some("conector".into()));
    }
}
