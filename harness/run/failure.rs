//! Why a scenario did not pass: the phase and its root cause, and whether the pipeline ran.

use crate::diagnostics::SourceFile;
use crate::flink::FlinkError;
use crate::postgres::PgError;
use crate::report::{Failure, Outcome, Phase};
use crate::scenario::EmbeddedSql;

/// Lines of a stack trace shown with a failure.
const TRACE_LINES: usize = 12;

/// A scenario's failure. `failed` (an expectation did not hold, a piece is missing) or `error`
/// (the harness could not get that far).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{phase}: {root_cause}")]
pub struct ScenarioFailure {
    pub phase: Phase,
    pub root_cause: String,
    pub details: Option<String>,
    /// `true`: the pipeline did not do what was expected (Outcome::Failed); `false`: Error.
    pub failed: bool,
}

impl ScenarioFailure {
    pub fn error(phase: Phase, root_cause: impl Into<String>) -> Self {
        ScenarioFailure { phase, root_cause: root_cause.into(), details: None, failed: false }
    }

    pub fn failed(phase: Phase, root_cause: impl Into<String>) -> Self {
        ScenarioFailure { failed: true, ..Self::error(phase, root_cause) }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// Details from a Java stack trace: its innermost cause and the frames after it (the summary
    /// shows these; the whole trace goes to an artefact).
    pub fn with_trace(self, trace: &str) -> Self {
        let innermost = trace.rfind("Caused by:").map_or(trace, |at| &trace[at..]);
        self.with_details(innermost.lines().take(TRACE_LINES).collect::<Vec<_>>().join("\n"))
    }

    pub fn flink(phase: Phase, e: &FlinkError) -> Self {
        Self::error(phase, e.to_string())
    }

    /// A PostgreSQL error; a failing statement of scenario SQL is named by its line in the
    /// scenario file.
    pub fn postgres(phase: Phase, e: &PgError, sql: Option<(&SourceFile, &EmbeddedSql)>) -> Self {
        match (e, sql) {
            (PgError::Script { line, statement, error, .. }, Some((file, embedded))) => {
                let at = match embedded.region {
                    Some(region) => {
                        let first = file.line_col(region.start).line;
                        format!("{}:{}", file.name(), first + line - 1)
                    }
                    None => format!(
                        "{}:{} (line {line} of the SQL)",
                        file.name(),
                        file.line_col(embedded.span.start).line
                    ),
                };
                Self::error(phase, format!("{at}: statement {statement} failed: {error}"))
            }
            _ => Self::error(phase, e.to_string()),
        }
    }

    /// What reports show: root cause and details through the one redaction (they quote
    /// Flink, Kafka Connect, PostgreSQL and lint findings, which may quote secrets).
    pub fn into_outcome(self) -> Outcome {
        let failure = Failure {
            phase: self.phase,
            root_cause: crate::secret::redact(&self.root_cause),
            details: self.details.map(|d| crate::secret::redact(&d)),
        };
        if self.failed {
            Outcome::Failed { failure }
        } else {
            Outcome::Error { failure }
        }
    }
}
