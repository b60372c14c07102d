//! One way to hand a scenario's SQL script to Flink, whatever the stack offers: through the SQL
//! Gateway, or through the SQL-runner jar on the JobManager. Both run the script's SET/DDL
//! statements in order and all its INSERTs as one statement set, so a script starts one job.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::error::FlinkError;
use super::gateway::{Heartbeat, Session, SqlGateway};
use super::jar::JarRun;
use super::jobmanager::JobManager;
use super::script::plan_statements;

/// The configuration key a job is restored from (Flink 1.20+; `execution.savepoint.path` before).
const RESTORE_PATH_KEY: &str = "execution.state-recovery.path";

/// How SQL reaches Flink (`submit = auto|gateway|jar`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubmitMode {
    /// The SQL Gateway when the stack has one, the SQL-runner jar otherwise.
    #[default]
    Auto,
    /// The SQL Gateway's REST API (official Flink images).
    Gateway,
    /// The SQL-runner jar through the JobManager's `/jars` API (any cluster).
    Jar,
}

/// The Flink services of a stack (or of a `--target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkEndpoints {
    /// The JobManager's REST API, e.g. `http://127.0.0.1:8081`.
    pub rest_url: String,
    /// The SQL Gateway's REST API, e.g. `http://127.0.0.1:8083`, when the stack runs one.
    pub gateway_url: Option<String>,
}

impl From<&crate::stack::FlinkEndpoint> for FlinkEndpoints {
    /// The host-side addresses of a stack's Flink (the harness runs on the host).
    fn from(flink: &crate::stack::FlinkEndpoint) -> Self {
        FlinkEndpoints { rest_url: flink.rest_url.clone(), gateway_url: flink.gateway_url.clone() }
    }
}

/// Where the SQL-runner jar comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JarSource {
    Bytes { file_name: String, bytes: Vec<u8> },
    Path(PathBuf),
}

/// The SQL-runner jar and how it takes the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlRunner {
    pub jar: JarSource,
    /// Overrides the jar manifest's `Main-Class`.
    pub entry_class: Option<String>,
    /// Program arguments; `{sql}` becomes the script, `{sql_base64}` its standard base64.
    pub args: Vec<String>,
}

impl SqlRunner {
    /// The runner's default calling convention: `--sql-base64 <script as base64>`.
    pub fn default_args() -> Vec<String> {
        vec!["--sql-base64".into(), "{sql_base64}".into()]
    }

    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        SqlRunner {
            jar: JarSource::Path(path.into()),
            entry_class: None,
            args: Self::default_args(),
        }
    }

    pub fn from_bytes(file_name: &str, bytes: Vec<u8>) -> Self {
        let jar = JarSource::Bytes { file_name: file_name.to_string(), bytes };
        SqlRunner { jar, entry_class: None, args: Self::default_args() }
    }

    pub fn program_args(&self, script: &str) -> Vec<String> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(script);
        self.args
            .iter()
            .map(|a| a.replace("{sql_base64}", &encoded).replace("{sql}", script))
            .collect()
    }

    async fn load(&self) -> Result<(String, Vec<u8>), FlinkError> {
        match &self.jar {
            JarSource::Bytes { file_name, bytes } => Ok((file_name.clone(), bytes.clone())),
            JarSource::Path(path) => {
                let bytes = tokio::fs::read(path).await.map_err(|source| FlinkError::Jar {
                    path: path.display().to_string(),
                    source,
                })?;
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                Ok((name.unwrap_or_else(|| "sql-runner.jar".into()), bytes))
            }
        }
    }
}

/// Tuning for [`Submitter`]; the defaults suit the harness's stacks.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitOptions {
    /// Gateway session properties (override the gateway's configuration).
    pub session_properties: BTreeMap<String, String>,
    /// How long one statement may take on the gateway (DDL, or planning and submitting an INSERT).
    pub statement_timeout: Duration,
    /// Gateway heartbeat period; well below the gateway's idle timeout (10 min by default).
    pub heartbeat_every: Duration,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        SubmitOptions {
            session_properties: BTreeMap::new(),
            statement_timeout: Duration::from_secs(120),
            heartbeat_every: Duration::from_secs(60),
        }
    }
}

/// A job a script started.
#[derive(Debug)]
pub struct SubmittedJob {
    pub job_id: String,
    /// `Gateway` or `Jar`, never `Auto`.
    pub mode: SubmitMode,
    /// From the first request to the job id in hand.
    pub submit_time: Duration,
    /// The gateway session the job was submitted in, kept alive until [`SubmittedJob::release`].
    lease: Option<(Session, Heartbeat)>,
}

impl SubmittedJob {
    /// Ends what the submission holds open (the gateway session and its heartbeat). The job
    /// itself keeps running: stop or cancel it through [`JobManager`].
    pub async fn release(mut self) -> Result<(), FlinkError> {
        match self.lease.take() {
            Some((session, heartbeat)) => {
                heartbeat.stop();
                session.close().await
            }
            None => Ok(()),
        }
    }
}

/// Submits SQL scripts to one Flink cluster, the same way for every scenario.
#[derive(Debug)]
pub struct Submitter {
    way: Way,
}

#[derive(Debug)]
enum Way {
    Gateway { gateway: SqlGateway, options: SubmitOptions },
    Jar(JarWay),
}

impl Submitter {
    /// Picks the way in: `auto` takes the gateway when `endpoints` has one. Connects to the gateway
    /// (API version negotiation) now; the jar is uploaded on the first submission.
    pub async fn connect(
        mode: SubmitMode,
        endpoints: &FlinkEndpoints,
        runner: Option<SqlRunner>,
        options: SubmitOptions,
    ) -> Result<Self, FlinkError> {
        let use_gateway = match (mode, &endpoints.gateway_url) {
            (SubmitMode::Gateway, None) => {
                return Err(FlinkError::Unsupported(
                    "submit = gateway, but this stack runs no SQL Gateway (the local images have none: \
                     use the registry images, or submit = jar)"
                        .into(),
                ))
            }
            (SubmitMode::Jar, _) | (SubmitMode::Auto, None) => false,
            (SubmitMode::Gateway | SubmitMode::Auto, Some(_)) => true,
        };
        if use_gateway {
            let url = endpoints.gateway_url.as_deref().unwrap_or_default();
            let gateway = SqlGateway::connect(url).await?;
            return Ok(Submitter { way: Way::Gateway { gateway, options } });
        }
        let runner = runner.ok_or_else(|| {
            FlinkError::Unsupported(
                "no SQL Gateway and no SQL-runner jar: cannot submit SQL to this cluster".into(),
            )
        })?;
        let jobmanager = JobManager::new(&endpoints.rest_url)?;
        Ok(Submitter { way: Way::Jar(JarWay { jobmanager, runner, jar_id: Default::default() }) })
    }

    /// `Gateway` or `Jar`.
    pub fn mode(&self) -> SubmitMode {
        match self.way {
            Way::Gateway { .. } => SubmitMode::Gateway,
            Way::Jar(_) => SubmitMode::Jar,
        }
    }

    /// Removes what the submitter left on the cluster (the uploaded SQL-runner jar); the jobs
    /// are the caller's to stop.
    pub async fn close(&self) -> Result<(), FlinkError> {
        match &self.way {
            Way::Gateway { .. } => Ok(()),
            Way::Jar(jar) => jar.remove().await,
        }
    }

    /// Runs the script's SET/DDL statements, then its INSERTs as one job; returns that job.
    pub async fn submit(&self, sql_script: &str) -> Result<SubmittedJob, FlinkError> {
        self.submit_from(sql_script, None).await
    }

    /// [`Submitter::submit`], the job's state restored from `restore_path`: a savepoint or a
    /// retained checkpoint (`file:/…/savepoint-…`, `file:/…/chk-7`). Every piece of that state
    /// must belong to an operator of the job, so a script that changed shape fails to start
    /// rather than silently dropping state.
    pub async fn submit_restored(
        &self,
        sql_script: &str,
        restore_path: &str,
    ) -> Result<SubmittedJob, FlinkError> {
        self.submit_from(sql_script, Some(restore_path)).await
    }

    async fn submit_from(
        &self,
        sql_script: &str,
        restore_path: Option<&str>,
    ) -> Result<SubmittedJob, FlinkError> {
        let started = Instant::now();
        let (job_id, lease) = match &self.way {
            Way::Gateway { gateway, options } => {
                let mut options = options.clone();
                if let Some(path) = restore_path {
                    // The session's configuration is what the gateway plans and submits with.
                    options.session_properties.insert(RESTORE_PATH_KEY.into(), path.into());
                }
                let (job_id, lease) = submit_to_gateway(gateway, &options, sql_script).await?;
                (job_id, Some(lease))
            }
            Way::Jar(jar) => (jar.submit(sql_script, restore_path).await?, None),
        };
        Ok(SubmittedJob { job_id, mode: self.mode(), submit_time: started.elapsed(), lease })
    }
}

/// The SQL-runner jar on one JobManager: uploaded on first use, again if the JobManager lost it.
#[derive(Debug)]
struct JarWay {
    jobmanager: JobManager,
    runner: SqlRunner,
    jar_id: tokio::sync::Mutex<Option<String>>,
}

impl JarWay {
    async fn submit(&self, script: &str, restore_path: Option<&str>) -> Result<String, FlinkError> {
        let run = JarRun {
            entry_class: self.runner.entry_class.clone(),
            program_args_list: self.runner.program_args(script),
            parallelism: None,
            savepoint_path: restore_path.map(str::to_string),
            allow_non_restored_state: restore_path.map(|_| false),
        };
        let jar = self.uploaded(None).await?;
        match self.jobmanager.run_jar(&jar, &run).await {
            // A restarted JobManager forgets its uploads.
            Err(e) if is_missing_jar(&e) => {
                let jar = self.uploaded(Some(&jar)).await?;
                self.jobmanager.run_jar(&jar, &run).await
            }
            outcome => outcome,
        }
    }

    async fn remove(&self) -> Result<(), FlinkError> {
        match self.jar_id.lock().await.take() {
            Some(id) => match self.jobmanager.delete_jar(&id).await {
                // A restarted JobManager forgot it already.
                Err(e) if e.status() == Some(404) => Ok(()),
                outcome => outcome,
            },
            None => Ok(()),
        }
    }

    /// The jar's id, uploading it when there is none yet or the current one is `lost`.
    async fn uploaded(&self, lost: Option<&str>) -> Result<String, FlinkError> {
        let mut id = self.jar_id.lock().await;
        match id.as_deref() {
            Some(current) if Some(current) != lost => Ok(current.to_string()),
            _ => {
                let (name, bytes) = self.runner.load().await?;
                let new_id = self.jobmanager.upload_jar(&name, bytes).await?;
                *id = Some(new_id.clone());
                Ok(new_id)
            }
        }
    }
}

fn is_missing_jar(e: &FlinkError) -> bool {
    matches!(e, FlinkError::Http { root_cause, .. }
        if root_cause.contains("Jar file") && root_cause.ends_with("does not exist"))
}

async fn submit_to_gateway(
    gateway: &SqlGateway,
    options: &SubmitOptions,
    script: &str,
) -> Result<(String, (Session, Heartbeat)), FlinkError> {
    let plan = plan_statements(script);
    if plan.is_empty() {
        return Err(FlinkError::Unsupported("the SQL script has no statement".into()));
    }
    let session = gateway.open_session(Some("cdc-harness"), &options.session_properties).await?;
    let heartbeat = session.keep_alive(options.heartbeat_every);
    let mut job_id = None;
    for statement in &plan {
        match session.run(statement, options.statement_timeout).await {
            Ok(result) => job_id = result.job_id.or(job_id),
            Err(e) => {
                // Leave nothing behind: the session goes with the failed submission.
                heartbeat.stop();
                let _ = session.close().await;
                return Err(e);
            }
        }
    }
    match job_id {
        Some(id) => Ok((id, (session, heartbeat))),
        None => {
            heartbeat.stop();
            let _ = session.close().await;
            Err(FlinkError::Unsupported("the SQL script started no job (it has no INSERT)".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submitters_and_their_futures_cross_tasks() {
        // Scenarios run concurrently (`--jobs N`): one Submitter is shared by spawned tasks.
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>(_: T) {}
        send_sync::<Submitter>();
        send_sync::<SubmittedJob>();
        let _ = |s: &'static Submitter| send(s.submit("INSERT INTO k SELECT 1"));
        let _ =
            |s: &'static Submitter| send(s.submit_restored("INSERT INTO k SELECT 1", "file:/x"));
        let _ = |j: SubmittedJob| send(j.release());
    }

    #[test]
    fn runner_args_carry_the_script() {
        let runner = SqlRunner::from_bytes("r.jar", vec![]);
        assert_eq!(runner.program_args("SELECT 'é';"), vec!["--sql-base64", "U0VMRUNUICfDqSc7"]);
        let plain = SqlRunner { args: vec!["-f".into(), "{sql}".into()], ..runner };
        assert_eq!(plain.program_args("SET 'a' = 'b'"), vec!["-f", "SET 'a' = 'b'"]);
    }
}
