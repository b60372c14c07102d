//! `cdc-harness sql`: prints the Flink SQL a scenario runs.

use super::Global;
use crate::scenario;
use crate::sql::generate::{generate, Dialect, Target};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Print the Flink SQL (source, sink, INSERT) a scenario generates, pointed at the harness's
/// stack (postgres:5432, database harness, kafka:9092).
#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Connector names to print: `flink` (upstream: postgres-cdc, jdbc; what `run` submits) or
    /// `aiven` (the Aiven console's: cdc-postgres, JDBC).
    #[arg(long, value_enum, default_value_t = DialectArg::Flink)]
    pub dialect: DialectArg,
    /// Print passwords instead of ******.
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DialectArg {
    Flink,
    Aiven,
}

pub fn run(args: SqlArgs, _global: &Global) -> miette::Result<ExitCode> {
    let color = std::io::stderr().is_terminal();
    let scenario = match scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprint!("{}", e.render(color));
            return Ok(ExitCode::FAILURE);
        }
    };
    let dialect = match args.dialect {
        DialectArg::Flink => Dialect::Flink,
        DialectArg::Aiven => Dialect::Aiven,
    };
    let target = Target::preview(&scenario);
    match generate(&scenario, &target, dialect, None) {
        Ok(sql) => {
            print!("{}", sql.render(args.show_secrets));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{}", e.render(color));
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
