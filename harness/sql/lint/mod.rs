//! The connector linter: finds what Flink would reject (or silently mis-run) in connector DDL
//! before anything is deployed. Rules, each with a stable code:
//!
//! - `syntax/*`: from the parser (missing or trailing commas, unbalanced quotes and parentheses,
//!   unterminated statements, unquoted or double-quoted options);
//! - `connector/*`: missing, unknown or Aiven-console connector names (`connector.rs`);
//! - `option/*`, `format/*`: keys, required keys, typed values, placeholders (`options.rs`);
//! - `postgres/*`, `jdbc/*`: slot names, decoding plugin, JDBC URL (`postgres.rs`);
//! - `table/*`, `kafka/*`: primary keys, reserved words, key fields (`table.rs`);
//! - `insert/*`, `pipeline/*`: across tables (`pipeline.rs`).
//!
//! A finding never contains the value of a password (or any secret-looking) option.

mod connector;
mod options;
mod pipeline;
mod postgres;
mod scenario;
mod suggest;
mod table;

pub use connector::{aiven_name, upstream_name, AIVEN_NAMES};
pub(crate) use options::check_typed;
pub use options::{is_secret, placeholder};
pub use scenario::{lint_scenario, refusals, LintedSource};
pub use suggest::did_you_mean;

use crate::diagnostics::{Finding, SourceFile, Span};
use crate::sql::ddl::{self, ParsedScript, Statement};

/// What the linter checks against.
#[derive(Debug, Clone)]
pub struct LintConfig {
    /// The flink-connector-jdbc major version (3 for Flink 1.x, 4 for Flink 2.x).
    pub jdbc_major: u8,
    /// The minor version, when known, to flag options newer than it.
    pub jdbc_minor: Option<u8>,
    /// Aiven console names (`cdc-postgres`, `JDBC`) are warnings rather than errors (for SQL
    /// meant for the Aiven console, where they are right).
    pub accept_aiven_names: bool,
    /// Warn when the last statement has no `;` (wanted for .sql files, not for one table
    /// pasted into a scenario).
    pub require_final_semicolon: bool,
}

impl Default for LintConfig {
    fn default() -> Self {
        LintConfig {
            jdbc_major: 4,
            jdbc_minor: None,
            accept_aiven_names: false,
            require_final_semicolon: true,
        }
    }
}

/// Lints `source.slice(region)` with the default configuration.
pub fn lint(source: &SourceFile, region: Span) -> Vec<Finding> {
    lint_with(source, region, &LintConfig::default())
}

pub fn lint_with(source: &SourceFile, region: Span, config: &LintConfig) -> Vec<Finding> {
    let parsed = ddl::parse(source, region);
    lint_parsed(&parsed, config)
}

/// Lints several regions of one file as one script, so that rules across tables see them all
/// (a scenario's source table, sink table and INSERT may sit in separate TOML strings). Spans map
/// 1:1 only where the region's text is the SQL itself (TOML literal strings, or basic strings
/// without escapes).
pub fn lint_regions(source: &SourceFile, regions: &[Span], config: &LintConfig) -> Vec<Finding> {
    let mut merged = ParsedScript::default();
    for region in regions {
        let parsed = ddl::parse(source, *region);
        merged.statements.extend(parsed.statements);
        merged.findings.extend(parsed.findings);
    }
    lint_parsed(&merged, config)
}

/// Lints an already parsed script; its syntax findings are included.
pub fn lint_parsed(parsed: &ParsedScript, config: &LintConfig) -> Vec<Finding> {
    let mut out = parsed.findings.clone();
    let resolved: Vec<connector::Resolved<'_>> =
        parsed.tables().map(|t| connector::resolve(t, config, &mut out)).collect();
    for r in &resolved {
        options::check(r, config, &mut out);
        postgres::check(r, &mut out);
        table::check(r, &mut out);
    }
    table::duplicates(parsed, &mut out);
    pipeline::check(parsed, &resolved, &mut out);
    if config.require_final_semicolon {
        final_semicolon(parsed, &mut out);
    }
    out.sort_by_key(|f| (f.span.start, f.span.end, f.code));
    out.dedup();
    out
}

/// Indexes (ascending) of the keys that repeat an earlier one. Sorting rather than hashing:
/// lists are short and this runs for every table.
fn repeated<K: Ord>(keys: impl Iterator<Item = K>) -> Vec<usize> {
    let mut indexed: Vec<(K, usize)> = keys.enumerate().map(|(i, k)| (k, i)).collect();
    indexed.sort();
    let mut repeats: Vec<usize> =
        indexed.windows(2).filter(|w| w[0].0 == w[1].0).map(|w| w[1].1).collect();
    repeats.sort_unstable();
    repeats
}

fn final_semicolon(parsed: &ParsedScript, out: &mut Vec<Finding>) {
    let unterminated = match parsed.statements.last() {
        Some(Statement::CreateTable(t)) => !t.terminated,
        Some(Statement::Insert(i)) => !i.terminated,
        _ => false,
    };
    if unterminated {
        let end = parsed.statements.last().map_or(0, |s| s.span().end);
        out.push(
            Finding::warning("syntax/unterminated-statement", Span::new(end, end), "the last statement has no terminating `;`")
                .with_label("expected `;`")
                .with_help("end it with `;` (the Flink SQL client runs a statement only once it reads the `;`)"),
        );
    }
}

#[cfg(test)]
mod tests;
