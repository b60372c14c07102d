//! `run --target`: scenarios against services the harness did not start. A local stack plays
//! the "existing" services (its `target.toml`, as `up` writes it), with someone else's
//! database, slot, publication, topic and uploaded jar on it; the harness must create and drop
//! only its own objects — after passing, after refusing, and after being interrupted — and leave
//! the services running.

mod run_support;

use cdc_harness::flink::JobManager;
use cdc_harness::stack::images::{self, FlinkVersion, ImageSource};
use cdc_harness::stack::{target, Stack, StackConfig};
use rdkafka::admin::{AdminOptions, NewTopic, TopicReplication};
use run_support::{broker_topics, files_under, names, scratch, superuser_session, STACK};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const OTHER_DB: &str = "other_team";
const OTHER_SLOT: &str = "other_team_slot";
const OTHER_PUBLICATION: &str = "other_team_pub";
const OTHER_TOPIC: &str = "other-team-events";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn harness(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdc-harness"));
    command.args(args).env("NO_COLOR", "1");
    command
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn an_invalid_target_file_names_every_problem_at_its_line_and_starts_nothing() {
    let file = repo("tests/fixtures/target/invalid.toml");
    let out =
        harness(&["run", "--target", file.to_str().unwrap(), "scenarios/jdbc-kafka-json.toml"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(shown.contains("invalid.toml:3:"), "{shown}");
    assert!(shown.contains("`CDC_HARNESS_TEST_UNSET_VARIABLE` is not set"), "{shown}");
    assert!(shown.contains("invalid.toml:10:"), "{shown}");
    assert!(shown.contains("[flink] rest must be an http:// URL"), "{shown}");
}

#[test]
fn unreachable_target_services_are_named_and_no_password_is_shown() {
    let dir = scratch("run-target", "unreachable");
    let file = repo("tests/fixtures/target/unreachable.toml");
    let report = dir.join("report.json");
    let out = harness(&[
        "run",
        "--target",
        file.to_str().unwrap(),
        "--artefacts",
        dir.join("artefacts").to_str().unwrap(),
        "--json",
        report.to_str().unwrap(),
        "scenarios/jdbc-kafka-json.toml",
    ])
    .current_dir(env!("CARGO_MANIFEST_DIR"))
    .output()
    .unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("setup"), "the failing phase is named: {shown}");
    assert!(shown.contains("127.0.0.1:1"), "the PostgreSQL address is named: {shown}");
    let json = std::fs::read_to_string(&report).unwrap();
    for secret in ["not-shown-anywhere", "not-shown-either"] {
        assert!(!shown.contains(secret) && !json.contains(secret), "{secret} leaked");
    }
}

/// Someone else's objects on the services, made before the harness runs.
async fn others_objects(stack: &Stack) -> String {
    let client = superuser_session(stack, None).await;
    client.batch_execute(&format!("CREATE DATABASE {OTHER_DB}")).await.unwrap();
    let other = superuser_session(stack, Some(OTHER_DB)).await;
    // One statement per request: a slot cannot be made in a transaction that wrote.
    for sql in [
        "CREATE TABLE events (id INT PRIMARY KEY)".to_string(),
        format!("CREATE PUBLICATION {OTHER_PUBLICATION} FOR TABLE events"),
        format!("SELECT pg_create_logical_replication_slot('{OTHER_SLOT}', 'pgoutput')"),
    ] {
        other.batch_execute(&sql).await.unwrap();
    }

    let admin = cdc_harness::kafka::admin_client(&stack.endpoints().kafka.bootstrap_host).unwrap();
    let topic = NewTopic::new(OTHER_TOPIC, 1, TopicReplication::Fixed(1));
    for result in admin.create_topics([&topic], &AdminOptions::new()).await.unwrap() {
        result.unwrap();
    }

    // Their jar: the SQL-runner itself, uploaded under another name.
    let jar = images::sql_runner_jar_on_host(&stack.images().flink).await.unwrap();
    let jobmanager = JobManager::new(&stack.endpoints().flink.rest_url).unwrap();
    jobmanager.upload_jar("their-job.jar", std::fs::read(jar).unwrap()).await.unwrap()
}

/// What is on the services now: (databases, slots, publications, topics, jar ids).
struct Present {
    databases: Vec<String>,
    slots: Vec<String>,
    publications: Vec<String>,
    topics: Vec<String>,
    jars: Vec<String>,
    running_jobs: usize,
}

async fn present(stack: &Stack) -> Present {
    let client = superuser_session(stack, None).await;
    let databases = names(
        &client,
        "SELECT datname::text FROM pg_database WHERE datname NOT IN ('template0', 'template1') \
         ORDER BY 1",
    )
    .await;
    let slots = names(&client, "SELECT slot_name::text FROM pg_replication_slots ORDER BY 1").await;
    let other = superuser_session(stack, Some(OTHER_DB)).await;
    let publications = names(&other, "SELECT pubname::text FROM pg_publication ORDER BY 1").await;

    let topics = broker_topics(&stack.endpoints().kafka.bootstrap_host).await;

    let jobmanager = JobManager::new(&stack.endpoints().flink.rest_url).unwrap();
    let jars = jobmanager.jars().await.unwrap().into_iter().map(|j| j.id).collect();
    let running_jobs =
        jobmanager.jobs().await.unwrap().iter().filter(|j| !j.state.is_terminal()).count();
    Present { databases, slots, publications, topics, jars, running_jobs }
}

/// `cdc-harness run --target <target>` on `scenarios`, local images for the SQL-runner jar.
fn run_target(target: &Path, artefacts: &Path, scenarios: &[&str]) -> Command {
    let (target, artefacts) = (target.to_str().unwrap(), artefacts.to_str().unwrap());
    let mut args = vec!["run", "--target", target, "--images", "local", "--artefacts", artefacts];
    args.extend(scenarios);
    let mut command = harness(&args);
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

fn run_cli(target: &Path, artefacts: &Path, scenarios: &[&str]) -> Output {
    run_target(target, artefacts, scenarios).output().unwrap()
}

/// Starts `run --target` on the interrupt fixture, waits until its slot exists (the scenario is
/// then in its long wait), and sends SIGINT.
async fn interrupt_a_run(stack: &Stack, target: &Path, artefacts: &Path) -> Output {
    let child = run_target(target, artefacts, &["tests/fixtures/target/interrupted.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let slots = present(stack).await.slots;
        if slots.iter().any(|s| s.starts_with("s_target_interrupted_")) {
            break;
        }
        assert!(Instant::now() < deadline, "the scenario never made its slot");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap()
}

// The std lock is held across awaits on purpose: it serializes stack starts between tests.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_keeps_everything_but_what_the_harness_made() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run-target", "services");
    let images =
        images::ensure(ImageSource::Local, FlinkVersion::V2_0, false).await.expect("images");
    let config = StackConfig {
        source: ImageSource::Local,
        images: Some(images),
        artefacts_root: dir.join("stack"),
        ..StackConfig::default()
    };
    let stack = Stack::start(config).await.expect("the stack starts");
    let target_file = dir.join("target.toml");
    std::fs::write(&target_file, target::render(stack.endpoints())).unwrap();
    let their_jar = others_objects(&stack).await;
    let before = present(&stack).await;

    // Two scenarios pass on the target.
    let artefacts = dir.join("artefacts");
    let out = run_cli(
        &target_file,
        &artefacts,
        &["scenarios/jdbc-kafka-json.toml", "scenarios/jdbc-upsert-kafka.toml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // A scenario that restarts containers is refused before it creates anything.
    let out = run_cli(&target_file, &artefacts, &["tests/fixtures/run/fault-stack-restarts.toml"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("needs the harness's own containers"), "{shown}");

    // Interrupted mid-scenario: it still drops its database, slot, publication and topic.
    let out = interrupt_a_run(&stack, &target_file, &artefacts).await;
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(130), "{shown}");
    assert!(shown.contains("interrupted by SIGINT (Ctrl-C): torn down"), "{shown}");
    assert!(shown.contains("1 interrupted"), "{shown}");

    let after = present(&stack).await;
    assert_eq!(after.databases, before.databases, "databases");
    assert_eq!(after.slots, before.slots, "replication slots");
    assert_eq!(after.slots, vec![OTHER_SLOT.to_string()]);
    assert_eq!(after.publications, vec![OTHER_PUBLICATION.to_string()]);
    assert_eq!(after.topics, before.topics, "topics");
    assert!(after.topics.contains(&OTHER_TOPIC.to_string()));
    assert_eq!(after.jars, vec![their_jar], "only their jar is left on the JobManager");
    assert_eq!(after.running_jobs, 0, "the harness's jobs are stopped");
    for service in stack.services() {
        service.ensure_running().await.expect("the target's services still run");
    }
    let target_text = std::fs::read_to_string(&target_file).unwrap();
    let password = stack.endpoints().postgres.replication.password.expose().to_string();
    assert!(target_text.contains(&password), "the target file carries the login");
    for entry in files_under(&artefacts) {
        let content = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(!content.contains(&password), "{} shows the password", entry.display());
    }
    stack.stop().await.expect("the stack stops");
}
