//! `cdc-harness sql`: prints the Flink SQL a scenario runs.

use super::Global;
use std::path::PathBuf;
use std::process::ExitCode;

/// Print the Flink SQL (source, sink, INSERT) a scenario generates.
#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The scenario file.
    pub scenario: PathBuf,
}

pub fn run(_args: SqlArgs, _global: &Global) -> miette::Result<ExitCode> {
    miette::bail!("not yet implemented")
}
