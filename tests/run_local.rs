//! `cdc-harness run` end to end on the local images (Flink 2.0.1, tansu, jar submission): the
//! shipped JDBC scenarios pass, a wrong expectation fails with a diff, CDC scenarios fail with
//! the missing connector named, and nothing is left behind.
//!
//! At most one stack runs at a time: the tests that start one take `STACK`.

use cdc_harness::report::{Outcome, Phase, RunId, ScenarioResult};
use cdc_harness::run::{plan, run_on, RunOptions};
use cdc_harness::stack::images::{self, FlinkVersion, ImageSource};
use cdc_harness::stack::{inventory, Scope, Stack, StackConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

static STACK: Mutex<()> = Mutex::new(());

const JDBC_SCENARIOS: [&str; 4] = [
    "scenarios/jdbc-kafka-json.toml",
    "scenarios/jdbc-types.toml",
    "scenarios/jdbc-upsert-kafka.toml",
    "scenarios/seed-guide-jdbc.toml",
];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("run-local")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// jdbc-kafka-json with one expected row that never arrives ("kettles").
fn wrong_expectation_scenario(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo("scenarios/jdbc-kafka-json.toml")).unwrap();
    let wrong =
        text.replace(
            "name = \"jdbc-kafka-json\"",
            "name = \"jdbc-wrong-expectation\"",
        )
        .replace(
            "name = \"kettle\", price = 24.90",
            "name = \"kettles\", price = 24.90",
        ) + "\n[timeouts]\nexpect = \"15s\"\n";
    assert!(wrong.contains("kettles"));
    let path = dir.join("jdbc-wrong-expectation.toml");
    std::fs::write(&path, wrong).unwrap();
    path
}

/// jdbc-kafka-json whose setup SQL fails on its second statement; returns the file and the line
/// of the failing statement in it.
fn bad_setup_scenario(dir: &Path) -> (PathBuf, usize) {
    let text = std::fs::read_to_string(repo("scenarios/jdbc-kafka-json.toml")).unwrap();
    let bad = text
        .replace("name = \"jdbc-kafka-json\"", "name = \"jdbc-bad-setup\"")
        .replace("INSERT INTO public.products VALUES", "INSERT INTO public.no_such_table VALUES");
    let line = bad.lines().position(|l| l.contains("no_such_table")).unwrap() + 1;
    let path = dir.join("jdbc-bad-setup.toml");
    std::fs::write(&path, bad).unwrap();
    (path, line)
}

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
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

// The std lock is held across awaits on purpose: it serializes stack starts between tests that
// each have their own runtime (and the plain #[test]s).
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_jdbc_scenarios_pass_and_a_failing_one_cleans_up() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("library");
    let mut paths: Vec<PathBuf> = JDBC_SCENARIOS.iter().map(|p| repo(p)).collect();
    paths.push(wrong_expectation_scenario(&dir));
    let (bad_setup, bad_line) = bad_setup_scenario(&dir);
    paths.push(bad_setup);
    let run_id = RunId::generate(chrono::Utc::now());
    let planned = plan(&paths, run_id.as_str(), false).expect("the scenarios are valid");

    let images = images::ensure(ImageSource::Local, FlinkVersion::V2_0)
        .await
        .expect("local images");
    let options = RunOptions {
        images: ImageSource::Local,
        jobs: 2,
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
    let all: Vec<usize> = (0..planned.len()).collect();
    let results = run_on(&stack, &planned, &all, &options, &run_id, Duration::ZERO).await;

    // Every scenario's database is gone, the failing one's included.
    let pg = &stack.endpoints().postgres;
    let (client, connection) = pg
        .host_config(&pg.superuser)
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let left: Vec<String> = client
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 's\\_%'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    drop(client);
    stack.stop().await.expect("the stack stops");
    let containers = inventory(&Scope::Run(run_id.as_str().to_string()))
        .await
        .unwrap();

    let report: Vec<String> = results.iter().map(|(_, r)| outcome_line(r)).collect();
    eprintln!("{}", report.join("\n"));
    for (i, result) in &results {
        if planned[*i].scenario.name == "jdbc-bad-setup" {
            let failure = match &result.outcome {
                Outcome::Error { failure } => failure,
                other => panic!("a failing setup is an error, got {other:?}"),
            };
            assert_eq!(failure.phase, Phase::Setup);
            let at = format!("jdbc-bad-setup.toml:{bad_line}: statement 2 failed");
            assert!(failure.root_cause.contains(&at), "{}", failure.root_cause);
            assert!(failure.root_cause.contains("no_such_table"), "{}", failure.root_cause);
        } else if planned[*i].scenario.name == "jdbc-wrong-expectation" {
            let failure = match &result.outcome {
                Outcome::Failed { failure } => failure,
                other => panic!("the wrong expectation must fail, got {other:?}"),
            };
            assert_eq!(failure.phase, Phase::Expect);
            let details = failure.details.as_deref().unwrap_or_default();
            assert!(
                details.contains("- missing row #1") && details.contains("kettles"),
                "{details}"
            );
            assert!(
                details.contains("+ extra row") && details.contains("\"kettle\""),
                "{details}"
            );
        } else {
            assert_eq!(result.outcome, Outcome::Passed, "{}", outcome_line(result));
            assert!(result.phase_duration(Phase::Expect).is_some());
        }
    }
    assert_eq!(results.len(), 6);
    assert!(left.is_empty(), "scenario databases left behind: {left:?}");
    assert!(
        containers.is_empty(),
        "containers left behind: {containers:?}"
    );
}

#[test]
fn the_binary_exits_1_with_the_diff_and_leaves_no_container() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("binary");
    let scenario = wrong_expectation_scenario(&dir);
    let json = dir.join("report.json");
    let junit = dir.join("junit.xml");
    let out = cli()
        .args(["-q", "run", "--images", "local", "--artefacts"])
        .arg(dir.join("artefacts"))
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg(&scenario)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("FAILED jdbc-wrong-expectation"), "{stdout}");
    assert!(
        stdout.contains("- missing row #1") && stdout.contains("kettles"),
        "{stdout}"
    );

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let run_id = report["run_id"].as_str().unwrap().to_string();
    assert_eq!(report["scenarios"][0]["status"], "failed");
    assert_eq!(report["scenarios"][0]["failure"]["phase"], "expect");
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("<failure"));
    let artefacts = dir
        .join("artefacts")
        .join(&run_id)
        .join("jdbc-wrong-expectation");
    assert!(std::fs::read_to_string(artefacts.join("diff.txt"))
        .unwrap()
        .contains("kettles"));
    assert!(artefacts.join("records.jsonl").exists());
    let logs = dir.join("artefacts").join(&run_id).join("logs");
    assert!(
        std::fs::read_dir(&logs).map(|d| d.count()).unwrap_or(0) > 0,
        "container logs saved on failure"
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let left = rt.block_on(inventory(&Scope::Run(run_id.clone()))).unwrap();
    assert!(left.is_empty(), "run {run_id} left {left:?}");
}

#[test]
fn cdc_scenarios_on_local_images_fail_naming_the_missing_connector() {
    let dir = scratch("cdc-local");
    let json = dir.join("report.json");
    let out = cli()
        .args(["-q", "run", "--images", "local", "--json"])
        .arg(&json)
        .arg("--artefacts")
        .arg(dir.join("artefacts"))
        .arg(repo("scenarios/cdc-upsert-kafka.toml"))
        .arg(repo("scenarios/seed-guide-cdc.toml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    for scenario in report["scenarios"].as_array().unwrap() {
        assert_eq!(scenario["status"], "failed");
        let cause = scenario["failure"]["root_cause"].as_str().unwrap();
        assert!(
            cause.contains("postgres-cdc connector") && cause.contains("--images registry"),
            "{cause}"
        );
    }
    // Nothing runnable: no stack was started.
    let run_id = report["run_id"].as_str().unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert!(rt
        .block_on(inventory(&Scope::Run(run_id)))
        .unwrap()
        .is_empty());
}

#[test]
fn an_invalid_scenario_exits_2_and_starts_nothing() {
    let dir = scratch("invalid");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\n[source]\nconnector = \"jdbc\"\n").unwrap();
    let out = cli()
        .args(["run", "--images", "local"])
        .arg(&bad)
        .arg(repo("scenarios/jdbc-kafka-json.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.toml"), "{stderr}");
    assert!(stderr.contains("nothing was started"), "{stderr}");
}

#[allow(clippy::await_holding_lock)]
#[tokio::test]
#[ignore = "needs registry images (postgres-cdc connector)"]
async fn cdc_scenarios_pass_on_registry_images() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let out = cli()
        .args(["-q", "run", "--images", "registry", "--artefacts"])
        .arg(scratch("registry").join("artefacts"))
        .args(
            [
                "cdc-upsert-kafka",
                "cdc-debezium-full",
                "cdc-debezium-default",
                "cdc-types",
                "cdc-bulk-inserts",
                "seed-guide-cdc",
            ]
            .map(|n| repo(&format!("scenarios/{n}.toml"))),
        )
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
