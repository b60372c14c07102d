//! The scenario layer's error: a file that cannot be read, or every finding in one that can.

use crate::diagnostics::{Finding, Severity, SourceFile};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// All problems found, not just the first; `file` is what their spans point into.
    #[error("{}: {} error(s) in scenario", file.name(), findings.iter().filter(|f| f.severity == Severity::Error).count())]
    Invalid { file: SourceFile, findings: Vec<Finding> },
}

impl ScenarioError {
    /// The findings (empty for a read error).
    pub fn findings(&self) -> &[Finding] {
        match self {
            ScenarioError::Read { .. } => &[],
            ScenarioError::Invalid { findings, .. } => findings,
        }
    }

    /// Every finding rendered rustc-style, then a summary line.
    pub fn render(&self, color: bool) -> String {
        match self {
            ScenarioError::Read { .. } => format!("error: {self}\n"),
            ScenarioError::Invalid { file, findings } => {
                Finding::render_all(findings, file, &self.to_string(), color)
            }
        }
    }
}
