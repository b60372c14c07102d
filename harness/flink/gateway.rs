//! The SQL Gateway REST API, versions v2-v4 (`rest_v{2,3,4}_sql_gateway.yml`): sessions,
//! statements, operation status, paged results, heartbeats.
//!
//! Two differences from the OpenAPI files, both from Flink's own serializers: `/api_versions`
//! lists enum names (`"V1"`, ...) while paths use `v1`; and the fetch answer's flag is serialized
//! as `isQueryResult` although the files say `queryResult` (both are accepted).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::error::FlinkError;
use super::rest::{poll, Rest, Seen};
use crate::http::segment;

/// The REST API versions this client speaks, oldest first. v1 lacks `rowFormat` and the job id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ApiVersion {
    V2,
    V3,
    V4,
}

impl ApiVersion {
    const ALL: [ApiVersion; 3] = [ApiVersion::V2, ApiVersion::V3, ApiVersion::V4];

    /// The path prefix, `v2` ...
    pub fn prefix(self) -> &'static str {
        match self {
            ApiVersion::V2 => "v2",
            ApiVersion::V3 => "v3",
            ApiVersion::V4 => "v4",
        }
    }

    /// The highest version both sides speak.
    pub fn negotiate(offered: &[String]) -> Option<ApiVersion> {
        Self::ALL
            .into_iter()
            .rev()
            .find(|v| offered.iter().any(|o| o.trim().eq_ignore_ascii_case(v.prefix())))
    }
}

/// An operation's status (`OperationStatus` in Flink).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationStatus {
    Initialized,
    Pending,
    Running,
    Finished,
    Canceled,
    Closed,
    Error,
    Timeout,
    #[serde(other)]
    Unknown,
}

impl OperationStatus {
    pub fn is_terminal(self) -> bool {
        !matches!(
            self,
            OperationStatus::Initialized | OperationStatus::Pending | OperationStatus::Running
        )
    }
}

/// A result column: its name and Flink's JSON description of its logical type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    pub name: String,
    #[serde(default)]
    pub logical_type: serde_json::Value,
}

/// One row in `rowFormat=JSON`: its change kind (`INSERT`, `UPDATE_BEFORE`, ...) and fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub kind: String,
    pub fields: Vec<serde_json::Value>,
}

/// Everything a statement returned, all pages joined.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct StatementResult {
    /// The job a DML statement started (`jobID`, else the `job id` column).
    pub job_id: Option<String>,
    pub is_query: bool,
    /// `SUCCESS` or `SUCCESS_WITH_CONTENT`.
    pub result_kind: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FetchBody {
    result_type: String,
    #[serde(rename = "isQueryResult", alias = "queryResult", default)]
    is_query_result: Option<bool>,
    #[serde(rename = "jobID", default)]
    job_id: Option<String>,
    #[serde(default)]
    result_kind: Option<String>,
    #[serde(default)]
    results: Option<ResultInfo>,
    #[serde(default)]
    next_result_uri: Option<String>,
}

#[derive(Deserialize)]
struct ResultInfo {
    #[serde(default)]
    columns: Vec<Column>,
    #[serde(default)]
    data: Vec<Row>,
}

#[derive(Deserialize)]
struct VersionsBody {
    versions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionBody {
    session_handle: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OperationBody {
    operation_handle: String,
}

#[derive(Deserialize)]
struct StatusBody {
    status: OperationStatus,
}

/// A SQL Gateway whose API version has been agreed. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqlGateway {
    rest: Rest,
    version: ApiVersion,
}

impl SqlGateway {
    /// Asks the gateway at `url` (e.g. `http://127.0.0.1:8083`) which API versions it speaks and
    /// picks the highest one this client speaks too.
    pub async fn connect(url: &str) -> Result<Self, FlinkError> {
        let rest = Rest::new(url)?;
        let offered = rest.get::<VersionsBody>("/api_versions").await?.versions;
        match ApiVersion::negotiate(&offered) {
            Some(version) => Ok(SqlGateway { rest, version }),
            None => Err(FlinkError::NoCommonApiVersion { url: url.to_string(), offered }),
        }
    }

    pub fn version(&self) -> ApiVersion {
        self.version
    }

    pub fn url(&self) -> &str {
        self.rest.base_url()
    }

    /// Opens a session; `properties` override the gateway's configuration for it.
    pub async fn open_session(
        &self,
        name: Option<&str>,
        properties: &BTreeMap<String, String>,
    ) -> Result<Session, FlinkError> {
        let mut body = serde_json::json!({ "properties": properties });
        if let Some(name) = name {
            body["sessionName"] = name.into();
        }
        let path = format!("/{}/sessions", self.version.prefix());
        let handle = self.rest.post::<SessionBody>(&path, &body).await?.session_handle;
        Ok(Session { gateway: self.clone(), handle })
    }
}

/// An open gateway session. Cheap to clone; [`Session::close`] ends it for every clone.
#[derive(Debug, Clone)]
pub struct Session {
    gateway: SqlGateway,
    handle: String,
}

impl Session {
    pub fn handle(&self) -> &str {
        &self.handle
    }

    fn path(&self, rest: &str) -> String {
        format!("/{}/sessions/{}{}", self.gateway.version.prefix(), segment(&self.handle), rest)
    }

    /// Submits one statement; returns its operation handle at once.
    pub async fn execute(&self, statement: &str) -> Result<String, FlinkError> {
        let body = serde_json::json!({ "statement": statement });
        Ok(self
            .gateway
            .rest
            .post::<OperationBody>(&self.path("/statements"), &body)
            .await?
            .operation_handle)
    }

    pub async fn status(&self, operation: &str) -> Result<OperationStatus, FlinkError> {
        let path = self.path(&format!("/operations/{}/status", segment(operation)));
        Ok(self.gateway.rest.get::<StatusBody>(&path).await?.status)
    }

    /// Runs one statement to its end: submit, wait for FINISHED, fetch every page. For an INSERT
    /// the operation finishes once the job is submitted, and the result carries the job id.
    pub async fn run(
        &self,
        statement: &str,
        timeout: Duration,
    ) -> Result<StatementResult, FlinkError> {
        let deadline = Instant::now() + timeout;
        let operation = self.execute(statement).await?;
        self.wait(&operation, statement, timeout).await?;
        self.fetch(&operation, deadline.saturating_duration_since(Instant::now())).await
    }

    /// Polls the operation until it ends; anything but FINISHED is a [`FlinkError::Statement`]
    /// carrying the gateway's error text.
    pub async fn wait(
        &self,
        operation: &str,
        statement: &str,
        timeout: Duration,
    ) -> Result<(), FlinkError> {
        let what = format!("statement `{}`", first_line(statement));
        let status = poll(timeout, &what, || async {
            match self.status(operation).await {
                Ok(s) if s.is_terminal() => Ok(s),
                Ok(s) => Err(Seen::Pending(format!("operation is {s:?}"))),
                Err(e) => Err(Seen::Failed(e)),
            }
        })
        .await?;
        if status == OperationStatus::Finished {
            return Ok(());
        }
        // The gateway keeps a failed operation's exception and answers it to a fetch.
        let (root_cause, detail) = match self.fetch_page(&self.first_page(operation)).await {
            Err(FlinkError::Http { root_cause, detail, .. }) => (root_cause, detail),
            Err(other) => (other.to_string(), String::new()),
            Ok(_) => ("the gateway gave no reason".to_string(), String::new()),
        };
        Err(FlinkError::Statement {
            statement: first_line(statement),
            status: format!("{status:?}").to_uppercase(),
            root_cause,
            detail,
        })
    }

    /// Fetches every page of a finished operation's result, following `nextResultUri` until EOS.
    pub async fn fetch(
        &self,
        operation: &str,
        timeout: Duration,
    ) -> Result<StatementResult, FlinkError> {
        let deadline = Instant::now() + timeout;
        let mut result = StatementResult::default();
        let mut next = Some(self.first_page(operation));
        while let Some(uri) = next.take() {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let what = format!("the result of operation {operation}");
            let page = poll(remaining, &what, || async {
                match self.fetch_page(&uri).await {
                    Ok(page) if page.result_type == "NOT_READY" => {
                        Err(Seen::Pending("the result is not ready".into()))
                    }
                    Ok(page) => Ok(page),
                    Err(e) => Err(Seen::Failed(e)),
                }
            })
            .await?;
            result.is_query |= page.is_query_result.unwrap_or(false);
            result.job_id = result.job_id.or(page.job_id);
            result.result_kind = result.result_kind.or(page.result_kind);
            if let Some(info) = page.results {
                if result.columns.is_empty() {
                    result.columns = info.columns;
                }
                result.rows.extend(info.data);
            }
            if page.result_type != "EOS" {
                next = page.next_result_uri.map(|u| self.relative(&u));
            }
        }
        if result.job_id.is_none() {
            result.job_id = job_id_column(&result);
        }
        Ok(result)
    }

    fn first_page(&self, operation: &str) -> String {
        self.path(&format!("/operations/{}/result/0?rowFormat=JSON", segment(operation)))
    }

    async fn fetch_page(&self, uri: &str) -> Result<FetchBody, FlinkError> {
        self.gateway.rest.get(uri).await
    }

    /// `nextResultUri` is a path (`/v3/sessions/...`); tolerate an absolute URL too.
    fn relative(&self, uri: &str) -> String {
        match uri.find("://") {
            Some(scheme) => match uri[scheme + 3..].find('/') {
                Some(path) => uri[scheme + 3 + path..].to_string(),
                None => "/".to_string(),
            },
            None => uri.to_string(),
        }
    }

    /// Tells the gateway the client is alive, so the session outlives its idle timeout.
    pub async fn heartbeat(&self) -> Result<(), FlinkError> {
        self.gateway
            .rest
            .post::<IgnoredAny>(&self.path("/heartbeat"), &serde_json::json!({}))
            .await
            .map(|_| ())
    }

    /// Sends a heartbeat every `every` in the background until the handle is stopped or dropped.
    /// Pick `every` well below the gateway's `sql-gateway.session.idle-timeout` (10 min default).
    pub fn keep_alive(&self, every: Duration) -> Heartbeat {
        let session = self.clone();
        let beats = Arc::new(AtomicU64::new(0));
        let counter = beats.clone();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                ticks.tick().await;
                match session.heartbeat().await {
                    Ok(()) => {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::warn!(session = %session.handle, "SQL Gateway heartbeat failed: {e}")
                    }
                }
            }
        });
        Heartbeat { task, beats }
    }

    /// Closes the session (`DELETE /sessions/{h}`).
    pub async fn close(&self) -> Result<(), FlinkError> {
        self.gateway.rest.delete::<IgnoredAny>(&self.path("")).await.map(|_| ())
    }
}

/// A running heartbeat task; stops when stopped or dropped.
#[derive(Debug)]
pub struct Heartbeat {
    task: tokio::task::JoinHandle<()>,
    beats: Arc<AtomicU64>,
}

impl Heartbeat {
    /// Heartbeats the gateway acknowledged so far.
    pub fn beats(&self) -> u64 {
        self.beats.load(Ordering::Relaxed)
    }

    pub fn stop(self) {}
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn job_id_column(result: &StatementResult) -> Option<String> {
    let index = result.columns.iter().position(|c| c.name.eq_ignore_ascii_case("job id"))?;
    result.rows.first()?.fields.get(index)?.as_str().map(str::to_string)
}

/// The statement's first line of SQL (comment lines skipped), `...` when more follows.
fn first_line(statement: &str) -> String {
    let mut lines =
        statement.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("--"));
    let line = lines.next().unwrap_or("");
    if lines.next().is_some() {
        format!("{line} ...")
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_picks_the_highest_common_version() {
        let offered = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ApiVersion::negotiate(&offered(&["V1", "V2", "V3", "V4"])),
            Some(ApiVersion::V4)
        );
        assert_eq!(ApiVersion::negotiate(&offered(&["V1", "V2", "V3"])), Some(ApiVersion::V3));
        assert_eq!(ApiVersion::negotiate(&offered(&["v2", "V1"])), Some(ApiVersion::V2));
        assert_eq!(ApiVersion::negotiate(&offered(&["V1"])), None);
        assert_eq!(ApiVersion::negotiate(&offered(&["V5", "V9"])), None);
    }

    #[test]
    fn the_job_id_column_is_a_fallback_for_jobid() {
        let result = StatementResult {
            columns: vec![Column { name: "job id".into(), logical_type: serde_json::Value::Null }],
            rows: vec![Row { kind: "INSERT".into(), fields: vec!["ab12".into()] }],
            ..Default::default()
        };
        assert_eq!(job_id_column(&result).as_deref(), Some("ab12"));
        assert_eq!(job_id_column(&StatementResult::default()), None);
    }

    #[test]
    fn both_spellings_of_the_query_flag_are_read() {
        for body in [
            r#"{"resultType":"EOS","isQueryResult":true}"#,
            r#"{"resultType":"EOS","queryResult":true}"#,
        ] {
            let page: FetchBody = serde_json::from_str(body).unwrap();
            assert_eq!(page.is_query_result, Some(true), "{body}");
        }
        let not_ready: FetchBody =
            serde_json::from_str(r#"{"resultType":"NOT_READY","nextResultUri":"/v4/x"}"#).unwrap();
        assert_eq!(not_ready.is_query_result, None);
    }

    #[test]
    fn statements_are_named_by_their_first_line() {
        assert_eq!(first_line("  INSERT INTO k\nSELECT * FROM s"), "INSERT INTO k ...");
        assert_eq!(first_line("SET 'a' = 'b'"), "SET 'a' = 'b'");
        assert_eq!(first_line("-- the job\nINSERT INTO k SELECT 1"), "INSERT INTO k SELECT 1");
    }
}
