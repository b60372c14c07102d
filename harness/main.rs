use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cdc_harness::cli::Cli::parse();
    cdc_harness::cli::init_tracing(&cli.global);
    match cdc_harness::cli::exec(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::FAILURE
        }
    }
}
