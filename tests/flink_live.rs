//! The Flink clients against a real Flink: a JobManager and a TaskManager (and, for the gateway
//! test, a SQL Gateway) started with `docker run` on a network of their own, removed when the test
//! ends, pass or fail.
//!
//! The jar path runs on the local Flink 2.0.1 image (no registry needed); the gateway path needs
//! the official images, which carry the SQL Gateway. Figures (submit time, submit -> RUNNING) are
//! printed; run with `--nocapture` to see them.

use std::process::Command;
use std::time::{Duration, Instant};

use cdc_harness::flink::{
    FlinkEndpoints, FlinkError, JobManager, JobState, SqlGateway, SqlRunner, SubmitMode,
    SubmitOptions, Submitter,
};
use cdc_harness::retry::{Attempt, Retry};

/// Where the `images` work puts the local Flink 2.0.1 image (override: CDC_HARNESS_FLINK_IMAGE).
const LOCAL_FLINK_REPOSITORY: &str = "cdc-harness/flink";
/// Where that image keeps the SQL-runner jar (`FlinkImage::sql_runner_jar`).
const SQL_RUNNER_JAR: &str = "/opt/cdc-harness/sql-runner.jar";
const OFFICIAL_FLINK_IMAGE: &str = "flink:2.0.1-scala_2.12-java17";

/// A throwaway cluster; dropping it removes its containers and network.
struct LiveCluster {
    network: String,
    containers: Vec<String>,
    rest_url: String,
    gateway_url: Option<String>,
    image: String,
}

impl LiveCluster {
    async fn start(image: &str, with_gateway: bool) -> LiveCluster {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let id = format!("cdch-flinktest-{}-{nanos}", std::process::id());
        docker(&["network", "create", "--label", "cdc-harness.test=flink_live", &id]);
        let mut cluster = LiveCluster {
            network: id.clone(),
            containers: Vec::new(),
            rest_url: String::new(),
            gateway_url: None,
            image: image.to_string(),
        };
        let jm = format!("{id}-jm");
        let props = format!("jobmanager.rpc.address: {jm}\nrest.address: {jm}");
        cluster.run(
            &jm,
            &["-p", "127.0.0.1::8081", "-e", &format!("FLINK_PROPERTIES={props}")],
            &["jobmanager"],
        );
        cluster.rest_url =
            format!("http://{}", docker(&["port", &jm, "8081"]).lines().next().unwrap().trim());
        let tm = format!("{id}-tm");
        let tm_env = [
            "-e",
            &format!("JOB_MANAGER_RPC_ADDRESS={jm}"),
            "-e",
            "TASK_MANAGER_NUMBER_OF_TASK_SLOTS=4",
            "-e",
            &format!("FLINK_PROPERTIES={props}\ntaskmanager.numberOfTaskSlots: 4"),
        ];
        cluster.run(&tm, &tm_env, &["taskmanager"]);
        if with_gateway {
            let gw = format!("{id}-gw");
            let env =
                format!("FLINK_PROPERTIES={props}\nsql-gateway.endpoint.rest.address: 0.0.0.0");
            cluster.run(
                &gw,
                &["-p", "127.0.0.1::8083", "-e", &env],
                &[
                    "bin/sql-gateway.sh",
                    "start-foreground",
                    "-Dsql-gateway.endpoint.rest.address=0.0.0.0",
                ],
            );
            let port = docker(&["port", &gw, "8083"]);
            cluster.gateway_url = Some(format!("http://{}", port.lines().next().unwrap().trim()));
        }
        cluster
    }

    fn run(&mut self, name: &str, options: &[&str], command: &[&str]) {
        let mut args = vec![
            "run",
            "-d",
            "--name",
            name,
            "--network",
            &self.network,
            "--label",
            "cdc-harness.test=flink_live",
        ];
        args.extend_from_slice(options);
        args.push(&self.image);
        args.extend_from_slice(command);
        docker(&args);
        self.containers.push(name.to_string());
    }

    /// Waits until the JobManager lists a TaskManager with free slots.
    async fn ready(&self, timeout: Duration) -> JobManager {
        let client = JobManager::new(&self.rest_url).unwrap();
        Retry::with_timeout(timeout)
            .run(|| async {
                match client.overview().await {
                    Ok(o) if o.taskmanagers > 0 && o.slots_available > 0 => Ok(()),
                    Ok(o) => Err(Attempt::Retry(format!(
                        "{} TaskManagers, {} free slots",
                        o.taskmanagers, o.slots_available
                    ))),
                    Err(e) => Err(Attempt::Retry(e.to_string())),
                }
            })
            .await
            .unwrap_or_else(|e| panic!("the cluster is not ready: {e}\n{}", self.logs()));
        client
    }

    fn sql_runner(&self) -> SqlRunner {
        let dir = std::env::temp_dir().join(&self.network);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sql-runner.jar");
        docker(&[
            "cp",
            &format!("{}:{SQL_RUNNER_JAR}", self.containers[0]),
            path.to_str().unwrap(),
        ]);
        let bytes = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        SqlRunner::from_bytes("sql-runner.jar", bytes)
    }

    fn endpoints(&self) -> FlinkEndpoints {
        FlinkEndpoints { rest_url: self.rest_url.clone(), gateway_url: self.gateway_url.clone() }
    }

    fn logs(&self) -> String {
        self.containers
            .iter()
            .map(|c| {
                let out = Command::new("docker").args(["logs", "--tail", "40", c]).output();
                let text = out.map(|o| {
                    format!(
                        "{}{}",
                        String::from_utf8_lossy(&o.stdout),
                        String::from_utf8_lossy(&o.stderr)
                    )
                });
                format!("--- {c}\n{}", text.unwrap_or_default())
            })
            .collect()
    }
}

impl Drop for LiveCluster {
    fn drop(&mut self) {
        if !self.containers.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(self.containers.iter().map(String::as_str));
            let _ = Command::new("docker").args(&args).output();
        }
        let _ = Command::new("docker").args(["network", "rm", &self.network]).output();
    }
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("the docker CLI runs");
    assert!(
        out.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The local Flink image: CDC_HARNESS_FLINK_IMAGE, else the newest `cdc-harness/flink` the
/// images work built.
fn local_image() -> String {
    if let Ok(image) = std::env::var("CDC_HARNESS_FLINK_IMAGE") {
        return image;
    }
    let listed =
        docker(&["images", LOCAL_FLINK_REPOSITORY, "--format", "{{.Repository}}:{{.Tag}}"]);
    let newest = listed.lines().map(str::trim).find(|l| !l.ends_with(":<none>") && !l.is_empty());
    newest
        .unwrap_or_else(|| panic!("no {LOCAL_FLINK_REPOSITORY} image: build the local images first (`cdc-harness images`)"))
        .to_string()
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
    let cluster = LiveCluster::start(&local_image(), false).await;
    let client = cluster.ready(TIMEOUT).await;
    eprintln!("cluster ready in {:.1}s", started.elapsed().as_secs_f64());
    let overview = client.overview().await.unwrap();
    assert_eq!(overview.flink_version, "2.0.1");

    let runner = cluster.sql_runner();
    let submitter = Submitter::connect(
        SubmitMode::Auto,
        &cluster.endpoints(),
        Some(runner),
        SubmitOptions::default(),
    )
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
    drop(cluster);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the SQL Gateway (registry images)"]
async fn live_gateway_submission_on_the_official_flink_image() {
    let cluster = LiveCluster::start(OFFICIAL_FLINK_IMAGE, true).await;
    let client = cluster.ready(TIMEOUT).await;
    let gateway_url = cluster.gateway_url.clone().unwrap();
    let gateway = Retry::with_timeout(TIMEOUT)
        .run(|| async {
            SqlGateway::connect(&gateway_url).await.map_err(|e| Attempt::Retry(e.to_string()))
        })
        .await
        .unwrap_or_else(|e| panic!("the SQL Gateway does not answer: {e}\n{}", cluster.logs()));
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
        Submitter::connect(SubmitMode::Auto, &cluster.endpoints(), None, SubmitOptions::default())
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
}
