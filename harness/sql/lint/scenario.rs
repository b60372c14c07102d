//! Linting a scenario: the Flink SQL written in the file (verbatim tables, `[flink] insert`) is
//! linted where it stands, so findings point into the TOML file; the SQL the harness generates
//! is linted as its own source, which is where cross-table rules see both tables.

use super::{lint_regions, lint_with, LintConfig};
use crate::diagnostics::Severity;
use crate::diagnostics::{Finding, SourceFile, Span};
use crate::scenario::{DebeziumSource, Scenario, Source};
use crate::sql::ddl::{parse, CreateTable, Statement};
use crate::sql::debezium::{lint as debezium_lint, parse_config};
use crate::sql::generate::{generate, Dialect, Target};
use crate::sql::rewrite::{declared_names, endpoint_keys};

/// Findings against one source text.
#[derive(Debug, Clone)]
pub struct LintedSource {
    pub source: SourceFile,
    pub findings: Vec<Finding>,
}

/// The errors `run` refuses a scenario for, rendered (snippets masked) for stderr: what `run`
/// reports at plan time and `sql` under the SQL it prints.
pub fn refusals(scenario: &Scenario, target: &Target, color: bool) -> Vec<String> {
    let mut rendered = Vec::new();
    for group in lint_scenario(scenario, target, &LintConfig::default()) {
        for finding in group.findings.iter().filter(|f| f.severity == Severity::Error) {
            rendered.push(finding.render(&group.source, color));
        }
    }
    rendered
}

/// Lints a parsed scenario's SQL for `target` (for `lint`, [`Target::preview`]).
pub fn lint_scenario(
    scenario: &Scenario,
    target: &Target,
    config: &LintConfig,
) -> Vec<LintedSource> {
    // The harness runs upstream connector names and adds the final semicolons itself, so neither
    // is an error in a scenario: Aiven names stay visible as warnings.
    let config =
        LintConfig { accept_aiven_names: true, require_final_semicolon: false, ..config.clone() };
    let regions: Vec<Span> =
        scenario.embedded_flink_sql().iter().filter_map(|sql| sql.region).collect();
    let mut in_file = lint_regions(&scenario.file, &regions, &config);
    soften_rewritten_placeholders(scenario, &regions, &mut in_file);

    let generated = match generate(scenario, target, Dialect::Flink, None) {
        Ok(sql) => {
            let source = SourceFile::new(
                format!("{} (generated Flink SQL)", scenario.file.name()),
                sql.render(false),
            );
            let whole = Span::new(0, source.text().len());
            // What the file's own SQL already reported would only repeat itself here.
            let mut findings: Vec<Finding> = lint_with(&source, whole, &config)
                .into_iter()
                .filter(|f| !in_file.iter().any(|g| g.code == f.code))
                .collect();
            if let (Some(debezium), Some(connector)) = (&scenario.debezium, &sql.connector) {
                in_file
                    .extend(debezium_lint::lint_scenario_connector(scenario, debezium, connector));
                // A pasted table is checked where it stands, a generated one where it is generated.
                let (pasted, table) = match &scenario.source {
                    Source::Verbatim(sql) => {
                        (true, sql.region.and_then(|r| first_table(&scenario.file, r)))
                    }
                    Source::Structured(_) => (false, first_table(&source, whole)),
                };
                if let Some(table) = table {
                    let at = |key: &str| config_span(scenario, debezium, key);
                    // A pasted table reads the topic the pasted configuration names (the
                    // harness points both at its run alike); a generated one the run's.
                    let topic = match declared_names(scenario).topic_prefix.filter(|_| pasted) {
                        Some(prefix) => {
                            format!("{prefix}.{}.{}", connector.table.schema, connector.table.table)
                        }
                        None => connector.topic(),
                    };
                    let found = debezium_lint::check_flink_table(connector, &topic, &at, &table);
                    if pasted {
                        in_file.extend(found);
                    } else {
                        findings.extend(found);
                    }
                }
            }
            // A finding on an option the scenario wrote in `options` points at that option.
            let (moved, kept) = relocate_to_options(scenario, &source, findings);
            in_file.extend(moved);
            LintedSource { source, findings: kept }
        }
        Err(error) => LintedSource { source: error.file, findings: error.findings },
    };
    let mut out = vec![LintedSource { source: scenario.file.clone(), findings: in_file }];
    if generated.source.name() == scenario.file.name() {
        out[0].findings.extend(generated.findings);
    } else {
        out.push(generated);
    }
    out.retain(|group| !group.findings.is_empty() || group.source.name() == scenario.file.name());
    out
}

/// Splits findings on the generated SQL into those that sit on an option of a structured
/// source's or sink's `options` (moved to where that option is written in the TOML) and the
/// rest.
fn relocate_to_options(
    scenario: &Scenario,
    generated: &SourceFile,
    findings: Vec<Finding>,
) -> (Vec<Finding>, Vec<Finding>) {
    let mut written: Vec<(String, &[crate::scenario::ConnectorOption])> = Vec::new();
    if let Source::Structured(s) = &scenario.source {
        written.push((s.flink_name.clone(), &s.options));
    }
    if let crate::scenario::Sink::Structured(s) = &scenario.sink {
        written.push((s.flink_name.clone(), &s.options));
    }
    let tables: Vec<CreateTable> = parse(generated, Span::new(0, generated.text().len()))
        .statements
        .into_iter()
        .filter_map(|s| match s {
            Statement::CreateTable(t) => Some(t),
            _ => None,
        })
        .collect();
    let origin = |span: Span| {
        let table = tables.iter().find(|t| t.span.start <= span.start && span.end <= t.span.end)?;
        let option = table
            .options
            .iter()
            .find(|o| o.span().start <= span.start && span.end <= o.span().end)?;
        let (_, options) = written.iter().find(|(name, _)| *name == table.name.base())?;
        options.iter().rev().find(|o| o.key == option.key).map(|o| o.span)
    };
    let (mut moved, mut kept) = (Vec::new(), Vec::new());
    for f in findings {
        match origin(f.span) {
            Some(span) => moved.push(Finding { span, ..f }),
            None => kept.push(f),
        }
    }
    (moved, kept)
}

/// The CREATE TABLE in `region` of `file`, if it holds one.
fn first_table(file: &SourceFile, region: Span) -> Option<CreateTable> {
    parse(file, region).statements.into_iter().find_map(|s| match s {
        Statement::CreateTable(t) => Some(t),
        _ => None,
    })
}

/// Where a Debezium configuration key is written in the scenario: its pasted entry or its
/// `options` entry, else the [source] as a whole.
fn config_span(scenario: &Scenario, debezium: &DebeziumSource, key: &str) -> Span {
    if let Some(region) = debezium.config.as_ref().and_then(|c| c.region) {
        if let Some(entry) = parse_config(&scenario.file, region).get(key) {
            return entry.value_span;
        }
    }
    debezium.options.iter().rev().find(|o| o.key == key).map_or(debezium.span, |o| o.span)
}

/// A placeholder in an option the harness rewrites to its own stack is a warning, not an error:
/// the scenario runs, but the SQL as pasted would not.
fn soften_rewritten_placeholders(scenario: &Scenario, regions: &[Span], findings: &mut [Finding]) {
    let mut rewritten: Vec<Span> = Vec::new();
    for region in regions {
        for statement in parse(&scenario.file, *region).statements {
            let Statement::CreateTable(table) = statement else { continue };
            let connector = table
                .connector()
                .map(|c| super::upstream_name(&c.value).unwrap_or(&c.value).to_string());
            let keys = connector.as_deref().map(endpoint_keys).unwrap_or(&[]);
            rewritten.extend(
                table
                    .options
                    .iter()
                    .filter(|o| keys.contains(&o.key.as_str()))
                    .map(|o| o.value_span),
            );
        }
    }
    for finding in findings.iter_mut().filter(|f| f.code == "option/placeholder") {
        if rewritten
            .iter()
            .any(|span| span.start <= finding.span.start && finding.span.end <= span.end)
        {
            finding.severity = Severity::Warning;
            finding.help = Some(
                "the harness sets this option to its own stack when it runs the scenario; put the real value here before using this SQL elsewhere".into(),
            );
        }
    }
}
