//! The Flink job: submitted, watched until RUNNING (streaming) or FINISHED (a bounded scan),
//! and cancelled. Stopping with a savepoint and resuming are in `savepoint.rs`.

use crate::flink::{FlinkError, JobState};
use crate::report::{ArtefactKind, Phase, ScenarioClock};
use crate::run::context::{Job, ScenarioContext};
use crate::run::suite::Suite;
use crate::run::ScenarioFailure;
use std::time::Duration;

/// Submits `script`, then waits for the state the job should reach.
pub async fn start(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    clock: &mut ScenarioClock,
    script: &str,
    bounded: bool,
) -> Result<(), ScenarioFailure> {
    let submitted = clock
        .time(Phase::Submit, suite.submitter.submit(script))
        .await
        .map_err(|e| ScenarioFailure::flink(Phase::Submit, &e))?;
    let job_id = submitted.job_id.clone();
    tracing::info!(scenario = %cx.scenario().name, job = %job_id, "submitted ({:?})", submitted.mode);
    cx.job = Some(Job { submitted, bounded, script: script.to_string(), savepoint: None });
    let target = if bounded { JobState::Finished } else { JobState::Running };
    let timeout = cx.scenario().timeouts.job;
    let reached = clock
        .time(Phase::JobRunning, suite.jobmanager.wait_for_state(&job_id, &[target], timeout))
        .await;
    match reached {
        Ok(_) => Ok(()),
        Err(e) => Err(job_failure(cx, Phase::JobRunning, &e)),
    }
}

/// The job's own exception is the root cause; its stack trace goes to the artefacts.
pub(super) fn job_failure(
    cx: &mut ScenarioContext<'_>,
    phase: Phase,
    e: &FlinkError,
) -> ScenarioFailure {
    if let FlinkError::Job { exception: Some(exception), .. } = e {
        cx.save(ArtefactKind::FlinkExceptions, &exception.stacktrace);
        // The whole trace is in flink-exceptions.txt.
        return ScenarioFailure::error(phase, e.to_string()).with_trace(&exception.stacktrace);
    }
    ScenarioFailure::flink(phase, e)
}

/// The id of the scenario's job when it runs. A job action on a job that has ended fails saying
/// why: most often a bounded source (a JDBC scan FINISHES by itself), which has nothing to stop,
/// savepoint or checkpoint.
pub(super) async fn running_job(
    suite: &Suite<'_>,
    cx: &ScenarioContext<'_>,
    action: &str,
) -> Result<String, ScenarioFailure> {
    let failed = |why: String| ScenarioFailure::failed(Phase::Steps, why);
    let Some(job) = &cx.job else {
        return Err(failed(format!(
            "`job = \"{action}\"` needs a job, and none was submitted yet (the job starts at \
             `job = \"start\"`, or before the first step)"
        )));
    };
    let id = job.submitted.job_id.clone();
    let state = suite
        .jobmanager
        .job(&id)
        .await
        .map_err(|e| ScenarioFailure::flink(Phase::Steps, &e))?
        .state;
    if !state.is_terminal() {
        return Ok(id);
    }
    let why = match (state, job.bounded, &job.savepoint) {
        (JobState::Finished, _, Some(_)) => format!(
            "job {id} was stopped with a savepoint by an earlier step: `job = \"{action}\"` needs \
             it running again (`job = \"resume-from-savepoint\"`)"
        ),
        (JobState::Finished, true, None) => format!(
            "job {id} already FINISHED: its source is bounded (a JDBC scan reads the table once, \
             then the job ends), so there is no running job to `{action}`; savepoints and \
             checkpoints need a streaming job (a CDC source)"
        ),
        (JobState::Finished, false, None) => format!(
            "job {id} already FINISHED: its sources ended by themselves (a bounded source), so \
             there is no running job to `{action}`; savepoints and checkpoints need an unbounded \
             source"
        ),
        _ => format!("job {id} is already {state}: `job = \"{action}\"` needs a running job"),
    };
    Err(failed(why))
}

/// `job = "cancel"`: the job must still run (see [`running_job`]); then as at teardown.
pub async fn cancel_step(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    running_job(suite, cx, "cancel").await?;
    cancel(suite, cx, timeout).await
}

/// Teardown (and `job = "cancel"`): cancels a job that still runs and waits until it stopped.
pub async fn cancel(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let Some(job) = &cx.job else { return Ok(()) };
    let id = job.submitted.job_id.clone();
    let fail = |e: FlinkError| ScenarioFailure::flink(Phase::Teardown, &e);
    let state = suite.jobmanager.job(&id).await.map_err(fail)?.state;
    if state.is_terminal() {
        return Ok(());
    }
    suite.jobmanager.cancel(&id).await.map_err(fail)?;
    match suite.jobmanager.wait_for_state(&id, &[JobState::Canceled], timeout).await {
        Ok(_) | Err(FlinkError::Job { .. }) => Ok(()),
        Err(e) => Err(fail(e)),
    }
}

/// Failures of a streaming job while its records are awaited that mean it is not going to
/// recover: Flink restarts a failing job again and again (with checkpointing its default
/// strategy never gives up), so a job that keeps failing looks alive.
const RESTARTS_GIVEN_UP_ON: usize = 3;

/// `job` is the job's id and whether it is bounded. Resolves, with the job's root cause (and its
/// stack trace, for the artefacts), once a
/// streaming job has FAILED or failed
/// [`RESTARTS_GIVEN_UP_ON`] more times since the watch began; never for a bounded job, or while
/// the job runs well.
pub async fn watch_failures(
    suite: &Suite<'_>,
    job: Option<(String, bool)>,
) -> (ScenarioFailure, Option<(ArtefactKind, String)>) {
    let Some((id, false)) = job else {
        return std::future::pending().await;
    };
    let mut before = None;
    loop {
        if let Ok(details) = suite.jobmanager.job(&id).await {
            let count = suite.jobmanager.failure_count(&id).await.unwrap_or(0);
            let since = count.saturating_sub(*before.get_or_insert(count));
            if details.state == JobState::Failed || since >= RESTARTS_GIVEN_UP_ON {
                let exception = suite.jobmanager.exception(&id).await.ok().flatten();
                let summary =
                    exception.as_ref().map_or("no exception recorded".into(), |e| e.summary());
                let state = if details.state == JobState::Failed {
                    "FAILED".to_string()
                } else {
                    format!("{} and keeps failing ({since} failures while its records were awaited, {count} in all)", details.state)
                };
                let mut failure = ScenarioFailure::failed(
                    Phase::JobRunning,
                    format!("job {id} is {state}: {summary}"),
                );
                if let Some(e) = &exception {
                    failure = failure.with_trace(&e.stacktrace);
                }
                return (failure, exception.map(|e| (ArtefactKind::FlinkExceptions, e.stacktrace)));
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Fails the scenario when the job stopped by itself: a streaming job's failure (with its
/// exception) explains missing records better than the diff does.
pub async fn check_alive(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
) -> Option<ScenarioFailure> {
    let job = cx.job.as_ref()?;
    if job.bounded {
        return None;
    }
    let id = job.submitted.job_id.clone();
    let details = suite.jobmanager.job(&id).await.ok()?;
    if details.state == JobState::Failed {
        let exception = suite.jobmanager.exception(&id).await.ok().flatten();
        let e = FlinkError::Job {
            job_id: id,
            state: details.state,
            exception: exception.map(Box::new),
        };
        return Some(job_failure(cx, Phase::JobRunning, &e));
    }
    None
}
