//! The Flink job: submitted, watched until RUNNING (streaming) or FINISHED (a bounded scan),
//! and cancelled.

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
    cx.job = Some(Job { submitted, bounded });
    let target = if bounded { JobState::Finished } else { JobState::Running };
    let timeout = cx.scenario().timeouts.job;
    let reached = clock
        .time(Phase::JobRunning, suite.jobmanager.wait_for_state(&job_id, &[target], timeout))
        .await;
    match reached {
        Ok(_) => Ok(()),
        Err(e) => Err(job_failure(cx, &e)),
    }
}

/// The job's own exception is the root cause; its stack trace goes to the artefacts.
fn job_failure(cx: &mut ScenarioContext<'_>, e: &FlinkError) -> ScenarioFailure {
    if let FlinkError::Job { exception: Some(exception), .. } = e {
        cx.save(ArtefactKind::FlinkExceptions, &exception.stacktrace);
        // The summary shows the innermost cause; the whole trace is in flink-exceptions.txt.
        let trace = &exception.stacktrace;
        let innermost = trace.rfind("Caused by:").map_or(trace.as_str(), |at| &trace[at..]);
        let shown: Vec<&str> = innermost.lines().take(12).collect();
        return ScenarioFailure::error(Phase::JobRunning, e.to_string())
            .with_details(shown.join("\n"));
    }
    ScenarioFailure::flink(Phase::JobRunning, e)
}

/// `job = "cancel"`, and teardown: cancels a job that still runs and waits until it stopped.
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
        return Some(job_failure(cx, &e));
    }
    None
}
