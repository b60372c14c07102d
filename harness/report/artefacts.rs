//! The artefact folder of a run: `<dir>/<run id>/<scenario>/` with what a person needs to see
//! why a scenario failed, plus the run's container logs in `<dir>/<run id>/logs/` (where the
//! stack saves them when `artefacts_root` is the same `<dir>`).
//!
//! Every text goes through the run's [`Redactor`], and every file is written atomically (a
//! temporary file in the same folder, then a rename), so a crash never leaves half a file.

use super::model::RunId;
use super::ReportError;
use crate::secret::Redactor;
use crate::secret::Secret;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What a scenario writes, each kind to its own file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtefactKind {
    /// The Flink SQL submitted (source, sink, INSERT).
    FlinkSql,
    /// The PostgreSQL setup and step SQL as run.
    PostgresSql,
    /// Records received from the sink topic, one JSON value per line.
    Records,
    /// The job's exceptions from `/jobs/{id}/exceptions`.
    FlinkExceptions,
    /// Expected vs received.
    Diff,
    /// A Debezium source's connector configuration as posted (passwords ******).
    ConnectorConfig,
    /// The Kafka Connect stack trace of a connector or task that FAILED.
    ConnectorTrace,
}

impl ArtefactKind {
    pub fn file_name(self) -> &'static str {
        match self {
            ArtefactKind::FlinkSql => "flink.sql",
            ArtefactKind::PostgresSql => "postgres.sql",
            ArtefactKind::Records => "records.jsonl",
            ArtefactKind::FlinkExceptions => "flink-exceptions.txt",
            ArtefactKind::Diff => "diff.txt",
            ArtefactKind::ConnectorConfig => "connector.json",
            ArtefactKind::ConnectorTrace => "connector-trace.txt",
        }
    }
}

/// The folder of one run. Shareable between concurrently running scenarios.
#[derive(Debug)]
pub struct RunArtefacts {
    dir: PathBuf,
    redactor: Arc<Redactor>,
    scenario_dirs: Mutex<HashSet<String>>,
}

impl RunArtefacts {
    /// Creates `<root>/<run id>/`. `secrets` are the passwords this run knows (PostgreSQL,
    /// Kafka SASL ...): they never appear in any file written here.
    pub fn create(
        root: &Path,
        run_id: &RunId,
        secrets: impl IntoIterator<Item = Secret>,
    ) -> Result<RunArtefacts, ReportError> {
        let dir = root.join(run_id.as_str());
        create_dir(&dir)?;
        Ok(RunArtefacts {
            dir,
            redactor: Arc::new(Redactor::new(secrets)),
            scenario_dirs: Mutex::new(HashSet::new()),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder of one scenario, named after it (filesystem-safe; a repeated name gets `-2`).
    pub fn scenario(&self, name: &str) -> Result<ScenarioArtefacts, ReportError> {
        let base = folder_name(name);
        let folder = {
            let mut used = self.scenario_dirs.lock().unwrap_or_else(|e| e.into_inner());
            let folder = (1..)
                .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
                .find(|candidate| !used.contains(candidate))
                .expect("an unused folder name exists");
            used.insert(folder.clone());
            folder
        };
        let dir = self.dir.join(folder);
        create_dir(&dir)?;
        Ok(ScenarioArtefacts { dir, redactor: Arc::clone(&self.redactor), written: Vec::new() })
    }

    /// Where container logs go: `<dir>/<run id>/logs/`, the stack's own choice too.
    pub fn logs_dir(&self) -> PathBuf {
        self.dir.join("logs")
    }

    /// Saves a container's log (redacted) as `logs/<service>.log`; returns its path.
    pub fn save_container_log(&self, service: &str, log: &[u8]) -> Result<PathBuf, ReportError> {
        let dir = self.logs_dir();
        create_dir(&dir)?;
        let path = dir.join(format!("{}.log", folder_name(service)));
        write_atomic(&path, self.redactor.redact(&String::from_utf8_lossy(log)).as_bytes())?;
        Ok(path)
    }

    /// Takes in the logs the stack saved into `folder` (e.g. [`Self::logs_dir`]): each file is
    /// redacted into `logs/` (in place when `folder` is that one). A failed statement in a
    /// PostgreSQL log, or a Flink log echoing connector options, may hold a password.
    pub fn adopt_logs(&self, folder: &Path) -> Result<Vec<PathBuf>, ReportError> {
        let read_error =
            |path: &Path, source| ReportError::Read { path: path.to_path_buf(), source };
        let entries = std::fs::read_dir(folder).map_err(|e| read_error(folder, e))?;
        let dir = self.logs_dir();
        create_dir(&dir)?;
        let mut adopted = Vec::new();
        for entry in entries {
            let source = entry.map_err(|e| read_error(folder, e))?.path();
            let Some(name) = source.file_name().filter(|_| source.is_file()) else { continue };
            let text = std::fs::read(&source).map_err(|e| read_error(&source, e))?;
            let target = dir.join(name);
            write_atomic(
                &target,
                self.redactor.redact(&String::from_utf8_lossy(&text)).as_bytes(),
            )?;
            adopted.push(target);
        }
        adopted.sort();
        Ok(adopted)
    }

    /// Redacts text the caller writes itself (e.g. the summary, if it quotes SQL).
    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }
}

/// The folder of one scenario; remembers what it wrote for the scenario's result.
#[derive(Debug)]
pub struct ScenarioArtefacts {
    dir: PathBuf,
    redactor: Arc<Redactor>,
    written: Vec<PathBuf>,
}

impl ScenarioArtefacts {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes (or replaces) the artefact of `kind`, redacted.
    pub fn write(&mut self, kind: ArtefactKind, text: &str) -> Result<PathBuf, ReportError> {
        let path = self.dir.join(kind.file_name());
        write_atomic(&path, self.redactor.redact(text).as_bytes())?;
        if !self.written.contains(&path) {
            self.written.push(path.clone());
        }
        Ok(path)
    }

    /// The records received, one JSON value per line (`records.jsonl`).
    pub fn write_records<T: serde::Serialize>(
        &mut self,
        records: impl IntoIterator<Item = T>,
    ) -> Result<PathBuf, ReportError> {
        let mut text = String::new();
        for record in records {
            let line = serde_json::to_string(&record).map_err(ReportError::Json)?;
            text.push_str(&line);
            text.push('\n');
        }
        self.write(ArtefactKind::Records, &text)
    }

    /// Paths written so far, for [`super::ScenarioResult::artefacts`].
    pub fn paths(&self) -> Vec<PathBuf> {
        self.written.clone()
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let write_error = |source| ReportError::Write { path: path.to_path_buf(), source };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".cdc-harness-")
        .suffix(".tmp")
        .tempfile_in(parent)
        .map_err(write_error)?;
    file.write_all(bytes).map_err(write_error)?;
    file.as_file().sync_all().map_err(write_error)?;
    file.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| ReportError::CreateDir { path: dir.to_path_buf(), source })
}

/// Keeps `[A-Za-z0-9._-]`, maps anything else to `_`; never empty, never `.` or `..`.
fn folder_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .collect();
    let trimmed = cleaned.trim_matches('.');
    if trimmed.is_empty() {
        "scenario".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_safe() {
        assert_eq!(folder_name("orders CDC/v2"), "orders_CDC_v2");
        assert_eq!(folder_name(".."), "scenario");
        assert_eq!(folder_name("a.b-c_d"), "a.b-c_d");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("report.json")]);
    }

    #[test]
    fn atomic_write_into_a_missing_folder_fails_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope/report.xml");
        let err = write_atomic(&path, b"x").unwrap_err().to_string();
        assert!(err.contains("nope/report.xml"), "{err}");
    }
}
