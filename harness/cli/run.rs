//! `cdc-harness run`: scenarios end to end against one stack, with reports.

use super::up::runtime;
use super::{Global, ImageChoice};
use crate::flink::SubmitMode;
use crate::report::{render_summary, RunId};
use crate::run::{plan, run_suite, RunOptions};
use miette::IntoDiagnostic;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run scenarios end to end: start the stack, submit each scenario's Flink SQL, drive
/// PostgreSQL, check what arrives in Kafka. Exit code 0 only when every scenario passed, 1 when
/// one did not, 2 when a scenario or target file is invalid (nothing is started then), 130 when
/// interrupted.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario files, or folders of them (`*.toml`, in name order).
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub choice: ImageChoice,
    /// How SQL reaches Flink: the SQL Gateway when present (auto), or the SQL-runner jar.
    #[arg(long, value_enum, default_value_t = SubmitMode::Auto)]
    pub submit: SubmitMode,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// The run's artefacts go into `<DIR>/<run id>/`.
    #[arg(long, value_name = "DIR", default_value = crate::stack::DEFAULT_ARTEFACTS_ROOT)]
    pub artefacts: PathBuf,
    /// Leave the stack (and the scenarios' databases) running; `cdc-harness down` removes them.
    #[arg(long)]
    pub keep: bool,
    /// Skip the remaining scenarios after the first one that does not pass.
    #[arg(long)]
    pub fail_fast: bool,
    /// Run against existing services (PostgreSQL, Kafka, a Flink cluster) described in this
    /// file instead of starting containers; only the harness's own objects are created and
    /// dropped there. `up` and `run --keep` write one, `target.toml`, in the run's folder.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// Scenarios to run at once (bounded by the cluster's free task slots).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
}

pub fn run(args: RunArgs, global: &Global) -> miette::Result<ExitCode> {
    let color = std::io::stderr().is_terminal();
    let run_id = RunId::generate(chrono::Utc::now());
    let planned = match plan(&args.scenarios, run_id.as_str(), color) {
        Ok(planned) => planned,
        Err(e) => {
            eprint!("{}", e.rendered);
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let target = match &args.target {
        Some(path) => match crate::stack::target::load(path) {
            Ok(target) => Some(target),
            Err(e) => {
                eprint!("{}", e.render(color));
                return Ok(ExitCode::from(2));
            }
        },
        None => None,
    };
    let options = RunOptions {
        images: args.choice.images,
        flink: args.choice.flink,
        submit: args.submit,
        keep: args.keep,
        fail_fast: args.fail_fast,
        jobs: args.jobs as usize,
        artefacts_root: args.artefacts.clone(),
        progress: !global.quiet && std::io::stderr().is_terminal(),
        resolved_images: None,
        target,
    };
    let report = runtime()?.block_on(run_suite(planned, &options, run_id));
    print!("{}", render_summary(&report));
    if let Some(path) = &args.json {
        report.write_json(path).into_diagnostic()?;
    }
    if let Some(path) = &args.junit {
        report.write_junit(path).into_diagnostic()?;
    }
    Ok(match (report.success(), report.interrupted.is_some()) {
        (_, true) => ExitCode::from(130),
        (true, false) => ExitCode::SUCCESS,
        (false, false) => ExitCode::FAILURE,
    })
}
