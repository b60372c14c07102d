//! `cdc-harness sql`: prints the Flink SQL a scenario runs.

use super::Global;
use crate::scenario;
use crate::sql::generate::{generate, Dialect, Target};
use crate::sql::lint::refusals;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Print the Flink SQL (source, sink, INSERT) a scenario generates, pointed at the harness's
/// stack (postgres:5432, database harness, kafka:9092). Exit code 0, 1 when the SQL has errors
/// `run` would refuse (shown on stderr, the SQL still printed), 2 when the scenario is invalid.
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
    // An unreadable or invalid scenario is bad input, as for `run` and `lint`.
    let scenario = match scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprint!("{}", e.render(color));
            return Ok(ExitCode::from(2));
        }
    };
    let dialect = match args.dialect {
        DialectArg::Flink => Dialect::Flink,
        DialectArg::Aiven => Dialect::Aiven,
    };
    let target = Target::preview(&scenario);
    let sql = match generate(&scenario, &target, dialect, None) {
        Ok(sql) => sql,
        Err(e) => {
            eprint!("{}", e.render(color));
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    print!("{}", sql.render(args.show_secrets));
    // The SQL is printed either way (it is what the user asked to see); what `run` would refuse
    // in it is said on stderr and in the exit code.
    let refused = refusals(&scenario, &target, color);
    if !refused.is_empty() {
        refused.iter().for_each(|finding| eprint!("{finding}"));
        eprintln!(
            "error: {} problem(s) in this scenario's SQL: `cdc-harness run` refuses it",
            refused.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
