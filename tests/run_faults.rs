//! Fault steps and `verify_slot` through the run engine on the local images (JDBC scenarios: the
//! postgres-cdc connector is not available here, so the scenarios make their slot in SQL and
//! hold it with pg_recvlogical). Slots made by a scenario are gone after it, pass or fail.
//!
//! At most one stack runs at a time: the tests that start one take `STACK`.

mod run_support;

use cdc_harness::report::{Outcome, Phase};
use run_support::{outcome_line, run_on_local_stack, scratch, LocalRun, STACK};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run").join(name)
}

// The std lock is held across awaits on purpose: it serializes stack starts between tests.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slot_checks_and_faults_run_and_leave_no_slot() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run-faults", "faults");
    let paths: Vec<PathBuf> =
        ["fault-slot-states.toml", "fault-slot-wal-bound.toml", "fault-stack-restarts.toml"]
            .iter()
            .map(|f| fixture(f))
            .collect();
    // One at a time: a TaskManager restart would break a neighbour's job.
    let LocalRun {
        planned,
        results,
        slots_before,
        slots_after,
        databases_after,
        topics_after,
        left_behind,
    } = run_on_local_stack(&paths, 1, dir.join("artefacts")).await;

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
    assert!(topics_after.is_empty(), "scenario topics left behind: {topics_after:?}");
    assert!(left_behind.is_empty(), "left behind: {left_behind:?}");
}
