//! One invocation: check each scenario against the images, start the stack once (or take the
//! `--target`'s services), run the scenarios (one by one, or `jobs` at a time), and tear
//! everything down.

use super::needs::{missing_piece, needs_containers};
use super::plan::Planned;
use super::scenario;
use super::services::Services;
use super::ScenarioFailure;
use crate::flink::{JobManager, SqlRunner, SubmitMode, SubmitOptions, Submitter};
use crate::report::{
    ImagesMade, Outcome, Phase, RunArtefacts, RunId, RunReport, ScenarioClock, ScenarioResult,
};
use crate::stack::images::{self, Action, FlinkVersion, ImageSource, Images};
use crate::stack::target::Target;
use crate::stack::{interrupt, ClusterShape, Signal, Stack, StackConfig};
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Ctrl-C and SIGTERM during a run, watched from its start to its end: running scenarios stop
/// and are torn down (reported `interrupted`, with the phases they got through and their
/// artefacts), the rest are skipped, and the exit code says 130 even when the signal came while
/// the stack was being removed.
#[derive(Clone)]
pub struct Interruption {
    signal: tokio::sync::watch::Receiver<Option<Signal>>,
}

impl Interruption {
    /// Starts watching for the signals (a task that lives as long as one receiver does).
    pub fn watch() -> Interruption {
        let (tx, signal) = tokio::sync::watch::channel(None);
        tokio::spawn(async move {
            tokio::select! {
                received = interrupt() => drop(tx.send(Some(received))),
                _ = tx.closed() => {}
            }
        });
        Interruption { signal }
    }

    /// The signal that came, if one did.
    pub fn signal(&self) -> Option<Signal> {
        *self.signal.borrow()
    }

    /// Resolves with the signal once one comes.
    pub async fn arrived(&self) -> Signal {
        let mut watch = self.signal.clone();
        let arrived = watch.wait_for(Option::is_some).await.map(|signal| *signal);
        match arrived {
            Ok(signal) => signal.unwrap_or(Signal::Interrupt),
            // The watcher is gone: no signal can come any more.
            Err(_) => std::future::pending().await,
        }
    }
}

/// How to run a suite (the CLI's flags).
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub images: ImageSource,
    /// `None` runs the image source's line.
    pub flink: Option<FlinkVersion>,
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
    /// Existing services to run against instead of a stack (`--target`).
    pub target: Option<Target>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            images: ImageSource::Auto,
            flink: None,
            submit: SubmitMode::Auto,
            keep: false,
            fail_fast: false,
            jobs: 1,
            artefacts_root: PathBuf::from(crate::stack::DEFAULT_ARTEFACTS_ROOT),
            progress: false,
            resolved_images: None,
            target: None,
        }
    }
}

/// What every scenario of a run shares.
pub struct Suite<'a> {
    pub services: Services<'a>,
    pub submitter: Submitter,
    pub jobmanager: JobManager,
    pub artefacts: Option<RunArtefacts>,
    pub run_id: RunId,
    pub keep: bool,
    /// Ctrl-C or SIGTERM: the running scenarios stop and tear down, the others are skipped.
    interruption: Interruption,
}

/// Runs the planned scenarios; the report is complete even when the stack cannot start or the
/// run is interrupted (the scenarios not run are then errors or skipped).
pub async fn run_suite(planned: Vec<Planned>, options: &RunOptions, run_id: RunId) -> RunReport {
    let interruption = Interruption::watch();
    let started_at = chrono::Utc::now();
    let clock = tokio::time::Instant::now();
    let mut report = RunReport::new(run_id.clone(), started_at);
    let mut results: Vec<Option<ScenarioResult>> = vec![None; planned.len()];
    let started = match &options.target {
        Some(target) => {
            let runnable = without_container_steps(&planned, target, &mut results);
            let services = Services::Target(target);
            let ran = run_on_services(
                services,
                &planned,
                &runnable,
                options,
                &run_id,
                Duration::ZERO,
                &interruption,
            )
            .await;
            fill(&mut results, ran);
            true
        }
        None => {
            let (started, images_made) =
                run_on_new_stack(&planned, options, &run_id, &mut results, &interruption).await;
            report.images_made = images_made;
            started
        }
    };
    report.interrupted = interruption.signal().map(|s| s.to_string());
    report.scenarios = results.into_iter().flatten().collect();
    if started {
        report.artefact_dir = Some(options.artefacts_root.join(run_id.as_str()));
    }
    report.duration = clock.elapsed();
    report
}

fn fill(results: &mut [Option<ScenarioResult>], ran: Vec<(usize, ScenarioResult)>) {
    for (i, result) in ran {
        results[i] = Some(result);
    }
}

/// Starts a stack of the chosen images, runs on it what they can run, and removes it (unless
/// `keep`). `false` when nothing started: the images could not be had. Also says which images
/// had to be built or pulled first, and how long that took.
async fn run_on_new_stack(
    planned: &[Planned],
    options: &RunOptions,
    run_id: &RunId,
    results: &mut [Option<ScenarioResult>],
    interruption: &Interruption,
) -> (bool, Option<ImagesMade>) {
    let connect = planned.iter().any(Planned::needs_connect);
    let ensured = match options.resolved_images.clone() {
        Some(images) => Ok((images, None)),
        None => images::ensure_reporting(options.images, options.flink, connect)
            .await
            .map(|ensured| {
                let count = ensured.outcomes.iter().filter(|o| o.action != Action::Present).count();
                let made = (count > 0).then_some(ImagesMade { count, duration: ensured.duration });
                (ensured.images, made)
            })
            .map_err(|e| e.to_string()),
    };
    let (images, images_made) = match ensured {
        Ok(ensured) => ensured,
        Err(e) => {
            for (i, p) in planned.iter().enumerate() {
                let failure = ScenarioFailure::error(Phase::Stack, format!("images: {e}"));
                results[i] = Some(not_run(p, failure));
            }
            return (false, None);
        }
    };
    let started = run_on_images(planned, options, run_id, results, interruption, images).await;
    (started, images_made)
}

async fn run_on_images(
    planned: &[Planned],
    options: &RunOptions,
    run_id: &RunId,
    results: &mut [Option<ScenarioResult>],
    interruption: &Interruption,
    images: Images,
) -> bool {
    // What the images cannot run fails now, before anything starts.
    for (i, p) in planned.iter().enumerate() {
        if let Some(missing) = missing_piece(&p.scenario, p.connector, &images) {
            results[i] = Some(not_run(p, ScenarioFailure::failed(Phase::Stack, missing)));
        }
    }
    let runnable: Vec<usize> = (0..planned.len()).filter(|&i| results[i].is_none()).collect();
    if runnable.is_empty() {
        return true;
    }
    let config = StackConfig {
        source: options.images,
        flink: options.flink,
        images: Some(images),
        shape: ClusterShape { taskmanagers: 1, slots_per_taskmanager: 4 },
        keep: options.keep,
        progress: options.progress,
        artefacts_root: options.artefacts_root.clone(),
        run_id: Some(run_id.as_str().to_string()),
        connect: runnable.iter().any(|&i| planned[i].needs_connect()),
        ..StackConfig::default()
    };
    let stack_clock = tokio::time::Instant::now();
    // A signal while the stack starts drops the start, which removes what it made.
    let started = tokio::select! {
        started = Stack::start(config) => started,
        signal = interruption.arrived() => {
            for &i in &runnable {
                let reason = format!("not started: interrupted by {signal} while the stack started");
                results[i] = Some(skipped(&planned[i], reason));
            }
            return true;
        }
    };
    let stack = match started {
        Ok(stack) => stack,
        Err(e) => {
            let failure =
                ScenarioFailure::error(Phase::Stack, format!("the stack did not start: {e}"));
            for &i in &runnable {
                results[i] = Some(not_run(&planned[i], failure.clone()));
            }
            return true;
        }
    };
    let stack_time = stack_clock.elapsed();
    // Scenarios watch the interruption themselves: each stops, is torn down and reported.
    let ran = run_on_services(
        Services::Stack(&stack),
        planned,
        &runnable,
        options,
        run_id,
        stack_time,
        interruption,
    )
    .await;
    if ran.iter().any(|(_, r)| r.outcome != Outcome::Passed) {
        save_logs(&stack, &options.artefacts_root, run_id).await;
    }
    fill(results, ran);
    if options.keep {
        // As `up` leaves a stack: its endpoints shown, its logins and target file written.
        let dir = stack.artefacts_dir().to_path_buf();
        let endpoints = stack.detach();
        if let Err(e) = crate::stack::write_state(&endpoints, &dir) {
            tracing::warn!("writing the kept stack's files: {e}");
        }
        eprint!(
            "kept run {}: `cdc-harness down --run {}` removes it\n{}",
            endpoints.run_id,
            endpoints.run_id,
            crate::stack::describe_endpoints(&endpoints, &dir)
        );
    } else if let Err(e) = stack.stop().await {
        tracing::warn!("removing the stack: {e}");
    }
    true
}

/// The scenarios without a verdict yet, but for those with a step that needs the harness's own
/// containers (a `--target` has none to restart, pause or exec into) and Debezium sources on a
/// target without Kafka Connect: they get one now.
fn without_container_steps(
    planned: &[Planned],
    target: &Target,
    results: &mut [Option<ScenarioResult>],
) -> Vec<usize> {
    let mut runnable = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        if results[i].is_some() {
            continue;
        }
        let steps = &p.scenario.steps;
        if p.needs_connect() && target.connect_url.is_none() {
            let why = format!(
                "the source is Debezium, and {} names no Kafka Connect: add `[connect] rest = \
                 \"http://...:8083\"` (a worker with Debezium's PostgreSQL connector)",
                target.file
            );
            results[i] = Some(not_run(p, ScenarioFailure::failed(Phase::Connector, why)));
        } else if let Some(step) = steps.iter().find_map(|s| needs_containers(&s.kind)) {
            let why = format!(
                "step `{step}` needs the harness's own containers; a --target's services are \
                 never restarted, paused or entered (run it without --target)"
            );
            results[i] = Some(not_run(p, ScenarioFailure::failed(Phase::Steps, why)));
        } else {
            runnable.push(i);
        }
    }
    runnable
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
    let interruption = Interruption::watch();
    run_on_services(
        Services::Stack(stack),
        planned,
        which,
        options,
        run_id,
        stack_time,
        &interruption,
    )
    .await
}

async fn run_on_services(
    services: Services<'_>,
    planned: &[Planned],
    which: &[usize],
    options: &RunOptions,
    run_id: &RunId,
    stack_time: Duration,
    interruption: &Interruption,
) -> Vec<(usize, ScenarioResult)> {
    let suite = match Suite::connect(services, options, run_id, interruption.clone()).await {
        Ok(suite) => suite,
        Err(failure) => {
            return which.iter().map(|&i| (i, not_run(&planned[i], failure.clone()))).collect()
        }
    };
    let results = run_scenarios(&suite, planned, which, options, stack_time).await;
    // The uploaded SQL-runner jar is the harness's too.
    if let Err(e) = suite.submitter.close().await {
        tracing::warn!("removing the SQL-runner jar from the JobManager: {e}");
    }
    results
}

async fn run_scenarios(
    suite: &Suite<'_>,
    planned: &[Planned],
    runnable: &[usize],
    options: &RunOptions,
    stack_time: Duration,
) -> Vec<(usize, ScenarioResult)> {
    // Each scenario's job takes one slot (parallelism 1); the slots other jobs hold are not ours.
    let slots = match (suite.jobmanager.overview().await, suite.services.stack()) {
        (Ok(overview), _) => overview.slots_available,
        (Err(_), Some(stack)) => stack.endpoints().flink.task_slots,
        (Err(_), None) => 1,
    }
    .max(1) as usize;
    let jobs = options.jobs.clamp(1, slots);
    let stop = AtomicBool::new(false);
    let mut first = true;
    let runs = runnable.iter().map(|&i| {
        let stack_share = if std::mem::take(&mut first) { stack_time } else { Duration::ZERO };
        let stop = &stop;
        async move {
            if let Some(signal) = suite.interruption.signal() {
                let reason = format!("not started: interrupted by {signal}");
                return (i, skipped(&planned[i], reason));
            }
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
        services: Services<'a>,
        options: &RunOptions,
        run_id: &RunId,
        interruption: Interruption,
    ) -> Result<Self, ScenarioFailure> {
        let endpoints = services.flink();
        let runner = match options.submit {
            SubmitMode::Gateway => None,
            _ if endpoints.gateway_url.is_some() && options.submit == SubmitMode::Auto => None,
            _ => Some(SqlRunner::from_path(sql_runner_jar(services, options).await?)),
        };
        let submitter =
            Submitter::connect(options.submit, &endpoints, runner, SubmitOptions::default())
                .await
                .map_err(|e| ScenarioFailure::flink(Phase::Submit, &e))?;
        let jobmanager = JobManager::new(&endpoints.rest_url)
            .map_err(|e| ScenarioFailure::flink(Phase::Submit, &e))?;
        let pg = services.postgres();
        let secrets = [pg.superuser.password.clone(), pg.replication.password.clone()];
        let artefacts = match RunArtefacts::create(&options.artefacts_root, run_id, secrets) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::warn!("no artefacts for this run: {e}");
                None
            }
        };
        Ok(Suite {
            services,
            submitter,
            jobmanager,
            artefacts,
            run_id: run_id.clone(),
            keep: options.keep,
            interruption,
        })
    }

    /// Resolves with the signal once the run is interrupted.
    pub async fn interrupted(&self) -> Signal {
        self.interruption.arrived().await
    }
}

/// The SQL-runner jar on the host: the one in the stack's Flink image, or for a target the
/// target file's own, else the one in the harness's Flink image (built or pulled now).
async fn sql_runner_jar(
    services: Services<'_>,
    options: &RunOptions,
) -> Result<PathBuf, ScenarioFailure> {
    let fail =
        |e: String| ScenarioFailure::error(Phase::Submit, format!("the SQL-runner jar: {e}"));
    let image = match services {
        Services::Stack(stack) => stack.images().flink.clone(),
        Services::Target(target) => match &target.flink.sql_runner_jar {
            Some(path) => return Ok(path.clone()),
            None => match options.resolved_images.clone() {
                Some(images) => images.flink,
                None => {
                    images::ensure(options.images, options.flink, false)
                        .await
                        .map_err(|e| fail(e.to_string()))?
                        .flink
                }
            },
        },
    };
    images::sql_runner_jar_on_host(&image).await.map_err(|e| fail(e.to_string()))
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
