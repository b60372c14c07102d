//! Fault steps and `verify_slot` through the run engine on the local images (JDBC scenarios: the
//! postgres-cdc connector is not available here, so the scenarios make their slot in SQL and
//! hold it with pg_recvlogical). Slots made by a scenario are gone after it, pass or fail.
//!
//! At most one stack runs at a time: the tests that start one take `STACK`.

use cdc_harness::report::{Outcome, Phase, RunId, ScenarioResult};
use cdc_harness::run::{plan, run_on, RunOptions};
use cdc_harness::stack::images::{self, FlinkVersion, ImageSource};
use cdc_harness::stack::{inventory, Scope, Stack, StackConfig};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

static STACK: Mutex<()> = Mutex::new(());

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/run")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("run-faults")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn outcome_line(r: &ScenarioResult) -> String {
    match r.outcome.failure() {
        Some(f) => format!(
            "{} {} in {}: {}\n{}",
            r.name,
            r.outcome.label(),
            f.phase,
            f.root_cause,
            f.details.clone().unwrap_or_default()
        ),
        None => format!("{} {}", r.name, r.outcome.label()),
    }
}

async fn slots_and_databases(stack: &Stack) -> (Vec<String>, Vec<String>) {
    let pg = &stack.endpoints().postgres;
    let (client, connection) = pg
        .host_config(&pg.superuser)
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let names = |sql: &'static str| {
        let client = &client;
        async move {
            client
                .query(sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect::<Vec<_>>()
        }
    };
    (
        names("SELECT slot_name::text FROM pg_replication_slots ORDER BY 1").await,
        names("SELECT datname::text FROM pg_database WHERE datname LIKE 's\\_%' ORDER BY 1").await,
    )
}

// The std lock is held across awaits on purpose: it serializes stack starts between tests.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slot_checks_and_faults_run_and_leave_no_slot() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("faults");
    let paths: Vec<PathBuf> = [
        "fault-slot-states.toml",
        "fault-slot-wal-bound.toml",
        "fault-stack-restarts.toml",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    let run_id = RunId::generate(chrono::Utc::now());
    let planned = plan(&paths, run_id.as_str(), false).expect("the fixtures are valid");

    let images = images::ensure(ImageSource::Local, FlinkVersion::V2_0)
        .await
        .expect("local images");
    // One at a time: a TaskManager restart would break a neighbour's job.
    let options = RunOptions {
        images: ImageSource::Local,
        jobs: 1,
        artefacts_root: dir.join("artefacts"),
        resolved_images: Some(images.clone()),
        ..RunOptions::default()
    };
    let config = StackConfig {
        source: ImageSource::Local,
        images: Some(images),
        artefacts_root: options.artefacts_root.clone(),
        run_id: Some(run_id.as_str().to_string()),
        ..StackConfig::default()
    };
    let stack = Stack::start(config).await.expect("the stack starts");
    let (slots_before, _) = slots_and_databases(&stack).await;
    let all: Vec<usize> = (0..planned.len()).collect();
    let results = run_on(&stack, &planned, &all, &options, &run_id, Duration::ZERO).await;
    let (slots_after, databases_after) = slots_and_databases(&stack).await;
    stack.stop().await.expect("the stack stops");
    let containers = inventory(&Scope::Run(run_id.as_str().to_string()))
        .await
        .unwrap();

    let report: Vec<String> = results.iter().map(|(_, r)| outcome_line(r)).collect();
    eprintln!("{}", report.join("\n"));
    assert_eq!(results.len(), 3);
    for (i, result) in &results {
        let name = planned[*i].scenario.name.as_str();
        if name == "fault-slot-wal-bound" {
            let failure = match &result.outcome {
                Outcome::Failed { failure } => failure,
                other => panic!("the WAL bound must fail, got {other:?}"),
            };
            assert_eq!(failure.phase, Phase::Steps);
            let cause = &failure.root_cause;
            let slot = &planned[*i].names.slot;
            assert!(cause.contains(&format!("slot `{slot}`")), "{cause}");
            assert!(cause.contains("max_retained_wal (1048576 bytes)"), "{cause}");
            assert!(cause.contains("retained WAL"), "{cause}");
            assert!(cause.contains("\"WAL bound\""), "the step is named: {cause}");
        } else {
            assert_eq!(result.outcome, Outcome::Passed, "{}", outcome_line(result));
        }
    }
    assert_eq!(slots_after, slots_before, "replication slots left behind");
    assert!(databases_after.is_empty(), "scenario databases left behind: {databases_after:?}");
    assert!(containers.is_empty(), "containers left behind: {containers:?}");
}
