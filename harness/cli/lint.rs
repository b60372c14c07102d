//! `cdc-harness lint`: checks Flink connector DDL before rollout.
//!
//! Exit codes: 0 clean or warnings only, 1 at least one error finding, 2 the file cannot be read
//! (or is of a kind the linter does not take).

use super::Global;
use crate::diagnostics::{Finding, Severity, SourceFile, Span};
use crate::scenario::ScenarioError;
use crate::sql::generate::Target;
use crate::sql::lint::{lint_scenario, lint_with, LintConfig, LintedSource};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Check Flink SQL connector DDL (a .sql file), a Debezium connector configuration (a .json
/// file, as posted to Kafka Connect) or a scenario (.toml), and report findings.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// A .sql file, a Kafka Connect connector .json or a scenario .toml.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// flink-connector-jdbc version to check against: 3 (Flink 1.x) or 4 (Flink 2.x), optionally
    /// with a minor version (3.1) to flag options newer than it.
    #[arg(long, default_value = "4", value_parser = parse_jdbc_version)]
    pub jdbc_version: (u8, Option<u8>),
    /// The SQL is meant for the Aiven console: its connector names (cdc-postgres, JDBC) are
    /// warnings, not errors.
    #[arg(long)]
    pub aiven: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// rustc-like snippets and a summary line.
    Human,
    /// A JSON array of findings.
    Json,
}

fn parse_jdbc_version(text: &str) -> Result<(u8, Option<u8>), String> {
    let (major, minor) = match text.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let major: u8 =
        major.parse().map_err(|_| format!("'{text}' is not a version such as 4 or 3.1"))?;
    if !(3..=4).contains(&major) {
        return Err(format!("flink-connector-jdbc {major} is not catalogued: use 3 or 4"));
    }
    let minor = minor
        .map(str::parse)
        .transpose()
        .map_err(|_| format!("'{text}' is not a version such as 4 or 3.1"))?;
    Ok((major, minor))
}

pub fn run(args: LintArgs, _global: &Global) -> miette::Result<ExitCode> {
    let config = LintConfig {
        jdbc_major: args.jdbc_version.0,
        jdbc_minor: args.jdbc_version.1,
        accept_aiven_names: args.aiven,
        ..LintConfig::default()
    };
    let source = match SourceFile::read(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.file.display());
            return Ok(ExitCode::from(2));
        }
    };
    let groups = lint_file(&args.file, source, &config);
    let out = match args.format {
        OutputFormat::Human => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            groups.iter().map(|g| render_human(&g.source, &g.findings, color)).collect::<String>()
        }
        OutputFormat::Json => {
            let array: Vec<serde_json::Value> = groups
                .iter()
                .flat_map(|g| g.findings.iter().map(|f| f.to_json(&g.source)))
                .collect();
            format!("{}\n", serde_json::Value::Array(array))
        }
    };
    print!("{out}");
    let all: Vec<Finding> = groups.into_iter().flat_map(|g| g.findings).collect();
    Ok(ExitCode::from(exit_code(&all)))
}

/// Lints a file by its kind: `.sql` and a connector `.json` directly; a `.toml` scenario is read
/// first (its own errors are findings too), then its SQL and connector configuration are linted
/// where they stand and as generated.
pub fn lint_file(path: &Path, source: SourceFile, config: &LintConfig) -> Vec<LintedSource> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => match crate::scenario::parse(source) {
            Ok(scenario) => lint_scenario(&scenario, &Target::preview(&scenario), config),
            Err(ScenarioError::Invalid { file, findings }) => {
                vec![LintedSource { source: file, findings }]
            }
            Err(read @ ScenarioError::Read { .. }) => {
                let finding = Finding::error("scenario/read", Span::default(), read.to_string());
                vec![LintedSource {
                    source: SourceFile::new(path.display().to_string(), ""),
                    findings: vec![finding],
                }]
            }
        },
        Some("json") => {
            let findings = crate::sql::debezium::lint::lint_file(&source);
            vec![LintedSource { source, findings }]
        }
        _ => {
            let findings = lint_with(&source, Span::new(0, source.text().len()), config);
            vec![LintedSource { source, findings }]
        }
    }
}

pub fn exit_code(findings: &[Finding]) -> u8 {
    u8::from(findings.iter().any(|f| f.severity == Severity::Error))
}

pub fn render_human(source: &SourceFile, findings: &[Finding], color: bool) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&f.render(source, color));
        out.push('\n');
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    out.push_str(&format!(
        "{}: {errors} error{}, {warnings} warning{}\n",
        source.name(),
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jdbc_versions() {
        assert_eq!(parse_jdbc_version("4"), Ok((4, None)));
        assert_eq!(parse_jdbc_version("3.1"), Ok((3, Some(1))));
        assert!(parse_jdbc_version("5").is_err());
        assert!(parse_jdbc_version("x").is_err());
    }

    #[test]
    fn summary_and_exit_code() {
        let src = SourceFile::new("t.sql", "x");
        let w = Finding::warning("a/b", Span::new(0, 1), "w");
        let e = Finding::error("a/c", Span::new(0, 1), "e");
        assert_eq!(exit_code(std::slice::from_ref(&w)), 0);
        assert_eq!(exit_code(&[w.clone(), e.clone()]), 1);
        assert!(render_human(&src, &[w.clone(), e], false).ends_with("t.sql: 1 error, 1 warning\n"));
        assert!(render_human(&src, &[], false).ends_with("t.sql: 0 errors, 0 warnings\n"));
    }
}
