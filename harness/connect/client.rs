//! Kafka Connect's REST API, the calls the harness needs.

use super::error::ConnectError;
use crate::http::{no_answer, segment};
use crate::retry::{Attempt, Retry, RetryError};
use crate::secret::redact;
use reqwest::Method;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Kafka Connect answers in milliseconds, but creating a connector validates it against the
/// database first.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Bodies longer than this are cut in error messages.
const BODY_EXCERPT: usize = 2_000;

/// A connector's configuration as posted (`{"name": ..., "config": {...}}`); values hold secrets,
/// so it is never printed as is.
pub type ConnectorConfig = serde_json::Map<String, serde_json::Value>;

#[derive(Debug, Clone)]
pub struct ConnectClient {
    base: String,
    http: reqwest::Client,
}

/// The state of a connector or one of its tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ConnectorState {
    Unassigned,
    Running,
    Paused,
    Failed,
    Restarting,
    Stopped,
    /// A state newer than this client.
    #[serde(other)]
    Unknown,
}

impl std::fmt::Display for ConnectorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = serde_json::to_value(self).ok();
        f.write_str(name.as_ref().and_then(|v| v.as_str()).unwrap_or("UNKNOWN"))
    }
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct TaskStatus {
    #[serde(default)]
    pub id: u32,
    pub state: ConnectorState,
    #[serde(default)]
    pub trace: Option<String>,
}

/// `GET /connectors/<name>/status`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ConnectorStatus {
    pub name: String,
    pub connector: TaskStatus,
    #[serde(default)]
    pub tasks: Vec<TaskStatus>,
}

impl ConnectorStatus {
    /// `connector RUNNING, task 0 RUNNING`.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("connector {}", self.connector.state)];
        if self.tasks.is_empty() {
            parts.push("no task yet".to_string());
        }
        parts.extend(self.tasks.iter().map(|t| format!("task {} {}", t.id, t.state)));
        parts.join(", ")
    }

    /// The connector's, else the first task's, failure: what failed and its trace.
    pub fn failure(&self) -> Option<(String, String)> {
        let failed = |s: &TaskStatus| s.state == ConnectorState::Failed;
        if failed(&self.connector) {
            return Some((
                "the connector".into(),
                redact(self.connector.trace.as_deref().unwrap_or("")),
            ));
        }
        self.tasks
            .iter()
            .find(|t| failed(t))
            .map(|t| (format!("task {}", t.id), redact(t.trace.as_deref().unwrap_or(""))))
    }

    /// The connector and every task in `state`: at least one task, but for STOPPED, where the
    /// tasks are gone.
    pub fn all(&self, state: ConnectorState) -> bool {
        let tasks_there = state == ConnectorState::Stopped || !self.tasks.is_empty();
        self.connector.state == state && tasks_there && self.tasks.iter().all(|t| t.state == state)
    }
}

#[derive(serde::Deserialize)]
struct Plugin {
    class: String,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    message: String,
}

impl ConnectClient {
    pub fn new(base_url: &str) -> Result<Self, ConnectError> {
        let base = base_url.trim_end_matches('/').to_string();
        let http = crate::http::client(REQUEST_TIMEOUT).map_err(|e| ConnectError::Unreachable {
            endpoint: "HTTP client".into(),
            url: base.clone(),
            reason: e.to_string(),
        })?;
        Ok(ConnectClient { base, http })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The connector classes the worker offers.
    pub async fn plugins(&self) -> Result<Vec<String>, ConnectError> {
        let plugins: Vec<Plugin> = self.send(Method::GET, "/connector-plugins", None).await?;
        Ok(plugins.into_iter().map(|p| p.class).collect())
    }

    /// The connectors' names.
    pub async fn connectors(&self) -> Result<Vec<String>, ConnectError> {
        self.send(Method::GET, "/connectors", None).await
    }

    /// `POST /connectors`: creates and starts `name` with `config` (Kafka Connect validates it
    /// first, against the database too).
    pub async fn create(&self, name: &str, config: &ConnectorConfig) -> Result<(), ConnectError> {
        let body = serde_json::json!({ "name": name, "config": config });
        let _: serde_json::Value = self.send(Method::POST, "/connectors", Some(body)).await?;
        Ok(())
    }

    pub async fn status(&self, name: &str) -> Result<ConnectorStatus, ConnectError> {
        self.send(Method::GET, &format!("/connectors/{}/status", segment(name)), None).await
    }

    pub async fn pause(&self, name: &str) -> Result<(), ConnectError> {
        self.call(Method::PUT, &format!("/connectors/{}/pause", segment(name))).await
    }

    pub async fn resume(&self, name: &str) -> Result<(), ConnectError> {
        self.call(Method::PUT, &format!("/connectors/{}/resume", segment(name))).await
    }

    /// `PUT /connectors/<name>/stop` (Kafka Connect 3.5+): the tasks stop, the configuration
    /// stays, and its offsets can then be reset.
    pub async fn stop(&self, name: &str) -> Result<(), ConnectError> {
        self.call(Method::PUT, &format!("/connectors/{}/stop", segment(name))).await
    }

    /// `DELETE /connectors/<name>/offsets` (Kafka Connect 3.6+) of a stopped connector, so that
    /// a shared worker keeps nothing of it once it is deleted.
    pub async fn reset_offsets(&self, name: &str) -> Result<(), ConnectError> {
        self.call(Method::DELETE, &format!("/connectors/{}/offsets", segment(name))).await
    }

    /// Restarts the connector and its tasks.
    pub async fn restart(&self, name: &str) -> Result<(), ConnectError> {
        let path =
            format!("/connectors/{}/restart?includeTasks=true&onlyFailed=false", segment(name));
        self.call(Method::POST, &path).await
    }

    /// Deletes the connector; `false` when there was none of that name.
    pub async fn delete(&self, name: &str) -> Result<bool, ConnectError> {
        match self.call(Method::DELETE, &format!("/connectors/{}", segment(name))).await {
            Ok(()) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET /connectors/<name>/offsets`: the source offsets the worker committed (Debezium's LSN).
    pub async fn offsets(&self, name: &str) -> Result<serde_json::Value, ConnectError> {
        self.send(Method::GET, &format!("/connectors/{}/offsets", segment(name)), None).await
    }

    /// Polls the status until the connector and every task are in `state`. A FAILED connector or
    /// task ends the wait at once with its trace; a timeout names the last status seen.
    pub async fn wait_for(
        &self,
        name: &str,
        state: ConnectorState,
        timeout: Duration,
    ) -> Result<ConnectorStatus, ConnectError> {
        enum Seen {
            Pending(String),
            Failed(ConnectError),
        }
        let outcome = Retry::with_timeout(timeout)
            .max_backoff(Duration::from_millis(250))
            .run(|| async {
                let status = match self.status(name).await {
                    Ok(status) => status,
                    // Just created: the worker may not know it yet.
                    Err(e) if e.status() == Some(404) => {
                        return Err(Attempt::Retry(Seen::Pending(e.to_string())))
                    }
                    Err(e) => return Err(Attempt::Fatal(Seen::Failed(e))),
                };
                if let Some((what, trace)) = status.failure() {
                    let root_cause = crate::flink::root_cause(&trace);
                    let failed = ConnectError::Failed {
                        connector: name.to_string(),
                        what,
                        root_cause,
                        trace,
                    };
                    return Err(Attempt::Fatal(Seen::Failed(failed)));
                }
                if status.all(state) {
                    Ok(status)
                } else {
                    Err(Attempt::Retry(Seen::Pending(status.summary())))
                }
            })
            .await;
        match outcome {
            Ok(status) => Ok(status),
            Err(RetryError::Fatal { error: Seen::Failed(e), .. })
            | Err(RetryError::TimedOut { last: Seen::Failed(e), .. }) => Err(e),
            Err(RetryError::Fatal { error: Seen::Pending(last), elapsed, .. })
            | Err(RetryError::TimedOut { last: Seen::Pending(last), elapsed, .. }) => {
                Err(ConnectError::Timeout {
                    connector: name.to_string(),
                    what: format!("{state}"),
                    elapsed,
                    last,
                })
            }
        }
    }

    /// A request whose answer body does not matter (202/204).
    async fn call(&self, method: Method, path: &str) -> Result<(), ConnectError> {
        let _: serde_json::Value = self.send(method, path, None).await?;
        Ok(())
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, ConnectError> {
        // The path only: a query string can hold nothing secret here, but it is noise.
        let endpoint = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let url = format!("{}{}", self.base, path);
        let mut request = self.http.request(method, &url);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let unreachable = |e: reqwest::Error| ConnectError::Unreachable {
            endpoint: endpoint.clone(),
            url: self.base.clone(),
            reason: no_answer(&e),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            let message = match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(ErrorBody { message }) => redact(&message),
                Err(_) => excerpt(&bytes),
            };
            return Err(ConnectError::Http { endpoint, status: status.as_u16(), message });
        }
        let json: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"null" } else { &bytes };
        serde_json::from_slice(json).map_err(|e| ConnectError::Decode {
            endpoint,
            reason: e.to_string(),
            body: excerpt(&bytes),
        })
    }
}

fn excerpt(body: &[u8]) -> String {
    let text = redact(&String::from_utf8_lossy(body));
    match text.char_indices().nth(BODY_EXCERPT) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_decode_and_say_what_failed() {
        let json = r#"{"name":"c","connector":{"state":"RUNNING","worker_id":"w"},
            "tasks":[{"id":0,"state":"FAILED","worker_id":"w","trace":"org.apache.kafka.connect.errors.ConnectException: x\n\tat a.b(C.java:1)\nCaused by: org.postgresql.util.PSQLException: ERROR: replication slot \"s\" is active for PID 42\n\tat d.e(F.java:2)"}],"type":"source"}"#;
        let status: ConnectorStatus = serde_json::from_str(json).unwrap();
        assert_eq!(status.summary(), "connector RUNNING, task 0 FAILED");
        let (what, trace) = status.failure().unwrap();
        assert_eq!(what, "task 0");
        assert_eq!(
            crate::flink::root_cause(&trace),
            "org.postgresql.util.PSQLException: ERROR: replication slot \"s\" is active for PID 42"
        );
        assert!(!status.all(ConnectorState::Running));
    }

    #[test]
    fn unknown_states_do_not_break_decoding() {
        let json = r#"{"name":"c","connector":{"state":"SOMETHING_NEW"},"tasks":[]}"#;
        let status: ConnectorStatus = serde_json::from_str(json).unwrap();
        assert_eq!(status.connector.state, ConnectorState::Unknown);
        assert_eq!(status.summary(), "connector UNKNOWN, no task yet");
        assert_eq!(ConnectorState::Running.to_string(), "RUNNING");
    }
}
