//! One invocation: check each scenario against the images, start the stack once, run the
//! scenarios (one by one, or `jobs` at a time), and tear everything down.

use super::needs::{missing_piece, unsupported_step};
use super::plan::Planned;
use super::scenario;
use super::ScenarioFailure;
use crate::flink::{FlinkEndpoints, JobManager, SqlRunner, SubmitMode, SubmitOptions, Submitter};
use crate::report::{
    Outcome, Phase, RunArtefacts, RunId, RunReport, ScenarioClock, ScenarioResult,
};
use crate::stack::images::{self, FlinkVersion, ImageSource, Images};
use crate::stack::{until_ctrl_c, ClusterShape, Stack, StackConfig, StackError};
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How a scenario the user interrupted is reported (skipped, with this reason).
pub const INTERRUPTED: &str = "interrupted (Ctrl-C)";

/// How to run a suite (the CLI's flags).
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub images: ImageSource,
    pub flink: FlinkVersion,
    pub submit: SubmitMode,
    /// Leave the containers (and the scenarios' databases) in place.
    pub keep: bool,
    /// After the first scenario that does not pass, skip the rest.
    pub fail_fast: bool,
    /// Scenarios at a time (bounded by the cluster's task slots).
    pub jobs: usize,
    /// `<artefacts_root>/<run id>/` holds the run's artefacts.
    pub artefacts_root: PathBuf,
    pub progress: bool,
    /// Images already resolved (tests); `None` resolves `images` + `flink`.
    pub resolved_images: Option<Images>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            images: ImageSource::Auto,
            flink: FlinkVersion::V2_0,
            submit: SubmitMode::Auto,
            keep: false,
            fail_fast: false,
            jobs: 1,
            artefacts_root: PathBuf::from(crate::stack::DEFAULT_ARTEFACTS_ROOT),
            progress: false,
            resolved_images: None,
        }
    }
}

/// What every scenario of a run shares.
pub struct Suite<'a> {
    pub stack: &'a Stack,
    pub submitter: Submitter,
    pub jobmanager: JobManager,
    pub artefacts: Option<RunArtefacts>,
    pub run_id: RunId,
    pub keep: bool,
}

/// Runs the planned scenarios; the report is complete even when the stack cannot start or the
/// run is interrupted (the scenarios not run are then errors or skipped).
pub async fn run_suite(planned: Vec<Planned>, options: &RunOptions, run_id: RunId) -> RunReport {
    let started_at = chrono::Utc::now();
    let clock = tokio::time::Instant::now();
    let mut report = RunReport::new(run_id.clone(), started_at);
    let mut results: Vec<Option<ScenarioResult>> = vec![None; planned.len()];

    let images = match options.resolved_images.clone() {
        Some(images) => Ok(images),
        None => images::ensure(options.images, options.flink).await.map_err(|e| e.to_string()),
    };
    let images = match images {
        Ok(images) => images,
        Err(e) => {
            report.scenarios = planned
                .iter()
                .map(|p| not_run(p, ScenarioFailure::error(Phase::Stack, format!("images: {e}"))))
                .collect();
            report.duration = clock.elapsed();
            return report;
        }
    };

    // What the images cannot run fails now, before anything starts.
    let mut runnable = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        if let Some(missing) = missing_piece(&p.scenario, p.connector, &images) {
            results[i] = Some(not_run(p, ScenarioFailure::failed(Phase::Stack, missing)));
        } else if let Some(step) = p.scenario.steps.iter().find_map(|s| unsupported_step(&s.kind)) {
            let why = format!("step `{step}` is not supported yet (issue 5)");
            results[i] = Some(not_run(p, ScenarioFailure::failed(Phase::Steps, why)));
        } else {
            runnable.push(i);
        }
    }

    if !runnable.is_empty() {
        let config = StackConfig {
            source: options.images,
            flink: options.flink,
            images: Some(images),
            shape: ClusterShape { taskmanagers: 1, slots_per_taskmanager: 4 },
            keep: options.keep,
            progress: options.progress,
            artefacts_root: options.artefacts_root.clone(),
            run_id: Some(run_id.as_str().to_string()),
            ..StackConfig::default()
        };
        let stack_clock = tokio::time::Instant::now();
        let outcome = until_ctrl_c(async {
            let stack = match Stack::start(config).await {
                Ok(stack) => stack,
                Err(e) => return Err(e),
            };
            let stack_time = stack_clock.elapsed();
            let ran = run_on(&stack, &planned, &runnable, options, &run_id, stack_time).await;
            Ok((stack, ran))
        })
        .await;
        match outcome {
            Ok(Ok((stack, ran))) => {
                let any_failed = ran.iter().any(|(_, r)| r.outcome != Outcome::Passed);
                if any_failed {
                    save_logs(&stack, &options.artefacts_root, &run_id).await;
                }
                for (i, result) in ran {
                    results[i] = Some(result);
                }
                if options.keep {
                    let endpoints = stack.detach();
                    eprintln!(
                        "kept run {}: `cdc-harness down --run {}` removes it",
                        endpoints.run_id, endpoints.run_id
                    );
                } else if let Err(e) = stack.stop().await {
                    tracing::warn!("removing the stack: {e}");
                }
            }
            Ok(Err(e)) => {
                for &i in &runnable {
                    results[i] = Some(not_run(&planned[i], stack_failure(&e)));
                }
            }
            Err(StackError::Interrupted) | Err(_) => {
                for &i in &runnable {
                    let reason = format!("{INTERRUPTED}: the stack was removed");
                    results[i] = Some(skipped(&planned[i], reason));
                }
            }
        }
    }
    report.scenarios = results.into_iter().flatten().collect();
    report.artefact_dir = Some(options.artefacts_root.join(run_id.as_str()));
    report.duration = clock.elapsed();
    report
}

/// Runs `planned[i]` for each `i` of `which` on a stack already running (tests share one);
/// `stack_time` is counted in the first scenario's `stack` phase.
pub async fn run_on(
    stack: &Stack,
    planned: &[Planned],
    which: &[usize],
    options: &RunOptions,
    run_id: &RunId,
    stack_time: Duration,
) -> Vec<(usize, ScenarioResult)> {
    match Suite::connect(stack, options, run_id).await {
        Ok(suite) => run_scenarios(&suite, planned, which, options, stack_time).await,
        Err(failure) => which.iter().map(|&i| (i, not_run(&planned[i], failure.clone()))).collect(),
    }
}

async fn run_scenarios(
    suite: &Suite<'_>,
    planned: &[Planned],
    runnable: &[usize],
    options: &RunOptions,
    stack_time: Duration,
) -> Vec<(usize, ScenarioResult)> {
    // Each scenario's job takes one slot (parallelism 1); the slots other jobs hold are not ours.
    let slots = match suite.jobmanager.overview().await {
        Ok(overview) => overview.slots_available,
        Err(_) => suite.stack.endpoints().flink.task_slots,
    }
    .max(1) as usize;
    let jobs = options.jobs.clamp(1, slots);
    let stop = AtomicBool::new(false);
    let mut first = true;
    let runs = runnable.iter().map(|&i| {
        let stack_share = if std::mem::take(&mut first) { stack_time } else { Duration::ZERO };
        let stop = &stop;
        async move {
            if options.fail_fast && stop.load(Ordering::SeqCst) {
                let reason = "--fail-fast: an earlier scenario did not pass".to_string();
                return (i, skipped(&planned[i], reason));
            }
            let result = scenario::run(suite, &planned[i], stack_share).await;
            if result.outcome != Outcome::Passed {
                stop.store(true, Ordering::SeqCst);
            }
            (i, result)
        }
    });
    futures::stream::iter(runs).buffer_unordered(jobs).collect().await
}

impl<'a> Suite<'a> {
    async fn connect(
        stack: &'a Stack,
        options: &RunOptions,
        run_id: &RunId,
    ) -> Result<Self, ScenarioFailure> {
        let endpoints = FlinkEndpoints::from(&stack.endpoints().flink);
        let runner = match options.submit {
            SubmitMode::Gateway => None,
            _ if endpoints.gateway_url.is_some() && options.submit == SubmitMode::Auto => None,
            _ => {
                let jar =
                    images::sql_runner_jar_on_host(&stack.images().flink).await.map_err(|e| {
                        ScenarioFailure::error(Phase::Submit, format!("the SQL-runner jar: {e}"))
                    })?;
                Some(SqlRunner::from_path(jar))
            }
        };
        let submitter =
            Submitter::connect(options.submit, &endpoints, runner, SubmitOptions::default())
                .await
                .map_err(|e| ScenarioFailure::flink(Phase::Submit, &e))?;
        let jobmanager = JobManager::new(&endpoints.rest_url)
            .map_err(|e| ScenarioFailure::flink(Phase::Submit, &e))?;
        let pg = &stack.endpoints().postgres;
        let secrets = [pg.superuser.password.clone(), pg.replication.password.clone()];
        let artefacts = match RunArtefacts::create(&options.artefacts_root, run_id, secrets) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::warn!("no artefacts for this run: {e}");
                None
            }
        };
        Ok(Suite {
            stack,
            submitter,
            jobmanager,
            artefacts,
            run_id: run_id.clone(),
            keep: options.keep,
        })
    }
}

async fn save_logs(stack: &Stack, root: &std::path::Path, run_id: &RunId) {
    match stack.save_logs().await {
        Ok(folder) => {
            // Redacted in place: the stack saved them into the run's own logs folder.
            if let Ok(artefacts) = RunArtefacts::create(
                root,
                run_id,
                [
                    stack.endpoints().postgres.superuser.password.clone(),
                    stack.endpoints().postgres.replication.password.clone(),
                ],
            ) {
                if let Err(e) = artefacts.adopt_logs(&folder) {
                    tracing::warn!("redacting the container logs: {e}");
                }
            }
        }
        Err(e) => tracing::warn!("saving the container logs: {e}"),
    }
}

fn stack_failure(e: &StackError) -> ScenarioFailure {
    ScenarioFailure::error(Phase::Stack, format!("the stack did not start: {e}"))
}

fn not_run(p: &Planned, failure: ScenarioFailure) -> ScenarioResult {
    ScenarioClock::start().finish(&p.scenario.name, &p.path, failure.into_outcome(), Vec::new())
}

fn skipped(p: &Planned, reason: String) -> ScenarioResult {
    ScenarioClock::start().finish(
        &p.scenario.name,
        &p.path,
        Outcome::Skipped { reason },
        Vec::new(),
    )
}
