//! `cdc-harness run` end to end on the local images (Flink 2.0.1, tansu, jar submission): the
//! shipped JDBC scenarios pass, a wrong expectation fails with a diff, CDC scenarios fail with
//! the missing connector named, and nothing is left behind.
//!
//! At most one stack runs at a time: the tests that start one take `STACK`.

mod run_support;

use cdc_harness::report::{Outcome, Phase};
use cdc_harness::stack::{inventory, Scope};
use run_support::{outcome_line, run_on_local_stack, scratch, LocalRun, STACK};
use std::path::{Path, PathBuf};
use std::process::Command;

const JDBC_SCENARIOS: [&str; 4] = [
    "scenarios/jdbc-kafka-json.toml",
    "scenarios/jdbc-types.toml",
    "scenarios/jdbc-upsert-kafka.toml",
    "scenarios/seed-guide-jdbc.toml",
];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// jdbc-kafka-json with one expected row that never arrives ("kettles").
fn wrong_expectation_scenario(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo("scenarios/jdbc-kafka-json.toml")).unwrap();
    let wrong = text
        .replace("name = \"jdbc-kafka-json\"", "name = \"jdbc-wrong-expectation\"")
        .replace("name = \"kettle\", price = 24.90", "name = \"kettles\", price = 24.90")
        + "\n[timeouts]\nexpect = \"15s\"\n";
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

/// No container or network of the run is left in the engine.
fn assert_nothing_left(run_id: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let left = rt.block_on(inventory(&Scope::Run(run_id.to_string()))).unwrap();
    assert!(left.is_empty(), "run {run_id} left {left:?}");
}

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
}

// The std lock is held across awaits on purpose: it serializes stack starts between tests that
// each have their own runtime (and the plain #[test]s).
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipped_jdbc_scenarios_pass_and_a_failing_one_cleans_up() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run-local", "library");
    let mut paths: Vec<PathBuf> = JDBC_SCENARIOS.iter().map(|p| repo(p)).collect();
    paths.push(wrong_expectation_scenario(&dir));
    let (bad_setup, bad_line) = bad_setup_scenario(&dir);
    paths.push(bad_setup);
    let LocalRun { planned, results, databases_after, topics_after, left_behind, .. } =
        run_on_local_stack(&paths, 2, dir.join("artefacts")).await;

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
            assert!(details.contains("+ extra row") && details.contains("\"kettle\""), "{details}");
        } else {
            assert_eq!(result.outcome, Outcome::Passed, "{}", outcome_line(result));
            assert!(result.phase_duration(Phase::Expect).is_some());
        }
    }
    assert_eq!(results.len(), 6);
    // Every scenario's database is gone, the failing ones' included.
    assert!(databases_after.is_empty(), "scenario databases left behind: {databases_after:?}");
    assert!(topics_after.is_empty(), "scenario topics left behind: {topics_after:?}");
    assert!(left_behind.is_empty(), "left behind: {left_behind:?}");
}

#[test]
fn the_binary_exits_1_with_the_diff_and_leaves_no_container() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run-local", "binary");
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
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("FAILED jdbc-wrong-expectation"), "{stdout}");
    assert!(stdout.contains("- missing row #1") && stdout.contains("kettles"), "{stdout}");

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let run_id = report["run_id"].as_str().unwrap().to_string();
    assert_eq!(report["scenarios"][0]["status"], "failed");
    assert_eq!(report["scenarios"][0]["failure"]["phase"], "expect");
    assert!(std::fs::read_to_string(&junit).unwrap().contains("<failure"));
    let artefacts = dir.join("artefacts").join(&run_id).join("jdbc-wrong-expectation");
    assert!(std::fs::read_to_string(artefacts.join("diff.txt")).unwrap().contains("kettles"));
    assert!(artefacts.join("records.jsonl").exists());
    let logs = dir.join("artefacts").join(&run_id).join("logs");
    assert!(
        std::fs::read_dir(&logs).map(|d| d.count()).unwrap_or(0) > 0,
        "container logs saved on failure"
    );

    assert_nothing_left(&run_id);
}

#[test]
fn cdc_scenarios_on_local_images_fail_naming_the_missing_connector() {
    let dir = scratch("run-local", "cdc-local");
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
    assert_nothing_left(&run_id);
}

#[test]
fn an_invalid_scenario_exits_2_and_starts_nothing() {
    let dir = scratch("run-local", "invalid");
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
        .arg(scratch("run-local", "registry").join("artefacts"))
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
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

/// SIGTERM (what CI sends on a timeout) in the middle of the second scenario: the first stays
/// passed, the second is reported interrupted with the phases it went through and its
/// artefacts, container logs are saved, the exit code is 130 and no container is left.
#[test]
fn sigterm_mid_scenario_reports_it_interrupted_and_removes_the_stack() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run-local", "sigterm");
    let json = dir.join("report.json");
    let mut child = cli()
        .args(["run", "--images", "local", "--json"])
        .arg(&json)
        .arg("--artefacts")
        .arg(dir.join("artefacts"))
        .arg(repo("scenarios/jdbc-kafka-json.toml"))
        .arg(repo("tests/fixtures/target/interrupted.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("submitted") && line.contains("target-interrupted") {
            // Past the submission: the job runs and the scenario's steps follow.
            std::thread::sleep(std::time::Duration::from_secs(3));
            let pid = child.id().to_string();
            assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        }
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{seen}");
    assert!(stdout.contains("interrupted by SIGTERM"), "{stdout}");
    assert!(stdout.contains("1 passed") && stdout.contains("1 interrupted"), "{stdout}");

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["interrupted"], "SIGTERM", "{report:#}");
    let scenarios = report["scenarios"].as_array().unwrap();
    assert_eq!(scenarios[0]["status"], "passed");
    let interrupted = &scenarios[1];
    assert_eq!(interrupted["status"], "interrupted", "{interrupted:#}");
    let phases: Vec<&str> = interrupted["phases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["phase"].as_str())
        .collect();
    for phase in ["setup", "submit", "teardown"] {
        assert!(phases.contains(&phase), "{phase} missing from {phases:?}");
    }
    let artefacts: Vec<&str> =
        interrupted["artefacts"].as_array().unwrap().iter().filter_map(|a| a.as_str()).collect();
    assert!(artefacts.iter().any(|a| a.ends_with("flink.sql")), "{artefacts:?}");
    let run_id = report["run_id"].as_str().unwrap().to_string();
    let logs = dir.join("artefacts").join(&run_id).join("logs");
    assert!(std::fs::read_dir(&logs).map(|d| d.count()).unwrap_or(0) > 0, "container logs saved");

    assert_nothing_left(&run_id);
}

/// A misspelt connector option is an error before anything starts, shown at its line in the
/// scenario file (not in the generated SQL), with the spelling it probably meant.
#[test]
fn a_misspelt_option_exits_2_at_its_toml_line_and_starts_nothing() {
    let dir = scratch("run-local", "typo");
    let text = std::fs::read_to_string(repo("scenarios/jdbc-kafka-json.toml")).unwrap();
    let typo = text.replace(
        "table = \"public.products\"\n",
        "table = \"public.products\"\noptions = { \"scan.fetch-sise\" = \"100\" }\n",
    );
    let line = typo.lines().position(|l| l.contains("fetch-sise")).unwrap() + 1;
    let path = dir.join("typo.toml");
    std::fs::write(&path, typo).unwrap();
    let json = dir.join("report.json");
    let out =
        cli().args(["run", "--images", "local", "--json"]).arg(&json).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("typo.toml:{line}:")), "line {line} not named: {stderr}");
    assert!(stderr.contains("scan.fetch-size"), "no suggestion: {stderr}");
    assert!(stderr.contains("nothing was started"), "{stderr}");
    assert!(!json.exists(), "no report for a run that never started");
}

/// `run --keep` leaves the stack as `up` does: endpoints shown, logins and a target file written
/// (owner-only), no password on screen; `down --run` then removes it.
#[test]
fn run_keep_leaves_the_stack_with_its_endpoints_and_target_file() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run-local", "keep");
    let json = dir.join("report.json");
    let out = cli()
        .args(["run", "--keep", "--images", "local", "--json"])
        .arg(&json)
        .arg("--artefacts")
        .arg(dir.join("artefacts"))
        .arg(repo("scenarios/jdbc-kafka-json.toml"))
        .output()
        .unwrap();
    let shown =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let run_id = report["run_id"].as_str().unwrap().to_string();
    let down = || {
        cli().args(["down", "--run", &run_id]).output().unwrap();
    };
    if out.status.code() != Some(0) {
        down();
        panic!("{shown}");
    }
    let folder = dir.join("artefacts").join(&run_id);
    let target_file = folder.join("target.toml");
    let credentials = std::fs::read_to_string(folder.join("credentials.env")).unwrap();
    let password = credentials
        .lines()
        .find_map(|l| l.strip_prefix("POSTGRES_SUPERUSER_PASSWORD="))
        .unwrap()
        .to_string();
    let target = cdc_harness::stack::target::load(&target_file);
    down();
    assert!(shown.contains(&format!("kept run {run_id}")), "{shown}");
    assert!(shown.contains("PostgreSQL") && shown.contains("Flink UI"), "{shown}");
    assert!(shown.contains(&format!("--target {}", target_file.display())), "{shown}");
    assert!(!shown.contains(&password), "the password is shown: {shown}");
    assert!(target.is_ok(), "target.toml does not load");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "target.toml is readable by others: {mode:o}");
    }
    assert_nothing_left(&run_id);
}

/// A corporate proxy in the environment (here a dead one) must not come between the harness and
/// its own containers: readiness probes, Flink's REST API and the broker are reached directly.
#[test]
fn a_dead_proxy_in_the_environment_does_not_stop_a_run() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    // The images are made first, without the proxy: this test is about the run, not the build.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(cdc_harness::stack::images::ensure(
        cdc_harness::stack::images::ImageSource::Local,
        None,
        false,
    ))
    .expect("images");
    let dir = scratch("run-local", "proxy");
    let dead = "http://127.0.0.1:9";
    let mut command = cli();
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"]
    {
        command.env(name, dead);
    }
    let out = command
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .args(["-q", "run", "--images", "local", "--artefacts"])
        .arg(dir.join("artefacts"))
        .arg(repo("scenarios/jdbc-kafka-json.toml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 passed"), "{stdout}");
}
