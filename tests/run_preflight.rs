//! The automatic preflight before every CDC scenario, through the run engine on a real local
//! stack (PostgreSQL 15, tansu, Flink 2.0.1).
//!
//! The seam, named honestly: the local images have no postgres-cdc connector, so `run` would
//! fail every CDC scenario before starting anything. The test hands the run (through
//! `RunOptions::resolved_images`) the local images with `FlinkConnector::PostgresCdc` added to
//! the connectors they claim. Everything up to submission is real; the submission itself then
//! fails, because Flink has no `postgres-cdc` factory, which is how the test sees that a
//! scenario got past preflight.
//!
//! At most one stack runs at a time: the test takes `STACK`.

mod run_support;

use cdc_harness::report::{Outcome, Phase, RunId, ScenarioResult};
use cdc_harness::run::{plan, run_suite, RunOptions};
use cdc_harness::stack::images::{self, FlinkConnector, FlinkVersion, ImageSource};
use cdc_harness::stack::{inventory, Scope};
use run_support::{outcome_line, scratch, STACK};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn ran(result: &ScenarioResult, phase: Phase) -> bool {
    result.phases.iter().any(|p| p.phase == phase)
}

// The std lock is held across awaits on purpose: it serializes stack starts between tests.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdc_scenarios_are_stopped_by_a_failing_preflight_and_pass_a_good_one_to_submission() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run-preflight", "preflight");
    let paths: Vec<PathBuf> = vec![
        root().join("tests/fixtures/run/preflight-no-primary-key.toml"),
        root().join("tests/fixtures/run/preflight-passes.toml"),
        root().join("scenarios/known-bugs/publication-permission.toml"),
        root().join("scenarios/jdbc-kafka-json.toml"),
    ];
    let run_id = RunId::generate(chrono::Utc::now());
    let planned = plan(&paths, run_id.as_str(), false).expect("the scenarios are valid");
    let permission_names = planned[2].names.clone();
    let mut claimed =
        images::ensure(ImageSource::Local, FlinkVersion::V2_0, false).await.expect("local images");
    assert!(!claimed.flink.connectors.contains(&FlinkConnector::PostgresCdc));
    claimed.flink.connectors.push(FlinkConnector::PostgresCdc);
    let options = RunOptions {
        images: ImageSource::Local,
        artefacts_root: dir.join("artefacts"),
        resolved_images: Some(claimed),
        ..RunOptions::default()
    };
    let report = run_suite(planned, &options, run_id.clone()).await;
    let lines: Vec<String> = report.scenarios.iter().map(outcome_line).collect();
    eprintln!("{}", lines.join("\n"));
    let by_name = |name: &str| {
        report.scenarios.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("{name}"))
    };

    let no_key = by_name("preflight-no-primary-key");
    let Outcome::Failed { failure } = &no_key.outcome else {
        panic!("preflight must fail it: {}", outcome_line(no_key))
    };
    assert_eq!(failure.phase, Phase::Preflight, "{}", outcome_line(no_key));
    assert!(
        failure.root_cause.contains("as replicator"),
        "the Flink login: {}",
        failure.root_cause
    );
    let details = failure.details.as_deref().unwrap_or_default();
    assert!(details.contains("FAIL primary_key"), "{details}");
    assert!(details.contains("fix: ALTER TABLE \"public\".\"notes\" ADD PRIMARY KEY"), "{details}");
    assert!(details.contains("FAIL replica_identity"), "{details}");
    assert!(!ran(no_key, Phase::Submit), "no job may be submitted: {:?}", no_key.phases);

    let permission = by_name("known-publication-permission");
    let Outcome::Failed { failure } = &permission.outcome else {
        panic!("preflight must fail it: {}", outcome_line(permission))
    };
    assert_eq!(failure.phase, Phase::Preflight);
    assert!(
        failure.root_cause.contains(
            "publication dbz_publication does not exist and role replicator cannot create it"
        ),
        "{}",
        failure.root_cause
    );
    let details = failure.details.as_deref().unwrap_or_default();
    assert!(details.contains("CREATE PUBLICATION \"dbz_publication\" FOR TABLE"), "{details}");
    // The publication the harness made for the run covers the table: the fix points at it.
    let made = format!("fix: 'debezium.publication.name' = '{}'", permission_names.publication);
    assert!(details.contains(&made), "{details}");
    assert!(!ran(permission, Phase::Submit));

    let good = by_name("preflight-passes");
    assert!(ran(good, Phase::Preflight), "{:?}", good.phases);
    let failure = good.outcome.failure().expect("without the connector class submission fails");
    assert_eq!(failure.phase, Phase::Submit, "got past preflight: {}", outcome_line(good));
    assert!(failure.root_cause.contains("postgres-cdc"), "{}", failure.root_cause);

    let jdbc = by_name("jdbc-kafka-json");
    assert_eq!(jdbc.outcome, Outcome::Passed, "{}", outcome_line(jdbc));
    assert!(!ran(jdbc, Phase::Preflight), "preflight is for CDC sources only: {:?}", jdbc.phases);

    let left = inventory(&Scope::Run(run_id.as_str().to_string())).await.unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
}
