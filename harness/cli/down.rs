//! `cdc-harness down`: removes what the harness created, found by label — including what a
//! crashed or killed run left behind.

use super::up::{runtime, to_report};
use super::Global;
use crate::stack::{down, Scope};
use std::process::ExitCode;

/// Remove every container, network and volume the harness created (every run, or one).
#[derive(Debug, clap::Args)]
pub struct DownArgs {
    /// Only this run's (the id `up` printed); default: every run, orphans included.
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
}

pub fn run(args: DownArgs, _global: &Global) -> miette::Result<ExitCode> {
    let scope = match args.run {
        Some(id) => Scope::Run(id),
        None => Scope::All,
    };
    let removed = runtime()?.block_on(down(&scope)).map_err(to_report)?;
    if removed.is_empty() {
        println!("nothing to remove");
        return Ok(ExitCode::SUCCESS);
    }
    for container in &removed.containers {
        println!(
            "removed container {} ({}, run {})",
            container.name, container.state, container.run
        );
    }
    for network in &removed.networks {
        println!("removed network {network}");
    }
    for volume in &removed.volumes {
        println!("removed volume {volume}");
    }
    Ok(ExitCode::SUCCESS)
}
