//! One scenario through its phases: setup → lint → preflight → topic → connector (Debezium) →
//! submit → job running → steps → expect, then always teardown. Every phase is timed and
//! bounded.

use super::action::{self, run_step};
use super::context::{admin_config, target, ScenarioContext};
use super::plan::Planned;
use super::suite::Suite;
use super::teardown;
use super::ScenarioFailure;
use crate::diagnostics::{Severity, SourceFile, Span};
use crate::report::{ArtefactKind, Outcome, Phase, ScenarioClock, ScenarioResult};
use crate::scenario::{Scenario, Source, SourceConnector, StepKind};
use crate::sql::generate::Target;
use crate::sql::generate::{generate, Dialect};
use crate::sql::lint::{lint_with, LintConfig};
use std::future::Future;
use std::time::Duration;

pub async fn run(suite: &Suite<'_>, planned: &Planned, stack_time: Duration) -> ScenarioResult {
    let mut clock = ScenarioClock::start();
    if !stack_time.is_zero() {
        clock.record(Phase::Stack, stack_time);
    }
    let artefacts = suite.artefacts.as_ref().and_then(|a| a.scenario(&planned.scenario.name).ok());
    let mut cx = ScenarioContext {
        planned,
        pg: None,
        job: None,
        artefacts,
        postgres_sql: String::new(),
        flush_marks: Default::default(),
        occupied: Vec::new(),
        topic_created: false,
        connector: None,
        debezium_topics: false,
    };
    tracing::info!(scenario = %planned.scenario.name, "running {}", planned.path.display());
    // An interruption stops the phases, not the teardown: what the scenario created goes, which
    // matters on a --target's services (a stack's go with its containers anyway).
    let outcome = tokio::select! {
        outcome = phases(suite, &mut cx, &mut clock) => Ok(outcome),
        signal = suite.interrupted() => Err(signal),
    };
    // Cancelling the job and each drop are bounded by `teardown`; this bounds them together.
    let limit = planned.scenario.timeouts.teardown * 3;
    let teardown = bounded(Phase::Teardown, limit, &mut clock, teardown::run(suite, &mut cx)).await;
    let outcome = match (outcome, teardown) {
        (Err(signal), Ok(())) => {
            Outcome::Interrupted { reason: format!("interrupted by {signal}: torn down") }
        }
        (Err(signal), Err(failure)) => Outcome::Interrupted {
            reason: format!("interrupted by {signal}: teardown: {}", failure.root_cause),
        },
        (Ok(Err(failure)), _) | (Ok(Ok(())), Err(failure)) => failure.into_outcome(),
        (Ok(Ok(())), Ok(())) => Outcome::Passed,
    };
    let paths = cx.artefacts.as_ref().map(|a| a.paths()).unwrap_or_default();
    let mut result = clock.finish(&planned.scenario.name, &planned.path, outcome, paths);
    // The clock started after the stack; the stack's share counts in the total it shows.
    result.duration += stack_time;
    tracing::info!(
        scenario = %planned.scenario.name,
        "{} in {:.1}s",
        result.outcome.label(),
        result.duration.as_secs_f64()
    );
    result
}

async fn phases(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    clock: &mut ScenarioClock,
) -> Result<(), ScenarioFailure> {
    let scenario = cx.scenario();
    let services = suite.services;
    let timeouts = scenario.timeouts;

    let flink_user = services.postgres().replication.user.clone();
    let publication = publication(scenario, cx.planned, &target(services, cx.planned));
    bounded(
        Phase::Setup,
        timeouts.setup,
        clock,
        action::setup::run(cx, &admin_config(services), &flink_user, publication.as_deref()),
    )
    .await?;

    let catalog = match &scenario.source {
        Source::Structured(s) if s.columns.is_none() => {
            action::catalog::read(cx.db(), &s.table).await?
        }
        _ => None,
    };
    let sql = generate(scenario, &target(services, cx.planned), Dialect::Flink, catalog.as_ref())
        .map_err(|e| {
        ScenarioFailure::error(Phase::Lint, e.to_string()).with_details(e.render(false))
    })?;
    let shown = sql.render(false);
    cx.save(ArtefactKind::FlinkSql, &shown);
    clock.time(Phase::Lint, async { lint(&cx.planned.scenario.name, &shown) }).await?;
    // After setup (which made the harness's publication and grants) and before anything the
    // scenario does on purpose in steps ahead of `job = "start"`: preflight judges the database
    // the scenario set up, not the faults it then injects for the job to meet.
    if action::preflight::applies(&sql) {
        bounded(
            Phase::Preflight,
            timeouts.setup,
            clock,
            action::preflight::run(cx, services, &sql),
        )
        .await?;
    }

    let topic = cx.planned.names.topic.clone();
    // Debezium's topic exists before the job: Flink's Kafka source finds a topic created later
    // only at its next partition discovery, minutes on.
    let debezium_topic = sql.connector.as_ref().map(|c| c.topic());
    cx.debezium_topics = debezium_topic.is_some();
    bounded(Phase::Topic, timeouts.setup, clock, async {
        for topic in std::iter::once(&topic).chain(debezium_topic.as_ref()) {
            services
                .create_topic(topic)
                .await
                .map_err(|e| ScenarioFailure::error(Phase::Topic, e.to_string()))?;
        }
        Ok(())
    })
    .await?;
    cx.topic_created = true;

    let script = sql.statements().join("\n");
    let start_at = scenario.job_start_step().unwrap_or(0);
    run_steps(suite, cx, clock, 0..start_at).await?;
    if let Some(connector) = &sql.connector {
        action::connector::start(suite, cx, clock, connector).await?;
    }
    action::job::start(suite, cx, clock, &script, sql.source_is_bounded()).await?;
    run_steps(suite, cx, clock, start_at..scenario.steps.len()).await?;

    let bootstrap = services.kafka_bootstrap().to_string();
    let job = cx.job.as_ref().map(|j| (j.submitted.job_id.clone(), j.bounded));
    let watch_job = action::job::watch_failures(suite, job);
    let watch_connector = action::connector::watch_failures(suite, cx.connector.clone());
    let checked = clock
        .time(Phase::Expect, async {
            tokio::select! {
                checked = action::expect::check_all(cx, &bootstrap) => checked.map_err(|f| (f, None)),
                failing = watch_job => Err(failing),
                failing = watch_connector => Err(failing),
            }
        })
        .await;
    if let Err((failure, trace)) = checked {
        if let Some((kind, trace)) = trace {
            cx.save(kind, &trace);
        }
        // A failed streaming job explains missing records better than the diff.
        return Err(action::job::check_alive(suite, cx).await.unwrap_or(failure));
    }
    Ok(())
}

/// The publication setup makes for a CDC source: the harness's own, or the one a pasted
/// Debezium configuration names; none when that relies on Debezium's default (Debezium then
/// creates it, or cannot: preflight says which).
fn publication(scenario: &Scenario, planned: &Planned, target: &Target) -> Option<String> {
    match (&scenario.debezium, planned.connector) {
        (Some(debezium), _) => crate::sql::debezium::connector(scenario, debezium, target)
            .ok()
            .filter(|c| c.publication_made_in_setup())
            .map(|c| c.publication().to_string()),
        (None, Some(SourceConnector::Cdc)) => Some(planned.names.publication.clone()),
        _ => None,
    }
}

/// Runs `steps[range]` in order (`job = "start"` is where the job was submitted).
async fn run_steps(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    clock: &mut ScenarioClock,
    range: std::ops::Range<usize>,
) -> Result<(), ScenarioFailure> {
    let steps = &cx.planned.scenario.steps;
    for index in range {
        let step = &steps[index];
        if matches!(step.kind, StepKind::Job(crate::scenario::JobAction::Start)) {
            continue;
        }
        clock.time(Phase::Steps, run_step(suite, cx, index, step)).await?;
    }
    Ok(())
}

/// Lints the generated SQL; error findings abort the scenario with the lint report.
fn lint(name: &str, sql: &str) -> Result<(), ScenarioFailure> {
    let file = SourceFile::new(format!("{name}.flink.sql (generated)"), sql);
    let config = LintConfig { require_final_semicolon: false, ..LintConfig::default() };
    let findings = lint_with(&file, Span::new(0, sql.len()), &config);
    let errors: Vec<_> = findings.iter().filter(|f| f.severity == Severity::Error).collect();
    for warning in findings.iter().filter(|f| f.severity != Severity::Error) {
        tracing::warn!("{}", warning.render(&file, false));
    }
    if errors.is_empty() {
        return Ok(());
    }
    let report: String = errors.iter().map(|f| f.render(&file, false)).collect();
    let first = &errors[0];
    Err(ScenarioFailure::error(
        Phase::Lint,
        format!(
            "the generated Flink SQL has {} lint error(s): {} ({})",
            errors.len(),
            first.message,
            first.code
        ),
    )
    .with_details(report))
}

/// Times `work` as `phase` and fails it after `limit`.
async fn bounded<T>(
    phase: Phase,
    limit: Duration,
    clock: &mut ScenarioClock,
    work: impl Future<Output = Result<T, ScenarioFailure>>,
) -> Result<T, ScenarioFailure> {
    match clock.time(phase, tokio::time::timeout(limit, work)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(ScenarioFailure::error(
            phase,
            format!(
                "did not finish within {} (the scenario's [timeouts])",
                crate::scenario::format_duration(limit)
            ),
        )),
    }
}
