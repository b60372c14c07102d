//! The savepoint and checkpoint job actions through the run engine on the local images:
//! `stop-with-savepoint`, `resume-from-savepoint`, `cancel`, `resume-from-checkpoint` on a
//! streaming job (a `datagen` sequence into Kafka: the postgres-cdc connector is not available
//! here), and `stop-with-savepoint` on a JDBC scan, which finishes by itself and must be refused.
//!
//! Beyond the scenario passing, Flink itself is asked what happened: each resumed job's
//! checkpoint statistics name the savepoint or checkpoint it was restored from, the files are on
//! the stack's state volume, and the records read hold every id of the sequence with each job taking
//! over where the previous one stopped. At most one stack runs at a time (`STACK`).

mod run_support;

use cdc_harness::flink::{CheckpointStats, JobManager, JobState, JobSummary};
use cdc_harness::report::{Outcome, Phase};
use cdc_harness::stack::{Stack, FLINK_STATE_DIR};
use run_support::{outcome_line, run_on_local_stack_then, scratch, STACK};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use testcontainers::core::ExecCommand;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run").join(name)
}

/// One job of the streaming scenario, as Flink reports it after the run.
#[derive(Debug)]
struct SeenJob {
    summary: JobSummary,
    checkpoints: CheckpointStats,
}

/// What the stack held after the scenarios ran.
struct Seen {
    /// The streaming scenario's jobs, oldest first.
    jobs: Vec<SeenJob>,
    /// `ls` of each savepoint and retained checkpoint directory, on the JobManager.
    listings: BTreeMap<String, String>,
    /// `(Kafka timestamp, id)` of every record the streaming scenario's verifier read.
    records: Vec<(i64, u64)>,
}

// The std lock is held across awaits on purpose: it serializes stack starts between tests.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn savepoints_and_checkpoints_resume_the_job_and_lose_nothing() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("run-savepoints", "savepoints");
    let paths =
        ["savepoint-resume.toml", "savepoint-bounded-jdbc.toml", "savepoint-no-checkpoint.toml"]
            .map(fixture);
    let (run, mut seen) =
        run_on_local_stack_then(&paths, 1, dir.join("artefacts"), async |stack, _| {
            inspect(stack).await
        })
        .await;
    // The topic went with the scenario's teardown; the verifier's record of it stays.
    let streaming = run.results.iter().find(|(_, r)| r.name == "savepoint-resume").unwrap();
    seen.records = recorded_ids(&streaming.1.artefacts);

    assert_eq!(run.results.len(), 3);
    for (i, result) in &run.results {
        let name = run.planned[*i].scenario.name.as_str();
        if name == "savepoint-resume" {
            assert_eq!(result.outcome, Outcome::Passed, "{}", outcome_line(result));
            continue;
        }
        let Outcome::Failed { failure } = &result.outcome else {
            panic!("{name} must fail its step: {}", outcome_line(result));
        };
        assert_eq!(failure.phase, Phase::Steps);
        let cause = &failure.root_cause;
        match name {
            "savepoint-no-checkpoint" => {
                assert!(cause.contains("\"resume without a checkpoint\""), "{cause}");
                assert!(cause.contains("has no checkpoint to resume from"), "{cause}");
                assert!(cause.contains("'execution.checkpointing.interval'"), "{cause}");
            }
            _ => {
                assert!(cause.contains("\"stop the scan\""), "the step is named: {cause}");
                assert!(cause.contains("already FINISHED"), "{cause}");
                assert!(cause.contains("a JDBC scan reads the table once"), "{cause}");
                assert!(
                    cause.contains("savepoints and checkpoints need a streaming job"),
                    "{cause}"
                );
            }
        }
    }
    assert!(run.databases_after.is_empty(), "databases left: {:?}", run.databases_after);
    assert!(
        run.left_behind.is_empty(),
        "left behind (the state volume too): {:?}",
        run.left_behind
    );

    // Flink's view: stopped with a savepoint, resumed from it, cancelled, resumed from the
    // cancelled job's latest checkpoint (and cancelled at teardown).
    let states: Vec<JobState> = seen.jobs.iter().map(|j| j.summary.state).collect();
    assert_eq!(states, [JobState::Finished, JobState::Canceled, JobState::Canceled], "{seen:?}");
    let [stopped, from_savepoint, from_checkpoint] = &seen.jobs[..] else { unreachable!() };
    for job in &seen.jobs {
        let (counts, failed) = (&job.checkpoints.counts, &job.checkpoints.latest.failed);
        let why = failed.as_ref().and_then(|f| f.failure_message.as_deref()).unwrap_or("-");
        eprintln!(
            "job {} {}: checkpoints {counts:?}; latest failure: {why}",
            job.summary.jid, job.summary.state
        );
    }
    let savepoint =
        stopped.checkpoints.latest.savepoint.as_ref().and_then(|s| s.external_path.clone());
    let savepoint = savepoint.expect("the stopped job lists its savepoint");
    assert!(savepoint.starts_with(&format!("file:{FLINK_STATE_DIR}/savepoints/")), "{savepoint}");
    let restored = from_savepoint.checkpoints.latest.restored.as_ref().expect("a restore");
    assert!(restored.is_savepoint, "{restored:?}");
    assert_eq!(restored.external_path.as_deref(), Some(savepoint.as_str()));
    let checkpoint =
        from_savepoint.checkpoints.latest.completed.as_ref().and_then(|c| c.external_path.clone());
    let checkpoint = checkpoint.expect("the cancelled job completed a checkpoint");
    assert!(
        checkpoint.starts_with(&format!("file:{FLINK_STATE_DIR}/checkpoints/")),
        "{checkpoint}"
    );
    // Flink reports every restore through the restore path as `is_savepoint`, a retained
    // checkpoint included (measured on 2.0.1): the path is what tells them apart.
    let restored = from_checkpoint.checkpoints.latest.restored.as_ref().expect("a restore");
    assert_eq!(restored.external_path.as_deref(), Some(checkpoint.as_str()));
    for path in [&savepoint, &checkpoint] {
        let listing = &seen.listings[path];
        assert!(listing.lines().any(|l| l == "_metadata"), "{path} on disk: {listing}");
    }

    // Kafka's view: every id from 1 up, and each job took over where the previous one stopped.
    let ids: BTreeSet<u64> = seen.records.iter().map(|(_, id)| *id).collect();
    let last = *ids.last().expect("records arrived");
    let missing: Vec<u64> = (1..=last).filter(|id| !ids.contains(id)).collect();
    assert!(missing.is_empty(), "ids lost: {missing:?}");
    assert!(last >= 300, "the scenario waited for ids 1..=300, the topic ends at {last}");
    let written_by = |job: &SeenJob, next: Option<&SeenJob>| -> BTreeSet<u64> {
        let (from, to) = (job.summary.start_time, next.map_or(i64::MAX, |n| n.summary.start_time));
        seen.records.iter().filter(|(t, _)| (from..to).contains(t)).map(|(_, id)| *id).collect()
    };
    let first = written_by(stopped, Some(from_savepoint));
    let second = written_by(from_savepoint, Some(from_checkpoint));
    let third = written_by(from_checkpoint, None);
    let bounds = |ids: &BTreeSet<u64>| match (ids.first(), ids.last()) {
        (Some(first), Some(last)) => (*first, *last),
        _ => panic!("a job wrote no record: {seen:?}"),
    };
    let (first, second, third) = (bounds(&first), bounds(&second), bounds(&third));
    eprintln!(
        "ids by job: {first:?} {second:?} {third:?}; {} records, {} duplicates",
        seen.records.len(),
        seen.records.len() - ids.len()
    );
    // A savepoint taken while stopping: the next job starts exactly after the last id written.
    assert_eq!(second.0, first.1 + 1, "resumed from the savepoint");
    // A checkpoint taken before the cancel: what came after it is written again, nothing skipped.
    assert!(third.0 > 1 && third.0 <= second.1 + 1, "resumed from the checkpoint: {third:?}");
    assert!(third.1 > second.1, "the job resumed from the checkpoint carried on");
}

/// `(Kafka timestamp, id)` of each record in the scenario's `records.jsonl`: everything the
/// verifier read (a `contains` expectation reads until its last id arrived).
fn recorded_ids(artefacts: &[PathBuf]) -> Vec<(i64, u64)> {
    let path = artefacts.iter().find(|p| p.ends_with("records.jsonl")).expect("records.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let change: serde_json::Value = serde_json::from_str(line).unwrap();
            let timestamp = change["timestamp"].as_i64().expect("a Kafka timestamp");
            (timestamp, change["row"]["id"].as_u64().unwrap())
        })
        .collect()
}

/// Collects what Flink holds; the asserts run after the stack is gone.
async fn inspect(stack: &Stack) -> Seen {
    let jobmanager = JobManager::new(&stack.endpoints().flink.rest_url).unwrap();
    let mut summaries: Vec<JobSummary> = jobmanager
        .jobs()
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.name.contains("ticks_sink"))
        .collect();
    summaries.sort_by_key(|j| j.start_time);
    let mut jobs = Vec::new();
    for summary in summaries {
        let checkpoints = jobmanager.checkpoints(&summary.jid).await.unwrap();
        jobs.push(SeenJob { summary, checkpoints });
    }
    let mut listings = BTreeMap::new();
    let paths = jobs.iter().flat_map(|j| {
        let latest = &j.checkpoints.latest;
        [&latest.savepoint, &latest.completed]
            .into_iter()
            .flatten()
            .filter_map(|c| c.external_path.clone())
    });
    for path in paths.collect::<Vec<_>>() {
        let dir = path.trim_start_matches("file:").to_string();
        let mut out = stack
            .jobmanager()
            .container()
            .exec(ExecCommand::new(["ls", "-1", &dir]))
            .await
            .unwrap();
        let listing = String::from_utf8_lossy(&out.stdout_to_vec().await.unwrap()).into_owned();
        listings.insert(path, listing);
    }
    Seen { jobs, listings, records: Vec::new() }
}

impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seen")
            .field("jobs", &self.jobs)
            .field("records", &self.records.len())
            .finish()
    }
}
