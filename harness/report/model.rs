//! The result model: what happened to each scenario of a run, serialized as `--json` writes it.

use chrono::{DateTime, Utc};
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;
// tokio's Instant follows paused test time and is std's otherwise.
use tokio::time::Instant;

/// Identifies one invocation: `YYMMDD-HHMMSS-xxxx` (UTC, then 4 hex digits), sortable by time
/// and short enough to be part of every isolated name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct RunId(String);

impl RunId {
    pub fn generate(now: DateTime<Utc>) -> Self {
        use sha2::{Digest, Sha256};
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let digest = Sha256::digest(format!("{nanos}:{}", std::process::id()).as_bytes());
        RunId(format!("{}-{:02x}{:02x}", now.format("%y%m%d-%H%M%S"), digest[0], digest[1]))
    }

    pub fn new(id: impl Into<String>) -> Self {
        RunId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The phases of a scenario, in the order they run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Stack,
    Setup,
    Lint,
    /// The CDC readiness checklist, before a CDC job is submitted.
    Preflight,
    Topic,
    /// A Debezium source's connector: posted to Kafka Connect, until its task streams.
    Connector,
    Submit,
    JobRunning,
    Steps,
    Expect,
    Teardown,
}

impl Phase {
    pub const ALL: [Phase; 11] = [
        Phase::Stack,
        Phase::Setup,
        Phase::Lint,
        Phase::Preflight,
        Phase::Topic,
        Phase::Connector,
        Phase::Submit,
        Phase::JobRunning,
        Phase::Steps,
        Phase::Expect,
        Phase::Teardown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Stack => "stack",
            Phase::Setup => "setup",
            Phase::Lint => "lint",
            Phase::Preflight => "preflight",
            Phase::Topic => "topic",
            Phase::Connector => "connector",
            Phase::Submit => "submit",
            Phase::JobRunning => "job-running",
            Phase::Steps => "steps",
            Phase::Expect => "expect",
            Phase::Teardown => "teardown",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a scenario did not pass.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    pub phase: Phase,
    /// One line: the Flink job's exception, the PostgreSQL error, "expected ... received ...".
    pub root_cause: String,
    /// Longer text: the expected/received diff, the Flink stack trace, the failing SQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// `failed`: the pipeline ran and an expectation did not hold. `error`: the harness could not
/// get that far (a container, a submission, an SQL error).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed {
        failure: Failure,
    },
    Error {
        failure: Failure,
    },
    Skipped {
        reason: String,
    },
    /// Stopped by a signal (Ctrl-C, or SIGTERM from a CI timeout) while it ran, then torn down.
    Interrupted {
        reason: String,
    },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed { .. } => "failed",
            Outcome::Error { .. } => "error",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Interrupted { .. } => "interrupted",
        }
    }

    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Failed { failure } | Outcome::Error { failure } => Some(failure),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhaseTiming {
    pub phase: Phase,
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    pub file: PathBuf,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
    /// In the order the phases ran; phases that did not run are absent.
    pub phases: Vec<PhaseTiming>,
    /// Files written for this scenario (SQL, records, exceptions, logs).
    #[serde(default)]
    pub artefacts: Vec<PathBuf>,
}

impl ScenarioResult {
    pub fn phase_duration(&self, phase: Phase) -> Option<Duration> {
        self.phases.iter().find(|t| t.phase == phase).map(|t| t.duration)
    }
}

/// Times a scenario's phases while it runs, then becomes its [`ScenarioResult`].
#[derive(Debug)]
pub struct ScenarioClock {
    started: Instant,
    phases: Vec<PhaseTiming>,
}

impl ScenarioClock {
    pub fn start() -> Self {
        ScenarioClock { started: Instant::now(), phases: Vec::new() }
    }

    /// Runs `work` and adds its wall time to `phase` (a phase run in pieces adds up).
    pub async fn time<T>(&mut self, phase: Phase, work: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let out = work.await;
        self.record(phase, started.elapsed());
        out
    }

    pub fn record(&mut self, phase: Phase, duration: Duration) {
        match self.phases.iter_mut().find(|t| t.phase == phase) {
            Some(timing) => timing.duration += duration,
            None => self.phases.push(PhaseTiming { phase, duration }),
        }
    }

    pub fn finish(
        self,
        name: impl Into<String>,
        file: impl Into<PathBuf>,
        outcome: Outcome,
        artefacts: Vec<PathBuf>,
    ) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            file: file.into(),
            outcome,
            duration: self.started.elapsed(),
            phases: self.phases,
            artefacts,
        }
    }
}

/// One invocation of `run`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunReport {
    pub run_id: RunId,
    pub started_at: DateTime<Utc>,
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
    /// `<dir>/<run id>` when artefacts were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artefact_dir: Option<PathBuf>,
    pub scenarios: Vec<ScenarioResult>,
    /// The signal that interrupted the run, if one came (during a scenario, before one, or while
    /// the stack was removed at the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
    /// Images built or pulled before the stack started (a first run's minutes), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images_made: Option<ImagesMade>,
}

/// Images the run had to build or pull, and how long that took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImagesMade {
    pub count: usize,
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
}

/// How many scenarios ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
    pub interrupted: usize,
}

impl RunReport {
    pub fn new(run_id: RunId, started_at: DateTime<Utc>) -> Self {
        RunReport {
            run_id,
            started_at,
            duration: Duration::ZERO,
            artefact_dir: None,
            scenarios: Vec::new(),
            interrupted: None,
            images_made: None,
        }
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for scenario in &self.scenarios {
            match scenario.outcome {
                Outcome::Passed => counts.passed += 1,
                Outcome::Failed { .. } => counts.failed += 1,
                Outcome::Error { .. } => counts.errors += 1,
                Outcome::Skipped { .. } => counts.skipped += 1,
                Outcome::Interrupted { .. } => counts.interrupted += 1,
            }
        }
        counts
    }

    /// The exit-code-0 case: every scenario passed. A skipped scenario did not pass (it did
    /// not prove anything), and neither did an empty run.
    pub fn success(&self) -> bool {
        !self.scenarios.is_empty() && self.scenarios.iter().all(|s| s.outcome == Outcome::Passed)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report model always serializes")
    }

    pub fn from_json(text: &str) -> Result<RunReport, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// Durations as whole milliseconds: readable in JSON, exact to read back.
mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis().min(u64::MAX as u128) as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}
