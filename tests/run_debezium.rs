//! Debezium sources end to end on the local images: Debezium 3.0's PostgreSQL connector on Kafka
//! Connect 3.9 (the stack's `kafka-connect` service) writes the table's changes to tansu, Flink
//! 2.0 reads them with `kafka` + `debezium-json`. The shipped `scenarios/debezium-*.toml` pass;
//! the slot lab runs with Debezium as the real reader; the known-bug variants end as their files
//! say; and whether a run passes, fails or is interrupted, the slots, publications, connectors and
//! topics are afterwards what they were before.
//!
//! At most one stack runs at a time: the tests that start one take `STACK`.

mod run_support;

use cdc_harness::connect::ConnectClient;
use cdc_harness::report::{Outcome, Phase, ScenarioResult};
use cdc_harness::stack::images::{self, FlinkVersion, ImageSource};
use cdc_harness::stack::{target, Stack, StackConfig};
use run_support::{
    broker_topics, names, outcome_line, run_on_local_stack_then, scratch, superuser_session, STACK,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn debezium_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("debezium-") && name.ends_with(".toml")
        })
        .collect();
    files.sort();
    files
}

/// The connectors Kafka Connect knows.
async fn connectors(stack: &Stack) -> Vec<String> {
    let url = &stack.endpoints().connect.as_ref().expect("the stack runs Kafka Connect").rest_url;
    let mut names = ConnectClient::new(url).unwrap().connectors().await.unwrap();
    names.sort();
    names
}

fn failure_of<'a>(result: &'a ScenarioResult, what: &str) -> &'a cdc_harness::report::Failure {
    match &result.outcome {
        Outcome::Failed { failure } => failure,
        other => panic!("{what} must fail, got {other:?}"),
    }
}

// The std lock is held across awaits on purpose: it serializes stack starts between tests.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debezium_scenarios_the_slot_lab_and_the_known_bugs_run_as_documented() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run-debezium", "scenarios");
    let mut paths = debezium_files("scenarios");
    assert!(paths.len() >= 5, "the shipped Debezium scenarios: {paths:?}");
    paths.extend(debezium_files("scenarios/known-bugs"));
    paths.extend(debezium_files("tests/fixtures/run"));
    // Faults restart services shared by all: one scenario at a time.
    let (run, connectors_after) =
        run_on_local_stack_then(&paths, 1, dir.join("artefacts"), async |stack, _| {
            connectors(stack).await
        })
        .await;

    for (i, result) in &run.results {
        let name = run.planned[*i].scenario.name.as_str();
        let slot = &run.planned[*i].names.slot;
        match name {
            "known-debezium-slot-active-for-pid" => {
                let failure = failure_of(result, name);
                assert_eq!(failure.phase, Phase::Connector, "{}", outcome_line(result));
                let expected = format!("replication slot \"{slot}\" is active for PID");
                assert!(failure.root_cause.contains(&expected), "{}", outcome_line(result));
            }
            "known-debezium-null-before-images" => {
                let failure = failure_of(result, name);
                assert_eq!(failure.phase, Phase::Preflight, "{}", outcome_line(result));
                assert!(
                    failure.root_cause.contains("the table needs REPLICA IDENTITY FULL"),
                    "{}",
                    outcome_line(result)
                );
                let details = failure.details.as_deref().unwrap_or_default();
                assert!(details.contains("REPLICA IDENTITY FULL;"), "the fix: {details}");
            }
            "known-debezium-publication-permission" => {
                let failure = failure_of(result, name);
                assert_eq!(failure.phase, Phase::Preflight, "{}", outcome_line(result));
                assert!(
                    failure.root_cause.contains("publication dbz_publication does not exist"),
                    "{}",
                    outcome_line(result)
                );
            }
            "debezium-identity-change" => {
                let failure = failure_of(result, name);
                assert_eq!(failure.phase, Phase::JobRunning, "{}", outcome_line(result));
                assert!(failure.root_cause.contains("keeps failing"), "{}", outcome_line(result));
                assert!(
                    failure.root_cause.contains("The \"before\" field of UPDATE message is null"),
                    "{}",
                    outcome_line(result)
                );
                // Reported once the job kept failing, not after the expectation's minute.
                let expect = result.phase_duration(Phase::Expect).unwrap_or_default();
                assert!(expect < Duration::from_secs(45), "took {expect:?} to notice");
            }
            "debezium-wrong-expectation" => {
                let failure = failure_of(result, name);
                assert_eq!(failure.phase, Phase::Expect, "{}", outcome_line(result));
            }
            // Everything else passes: the shipped scenarios, the slot lab, and the known bugs
            // that reproduce their problem as expectations (the retained WAL, the lost change).
            _ => assert_eq!(result.outcome, Outcome::Passed, "{}", outcome_line(result)),
        }
    }
    assert_eq!(run.slots_after, run.slots_before, "replication slots left behind");
    assert!(run.databases_after.is_empty(), "databases left behind: {:?}", run.databases_after);
    assert!(run.topics_after.is_empty(), "topics left behind: {:?}", run.topics_after);
    assert!(connectors_after.is_empty(), "connectors left behind: {connectors_after:?}");
    assert!(run.left_behind.is_empty(), "left behind: {:?}", run.left_behind);
}

fn harness(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdc-harness"));
    command.args(args).env("NO_COLOR", "1").current_dir(env!("CARGO_MANIFEST_DIR"));
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

/// Slots, publications (in every database), connectors and topics.
async fn present(stack: &Stack) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let client = superuser_session(stack, None).await;
    let slots = names(&client, "SELECT slot_name::text FROM pg_replication_slots ORDER BY 1").await;
    let mut publications = Vec::new();
    for db in names(&client, "SELECT datname::text FROM pg_database WHERE datallowconn").await {
        let session = superuser_session(stack, Some(&db)).await;
        for p in names(&session, "SELECT pubname::text FROM pg_publication").await {
            publications.push(format!("{db}.{p}"));
        }
    }
    publications.sort();
    let topics = broker_topics(&stack.endpoints().kafka.bootstrap_host).await;
    (slots, publications, connectors(stack).await, topics)
}

// The std lock is held across awaits on purpose: it serializes stack starts between tests.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_and_interrupted_debezium_runs_leave_nothing_behind() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run-debezium", "hygiene");
    let images = images::ensure(ImageSource::Local, FlinkVersion::V2_0, true).await.unwrap();
    let config = StackConfig {
        source: ImageSource::Local,
        images: Some(images),
        artefacts_root: dir.join("stack"),
        connect: true,
        ..StackConfig::default()
    };
    let stack = Stack::start(config).await.expect("the stack starts");
    let target_file = dir.join("target.toml");
    std::fs::write(&target_file, target::render(stack.endpoints())).unwrap();
    let before = present(&stack).await;
    let artefacts = dir.join("artefacts");
    let run = |scenario: &str| {
        harness(&[
            "run",
            "--target",
            target_file.to_str().unwrap(),
            "--images",
            "local",
            "--artefacts",
            artefacts.to_str().unwrap(),
            scenario,
        ])
    };

    let out = run("tests/fixtures/run/debezium-wrong-expectation.toml").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(present(&stack).await, before, "after a failing run");

    // Interrupted while its connector streams: it is deleted, and the slot, publication,
    // database and topics dropped.
    let child = run("tests/fixtures/run/interrupt-debezium.toml")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(240);
    while !connectors(&stack).await.iter().any(|c| c.starts_with("s_debezium_interrupted_")) {
        assert!(Instant::now() < deadline, "the connector never started");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Past the connector's start: the scenario is in its long wait.
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert_eq!(present(&stack).await, before, "after an interrupted run");
    stack.stop().await.expect("the stack stops");
}
