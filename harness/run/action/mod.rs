//! One file per action a scenario performs, each a short function over the scenario's context.

pub mod catalog;
pub mod connector;
pub mod expect;
pub mod fault;
pub mod generate;
pub mod job;
pub mod preflight;
pub mod savepoint;
pub mod setup;
pub mod slot;
pub mod sql;
pub mod wait;

use super::context::ScenarioContext;
use super::suite::Suite;
use super::ScenarioFailure;
use crate::report::Phase;
use crate::scenario::{JobAction, Step, StepKind};

/// Extra time for steps that time out by themselves with a more precise message.
const OWN_TIMEOUT_MARGIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs one step (not `job = "start"`, which the scenario runner places), within its timeout.
pub async fn run_step(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    index: usize,
    step: &Step,
) -> Result<(), ScenarioFailure> {
    let label = step_label(cx, index, step);
    let work = async {
        match &step.kind {
            StepKind::Sql(sql) => sql::run(cx, sql).await,
            StepKind::Wait(pause) => {
                tokio::time::sleep(*pause).await;
                Ok(())
            }
            StepKind::WaitUntil(query) => wait::until(cx, query, step.timeout).await,
            StepKind::Generate(generator) => generate::run(cx, generator).await,
            StepKind::Job(action) => job_action(suite, cx, *action, step.timeout).await,
            StepKind::Connector(action) => connector::step(suite, cx, *action, step.timeout).await,
            StepKind::Fault(f) => fault::run(suite, cx, *f, step.timeout).await,
            StepKind::VerifySlot(check) => slot::verify(cx, check, step.timeout).await,
        }
    };
    // A sleep or a wait_until bounds itself; the step timeout bounds the rest (SQL, generators).
    // A slot check or a job action gets a margin so that its own timeout, naming the slot or the
    // job, is what reports.
    let bound = step.timeout.max(match step.kind {
        StepKind::Wait(pause) => pause + step.timeout,
        StepKind::VerifySlot(_)
        | StepKind::Fault(_)
        | StepKind::Job(_)
        | StepKind::Connector(_) => step.timeout + OWN_TIMEOUT_MARGIN,
        _ => step.timeout,
    });
    match tokio::time::timeout(bound, work).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(mut failure)) => {
            failure.root_cause = format!("{label}: {}", failure.root_cause);
            Err(failure)
        }
        Err(_) => Err(ScenarioFailure::error(
            Phase::Steps,
            format!("{label}: did not finish within {}", crate::scenario::format_duration(bound)),
        )),
    }
}

async fn job_action(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    action: JobAction,
    timeout: std::time::Duration,
) -> Result<(), ScenarioFailure> {
    match action {
        // The scenario runner submits the job at this step.
        JobAction::Start => Ok(()),
        JobAction::Cancel => job::cancel_step(suite, cx, timeout).await,
        JobAction::StopWithSavepoint => savepoint::stop_with_savepoint(suite, cx, timeout).await,
        JobAction::ResumeFromSavepoint => {
            savepoint::resume_from_savepoint(suite, cx, timeout).await
        }
        JobAction::ResumeFromCheckpoint => {
            savepoint::resume_from_checkpoint(suite, cx, timeout).await
        }
    }
}

/// `step 2 "change both rows" (scenarios/x.toml:31)`.
fn step_label(cx: &ScenarioContext<'_>, index: usize, step: &Step) -> String {
    let file = &cx.scenario().file;
    let line = file.line_col(step.span.start).line;
    match &step.name {
        Some(name) => format!("step {} \"{name}\" ({}:{line})", index + 1, file.name()),
        None => format!("step {} ({}:{line})", index + 1, file.name()),
    }
}
