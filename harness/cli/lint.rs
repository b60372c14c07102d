//! `cdc-harness lint`: checks Flink connector DDL before rollout.

use super::Global;
use std::path::PathBuf;
use std::process::ExitCode;

/// Check Flink SQL connector DDL (a .sql file or a scenario) and report findings.
#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// A .sql file or a scenario .toml.
    pub file: PathBuf,
}

pub fn run(_args: LintArgs, _global: &Global) -> miette::Result<ExitCode> {
    miette::bail!("not yet implemented")
}
