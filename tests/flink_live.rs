//! The Flink clients against a real Flink: a stack started with the stack API (PostgreSQL, a
//! Kafka-protocol broker, a JobManager and a TaskManager, plus a SQL Gateway with the registry
//! images), removed when the test ends.
//!
//! The jar path runs on the local Flink 2.0.1 image (built here if missing); the gateway path
//! needs the registry images, which carry the SQL Gateway. Figures (submit time, submit ->
//! RUNNING) are printed; run with `--nocapture` to see them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cdc_harness::flink::{
    FlinkEndpoints, FlinkError, JobManager, JobState, SqlGateway, SqlRunner, SubmitMode,
    SubmitOptions, Submitter,
};
use cdc_harness::retry::{Attempt, Retry};
use cdc_harness::stack::images::{self, FlinkVersion, ImageSource};
use cdc_harness::stack::{inventory, Scope, Stack, StackConfig};

async fn start_stack(source: ImageSource) -> Stack {
    let images =
        images::ensure(source, FlinkVersion::V2_0, false).await.expect("the images are present");
    let config = StackConfig {
        source,
        images: Some(images),
        artefacts_root: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("flink-live-runs"),
        ..StackConfig::default()
    };
    Stack::start(config).await.expect("the stack starts")
}

/// Stops the stack and checks that nothing of its run is left.
async fn stop_and_check(stack: Stack) {
    let run = stack.run_id().to_string();
    let t = Instant::now();
    stack.stop().await.expect("the stack stops");
    let left = inventory(&Scope::Run(run.clone())).await.expect("list the run's containers");
    assert!(left.is_empty(), "run {run} left {left:?}");
    eprintln!("stack stopped in {:.1}s", t.elapsed().as_secs_f64());
}

const BOUNDED: &str = "
CREATE TABLE numbers (id INT, name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '1000');
CREATE TABLE sink (id INT, name STRING) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT * FROM numbers;";

const UNBOUNDED: &str = "
SET 'pipeline.name' = 'cdc-harness live ticks';
CREATE TABLE ticks (id INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TABLE sink (id INT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT * FROM ticks;";

const TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_jar_submission_and_jobmanager_client_on_the_local_flink_image() {
    let started = Instant::now();
    let stack = start_stack(ImageSource::Local).await;
    eprintln!("images + stack in {:.1}s", started.elapsed().as_secs_f64());
    eprintln!("stack ready in {:.1}s", stack.timings().stack_ready.as_secs_f64());
    let endpoints = FlinkEndpoints::from(&stack.endpoints().flink);
    let client = JobManager::new(&endpoints.rest_url).unwrap();
    let overview = client.overview().await.unwrap();
    assert_eq!(overview.flink_version, "2.0.1");

    let jar =
        images::sql_runner_jar_on_host(&stack.images().flink).await.expect("the SQL-runner jar");
    let runner = SqlRunner::from_path(jar);
    let submitter =
        Submitter::connect(SubmitMode::Auto, &endpoints, Some(runner), SubmitOptions::default())
            .await
            .unwrap();
    assert_eq!(submitter.mode(), SubmitMode::Jar);

    // A bounded job: submitted, then FINISHED (the first job also warms the planner up).
    let t = Instant::now();
    let bounded = submitter.submit(BOUNDED).await.expect("the bounded script is submitted");
    let state =
        client.wait_for_state(&bounded.job_id, &[JobState::Finished], TIMEOUT).await.unwrap();
    assert_eq!(state, JobState::Finished);
    eprintln!(
        "bounded: submit {:.2}s, submit -> FINISHED {:.2}s",
        bounded.submit_time.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );

    // An unbounded job: RUNNING (every task), checkpoint stats, a savepoint, stop-with-savepoint.
    let t = Instant::now();
    let streaming = submitter.submit(UNBOUNDED).await.unwrap();
    client.wait_for_state(&streaming.job_id, &[JobState::Running], TIMEOUT).await.unwrap();
    let to_running = t.elapsed();
    let details = client.job(&streaming.job_id).await.unwrap();
    assert!(details.all_tasks_running(), "{details:?}");
    assert_eq!(details.name, "cdc-harness live ticks", "the script's SET reached the job");
    eprintln!(
        "streaming: submit {:.2}s, submit -> all tasks RUNNING {:.2}s (Flink: INITIALIZING -> RUNNING {:?} ms)",
        streaming.submit_time.as_secs_f64(),
        to_running.as_secs_f64(),
        details.millis_to(JobState::Running)
    );
    assert!(client
        .jobs()
        .await
        .unwrap()
        .iter()
        .any(|j| j.jid == streaming.job_id && j.state == JobState::Running));
    assert_eq!(client.exception(&streaming.job_id).await.unwrap(), None);
    let trigger = client
        .trigger_savepoint(&streaming.job_id, Some("file:///tmp/cdc-harness-savepoints"))
        .await
        .unwrap();
    let location = client.wait_for_savepoint(&streaming.job_id, &trigger, TIMEOUT).await.unwrap();
    assert!(location.starts_with("file:/tmp/cdc-harness-savepoints/savepoint-"), "{location}");
    let stats = client.checkpoints(&streaming.job_id).await.unwrap();
    assert_eq!(
        stats.latest.savepoint.and_then(|s| s.external_path).as_deref(),
        Some(location.as_str())
    );
    let t = Instant::now();
    let stop = client
        .stop_with_savepoint(&streaming.job_id, Some("file:///tmp/cdc-harness-savepoints"), false)
        .await
        .unwrap();
    client.wait_for_savepoint(&streaming.job_id, &stop, TIMEOUT).await.unwrap();
    client.wait_for_state(&streaming.job_id, &[JobState::Finished], TIMEOUT).await.unwrap();
    eprintln!("stop-with-savepoint -> FINISHED {:.2}s", t.elapsed().as_secs_f64());

    // Cancel.
    let cancelled = submitter.submit(UNBOUNDED).await.unwrap();
    client.wait_for_state(&cancelled.job_id, &[JobState::Running], TIMEOUT).await.unwrap();
    client.cancel(&cancelled.job_id).await.unwrap();
    let state =
        client.wait_for_state(&cancelled.job_id, &[JobState::Canceled], TIMEOUT).await.unwrap();
    assert_eq!(state, JobState::Canceled);

    // A job that fails at run time: the wait stops at FAILED with the job's root cause.
    let failing = submitter
        .submit("CREATE TABLE t (id INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');\nCREATE TABLE s (x INT) WITH ('connector' = 'blackhole');\nINSERT INTO s SELECT 10 / (id - id) FROM t;")
        .await
        .unwrap();
    let t = Instant::now();
    let err = client
        .wait_for_state(&failing.job_id, &[JobState::Running, JobState::Finished], TIMEOUT)
        .await;
    match &err {
        Err(FlinkError::Job { state: JobState::Failed, exception: Some(e), .. }) => {
            assert_eq!(e.root_cause, "java.lang.ArithmeticException: / by zero");
            assert!(e.task.as_deref().is_some_and(|t| t.contains("Calc")), "{e:?}");
        }
        other => panic!("expected FAILED with its exception, got {other:?}"),
    }
    eprintln!("failing job: wait ended in {:.2}s: {}", t.elapsed().as_secs_f64(), err.unwrap_err());

    // SQL the runner's planner rejects: the program's exception, secret redacted.
    let err = submitter
        .submit("CREATE TABLE o (id INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://nowhere:5432/db', 'table-name' = 'o', 'passwd' = 'hunter2');\nCREATE TABLE s (id INT) WITH ('connector' = 'blackhole');\nINSERT INTO s SELECT * FROM o;")
        .await
        .unwrap_err();
    let FlinkError::Http { status: 400, root_cause, detail, .. } = &err else {
        panic!("expected HTTP 400, got {err:?}")
    };
    assert!(
        root_cause.contains("Unsupported options found for 'jdbc'")
            && root_cause.contains("passwd"),
        "{root_cause}"
    );
    assert!(!detail.contains("hunter2"), "the password is redacted");
    eprintln!("rejected SQL: {err}");

    let overview = client.overview().await.unwrap();
    assert_eq!(overview.jobs_running, 0, "every job was stopped");
    stop_and_check(stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the SQL Gateway (registry images)"]
async fn live_gateway_submission_on_the_official_flink_image() {
    let stack = start_stack(ImageSource::Registry).await;
    let endpoints = FlinkEndpoints::from(&stack.endpoints().flink);
    let client = JobManager::new(&endpoints.rest_url).unwrap();
    let gateway_url = endpoints.gateway_url.clone().expect("the registry stack runs a SQL Gateway");
    let gateway = Retry::with_timeout(TIMEOUT)
        .run(|| async {
            SqlGateway::connect(&gateway_url).await.map_err(|e| Attempt::Retry(e.to_string()))
        })
        .await
        .unwrap_or_else(|e| panic!("the SQL Gateway does not answer: {e}"));
    eprintln!("SQL Gateway REST API {:?}", gateway.version());

    // A bounded query read page by page until EOS.
    let session = gateway.open_session(Some("flink-live-test"), &Default::default()).await.unwrap();
    let heartbeat = session.keep_alive(Duration::from_secs(1));
    session.run("SET 'execution.runtime-mode' = 'batch'", TIMEOUT).await.unwrap();
    let result = session
        .run("SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) AS t(id, name)", TIMEOUT)
        .await
        .unwrap();
    assert!(result.is_query);
    assert_eq!(result.rows.len(), 3);
    let err = session.run("SELECT * FROM no_such_table", TIMEOUT).await.unwrap_err();
    assert!(
        matches!(&err, FlinkError::Statement { root_cause, .. } if root_cause.contains("no_such_table")),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(heartbeat.beats() >= 2, "heartbeats are acknowledged");
    heartbeat.stop();
    session.close().await.unwrap();

    // The Submitter: DDL, then the INSERT; the job id comes back and the job runs.
    let submitter =
        Submitter::connect(SubmitMode::Auto, &endpoints, None, SubmitOptions::default())
            .await
            .unwrap();
    assert_eq!(submitter.mode(), SubmitMode::Gateway);
    let t = Instant::now();
    let job = submitter.submit(UNBOUNDED).await.unwrap();
    client.wait_for_state(&job.job_id, &[JobState::Running], TIMEOUT).await.unwrap();
    eprintln!(
        "gateway: submit {:.2}s, submit -> RUNNING {:.2}s",
        job.submit_time.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    client.cancel(&job.job_id).await.unwrap();
    job.release().await.unwrap();
    stop_and_check(stack).await;
}
