//! `cdc-harness bench`: measurements printed as figures (speed targets live here, not in tests).

use super::up::{runtime, to_report};
use super::{Global, ImageChoice};
use crate::stack::images::{self, Ensured};
use crate::stack::{
    time_alone, until_interrupted, ClusterShape, Solo, Stack, StackConfig, StackError,
};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Measure and print figures.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub target: BenchTarget,
}

#[derive(Debug, clap::Subcommand)]
pub enum BenchTarget {
    /// Stack start-up: image time, stack-ready time and each service's own ready time.
    Stack(StackBenchArgs),
    /// Scenarios end to end: stack-ready, submit -> job running, record latency (p50/p99),
    /// verifier decode rate, harness overhead; for a Debezium source also connector POST ->
    /// streaming and each change's commit -> sink latency (p50/p99), e.g. on
    /// `scenarios/debezium-bulk-inserts.toml`.
    Run(RunBenchArgs),
    /// Replication slots: retained WAL per MB of row changes behind an idle slot, and how long
    /// a resumed reader takes to catch up (pg_recvlogical stands in for the CDC connector).
    Slots(SlotsBenchArgs),
}

#[derive(Debug, clap::Args)]
pub struct SlotsBenchArgs {
    #[command(flatten)]
    pub choice: ImageChoice,
    /// MiB of row changes written behind the idle slot, one measurement each.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
    pub retention_mb: Vec<u64>,
    /// MiB of row changes written while the reader is stopped, one catch-up each.
    #[arg(long, value_delimiter = ',', default_value = "4,16,64")]
    pub catch_up_mb: Vec<u64>,
}

#[derive(Debug, clap::Args)]
pub struct RunBenchArgs {
    /// Scenario files or folders.
    #[arg(required = true)]
    pub scenarios: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub choice: ImageChoice,
}

#[derive(Debug, clap::Args)]
pub struct StackBenchArgs {
    #[command(flatten)]
    pub choice: ImageChoice,
    /// How many TaskManagers to start.
    #[arg(long, default_value_t = 1)]
    pub taskmanagers: u32,
    /// Start-ups to measure, each of the stack and of every service alone (images cached).
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
    /// First rebuild the images without Docker's layer cache (minutes) to measure a cold build.
    #[arg(long)]
    pub cold: bool,
    /// Optional services to start as well (`connect`: Kafka Connect).
    #[arg(long = "with", value_enum, value_delimiter = ',')]
    pub with: Vec<super::up::OptionalService>,
}

/// The goal: the stack is ready within this factor of its slowest service started alone.
const GOAL_RATIO: f64 = 1.3;

pub fn run(args: BenchArgs, _global: &Global) -> miette::Result<ExitCode> {
    let finished = runtime()?.block_on(async {
        match args.target {
            BenchTarget::Stack(args) => until_interrupted(bench_stack(args)).await,
            BenchTarget::Run(args) => until_interrupted(bench_run(args)).await,
            BenchTarget::Slots(args) => until_interrupted(bench_slots(args)).await,
        }
    });
    match finished {
        Ok(outcome) => outcome,
        Err(StackError::Interrupted(signal)) => {
            eprintln!("interrupted by {signal}: the benchmark's containers were removed");
            Ok(ExitCode::from(130))
        }
        Err(other) => Err(to_report(other)),
    }
}

fn print_images(kind: &str, ensured: &Ensured) {
    println!("images {kind} ({}): {:.2}s", ensured.images.source, secs(ensured.duration));
    for outcome in &ensured.outcomes {
        println!(
            "  {:<48} {:<24} {:>7.2}s",
            outcome.image.to_string(),
            outcome.action.to_string(),
            secs(outcome.duration)
        );
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

async fn bench_stack(args: StackBenchArgs) -> miette::Result<ExitCode> {
    let shape = ClusterShape { taskmanagers: args.taskmanagers, slots_per_taskmanager: 4 };
    let connect = args.with.contains(&super::up::OptionalService::Connect);
    let base = StackConfig {
        source: args.choice.images,
        flink: args.choice.flink,
        shape,
        connect,
        ..StackConfig::default()
    };
    let builds = images::bench_builds(args.choice.images, args.choice.flink, connect, args.cold)
        .await
        .map_err(|e| to_report(e.into()))?;
    if let Some(cold) = &builds.cold {
        print_images("cold", cold);
    }
    print_images("cached", &builds.cached);
    let resolved = builds.cached.images;
    let mut stack_ready = Vec::new();
    let mut in_stack: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    let mut alone: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    for run in 1..=args.runs.max(1) {
        let config = StackConfig { images: Some(resolved.clone()), ..base.clone() };
        let stack = Stack::start(config).await.map_err(to_report)?;
        let timings = stack.timings().clone();
        let stopping = Instant::now();
        stack.stop().await.map_err(to_report)?;
        println!(
            "run {run}: stack ready in {:.2}s, removed in {:.2}s",
            secs(timings.stack_ready),
            secs(stopping.elapsed())
        );
        stack_ready.push(timings.stack_ready);
        for service in timings.services {
            println!(
                "  in the stack  {:<20} {:>6.2}s (ready at {:.2}s)",
                service.service,
                secs(service.own),
                secs(service.at)
            );
            in_stack.entry(service.service).or_default().push(service.own);
        }
        for solo in Solo::ALL {
            let took =
                time_alone(&resolved, solo, shape, base.ready_timeout).await.map_err(to_report)?;
            println!("  alone         {:<20} {:>6.2}s", solo.name(), secs(took));
            alone.entry(solo.name()).or_default().push(took);
        }
    }

    println!("medians of {} runs:", stack_ready.len());
    for (service, times) in in_stack {
        println!("  in the stack  {service:<20} {:>6.2}s", secs(median(times)));
    }
    let alone: BTreeMap<&str, Duration> = alone.into_iter().map(|(k, v)| (k, median(v))).collect();
    for (service, took) in &alone {
        println!("  alone         {service:<20} {:>6.2}s", secs(*took));
    }
    let ready = median(stack_ready);
    let (slowest, slowest_time) =
        alone.iter().max_by_key(|(_, d)| **d).map(|(k, d)| (*k, *d)).unwrap_or(("none", ready));
    let ratio = secs(ready) / secs(slowest_time);
    let verdict = if ratio <= GOAL_RATIO { "meets" } else { "misses" };
    println!("  stack ready {:.2}s = {ratio:.2} x the slowest service alone ({slowest} {:.2}s): {verdict} the goal <= {GOAL_RATIO}", secs(ready), secs(slowest_time));
    Ok(ExitCode::SUCCESS)
}

async fn bench_run(args: RunBenchArgs) -> miette::Result<ExitCode> {
    use crate::report::{Phase, RunId};
    use crate::run::{bench::bench, plan, RunOptions};
    let run_id = RunId::generate(chrono::Utc::now());
    let planned = plan(&args.scenarios, run_id.as_str(), false)
        .map_err(|e| miette::miette!("{}{e}", e.rendered))?;
    let connect = planned.iter().any(|p| p.needs_connect());
    let ensured = images::ensure_reporting(args.choice.images, args.choice.flink, connect)
        .await
        .map_err(|e| to_report(e.into()))?;
    print_images("cached", &ensured);
    let images = ensured.images;
    let cdc_missing =
        !images.flink.connectors.contains(&crate::stack::images::FlinkConnector::PostgresCdc);
    let options = RunOptions {
        images: args.choice.images,
        flink: args.choice.flink,
        resolved_images: Some(images.clone()),
        // The figures read each scenario's topic after it ran; the stack goes at the end.
        keep: true,
        ..RunOptions::default()
    };
    let config = StackConfig {
        source: args.choice.images,
        flink: args.choice.flink,
        images: Some(images),
        run_id: Some(run_id.as_str().to_string()),
        connect,
        ..StackConfig::default()
    };
    let wall = Instant::now();
    let stack = Stack::start(config).await.map_err(to_report)?;
    println!("stack ready: {:.2}s", secs(stack.timings().stack_ready));
    if let Some(connect) = stack.connect() {
        for service in &stack.timings().services {
            println!("  {:<20} ready in {:.2}s", service.service, secs(service.own));
        }
        println!(
            "  kafka-connect memory at ready: {}",
            connect.memory_usage().await.unwrap_or_else(|e| e.to_string())
        );
    }
    let figures = bench(&stack, &planned, &options, &run_id).await;
    if let Some(connect) = stack.connect() {
        let memory = connect.memory_usage().await.unwrap_or_else(|e| e.to_string());
        println!("kafka-connect memory after the scenarios: {memory}");
    }
    stack.stop().await.map_err(to_report)?;
    let mut all_passed = true;
    for f in &figures {
        let r = &f.result;
        all_passed &= r.outcome == crate::report::Outcome::Passed;
        let phase = |p| r.phase_duration(p).map_or("-".to_string(), |d| format!("{:.2}s", secs(d)));
        println!("{} ({}): {}", r.name, r.file.display(), r.outcome.label());
        if let Some(failure) = r.outcome.failure() {
            println!("  {}: {}", failure.phase, failure.root_cause);
        }
        println!(
            "  setup {}  submit {}  submit -> job running/finished {}  expect {}",
            phase(Phase::Setup),
            phase(Phase::Submit),
            phase(Phase::JobRunning),
            phase(Phase::Expect)
        );
        match (f.percentile(0.5), f.percentile(0.99)) {
            (Some(p50), Some(p99)) => println!(
                "  {} records; record in Kafka - job start: p50 {p50} ms, p99 {p99} ms{}",
                f.records,
                if cdc_missing && reads_jdbc(&planned, &r.name) {
                    " (JDBC volume measure: the local images have no postgres-cdc connector, so no per-change CDC latency)"
                } else {
                    ""
                }
            ),
            _ => println!("  {} records; no record timestamps to measure latency", f.records),
        }
        if let Some(took) = f.connector_start {
            println!("  connector POST -> streaming from its slot: {:.2}s", secs(took));
        }
        let commit = |p| crate::run::bench::percentile(&f.commit_to_sink_ms, p);
        if let (Some(p50), Some(p99)) = (commit(0.5), commit(0.99)) {
            let verdict = if p99 < 2000 { "meets" } else { "misses" };
            println!(
                "  {} changes; commit in PostgreSQL -> record in the sink topic: p50 {p50} ms, p99 {p99} ms ({verdict} the goal p99 < 2000 ms)",
                f.commit_to_sink_ms.len()
            );
        }
        match f.decode_rate {
            Some(rate) => {
                println!("  verifier decode + count: {:.0} records/s (goal >= 200000)", rate)
            }
            None => println!("  verifier decode rate: n/a (no records)"),
        }
        let share = secs(f.overhead) / secs(r.duration).max(f64::EPSILON) * 100.0;
        println!(
            "  wall {:.2}s = pipeline {:.2}s (setup + connector + submit + Flink job {:.2}s) + harness overhead {:.2}s ({share:.0}%, goal <= 10%)",
            secs(r.duration), secs(f.pipeline), f.job_duration.map_or(0.0, secs), secs(f.overhead)
        );
    }
    println!("bench wall time (stack start + scenarios + stop): {:.2}s", secs(wall.elapsed()));
    Ok(if all_passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Whether the scenario named `name` reads with the JDBC connector (its latency since the job's
/// start is a volume measure, not a per-change one).
fn reads_jdbc(planned: &[crate::run::Planned], name: &str) -> bool {
    planned.iter().any(|p| {
        p.scenario.name == name && p.connector == Some(crate::scenario::SourceConnector::Jdbc)
    })
}

async fn bench_slots(args: SlotsBenchArgs) -> miette::Result<ExitCode> {
    use crate::run::slot_bench::measure;
    let ensured = images::ensure_reporting(args.choice.images, args.choice.flink, false)
        .await
        .map_err(|e| to_report(e.into()))?;
    print_images("cached", &ensured);
    let config = StackConfig {
        source: args.choice.images,
        flink: args.choice.flink,
        images: Some(ensured.images),
        ..StackConfig::default()
    };
    let stack = Stack::start(config).await.map_err(to_report)?;
    println!("stack ready: {:.2}s", secs(stack.timings().stack_ready));
    let measured = measure(&stack, &args.retention_mb, &args.catch_up_mb).await;
    stack.stop().await.map_err(to_report)?;
    let figures = measured.map_err(|e| miette::miette!("bench slots: {e}"))?;
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    println!("retained WAL behind an idle slot (no reader), per size of row changes:");
    println!(
        "  {:>9} {:>12} {:>12} {:>16} {:>22}",
        "rows", "changes MiB", "WAL MiB", "retained +MiB", "retained / changes"
    );
    for r in &figures.retention {
        println!(
            "  {:>9} {:>12.2} {:>12.2} {:>16.2} {:>22.2}",
            r.rows,
            mib(r.change_bytes),
            mib(r.wal_bytes),
            mib(r.retained_growth),
            r.retained_growth as f64 / r.change_bytes.max(1) as f64
        );
    }
    println!(
        "resumed reader catching up (pg_recvlogical with pgoutput, standing in for the postgres-cdc \
         connector, which these images may lack; it decodes but does no Flink work):"
    );
    println!(
        "  {:>12} {:>12} {:>20} {:>10} {:>14} {:>12}",
        "changes MiB",
        "backlog MiB",
        "decoded from restart",
        "time",
        "decoded MiB/s",
        "spilled MiB"
    );
    for c in std::iter::once(&figures.empty_catch_up).chain(&figures.catch_up) {
        println!(
            "  {:>12.2} {:>12.2} {:>16.2} MiB {:>9.2}s {:>14.1} {:>12.1}",
            mib(c.change_bytes),
            mib(c.backlog_wal_bytes),
            mib(c.decoded_wal_bytes),
            secs(c.elapsed),
            mib(c.decoded_wal_bytes) / secs(c.elapsed).max(1e-6),
            mib(c.spilled_bytes)
        );
    }
    println!(
        "  (each backlog is one INSERT transaction; one larger than logical_decoding_work_mem is \
         spilled to disk while decoding)"
    );
    Ok(ExitCode::SUCCESS)
}
