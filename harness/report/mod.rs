//! Reports and artefacts: the result of each scenario (status, per-phase timings, the failure's
//! phase and root cause), rendered as a human summary, `--json` and `--junit`; and the artefact
//! folder of a run.
//!
//! `--json` and `--junit` files are written once, at the end, atomically: a run that crashes
//! leaves no half-written report.

mod artefacts;
mod junit;
mod model;
mod summary;

pub use crate::secret::Redactor;
pub use artefacts::{write_atomic, ArtefactKind, RunArtefacts, ScenarioArtefacts};
pub use junit::{to_junit, MAX_SYSTEM_OUT, SUITE_NAME};
pub use model::{
    Counts, Failure, ImagesMade, Outcome, Phase, PhaseTiming, RunId, RunReport, ScenarioClock,
    ScenarioResult,
};
pub use summary::{format_duration, render_summary};

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot create the artefact folder {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot render JUnit XML: {0}")]
    Junit(#[from] quick_junit::SerializeError),
    #[error("cannot render a record as JSON: {0}")]
    Json(serde_json::Error),
}

impl RunReport {
    /// `--json F`.
    pub fn write_json(&self, path: &Path) -> Result<(), ReportError> {
        write_atomic(path, self.to_json().as_bytes())
    }

    pub fn to_junit_xml(&self) -> Result<String, ReportError> {
        Ok(to_junit(self).to_string()?)
    }

    /// `--junit F`.
    pub fn write_junit(&self, path: &Path) -> Result<(), ReportError> {
        write_atomic(path, self.to_junit_xml()?.as_bytes())
    }
}
