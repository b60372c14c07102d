//! `cdc-harness preflight`: read-only CDC readiness check of a PostgreSQL for one table.
//!
//! Exit codes: 0 every check ok or warn, 1 at least one check failed, 2 the database could not be
//! reached or queried.

use super::up::runtime;
use super::Global;
use crate::postgres::{preflight, PgClient, PgConfig, PreflightRequest};
use miette::IntoDiagnostic;
use std::process::ExitCode;

/// Check, without changing anything, that a PostgreSQL can feed a CDC reader of a table:
/// wal_level, role, publication, primary key, replica identity, slots, plugin.
#[derive(Debug, clap::Args)]
pub struct PreflightArgs {
    /// postgres://user:password@host:port/database (the table's database).
    #[arg(long, value_name = "URL", env = "CDC_HARNESS_PG", hide_env_values = true)]
    pub pg: String,
    /// The table the connector reads, as schema.table.
    #[arg(long, value_name = "SCHEMA.TABLE")]
    pub table: String,
    /// The connector's `slot.name`.
    #[arg(long, value_name = "NAME")]
    pub slot: Option<String>,
    /// The connector's `debezium.publication.name` (default: dbz_publication).
    #[arg(long, value_name = "NAME")]
    pub publication: Option<String>,
    /// The connector's `decoding.plugin.name`.
    #[arg(long, value_name = "NAME", default_value = "pgoutput")]
    pub plugin: String,
    /// The reader needs before-images: fail unless REPLICA IDENTITY FULL (Flink's debezium-json
    /// format reading Debezium's topic fails on an UPDATE without the old row).
    #[arg(long)]
    pub before_images: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per check with its fix, and a summary.
    Human,
    /// The checklist as a JSON object (for CI).
    Json,
}

const UNREACHABLE: u8 = 2;

pub fn run(args: PreflightArgs, _global: &Global) -> miette::Result<ExitCode> {
    let request = PreflightRequest {
        table: args.table.clone(),
        slot: args.slot.clone(),
        publication: args.publication.clone(),
        plugin: args.plugin.clone(),
        before_images: args.before_images,
    };
    let outcome = runtime()?.block_on(async {
        let config = PgConfig::from_url(&args.pg)?;
        let pg = PgClient::connect(&config).await?;
        preflight(&pg, &request).await
    });
    let checklist = match outcome {
        Ok(checklist) => checklist,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(UNREACHABLE));
        }
    };
    match args.format {
        Format::Human => print!("{}", checklist.render()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&checklist).into_diagnostic()?),
    }
    Ok(if checklist.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
