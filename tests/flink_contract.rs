//! Contract tests of the Flink clients: each test serves recorded Flink REST responses (JSON files
//! under `tests/fixtures/flink/`, see the README there for where each comes from) from a small HTTP
//! server on 127.0.0.1, runs the client against it, and checks both what the client concluded
//! and the requests it sent. They prove the clients follow the REST contract; the live tests in
//! `flink_live.rs` prove it against a running Flink.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cdc_harness::flink::{
    ApiVersion, FlinkEndpoints, FlinkError, JarRun, JobManager, JobState, SavepointStatus, Session,
    SqlGateway, SqlRunner, SubmitMode, SubmitOptions, Submitter,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const SESSION: &str = "9f2b1c47-3d5e-4a8b-b6c1-0e7d2f4a9c35";
const OP_DDL: &str = "1c0e5a2f-7b3d-4e69-a8f4-5d2c9b7e1f03";
const OP_INSERT: &str = "6e4d2b8a-0f1c-4b37-9a5e-c3d7f1e2a8b4";
const OP_QUERY: &str = "a3f7c9e1-2b4d-4c6a-8e0f-b1d3a5c7e9f2";
const OP_FAILING: &str = "d8b6a4c2-e0f1-4a3b-9c5d-7e9f1a2b3c4d";
const INSERT_JOB: &str = "4f3a8c1e9b2d47a6a0c5e7f9b1d3c2e4";

// ---------------------------------------------------------------------------------------------
// The recorded-response server.

#[derive(Debug, Clone)]
struct Request {
    method: String,
    target: String,
    body: Vec<u8>,
}

impl Request {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON request body")
    }
}

#[derive(Clone)]
struct Reply {
    status: u16,
    body: String,
}

/// Answers `METHOD target` with its replies in order; the last reply repeats. Anything else gets
/// Flink's 404 answer.
#[derive(Default)]
struct Routes(HashMap<(String, String), VecDeque<Reply>>);

impl Routes {
    fn on(mut self, method: &str, target: &str, status: u16, fixture: &str) -> Self {
        let reply = Reply { status, body: fixture_text(fixture) };
        self.0.entry((method.to_string(), target.to_string())).or_default().push_back(reply);
        self
    }
}

struct RecordedFlink {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RecordedFlink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RecordedFlink {
    async fn serve(routes: Routes) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(Mutex::new(routes));
        let log = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else { return };
                let routes = routes.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else { return };
                    let reply = {
                        let mut routes = routes.lock().unwrap();
                        let key = (request.method.clone(), request.target.clone());
                        match routes.0.get_mut(&key) {
                            Some(replies) if replies.len() > 1 => replies.pop_front().unwrap(),
                            Some(replies) => replies.front().unwrap().clone(),
                            None => Reply {
                                status: 404,
                                body: format!(r#"{{"errors":["Not found: {}"]}}"#, request.target),
                            },
                        }
                    };
                    log.lock().unwrap().push(request);
                    let head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        reply.status,
                        reply.body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(reply.body.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        RecordedFlink { addr, requests, task }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    fn count(&self, method: &str, target: &str) -> usize {
        self.requests().iter().filter(|r| r.method == method && r.target == target).count()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut parts = head.lines().next()?.split(' ');
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Request { method, target, body: buf[header_end..].to_vec() })
}

fn fixture_text(name: &str) -> String {
    let path = format!("{}/tests/fixtures/flink/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn gw(fixture: &str) -> String {
    format!("gateway/{fixture}.json")
}

fn op(operation: &str, rest: &str) -> String {
    format!("/v4/sessions/{SESSION}/operations/{operation}{rest}")
}

fn result_page(operation: &str, token: u32) -> String {
    op(operation, &format!("/result/{token}?rowFormat=JSON"))
}

/// A Flink 2.0 gateway with one session open.
fn gateway_routes() -> Routes {
    Routes::default()
        .on("GET", "/api_versions", 200, &gw("api_versions_flink_2.0"))
        .on("POST", "/v4/sessions", 200, &gw("open_session"))
        .on("POST", &format!("/v4/sessions/{SESSION}/heartbeat"), 200, &gw("heartbeat"))
        .on("DELETE", &format!("/v4/sessions/{SESSION}"), 200, &gw("close_session"))
}

fn ddl_routes(routes: Routes) -> Routes {
    routes
        .on("POST", &statements(), 200, &gw("execute_ddl"))
        .on("GET", &op(OP_DDL, "/status"), 200, &gw("status_running"))
        .on("GET", &op(OP_DDL, "/status"), 200, &gw("status_running"))
        .on("GET", &op(OP_DDL, "/status"), 200, &gw("status_finished"))
        .on("GET", &result_page(OP_DDL, 0), 200, &gw("result_ddl_payload"))
        .on("GET", &result_page(OP_DDL, 1), 200, &gw("result_ddl_eos"))
}

fn insert_routes(routes: Routes, first_page: &str) -> Routes {
    routes
        .on("POST", &statements(), 200, &gw("execute_insert"))
        .on("GET", &op(OP_INSERT, "/status"), 200, &gw("status_finished"))
        .on("GET", &result_page(OP_INSERT, 0), 200, &gw(first_page))
        .on("GET", &result_page(OP_INSERT, 1), 200, &gw("result_insert_eos"))
}

const TIMEOUT: Duration = Duration::from_secs(10);

fn statements() -> String {
    format!("/v4/sessions/{SESSION}/statements")
}

/// A recorded gateway serving `routes`, and a session opened on it.
async fn session_on(routes: Routes) -> (RecordedFlink, Session) {
    let flink = RecordedFlink::serve(routes).await;
    let gateway = SqlGateway::connect(&flink.url()).await.unwrap();
    let session = gateway.open_session(None, &BTreeMap::new()).await.unwrap();
    (flink, session)
}

// ---------------------------------------------------------------------------------------------
// SQL Gateway.

#[tokio::test]
async fn contract_gateway_negotiates_the_highest_common_api_version() {
    let flink_2 = RecordedFlink::serve(gateway_routes()).await;
    assert_eq!(SqlGateway::connect(&flink_2.url()).await.unwrap().version(), ApiVersion::V4);

    let flink_1_20 = RecordedFlink::serve(
        Routes::default().on("GET", "/api_versions", 200, &gw("api_versions_flink_1.20")).on(
            "POST",
            "/v3/sessions",
            200,
            &gw("open_session"),
        ),
    )
    .await;
    let gateway = SqlGateway::connect(&flink_1_20.url()).await.unwrap();
    assert_eq!(gateway.version(), ApiVersion::V3);
    let session = gateway.open_session(None, &BTreeMap::new()).await.unwrap();
    assert_eq!(session.handle(), SESSION);
    assert_eq!(flink_1_20.count("POST", "/v3/sessions"), 1, "v3 paths are used with a v3 gateway");

    let too_old = RecordedFlink::serve(Routes::default().on(
        "GET",
        "/api_versions",
        200,
        &gw("api_versions_v1_only"),
    ))
    .await;
    match SqlGateway::connect(&too_old.url()).await {
        Err(FlinkError::NoCommonApiVersion { offered, .. }) => assert_eq!(offered, vec!["V1"]),
        other => panic!("expected NoCommonApiVersion, got {other:?}"),
    }
}

#[tokio::test]
async fn contract_gateway_session_is_opened_with_its_properties_and_closed() {
    let flink = RecordedFlink::serve(gateway_routes()).await;
    let gateway = SqlGateway::connect(&flink.url()).await.unwrap();
    let properties =
        BTreeMap::from([("execution.runtime-mode".to_string(), "streaming".to_string())]);
    let session = gateway.open_session(Some("scenario-a"), &properties).await.unwrap();
    session.close().await.unwrap();

    let open = flink.requests().into_iter().find(|r| r.target == "/v4/sessions").unwrap();
    assert_eq!(
        open.json(),
        serde_json::json!({"properties": {"execution.runtime-mode": "streaming"}, "sessionName": "scenario-a"})
    );
    assert_eq!(flink.count("DELETE", &format!("/v4/sessions/{SESSION}")), 1);
}

#[tokio::test]
async fn contract_gateway_polls_a_running_operation_until_finished_then_reads_its_result() {
    let (flink, session) = session_on(ddl_routes(gateway_routes())).await;

    let result = session
        .run("CREATE TABLE t (x INT) WITH ('connector' = 'datagen')", TIMEOUT)
        .await
        .unwrap();

    assert_eq!(flink.count("GET", &op(OP_DDL, "/status")), 3, "RUNNING, RUNNING, FINISHED");
    assert_eq!(result.result_kind.as_deref(), Some("SUCCESS"));
    assert!(!result.is_query);
    assert_eq!(result.job_id, None);
    assert_eq!(result.rows.len(), 1);
    assert_eq!(result.rows[0].fields, vec![serde_json::json!("OK")]);
    let submitted = flink
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.target.ends_with("/statements"))
        .unwrap();
    assert_eq!(
        submitted.json()["statement"],
        "CREATE TABLE t (x INT) WITH ('connector' = 'datagen')"
    );
}

#[tokio::test]
async fn contract_gateway_insert_returns_the_job_id_from_the_jobid_field() {
    let routes = insert_routes(gateway_routes(), "result_insert_payload");
    let (flink, session) = session_on(routes).await;

    let result = session.run("INSERT INTO sink SELECT * FROM t", TIMEOUT).await.unwrap();

    assert_eq!(result.job_id.as_deref(), Some(INSERT_JOB));
    assert_eq!(result.columns[0].name, "job id");
    assert_eq!(flink.count("GET", &result_page(OP_INSERT, 1)), 1, "the EOS page is fetched");
}

#[tokio::test]
async fn contract_gateway_insert_falls_back_to_the_job_id_column() {
    let routes = insert_routes(gateway_routes(), "result_insert_payload_without_jobid_field");
    let (_flink, session) = session_on(routes).await;

    let result = session.run("INSERT INTO sink SELECT * FROM t", TIMEOUT).await.unwrap();

    assert_eq!(result.job_id.as_deref(), Some("0b9d7e5c3a1f48e2b6d4c2a0e8f6d4b2"));
}

#[tokio::test]
async fn contract_gateway_follows_next_result_uri_through_not_ready_and_pages_until_eos() {
    let routes = gateway_routes()
        .on("POST", &statements(), 200, &gw("execute_query"))
        .on("GET", &op(OP_QUERY, "/status"), 200, &gw("status_finished"))
        .on("GET", &result_page(OP_QUERY, 0), 200, &gw("result_query_not_ready"))
        .on("GET", &result_page(OP_QUERY, 0), 200, &gw("result_query_page0"))
        .on("GET", &result_page(OP_QUERY, 1), 200, &gw("result_query_page1"))
        .on("GET", &result_page(OP_QUERY, 2), 200, &gw("result_query_eos"));
    let (flink, session) = session_on(routes).await;

    let result = session.run("SELECT id, name, amount FROM t", TIMEOUT).await.unwrap();

    // page0 spells the flag `queryResult` (OpenAPI), page1 `isQueryResult` (the server).
    assert!(result.is_query);
    let names: Vec<&str> = result.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "name", "amount"]);
    let kinds: Vec<&str> = result.rows.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["INSERT", "INSERT", "UPDATE_BEFORE", "UPDATE_AFTER"]);
    assert_eq!(
        result.rows[0].fields,
        vec![serde_json::json!(1), serde_json::json!("Zoë"), serde_json::json!(12.5)]
    );
    assert_eq!(result.rows[1].fields[1], serde_json::Value::Null);
    assert_eq!(flink.count("GET", &result_page(OP_QUERY, 0)), 2, "NOT_READY is polled again");
    assert_eq!(flink.count("GET", &result_page(OP_QUERY, 2)), 1);
}

#[tokio::test]
async fn contract_gateway_failed_statement_carries_the_root_cause_and_the_full_trace() {
    let routes = gateway_routes()
        .on("POST", &statements(), 200, &gw("execute_failing"))
        .on("GET", &op(OP_FAILING, "/status"), 200, &gw("status_running"))
        .on("GET", &op(OP_FAILING, "/status"), 200, &gw("status_error"))
        .on("GET", &result_page(OP_FAILING, 0), 500, &gw("error_failed_operation_500"));
    let (_flink, session) = session_on(routes).await;

    let err = session.run("INSERT INTO sink\nSELECT * FROM orders", TIMEOUT).await.unwrap_err();

    let FlinkError::Statement { statement, status, root_cause, detail } = &err else {
        panic!("expected a Statement error, got {err:?}")
    };
    assert_eq!(statement, "INSERT INTO sink ...");
    assert_eq!(status, "ERROR");
    assert!(
        root_cause.starts_with(
            "org.apache.flink.table.api.ValidationException: Unsupported options found for 'jdbc'."
        ),
        "{root_cause}"
    );
    assert!(root_cause.contains("passwd"), "the offending option is named: {root_cause}");
    assert!(
        detail.contains("OperationManager$Operation.processThrowable"),
        "the full trace is kept"
    );
    assert!(
        err.to_string().contains("ended ERROR: org.apache.flink.table.api.ValidationException"),
        "{err}"
    );
}

#[tokio::test]
async fn contract_gateway_http_errors_name_the_endpoint_and_status() {
    let routes = Routes::default()
        .on("GET", "/api_versions", 200, &gw("api_versions_flink_2.0"))
        .on("POST", "/v4/sessions", 200, &gw("open_session"))
        .on(
            "POST",
            &format!("/v4/sessions/{SESSION}/heartbeat"),
            500,
            &gw("error_unknown_session_500"),
        );
    let (_flink, session) = session_on(routes).await;

    let err = session.heartbeat().await.unwrap_err();

    assert_eq!(err.status(), Some(500));
    assert_eq!(
        err.to_string(),
        format!("POST /v4/sessions/{SESSION}/heartbeat answered HTTP 500: org.apache.flink.table.gateway.api.utils.SqlGatewayException: Session '{SESSION}' does not exist.")
    );
}

#[tokio::test]
async fn contract_gateway_heartbeat_runs_in_the_background_until_stopped() {
    let flink = RecordedFlink::serve(gateway_routes()).await;
    let session = SqlGateway::connect(&flink.url())
        .await
        .unwrap()
        .open_session(None, &BTreeMap::new())
        .await
        .unwrap();
    let heartbeat_path = format!("/v4/sessions/{SESSION}/heartbeat");

    let heartbeat = session.keep_alive(Duration::from_millis(40));
    let started = std::time::Instant::now();
    while heartbeat.beats() < 3 && started.elapsed() < TIMEOUT {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(heartbeat.beats() >= 3, "only {} heartbeats in {TIMEOUT:?}", heartbeat.beats());
    assert!(flink.count("POST", &heartbeat_path) as u64 >= heartbeat.beats());
    heartbeat.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let after_stop = flink.count("POST", &heartbeat_path);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(flink.count("POST", &heartbeat_path), after_stop, "no heartbeat after stop");
}

#[tokio::test]
async fn contract_submitter_on_a_gateway_runs_ddl_then_the_insert_and_holds_the_session() {
    let routes = insert_routes(ddl_routes(gateway_routes()), "result_insert_payload");
    let flink = RecordedFlink::serve(routes).await;
    let endpoints =
        FlinkEndpoints { rest_url: "http://127.0.0.1:9".into(), gateway_url: Some(flink.url()) };

    let submitter =
        Submitter::connect(SubmitMode::Auto, &endpoints, None, SubmitOptions::default())
            .await
            .unwrap();
    assert_eq!(submitter.mode(), SubmitMode::Gateway, "auto takes the gateway when there is one");
    let job = submitter
        .submit("CREATE TABLE t (x INT) WITH ('connector' = 'datagen');\n-- the job\nINSERT INTO sink SELECT * FROM t;\n")
        .await
        .unwrap();

    assert_eq!(job.job_id, INSERT_JOB);
    assert_eq!(job.mode, SubmitMode::Gateway);
    let statements: Vec<String> = flink
        .requests()
        .iter()
        .filter(|r| r.target.ends_with("/statements"))
        .map(|r| r.json()["statement"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statements,
        [
            "CREATE TABLE t (x INT) WITH ('connector' = 'datagen')",
            "INSERT INTO sink SELECT * FROM t"
        ]
    );
    let close = format!("/v4/sessions/{SESSION}");
    assert_eq!(flink.count("DELETE", &close), 0, "the session lives while the job runs");
    job.release().await.unwrap();
    assert_eq!(flink.count("DELETE", &close), 1);
}

#[tokio::test]
async fn contract_submitter_restores_through_the_gateway_sessions_configuration() {
    let routes = insert_routes(ddl_routes(gateway_routes()), "result_insert_payload");
    let flink = RecordedFlink::serve(routes).await;
    let endpoints =
        FlinkEndpoints { rest_url: "http://127.0.0.1:9".into(), gateway_url: Some(flink.url()) };
    let submitter =
        Submitter::connect(SubmitMode::Gateway, &endpoints, None, SubmitOptions::default())
            .await
            .unwrap();

    let savepoint = "file:/cdc-harness/flink-state/savepoints/savepoint-7e7364-4ef9ae572480";
    let job = submitter
        .submit_restored("CREATE TABLE t (x INT);\nINSERT INTO sink SELECT * FROM t;", savepoint)
        .await
        .unwrap();

    assert_eq!(job.job_id, INSERT_JOB);
    let open = flink.requests().into_iter().find(|r| r.target == "/v4/sessions").unwrap();
    assert_eq!(open.json()["properties"]["execution.state-recovery.path"], savepoint);
    job.release().await.unwrap();
}

#[tokio::test]
async fn contract_submitter_closes_the_session_when_a_statement_fails() {
    let routes = gateway_routes()
        .on("POST", &statements(), 200, &gw("execute_failing"))
        .on("GET", &op(OP_FAILING, "/status"), 200, &gw("status_error"))
        .on("GET", &result_page(OP_FAILING, 0), 500, &gw("error_failed_operation_500"));
    let flink = RecordedFlink::serve(routes).await;
    let endpoints =
        FlinkEndpoints { rest_url: "http://127.0.0.1:9".into(), gateway_url: Some(flink.url()) };
    let submitter =
        Submitter::connect(SubmitMode::Gateway, &endpoints, None, SubmitOptions::default())
            .await
            .unwrap();

    let err = submitter.submit("INSERT INTO sink SELECT * FROM orders").await.unwrap_err();

    assert!(matches!(err, FlinkError::Statement { .. }), "{err:?}");
    assert_eq!(flink.count("DELETE", &format!("/v4/sessions/{SESSION}")), 1, "nothing left behind");
}

#[tokio::test]
async fn contract_submit_mode_gateway_without_a_gateway_is_refused() {
    let endpoints = FlinkEndpoints { rest_url: "http://127.0.0.1:9".into(), gateway_url: None };
    let err = Submitter::connect(SubmitMode::Gateway, &endpoints, None, SubmitOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no SQL Gateway"), "{err}");
    let err = Submitter::connect(SubmitMode::Auto, &endpoints, None, SubmitOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no SQL-runner jar"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// JobManager (responses recorded from Flink 2.0.1, see tests/fixtures/flink/jobmanager/README.md).

const RUNNING_JOB: &str = "7e7364fa8b642e1bd82b82b961453fe6";
const FAILED_JOB: &str = "1b950d83e3a20a4e87ca312eb388c55a";
const SAVEPOINT_TRIGGER: &str = "80d5a9682418634b28444d77609483d3";
const JAR_ID: &str = "6c411afe-63d6-468d-8742-3abd2b7824ce_sql-runner.jar";

fn jm(fixture: &str) -> String {
    format!("jobmanager/{fixture}.json")
}

async fn jobmanager(routes: Routes) -> (RecordedFlink, JobManager) {
    let flink = RecordedFlink::serve(routes).await;
    let client = JobManager::new(&flink.url()).unwrap();
    (flink, client)
}

#[tokio::test]
async fn contract_jobmanager_reads_the_overview_taskmanagers_and_jobs() {
    let (_flink, client) = jobmanager(
        Routes::default()
            .on("GET", "/overview", 200, &jm("overview"))
            .on("GET", "/taskmanagers", 200, &jm("taskmanagers"))
            .on("GET", "/jobs/overview", 200, &jm("jobs_overview")),
    )
    .await;

    let overview = client.overview().await.unwrap();
    assert_eq!((overview.taskmanagers, overview.slots_total, overview.slots_available), (1, 2, 2));
    assert_eq!(overview.flink_version, "2.0.1");
    let taskmanagers = client.taskmanagers().await.unwrap();
    assert_eq!(taskmanagers.len(), 1);
    assert_eq!((taskmanagers[0].slots_number, taskmanagers[0].free_slots), (2, 2));
    let jobs = client.jobs().await.unwrap();
    assert!(jobs.iter().any(|j| j.jid == FAILED_JOB && j.state == JobState::Failed), "{jobs:?}");
    assert!(jobs.iter().any(|j| j.state == JobState::Canceled));
}

#[tokio::test]
async fn contract_jobmanager_wait_passes_initializing_and_deploying_tasks_until_all_run() {
    let job = format!("/jobs/{RUNNING_JOB}");
    let (flink, client) = jobmanager(
        Routes::default()
            .on("GET", &job, 404, &jm("job_not_found_404"))
            .on("GET", &job, 200, &jm("job_initializing"))
            .on("GET", &job, 200, &jm("job_running_tasks_deploying"))
            .on("GET", &job, 200, &jm("job_running")),
    )
    .await;

    let state = client.wait_for_state(RUNNING_JOB, &[JobState::Running], TIMEOUT).await.unwrap();

    assert_eq!(state, JobState::Running);
    assert_eq!(flink.count("GET", &job), 4, "not found, INITIALIZING, RUNNING+DEPLOYING, RUNNING");
    let details = client.job(RUNNING_JOB).await.unwrap();
    assert!(details.all_tasks_running());
    assert_eq!(
        details.millis_to(JobState::Running),
        Some(51),
        "INITIALIZING -> RUNNING timestamps"
    );
}

#[tokio::test]
async fn contract_jobmanager_wait_fails_fast_on_failed_with_the_jobs_root_cause() {
    let job = format!("/jobs/{FAILED_JOB}");
    let (flink, client) = jobmanager(Routes::default().on("GET", &job, 200, &jm("job_failed")).on(
        "GET",
        &format!("{job}/exceptions"),
        200,
        &jm("exceptions_failed"),
    ))
    .await;

    let err = client
        .wait_for_state(
            FAILED_JOB,
            &[JobState::Running, JobState::Finished],
            Duration::from_secs(60),
        )
        .await
        .unwrap_err();

    assert_eq!(flink.count("GET", &job), 1, "FAILED stops the wait at once");
    let FlinkError::Job { state, exception: Some(exception), .. } = &err else {
        panic!("expected a Job error with its exception, got {err:?}")
    };
    assert_eq!(*state, JobState::Failed);
    assert_eq!(exception.root_cause, "java.lang.ArithmeticException: / by zero");
    assert_eq!(exception.name.as_deref(), Some("org.apache.flink.runtime.JobException"));
    assert!(exception.stacktrace.contains("NoRestartBackoffTimeStrategy"));
    assert_eq!(
        err.to_string(),
        format!("job {FAILED_JOB} is FAILED: java.lang.ArithmeticException: / by zero (in task Source: src[7] -> Calc[8] (1/1) - execution #0)")
    );
}

#[tokio::test]
async fn contract_jobmanager_wait_accepts_a_finished_bounded_job_and_rejects_a_canceled_one() {
    let (_flink, client) = jobmanager(
        Routes::default()
            .on("GET", "/jobs/finished", 200, &jm("job_finished"))
            .on("GET", "/jobs/canceled", 200, &jm("job_canceled"))
            .on("GET", "/jobs/canceled/exceptions", 200, &jm("exceptions_none")),
    )
    .await;
    let streaming_or_bounded = [JobState::Running, JobState::Finished];

    assert_eq!(
        client.wait_for_state("finished", &streaming_or_bounded, TIMEOUT).await.unwrap(),
        JobState::Finished
    );
    match client.wait_for_state("canceled", &streaming_or_bounded, TIMEOUT).await {
        Err(FlinkError::Job { state: JobState::Canceled, exception: None, .. }) => {}
        other => panic!("expected CANCELED without exception, got {other:?}"),
    }
}

#[tokio::test]
async fn contract_jobmanager_wait_timeout_names_the_last_state_and_latest_exception() {
    let (_flink, client) =
        jobmanager(Routes::default().on("GET", "/jobs/restarting", 200, &jm("job_restarting")).on(
            "GET",
            "/jobs/restarting/exceptions",
            200,
            &jm("exceptions_failed"),
        ))
        .await;

    let err = client
        .wait_for_state("restarting", &[JobState::Running], Duration::from_millis(300))
        .await
        .unwrap_err();

    let FlinkError::Timeout { what, last, .. } = &err else {
        panic!("expected a Timeout, got {err:?}")
    };
    assert_eq!(what, "job restarting to be RUNNING");
    assert!(
        last.starts_with(
            "job is RESTARTING; latest exception: java.lang.ArithmeticException: / by zero"
        ),
        "{last}"
    );
}

#[tokio::test]
async fn contract_jobmanager_reads_exceptions_in_the_flink_2_and_1_20_shapes() {
    let (_flink, client) = jobmanager(
        Routes::default()
            .on("GET", "/jobs/none/exceptions", 200, &jm("exceptions_none"))
            .on("GET", "/jobs/v1_20/exceptions", 200, &jm("exceptions_flink_1.20"))
            .on("GET", "/jobs/root_only/exceptions", 200, &jm("exceptions_root_exception_only"))
            .on("GET", "/jobs/unknown/exceptions", 404, &jm("job_not_found_404")),
    )
    .await;

    assert_eq!(client.exception("none").await.unwrap(), None);
    let slot_exists = "org.postgresql.util.PSQLException: ERROR: replication slot \"flink_orders\" already exists";
    let e = client.exception("v1_20").await.unwrap().unwrap();
    assert_eq!(e.root_cause, slot_exists);
    assert_eq!(e.task.as_deref(), Some("Source: orders[1] -> Sink: kafka[2] (1/1)"));
    let e = client.exception("root_only").await.unwrap().unwrap();
    assert_eq!((e.root_cause.as_str(), e.task.as_deref()), (slot_exists, None));
    let err = client.exception("unknown").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(err.to_string().ends_with("FlinkJobNotFoundException: Could not find Flink job (00000000000000000000000000000000)"), "{err}");
}

#[tokio::test]
async fn contract_jobmanager_reads_checkpoint_statistics() {
    let (_flink, client) = jobmanager(
        Routes::default()
            .on("GET", "/jobs/disabled/checkpoints", 200, &jm("checkpoints_disabled"))
            .on("GET", "/jobs/savepoints/checkpoints", 200, &jm("checkpoints_with_savepoints")),
    )
    .await;

    let none = client.checkpoints("disabled").await.unwrap();
    assert_eq!((none.counts.total, none.latest.completed.is_none()), (0, true));
    let stats = client.checkpoints("savepoints").await.unwrap();
    assert_eq!((stats.counts.completed, stats.counts.failed), (1, 1));
    let savepoint = stats.latest.savepoint.unwrap();
    assert_eq!(
        savepoint.external_path.as_deref(),
        Some("file:/tmp/sp/savepoint-7e7364-4ef9ae572480")
    );
    assert!(stats.latest.failed.unwrap().failure_message.is_some());
}

#[tokio::test]
async fn contract_jobmanager_savepoint_is_triggered_then_polled_to_its_location() {
    let status = format!("/jobs/{RUNNING_JOB}/savepoints/{SAVEPOINT_TRIGGER}");
    let (flink, client) = jobmanager(
        Routes::default()
            .on("POST", &format!("/jobs/{RUNNING_JOB}/savepoints"), 202, &jm("savepoint_trigger"))
            .on("GET", &status, 200, &jm("savepoint_in_progress"))
            .on("GET", &status, 200, &jm("savepoint_in_progress"))
            .on("GET", &status, 200, &jm("savepoint_completed")),
    )
    .await;

    let trigger = client.trigger_savepoint(RUNNING_JOB, Some("file:///tmp/sp")).await.unwrap();
    assert_eq!(trigger, SAVEPOINT_TRIGGER);
    assert_eq!(
        client.savepoint_status(RUNNING_JOB, &trigger).await.unwrap(),
        SavepointStatus::InProgress
    );
    let location = client.wait_for_savepoint(RUNNING_JOB, &trigger, TIMEOUT).await.unwrap();

    assert_eq!(location, "file:/tmp/sp/savepoint-7e7364-4ef9ae572480");
    let request = flink.requests().into_iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(
        request.json(),
        serde_json::json!({"target-directory": "file:///tmp/sp", "cancel-job": false})
    );
}

#[tokio::test]
async fn contract_jobmanager_failed_savepoint_carries_its_root_cause() {
    let (_flink, client) = jobmanager(Routes::default().on(
        "GET",
        "/jobs/j/savepoints/t",
        200,
        &jm("savepoint_failed"),
    ))
    .await;

    let err = client.wait_for_savepoint("j", "t", TIMEOUT).await.unwrap_err();

    let FlinkError::Savepoint { root_cause, detail, .. } = &err else {
        panic!("expected Savepoint, got {err:?}")
    };
    assert_eq!(
        root_cause,
        "java.io.IOException: Failed to create savepoint directory at file:/proc/no-such-dir"
    );
    assert!(detail.contains("CheckpointException"));
}

#[tokio::test]
async fn contract_jobmanager_stops_with_savepoint_and_cancels() {
    let (flink, client) = jobmanager(
        Routes::default()
            .on("POST", &format!("/jobs/{RUNNING_JOB}/stop"), 202, &jm("stop_trigger"))
            .on("PATCH", &format!("/jobs/{RUNNING_JOB}?mode=cancel"), 202, &jm("cancel")),
    )
    .await;

    let trigger =
        client.stop_with_savepoint(RUNNING_JOB, Some("file:///tmp/sp"), false).await.unwrap();
    assert_eq!(trigger, "df4cc14c6fb502cff46687652c87e5d8");
    client.cancel(RUNNING_JOB).await.unwrap();

    let stop = flink.requests().into_iter().find(|r| r.target.ends_with("/stop")).unwrap();
    assert_eq!(
        stop.json(),
        serde_json::json!({"targetDirectory": "file:///tmp/sp", "drain": false})
    );
    assert_eq!(flink.count("PATCH", &format!("/jobs/{RUNNING_JOB}?mode=cancel")), 1);
}

#[tokio::test]
async fn contract_jar_is_uploaded_as_multipart_jarfile_and_run_with_a_program_args_list() {
    let (flink, client) =
        jobmanager(Routes::default().on("POST", "/jars/upload", 200, &jm("jar_upload")).on(
            "POST",
            &format!("/jars/{JAR_ID}/run"),
            200,
            &jm("jar_run"),
        ))
        .await;

    let jar =
        client.upload_jar("sql-runner.jar", b"PK\x03\x04 not really a jar".to_vec()).await.unwrap();
    assert_eq!(jar, JAR_ID);
    let run = JarRun {
        program_args_list: vec!["--sql-base64".into(), "U0VM".into()],
        ..Default::default()
    };
    assert_eq!(client.run_jar(&jar, &run).await.unwrap(), RUNNING_JOB);

    let requests = flink.requests();
    let upload = String::from_utf8_lossy(&requests[0].body).to_string();
    assert!(upload.contains(r#"name="jarfile"; filename="sql-runner.jar""#), "{upload}");
    assert!(upload.contains("Content-Type: application/x-java-archive"), "{upload}");
    assert!(upload.contains("not really a jar"));
    assert_eq!(
        requests[1].json(),
        serde_json::json!({"programArgsList": ["--sql-base64", "U0VM"]})
    );
}

#[tokio::test]
async fn contract_jar_run_error_surfaces_the_programs_exception_with_secrets_redacted() {
    let (_flink, client) = jobmanager(Routes::default().on(
        "POST",
        &format!("/jars/{JAR_ID}/run"),
        400,
        &jm("jar_run_error_validation_400"),
    ))
    .await;

    let err = client.run_jar(JAR_ID, &JarRun::default()).await.unwrap_err();

    let FlinkError::Http { status, root_cause, detail, .. } = &err else {
        panic!("expected Http, got {err:?}")
    };
    assert_eq!(*status, 400);
    assert!(
        root_cause.starts_with(
            "org.apache.flink.table.api.ValidationException: Unsupported options found for 'jdbc'."
        ),
        "{root_cause}"
    );
    assert!(root_cause.contains("passwd"), "{root_cause}");
    assert!(
        detail.contains("'passwd'='******'") && !detail.contains("'passwd'='secret'"),
        "the password Flink echoes is hidden"
    );
}

#[tokio::test]
async fn contract_submitter_uploads_the_jar_once_and_again_when_the_jobmanager_lost_it() {
    let run = format!("/jars/{JAR_ID}/run");
    let routes = Routes::default()
        .on("POST", "/jars/upload", 200, &jm("jar_upload"))
        .on("POST", &run, 200, &jm("jar_run"))
        .on("POST", &run, 200, &jm("jar_run"))
        .on("POST", &run, 500, &jm("jar_run_missing_jar_500"))
        .on("POST", &run, 200, &jm("jar_run"));
    let flink = RecordedFlink::serve(routes).await;
    let endpoints = FlinkEndpoints { rest_url: flink.url(), gateway_url: None };
    let runner = SqlRunner::from_bytes("sql-runner.jar", b"jar bytes".to_vec());
    let submitter =
        Submitter::connect(SubmitMode::Auto, &endpoints, Some(runner), SubmitOptions::default())
            .await
            .unwrap();
    assert_eq!(submitter.mode(), SubmitMode::Jar, "auto without a gateway takes the jar");

    let scripts = [
        "CREATE TABLE a (x INT);\nINSERT INTO b SELECT * FROM a;",
        "INSERT INTO c SELECT 'ü'",
        "INSERT INTO d SELECT 1",
    ];
    for script in scripts {
        let job = submitter.submit(script).await.unwrap();
        assert_eq!((job.job_id.as_str(), job.mode), (RUNNING_JOB, SubmitMode::Jar));
        job.release().await.unwrap();
    }

    assert_eq!(
        flink.count("POST", "/jars/upload"),
        2,
        "once, then again after the 'does not exist'"
    );
    let runs: Vec<serde_json::Value> =
        flink.requests().iter().filter(|r| r.target == run).map(|r| r.json()).collect();
    assert_eq!(runs.len(), 4);
    let decoded: Vec<String> = runs
        .iter()
        .map(|r| {
            assert_eq!(r["programArgsList"][0], "--sql-base64");
            let b64 = r["programArgsList"][1].as_str().unwrap();
            String::from_utf8(base64_decode(b64)).unwrap()
        })
        .collect();
    assert_eq!(decoded, [scripts[0], scripts[1], scripts[2], scripts[2]]);
}

#[tokio::test]
async fn contract_submitter_restores_through_the_jar_runs_savepoint_path() {
    let run = format!("/jars/{JAR_ID}/run");
    let routes = Routes::default()
        .on("POST", "/jars/upload", 200, &jm("jar_upload"))
        .on("POST", &run, 200, &jm("jar_run"))
        .on("POST", &run, 200, &jm("jar_run"));
    let flink = RecordedFlink::serve(routes).await;
    let endpoints = FlinkEndpoints { rest_url: flink.url(), gateway_url: None };
    let runner = SqlRunner::from_bytes("sql-runner.jar", b"jar bytes".to_vec());
    let submitter =
        Submitter::connect(SubmitMode::Jar, &endpoints, Some(runner), SubmitOptions::default())
            .await
            .unwrap();

    let checkpoint =
        "file:/cdc-harness/flink-state/checkpoints/7e7364fa8b642e1bd82b82b961453fe6/chk-7";
    submitter.submit("INSERT INTO d SELECT 1").await.unwrap();
    submitter.submit_restored("INSERT INTO d SELECT 1", checkpoint).await.unwrap();

    let runs: Vec<serde_json::Value> =
        flink.requests().iter().filter(|r| r.target == run).map(|r| r.json()).collect();
    assert_eq!(runs[0].get("savepointPath"), None, "a plain submission restores nothing");
    assert_eq!(runs[1]["savepointPath"], checkpoint);
    assert_eq!(runs[1]["allowNonRestoredState"], false);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}
