//! Scenario files: parsed and validated, with positions, before anything connects.
//!
//! [`load`] reads a TOML file into a [`Scenario`]; every problem (TOML syntax, unknown or mistyped
//! fields, inconsistent sections) comes back at once as [`Finding`]s with the file's line and
//! column and a hint. The format is documented in README.md ("Scenario files").
//!
//! [`Finding`]: crate::diagnostics::Finding

mod embedded;
mod error;
mod model;
pub mod pg_schema;
mod raw;
mod read;
mod units;
mod validate;

pub use error::ScenarioError;
pub use model::*;
pub use units::{format_duration, parse_bytes, parse_duration};

use crate::diagnostics::SourceFile;
use std::path::Path;

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = SourceFile::read(path)
        .map_err(|source| ScenarioError::Read { path: path.to_path_buf(), source })?;
    parse(file)
}

/// Validates scenario text already read (the name is what errors show).
pub fn parse(file: SourceFile) -> Result<Scenario, ScenarioError> {
    let mut findings = Vec::new();
    let scenario = read::read(&file, &mut findings)
        .and_then(|raw| validate::validate(&file, raw, &mut findings));
    match scenario {
        Some(s) if findings.is_empty() => Ok(s),
        _ => {
            findings.sort_by_key(|f| f.span.start);
            Err(ScenarioError::Invalid { file, findings })
        }
    }
}
