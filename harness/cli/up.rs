//! `cdc-harness up`: starts the stack, prints where its services answer, keeps it until Ctrl-C
//! (or leaves it running with `--detach`).

use super::{Global, ImageChoice};
use crate::stack::{
    describe_endpoints, interrupt, until_interrupted, write_state, ClusterShape, Signal, Stack,
    StackConfig, StackError,
};
use miette::{Context, IntoDiagnostic};
use std::process::ExitCode;
use std::time::Duration;

/// Start PostgreSQL, a Kafka broker and a Flink cluster (and Kafka Connect with `--with connect`)
/// on their own Docker network.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub choice: ImageChoice,
    /// How many TaskManagers to start.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub taskmanagers: u32,
    /// Task slots per TaskManager.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub slots: u32,
    /// Return once ready and leave the stack running; `cdc-harness down` removes it.
    #[arg(long)]
    pub detach: bool,
    /// Leave the containers in place on Ctrl-C or on failure (for debugging).
    #[arg(long)]
    pub keep: bool,
    /// Seconds each service may take to become ready.
    #[arg(long, default_value_t = 180)]
    pub timeout: u64,
    /// The run id (labels and container names; a-z, 0-9, '-'); default: a random one.
    #[arg(long)]
    pub run_id: Option<String>,
    /// Optional services to start as well (`connect`: Kafka Connect with Debezium's PostgreSQL
    /// connector).
    #[arg(long = "with", value_enum, value_delimiter = ',')]
    pub with: Vec<OptionalService>,
}

/// A service the stack runs only when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OptionalService {
    /// Kafka Connect with Debezium's PostgreSQL connector.
    Connect,
}

pub fn run(args: UpArgs, global: &Global) -> miette::Result<ExitCode> {
    runtime()?.block_on(up(args, global))
}

/// The CLI's async commands share one way to get a runtime.
pub(super) fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().into_diagnostic().wrap_err("could not start the async runtime")
}

async fn up(args: UpArgs, global: &Global) -> miette::Result<ExitCode> {
    let config = StackConfig {
        source: args.choice.images,
        flink: args.choice.flink,
        shape: ClusterShape { taskmanagers: args.taskmanagers, slots_per_taskmanager: args.slots },
        keep: args.keep,
        progress: !global.quiet,
        ready_timeout: Duration::from_secs(args.timeout),
        run_id: args.run_id,
        connect: args.with.contains(&OptionalService::Connect),
        ..StackConfig::default()
    };
    let stack = match until_interrupted(Stack::start(config)).await {
        Err(StackError::Interrupted(signal)) => return interrupted(signal, args.keep),
        Ok(started) => started.map_err(to_report).wrap_err("the stack did not start")?,
        Err(other) => return Err(to_report(other)),
    };
    write_state(stack.endpoints(), stack.artefacts_dir()).map_err(to_report)?;
    print_endpoints(&stack);

    if args.detach {
        let endpoints = stack.detach();
        println!(
            "detached: remove it with `cdc-harness down --run {}` (or `cdc-harness down`)",
            endpoints.run_id
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("press Ctrl-C to stop and remove the stack");
    interrupt().await;
    if args.keep {
        let endpoints = stack.detach();
        println!(
            "kept run {}: remove it with `cdc-harness down --run {}`",
            endpoints.run_id, endpoints.run_id
        );
        return Ok(ExitCode::SUCCESS);
    }
    let removed = stack.stop().await.map_err(to_report)?;
    println!(
        "removed {} containers and {} network(s)",
        removed.containers.len(),
        removed.networks.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn interrupted(signal: Signal, keep: bool) -> miette::Result<ExitCode> {
    if keep {
        eprintln!(
            "interrupted by {signal}: containers kept (--keep); `cdc-harness down` removes them"
        );
    } else {
        eprintln!("interrupted by {signal}: the stack's containers were removed");
    }
    Ok(ExitCode::from(130))
}

pub(super) fn to_report(error: StackError) -> miette::Report {
    miette::miette!("{error}")
}

fn print_endpoints(stack: &Stack) {
    let e = stack.endpoints();
    println!(
        "stack {} ready in {:.1}s (images: {}, {})",
        e.run_id,
        stack.timings().stack_ready.as_secs_f64(),
        e.images.source,
        e.images.reason
    );
    print!("{}", describe_endpoints(e, stack.artefacts_dir()));
}
