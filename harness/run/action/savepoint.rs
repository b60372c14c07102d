//! `job = "stop-with-savepoint"`, `"resume-from-savepoint"` and `"resume-from-checkpoint"`: the
//! job is stopped (or cancelled by `job = "cancel"`) and the same script is submitted again with
//! its state restored, as an operator would roll out a change. The stack keeps checkpoints and
//! savepoints on a volume every Flink process sees, and retains checkpoints on cancellation.

use super::job::{job_failure, running_job};
use crate::flink::{CheckpointStats, FlinkError, JobState, RestoredCheckpoint};
use crate::report::Phase;
use crate::retry::{Attempt, Retry};
use crate::run::context::{Job, ScenarioContext};
use crate::run::suite::Suite;
use crate::run::ScenarioFailure;
use std::time::Duration;

/// Flink reports the restore with the job's first checkpoint statistics; its REST cache may
/// answer from before the job started for a few seconds (`web.refresh-interval`, 3 s).
const RESTORE_REPORTED_WITHIN: Duration = Duration::from_secs(10);

/// Stops the running job with a final savepoint into the cluster's savepoint directory and keeps
/// its path. No drain: the sources pause rather than end, so the resumed job carries on from
/// where this one stopped.
pub async fn stop_with_savepoint(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let id = running_job(suite, cx, "stop-with-savepoint").await?;
    let jobmanager = &suite.jobmanager;
    let trigger = jobmanager.stop_with_savepoint(&id, None, false).await.map_err(flink)?;
    let path = jobmanager.wait_for_savepoint(&id, &trigger, timeout).await.map_err(flink)?;
    // The savepoint completes a moment before the job reports FINISHED.
    if let Err(e) = jobmanager.wait_for_state(&id, &[JobState::Finished], timeout).await {
        return Err(job_failure(cx, Phase::Steps, &e));
    }
    tracing::info!(scenario = %cx.scenario().name, job = %id, "stopped with savepoint {path}");
    if let Some(job) = cx.job.as_mut() {
        job.savepoint = Some(path);
    }
    Ok(())
}

/// Submits the script again, restored from the savepoint of `stop-with-savepoint`.
pub async fn resume_from_savepoint(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let path = cx.job.as_ref().and_then(|job| job.savepoint.clone()).ok_or_else(|| {
        failed(
            "no savepoint to resume from: stop the job with `job = \"stop-with-savepoint\"` in an \
             earlier step"
                .into(),
        )
    })?;
    resume(suite, cx, &path, timeout).await
}

/// Submits the script again, restored from the latest completed checkpoint of the job that
/// ended (`job = "cancel"`, a failure); the checkpoint outlived it because the stack retains
/// checkpoints on cancellation.
pub async fn resume_from_checkpoint(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let Some(job) = &cx.job else {
        return Err(failed("no job to resume: none was submitted yet".into()));
    };
    let id = job.submitted.job_id.clone();
    let state = suite.jobmanager.job(&id).await.map_err(flink)?.state;
    if !state.is_terminal() {
        return Err(failed(format!(
            "job {id} is still {state}: stop it first (`job = \"cancel\"`), then resume it from \
             its latest checkpoint"
        )));
    }
    if state == JobState::Finished && job.savepoint.is_none() {
        // A bounded source: the same explanation as for any other job action.
        return running_job(suite, cx, "resume-from-checkpoint").await.map(drop);
    }
    let stats = suite.jobmanager.checkpoints(&id).await.map_err(flink)?;
    match stats.latest.completed.as_ref().and_then(|c| c.external_path.clone()) {
        Some(path) => resume(suite, cx, &path, timeout).await,
        None => Err(failed(no_checkpoint(&id, state, &stats))),
    }
}

fn no_checkpoint(id: &str, state: JobState, stats: &CheckpointStats) -> String {
    let counts = &stats.counts;
    if counts.total == 0 {
        return format!(
            "job {id} ({state}) has no checkpoint to resume from: checkpointing is off unless the \
             scenario turns it on, e.g. `[flink] settings = \
             {{ 'execution.checkpointing.interval' = '1s' }}` (CDC sources get 2s), and the job \
             must run long enough to complete one before it is cancelled"
        );
    }
    let latest = stats.latest.failed.as_ref().and_then(|f| f.failure_message.as_deref());
    format!(
        "job {id} ({state}) completed none of its {} checkpoints ({} failed{})",
        counts.total,
        counts.failed,
        latest.map(|m| format!("; the latest: {m}")).unwrap_or_default()
    )
}

/// Submits the previous job's script restored from `path`, waits until every task runs, and
/// checks that Flink reports the restore from `path`.
async fn resume(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    path: &str,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let Job { submitted, bounded, script, .. } =
        cx.job.take().expect("the caller checked that a job was submitted");
    // The previous job has ended; only its gateway session (if any) is left to close.
    if let Err(e) = submitted.release().await {
        tracing::warn!("closing the previous job's gateway session: {e}");
    }
    let resumed = suite.submitter.submit_restored(&script, path).await.map_err(flink)?;
    let id = resumed.job_id.clone();
    tracing::info!(scenario = %cx.scenario().name, job = %id, "resumed from {path}");
    cx.job = Some(Job { submitted: resumed, bounded, script, savepoint: None });
    if let Err(e) = suite.jobmanager.wait_for_state(&id, &[JobState::Running], timeout).await {
        return Err(job_failure(cx, Phase::Steps, &e));
    }
    let restored = restored_from(suite, &id).await?;
    let same = |a: &str| a.trim_end_matches('/') == path.trim_end_matches('/');
    match restored.external_path.as_deref() {
        Some(from) if same(from) => Ok(()),
        other => Err(failed(format!(
            "job {id} was restored from {}, not from {path}",
            other.unwrap_or("a checkpoint without a path")
        ))),
    }
}

/// What Flink says the job's state was restored from; fails when it says nothing.
async fn restored_from(suite: &Suite<'_>, id: &str) -> Result<RestoredCheckpoint, ScenarioFailure> {
    let reported = Retry::with_timeout(RESTORE_REPORTED_WITHIN)
        .run(|| async {
            match suite.jobmanager.checkpoints(id).await {
                Ok(stats) => stats.latest.restored.ok_or(Attempt::Retry(None)),
                Err(e) => Err(Attempt::Fatal(Some(e))),
            }
        })
        .await;
    reported.map_err(|e| match e.into_inner() {
        Some(e) => flink(e),
        None => failed(format!(
            "job {id} runs, but Flink reports no restored state after {}s: the restore path was \
             not applied",
            RESTORE_REPORTED_WITHIN.as_secs()
        )),
    })
}

fn flink(e: FlinkError) -> ScenarioFailure {
    ScenarioFailure::flink(Phase::Steps, &e)
}

fn failed(why: String) -> ScenarioFailure {
    ScenarioFailure::failed(Phase::Steps, why)
}
