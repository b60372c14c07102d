//! From the raw sections to the model: every rule that serde cannot express, each broken rule a
//! finding, all of them reported together.

mod expect;
mod steps;
mod tables;

use super::embedded::embedded;
use super::model::{EmbeddedSql, Scenario, StepKind, Timeouts};
use super::read::{did_you_mean, RawScenario};
use super::units::parse_duration;
use crate::diagnostics::{Finding, SourceFile, Span};
use std::time::Duration;
use toml::Spanned as S;

/// Builds the scenario, or `None` when any error was found (all of them are in `findings`).
pub fn validate(
    file: &SourceFile,
    raw: RawScenario,
    findings: &mut Vec<Finding>,
) -> Option<Scenario> {
    let errors_before = findings.len();
    let mut cx = Cx { file, findings };

    let name = match &raw.name {
        Some(name) => check_name(&mut cx, name),
        None if raw.broken.contains("name") => None,
        None => {
            cx.missing(raw.document, "name", "name = \"cdc-orders-upsert\"");
            None
        }
    };
    let timeouts = timeouts(&mut cx, &raw);
    let setup = raw.postgres.as_ref().and_then(|p| p.get_ref().setup.as_ref()).map(|s| cx.sql(s));
    let (source, debezium) = match &raw.source {
        Some(source) => match tables::source(&mut cx, source) {
            Some((source, debezium)) => (Some(source), debezium),
            None => (None, None),
        },
        None if raw.broken.contains("source") => (None, None),
        None => {
            cx.missing_section(
                raw.document,
                "source",
                "[source]\nconnector = \"cdc\"\ntable = \"public.orders\"",
            );
            (None, None)
        }
    };
    let sink = match &raw.sink {
        Some(sink) => tables::sink(&mut cx, sink, source.as_ref()),
        None if raw.broken.contains("sink") => None,
        None => {
            cx.missing_section(
                raw.document,
                "sink",
                "[sink]\nconnector = \"upsert-kafka\"\ntopic = \"orders\"",
            );
            None
        }
    };
    let flink = raw.flink.as_ref().map(|f| tables::flink(&mut cx, f)).unwrap_or_default();
    let steps: Vec<_> =
        raw.steps.iter().filter_map(|s| steps::step(&mut cx, s, &timeouts)).collect();
    let sink_kind = sink.as_ref().and_then(|s| match s {
        super::model::Sink::Structured(s) => Some(s.kind),
        super::model::Sink::Verbatim(_) => None,
    });
    let expectations: Vec<_> = raw
        .expect
        .iter()
        .filter_map(|e| expect::expectation(&mut cx, e, sink_kind, &timeouts))
        .collect();

    if debezium.is_none() && source.is_some() {
        for step in steps.iter().filter(|s| matches!(s.kind, StepKind::Connector(_))) {
            cx.error(
                "scenario/no-connector",
                step.span,
                "a `connector` step needs a Debezium source: only `connector = \"debezium\"` runs a Kafka Connect connector",
                "remove the step, or make [source] a `debezium` source",
            );
        }
    }
    let checks_slot = steps.iter().any(|s| matches!(s.kind, StepKind::VerifySlot(_)));
    if raw.expect.is_empty() && !raw.broken.contains("expect") && !checks_slot {
        cx.findings.push(
            Finding::error(
                "scenario/no-expectation",
                Span::new(0, 0),
                "the scenario checks nothing: it has no [[expect]] and no `verify_slot` step",
            )
            .with_help("add an [[expect]] table saying which records must arrive in Kafka"),
        );
    }

    if findings.len() > errors_before {
        return None;
    }
    Some(Scenario {
        file: file.clone(),
        name: name?,
        description: raw.description.map(|d| d.into_inner()),
        setup,
        source: source?,
        debezium,
        sink: sink?,
        flink,
        steps,
        expectations,
        timeouts,
    })
}

/// The file and the findings collected so far, with the helpers every rule uses.
pub(crate) struct Cx<'a> {
    pub file: &'a SourceFile,
    pub findings: &'a mut Vec<Finding>,
}

impl Cx<'_> {
    pub fn error(
        &mut self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.findings.push(Finding::error(code, span, message).with_help(help));
    }

    pub fn sql(&self, s: &S<String>) -> EmbeddedSql {
        embedded(self.file, s.get_ref(), span(s))
    }

    pub fn missing(&mut self, at: Span, field: &str, example: &str) {
        self.error(
            "scenario/missing-field",
            Span::new(at.start, at.start),
            format!("missing field `{field}`"),
            format!("add it, for example: {example}"),
        );
    }

    fn missing_section(&mut self, at: Span, section: &str, example: &str) {
        self.error(
            "scenario/missing-field",
            Span::new(at.start, at.start),
            format!("missing section [{section}]"),
            format!("add it, for example:\n{example}"),
        );
    }

    /// One of a fixed set of words; `aliases` maps common mistakes to a specific hint.
    pub fn choice<T: Copy>(
        &mut self,
        value: &S<String>,
        field: &str,
        choices: &[(&str, T)],
        aliases: &[(&str, &str)],
    ) -> Option<T> {
        let text = value.get_ref().as_str();
        if let Some((_, t)) = choices.iter().find(|(name, _)| *name == text) {
            return Some(*t);
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let list = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
        let help =
            if let Some((_, hint)) = aliases.iter().find(|(a, _)| a.eq_ignore_ascii_case(text)) {
                hint.to_string()
            } else if let Some(best) = did_you_mean(text, &names) {
                format!("did you mean `{best}`? one of {list}")
            } else {
                format!("write one of {list}")
            };
        self.error(
            "scenario/unknown-value",
            span(value),
            format!("`{field}` cannot be `{text}`"),
            help,
        );
        None
    }

    pub fn duration(&mut self, value: &Option<S<String>>, field: &str) -> Option<Duration> {
        let value = value.as_ref()?;
        match parse_duration(value.get_ref()) {
            Ok(d) => Some(d),
            Err(why) => {
                self.error(
                    "scenario/bad-duration",
                    span(value),
                    format!("`{field}` is not a duration ({why})"),
                    "write a number and a unit: `500ms`, `30s`, `2m`, `1h`, or a sum such as `1m30s`",
                );
                None
            }
        }
    }

    /// Fields present in a table that the table's kind does not use.
    pub fn reject_fields(
        &mut self,
        present: &[(&str, Option<Span>)],
        allowed: &[&str],
        what: &str,
    ) {
        for (field, span) in present {
            if let Some(span) = span {
                if !allowed.contains(field) {
                    let list =
                        allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
                    self.error(
                        "scenario/field-not-allowed",
                        *span,
                        format!("`{field}` does not apply to {what}"),
                        format!("remove it; {what} takes {list}"),
                    );
                }
            }
        }
    }
}

pub(crate) fn span<T>(s: &S<T>) -> Span {
    Span::from(s.span())
}

pub(crate) fn opt_span<T>(s: &Option<S<T>>) -> Option<Span> {
    s.as_ref().map(span)
}

fn check_name(cx: &mut Cx, name: &S<String>) -> Option<String> {
    let text = name.get_ref();
    let valid = !text.is_empty()
        && text.len() <= 100
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        cx.error(
            "scenario/bad-name",
            span(name),
            format!("`name` must be 1 to 100 letters, digits, `-` or `_`, found {text:?}"),
            "the harness derives slot, publication, topic and database names from it",
        );
        return None;
    }
    Some(text.clone())
}

fn timeouts(cx: &mut Cx, raw: &RawScenario) -> Timeouts {
    let mut t = Timeouts::default();
    if let Some(raw) = &raw.timeouts {
        let r = raw.get_ref();
        for (slot, value, field) in [
            (&mut t.setup, &r.setup, "setup"),
            (&mut t.job, &r.job, "job"),
            (&mut t.step, &r.step, "step"),
            (&mut t.expect, &r.expect, "expect"),
            (&mut t.quiet_period, &r.quiet_period, "quiet_period"),
            (&mut t.teardown, &r.teardown, "teardown"),
        ] {
            if let Some(d) = cx.duration(value, field) {
                *slot = d;
            }
        }
    }
    t
}
