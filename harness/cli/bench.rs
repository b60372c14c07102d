//! `cdc-harness bench`: measurements printed as figures (speed targets live here, not in tests).

use super::up::{runtime, to_report};
use super::Global;
use crate::stack::images::{FlinkVersion, ImageSource};
use crate::stack::{until_ctrl_c, ClusterShape, Stack, StackConfig, Timings};
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
}

#[derive(Debug, clap::Args)]
pub struct StackBenchArgs {
    #[arg(long, value_enum, default_value = "2.0")]
    pub flink: FlinkVersion,
    #[arg(long, value_enum, default_value_t = ImageSource::Auto)]
    pub images: ImageSource,
    #[arg(long, default_value_t = 1)]
    pub taskmanagers: u32,
    /// Stack start-ups to measure (with images cached).
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
}

/// The goal: the stack is ready within this factor of its slowest service alone.
const GOAL_RATIO: f64 = 1.3;

pub fn run(args: BenchArgs, _global: &Global) -> miette::Result<ExitCode> {
    match args.target {
        BenchTarget::Stack(args) => runtime()?.block_on(async {
            match until_ctrl_c(bench_stack(args)).await {
                Ok(result) => result,
                Err(e) => Err(to_report(e)),
            }
        }),
    }
}

async fn bench_stack(args: StackBenchArgs) -> miette::Result<ExitCode> {
    let base = StackConfig {
        source: args.images,
        flink: args.flink,
        shape: ClusterShape { taskmanagers: args.taskmanagers, slots_per_taskmanager: 4 },
        ..StackConfig::default()
    };
    let mut ratios = Vec::new();
    let mut images = None;
    for run in 1..=args.runs {
        let config = StackConfig { images: images.clone(), ..base.clone() };
        let stack = Stack::start(config).await.map_err(to_report)?;
        let timings = stack.timings().clone();
        if images.is_none() {
            let resolved = stack.images();
            println!("images ({:?}): {:.1}s — {}", resolved.source, timings.images.as_secs_f64(), resolved.reason);
            images = Some(resolved.clone());
        }
        let stopping = Instant::now();
        stack.stop().await.map_err(to_report)?;
        let ratio = print_run(run, &timings, stopping.elapsed());
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    if let Some(median) = ratios.get(ratios.len() / 2) {
        let verdict = if *median <= GOAL_RATIO { "meets" } else { "misses" };
        println!("median stack-ready / slowest service: {median:.2} ({verdict} the goal ≤ {GOAL_RATIO})");
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints one start-up; returns stack-ready / slowest service.
fn print_run(run: u32, timings: &Timings, stop: Duration) -> f64 {
    let secs = |d: Duration| d.as_secs_f64();
    println!("run {run}: stack ready {:.2}s, removed in {:.2}s", secs(timings.stack_ready), secs(stop));
    for service in &timings.services {
        println!("  {:<20} own {:>6.2}s   ready at {:>6.2}s", service.service, secs(service.own), secs(service.at));
    }
    let slowest = timings.slowest().map(|s| secs(s.own)).unwrap_or(f64::NAN);
    let ratio = secs(timings.stack_ready) / slowest;
    println!("  stack-ready / slowest service: {ratio:.2}");
    ratio
}
