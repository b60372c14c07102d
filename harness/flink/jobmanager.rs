//! The JobManager REST API (`rest_v1_dispatcher.yml`): cluster overview, job state and
//! exceptions, checkpoints, savepoints, stop and cancel. Jar upload/run live in `jar.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use reqwest::Method;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::error::{root_cause, FlinkError};
use super::rest::{poll, Rest, Seen};
use crate::http::segment;

/// A client of one Flink cluster's REST API (`http://host:8081`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct JobManager {
    pub(crate) rest: Rest,
}

/// A job's state as Flink names it (`JobStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    Initializing,
    Created,
    Running,
    Failing,
    Failed,
    Cancelling,
    Canceled,
    Finished,
    Restarting,
    Suspended,
    Reconciling,
    /// A state this client does not know (a newer Flink).
    #[serde(other)]
    Unknown,
}

impl JobState {
    /// The job will not change state any more (on this cluster).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Failed | JobState::Canceled | JobState::Finished | JobState::Suspended
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = serde_json::to_value(self).ok();
        f.write_str(name.as_ref().and_then(|v| v.as_str()).unwrap_or("UNKNOWN"))
    }
}

/// `GET /overview`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct ClusterOverview {
    pub taskmanagers: u32,
    pub slots_total: u32,
    pub slots_available: u32,
    pub jobs_running: u32,
    pub jobs_finished: u32,
    pub jobs_cancelled: u32,
    pub jobs_failed: u32,
    pub flink_version: String,
}

/// One entry of `GET /taskmanagers`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskManagerInfo {
    pub id: String,
    pub path: String,
    pub slots_number: u32,
    pub free_slots: u32,
}

/// One entry of `GET /jobs/overview`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct JobSummary {
    pub jid: String,
    pub name: String,
    pub state: JobState,
    #[serde(rename = "start-time")]
    pub start_time: i64,
    #[serde(rename = "end-time")]
    pub end_time: i64,
    pub duration: i64,
}

/// `GET /jobs/{id}`, the parts the harness reads.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct JobDetails {
    pub jid: String,
    pub name: String,
    pub state: JobState,
    #[serde(rename = "start-time")]
    pub start_time: i64,
    pub duration: i64,
    /// When the job entered each state (epoch ms), e.g. `"RUNNING"`; 0 for states not reached.
    #[serde(default)]
    pub timestamps: BTreeMap<String, i64>,
    #[serde(default)]
    pub vertices: Vec<VertexInfo>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct VertexInfo {
    pub id: String,
    pub name: String,
    pub parallelism: u32,
    /// `ExecutionState`: CREATED, SCHEDULED, DEPLOYING, INITIALIZING, RUNNING, FINISHED, ...
    pub status: String,
}

impl JobDetails {
    /// Flink calls a job RUNNING while its tasks still deploy; sources read only once every
    /// task runs (or, for bounded parts, has finished).
    pub fn all_tasks_running(&self) -> bool {
        self.vertices.iter().all(|v| v.status == "RUNNING" || v.status == "FINISHED")
    }

    /// Milliseconds from submission (INITIALIZING) to the given state, when both were reached.
    pub fn millis_to(&self, state: JobState) -> Option<i64> {
        let start = *self.timestamps.get("INITIALIZING").filter(|t| **t > 0)?;
        let reached = *self.timestamps.get(&state.to_string()).filter(|t| **t > 0)?;
        Some(reached - start)
    }
}

/// The latest failure of a job, from `GET /jobs/{id}/exceptions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobException {
    /// The exception class, e.g. `org.apache.flink.runtime.JobException`.
    pub name: Option<String>,
    /// The deepest `Caused by:` of the stack trace: what a user needs to read.
    pub root_cause: String,
    /// The task that failed, when Flink knows it.
    pub task: Option<String>,
    pub timestamp: Option<i64>,
    /// The full Java stack trace (kept for the artefacts).
    pub stacktrace: String,
}

impl JobException {
    /// One compact line (plus the root cause's message lines): root cause and failing task.
    pub fn summary(&self) -> String {
        match &self.task {
            Some(task) => format!("{} (in task {task})", self.root_cause),
            None => self.root_cause.clone(),
        }
    }

    fn from_stacktrace(
        stacktrace: String,
        name: Option<String>,
        task: Option<String>,
        timestamp: Option<i64>,
    ) -> Self {
        let stacktrace = crate::secret::redact(&stacktrace);
        JobException { name, root_cause: root_cause(&stacktrace), task, timestamp, stacktrace }
    }
}

/// Flink 1.20 sends `root-exception` (deprecated) and `exceptionHistory`; Flink 2.x only the latter.
#[derive(Deserialize)]
struct ExceptionsBody {
    #[serde(rename = "exceptionHistory", default)]
    history: Option<ExceptionHistory>,
    #[serde(rename = "root-exception", default)]
    root_exception: Option<String>,
    #[serde(default)]
    timestamp: Option<i64>,
}

#[derive(Deserialize)]
struct ExceptionHistory {
    #[serde(default)]
    entries: Vec<ExceptionEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExceptionEntry {
    exception_name: Option<String>,
    #[serde(default)]
    stacktrace: String,
    timestamp: Option<i64>,
    task_name: Option<String>,
    /// A job-level failure (`JobException: Recovery is suppressed ...`) names no task; the task
    /// failures that caused it are listed here.
    #[serde(default)]
    concurrent_exceptions: Vec<ConcurrentException>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConcurrentException {
    task_name: Option<String>,
}

/// `GET /jobs/{id}/checkpoints`, the parts the harness reads.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct CheckpointStats {
    pub counts: CheckpointCounts,
    #[serde(default)]
    pub latest: LatestCheckpoints,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct CheckpointCounts {
    pub restored: u64,
    pub total: u64,
    pub in_progress: u64,
    pub completed: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct LatestCheckpoints {
    pub completed: Option<CheckpointInfo>,
    pub savepoint: Option<CheckpointInfo>,
    pub failed: Option<CheckpointInfo>,
    /// The savepoint or checkpoint the job's state was restored from when it started.
    #[serde(default)]
    pub restored: Option<RestoredCheckpoint>,
}

/// `latest.restored` of `GET /jobs/{id}/checkpoints`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RestoredCheckpoint {
    pub id: u64,
    pub restore_timestamp: i64,
    pub is_savepoint: bool,
    #[serde(default)]
    pub external_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CheckpointInfo {
    pub id: u64,
    pub trigger_timestamp: i64,
    #[serde(default)]
    pub end_to_end_duration: Option<i64>,
    #[serde(default)]
    pub external_path: Option<String>,
    #[serde(default)]
    pub failure_message: Option<String>,
}

/// Where a savepoint (or stop-with-savepoint) request stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SavepointStatus {
    InProgress,
    Completed { location: String },
    Failed { root_cause: String, detail: String },
}

#[derive(Deserialize)]
struct TriggerResponse {
    #[serde(rename = "request-id")]
    request_id: String,
}

#[derive(Deserialize)]
struct AsyncOperationBody {
    status: QueueStatus,
    #[serde(default)]
    operation: Option<SavepointOperation>,
}

#[derive(Deserialize)]
struct QueueStatus {
    id: String,
}

#[derive(Deserialize)]
struct SavepointOperation {
    location: Option<String>,
    #[serde(rename = "failure-cause")]
    failure_cause: Option<SerializedThrowable>,
}

#[derive(Deserialize)]
struct SerializedThrowable {
    #[serde(rename = "stack-trace", default)]
    stack_trace: Option<String>,
    #[serde(rename = "class", default)]
    class: Option<String>,
}

#[derive(Deserialize)]
struct TaskManagersBody {
    taskmanagers: Vec<TaskManagerInfo>,
}

#[derive(Deserialize)]
struct JobsBody {
    jobs: Vec<JobSummary>,
}

impl JobManager {
    /// A client of the REST API at `url` (e.g. `http://127.0.0.1:8081`). No request is made.
    pub fn new(url: &str) -> Result<Self, FlinkError> {
        Ok(JobManager { rest: Rest::new(url)? })
    }

    pub fn url(&self) -> &str {
        self.rest.base_url()
    }

    pub async fn overview(&self) -> Result<ClusterOverview, FlinkError> {
        self.rest.get("/overview").await
    }

    pub async fn taskmanagers(&self) -> Result<Vec<TaskManagerInfo>, FlinkError> {
        Ok(self.rest.get::<TaskManagersBody>("/taskmanagers").await?.taskmanagers)
    }

    pub async fn jobs(&self) -> Result<Vec<JobSummary>, FlinkError> {
        Ok(self.rest.get::<JobsBody>("/jobs/overview").await?.jobs)
    }

    pub async fn job(&self, job_id: &str) -> Result<JobDetails, FlinkError> {
        self.rest.get(&format!("/jobs/{}", segment(job_id))).await
    }

    /// The job's latest failure, or `None` when it never failed.
    pub async fn exception(&self, job_id: &str) -> Result<Option<JobException>, FlinkError> {
        let body: ExceptionsBody =
            self.rest.get(&format!("/jobs/{}/exceptions", segment(job_id))).await?;
        let latest = body
            .history
            .map(|h| h.entries)
            .unwrap_or_default()
            .into_iter()
            .max_by_key(|e| e.timestamp.unwrap_or(i64::MIN));
        Ok(match (latest, body.root_exception) {
            (Some(e), _) => {
                let task = e
                    .task_name
                    .or_else(|| e.concurrent_exceptions.into_iter().find_map(|c| c.task_name));
                Some(JobException::from_stacktrace(
                    e.stacktrace,
                    e.exception_name,
                    task,
                    e.timestamp,
                ))
            }
            (None, Some(text)) if !text.trim().is_empty() => {
                Some(JobException::from_stacktrace(text, None, None, body.timestamp))
            }
            _ => None,
        })
    }

    /// How many failures the job's exception history holds (Flink keeps the latest 16 by default).
    pub async fn failure_count(&self, job_id: &str) -> Result<usize, FlinkError> {
        let body: ExceptionsBody =
            self.rest.get(&format!("/jobs/{}/exceptions", segment(job_id))).await?;
        Ok(body.history.map_or(0, |h| h.entries.len()))
    }

    pub async fn checkpoints(&self, job_id: &str) -> Result<CheckpointStats, FlinkError> {
        self.rest.get(&format!("/jobs/{}/checkpoints", segment(job_id))).await
    }

    /// Triggers a savepoint into `target_dir` (or the cluster's `execution.checkpointing.savepoint-dir`);
    /// returns the trigger id for [`JobManager::savepoint_status`].
    pub async fn trigger_savepoint(
        &self,
        job_id: &str,
        target_dir: Option<&str>,
    ) -> Result<String, FlinkError> {
        let body = serde_json::json!({ "target-directory": target_dir, "cancel-job": false });
        let path = format!("/jobs/{}/savepoints", segment(job_id));
        Ok(self.rest.post::<TriggerResponse>(&path, &body).await?.request_id)
    }

    /// Stops the job with a final savepoint (`drain` emits MAX_WATERMARK first: for bounded ends).
    pub async fn stop_with_savepoint(
        &self,
        job_id: &str,
        target_dir: Option<&str>,
        drain: bool,
    ) -> Result<String, FlinkError> {
        let body = serde_json::json!({ "targetDirectory": target_dir, "drain": drain });
        let path = format!("/jobs/{}/stop", segment(job_id));
        Ok(self.rest.post::<TriggerResponse>(&path, &body).await?.request_id)
    }

    /// The state of a savepoint or stop-with-savepoint request.
    pub async fn savepoint_status(
        &self,
        job_id: &str,
        trigger_id: &str,
    ) -> Result<SavepointStatus, FlinkError> {
        let path = format!("/jobs/{}/savepoints/{}", segment(job_id), segment(trigger_id));
        let body: AsyncOperationBody = self.rest.get(&path).await?;
        if body.status.id != "COMPLETED" {
            return Ok(SavepointStatus::InProgress);
        }
        let operation = body.operation.ok_or_else(|| FlinkError::Decode {
            endpoint: format!("GET {path}"),
            reason: "COMPLETED without an operation".into(),
            body: String::new(),
        })?;
        Ok(match (operation.location, operation.failure_cause) {
            (Some(location), None) => SavepointStatus::Completed { location },
            (_, Some(cause)) => {
                let detail = cause.stack_trace.or(cause.class).unwrap_or_default();
                SavepointStatus::Failed { root_cause: root_cause(&detail), detail }
            }
            (None, None) => SavepointStatus::Failed {
                root_cause: "no location and no cause".into(),
                detail: String::new(),
            },
        })
    }

    /// Polls a savepoint request until it completes; returns the savepoint's location.
    pub async fn wait_for_savepoint(
        &self,
        job_id: &str,
        trigger_id: &str,
        timeout: Duration,
    ) -> Result<String, FlinkError> {
        poll(timeout, &format!("the savepoint of job {job_id}"), || async {
            match self.savepoint_status(job_id, trigger_id).await {
                Ok(SavepointStatus::Completed { location }) => Ok(location),
                Ok(SavepointStatus::Failed { root_cause, detail }) => {
                    Err(Seen::Failed(FlinkError::Savepoint {
                        job_id: job_id.to_string(),
                        root_cause,
                        detail,
                    }))
                }
                Ok(SavepointStatus::InProgress) => {
                    Err(Seen::Pending("the savepoint is in progress".into()))
                }
                Err(e) => Err(Seen::Failed(e)),
            }
        })
        .await
    }

    /// Cancels the job (`PATCH /jobs/{id}?mode=cancel`); returns once Flink accepted the request.
    pub async fn cancel(&self, job_id: &str) -> Result<(), FlinkError> {
        let path = format!("/jobs/{}?mode=cancel", segment(job_id));
        self.rest.send::<IgnoredAny>(Method::PATCH, &path, |r| r).await.map(|_| ())
    }

    /// Waits until the job is in one of `targets`. RUNNING counts only once every task runs (see
    /// [`JobDetails::all_tasks_running`]). A job that reaches another terminal state (FAILED,
    /// CANCELED, ...) stops the wait at once with [`FlinkError::Job`] carrying its exception; a
    /// timeout names the state last seen and the latest exception (e.g. of a restarting job).
    pub async fn wait_for_state(
        &self,
        job_id: &str,
        targets: &[JobState],
        timeout: Duration,
    ) -> Result<JobState, FlinkError> {
        let wanted: Vec<String> = targets.iter().map(|s| s.to_string()).collect();
        let what = format!("job {job_id} to be {}", wanted.join(" or "));
        let outcome = poll(timeout, &what, || async {
            match self.job(job_id).await {
                Ok(job) => {
                    let ready = job.state != JobState::Running || job.all_tasks_running();
                    if targets.contains(&job.state) && ready {
                        Ok(job.state)
                    } else if job.state.is_terminal() {
                        let job_id = job_id.to_string();
                        Err(Seen::Failed(FlinkError::Job {
                            job_id,
                            state: job.state,
                            exception: None,
                        }))
                    } else if job.state == JobState::Running {
                        Err(Seen::Pending(
                            "job is RUNNING but some tasks are not running yet".into(),
                        ))
                    } else {
                        Err(Seen::Pending(format!("job is {}", job.state)))
                    }
                }
                // Just after submission the dispatcher may not list the job yet.
                Err(e @ FlinkError::Http { status: 404, .. })
                | Err(e @ FlinkError::Unreachable { .. }) => Err(Seen::Pending(e.to_string())),
                Err(e) => Err(Seen::Failed(e)),
            }
        })
        .await;
        // Say why: the job's exception (a failed job's cause, or what a restarting job hit).
        match outcome {
            Err(FlinkError::Job { job_id, state, exception: None }) => {
                let exception = self.exception(&job_id).await.ok().flatten().map(Box::new);
                Err(FlinkError::Job { job_id, state, exception })
            }
            Err(FlinkError::Timeout { what, elapsed, mut last }) if last.starts_with("job is ") => {
                if let Ok(Some(e)) = self.exception(job_id).await {
                    last.push_str(&format!("; latest exception: {}", e.summary()));
                }
                Err(FlinkError::Timeout { what, elapsed, last })
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_states_read_and_print_as_flink_names_them() {
        let s: JobState = serde_json::from_str("\"CANCELLING\"").unwrap();
        assert_eq!(s, JobState::Cancelling);
        assert_eq!(JobState::Running.to_string(), "RUNNING");
        let s: JobState = serde_json::from_str("\"SOMETHING_NEW\"").unwrap();
        assert_eq!(s, JobState::Unknown);
        assert!(JobState::Failed.is_terminal() && !JobState::Restarting.is_terminal());
    }

    #[test]
    fn exception_summary_names_the_task() {
        let e = JobException::from_stacktrace(
            "org.apache.flink.runtime.JobException: Recovery is suppressed\n\tat x.Y.z(Y.java:1)\nCaused by: org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"app\"\n\tat a.B.c(B.java:2)\n".into(),
            Some("org.apache.flink.runtime.JobException".into()),
            Some("Source: orders[1]".into()),
            Some(1),
        );
        assert_eq!(
            e.summary(),
            "org.postgresql.util.PSQLException: FATAL: password authentication failed for user \"app\" (in task Source: orders[1])"
        );
    }
}
