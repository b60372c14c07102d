//! The command line: one module per subcommand, each a `run(args, &Global) -> Result<ExitCode>`.
//! Only subcommands that work are listed here.

use crate::stack::images::{FlinkVersion, ImageSource};
use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;

mod bench;
mod down;
mod images;
mod lint;
mod preflight;
mod run;
mod slots;
mod sql;
mod up;

/// Proves a PostgreSQL -> Apache Flink -> Kafka pipeline works before anyone ships it.
#[derive(Debug, Parser)]
#[command(name = "cdc-harness", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand understands.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// More output (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Run(run::RunArgs),
    Lint(lint::LintArgs),
    Sql(sql::SqlArgs),
    Preflight(preflight::PreflightArgs),
    Slots(slots::SlotsArgs),
    Up(up::UpArgs),
    Down(down::DownArgs),
    Images(images::ImagesArgs),
    Bench(bench::BenchArgs),
}

/// Logs go to stderr so that stdout stays machine-readable (`sql`, `lint --format json`).
pub fn init_tracing(global: &Global) {
    let default = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactedStderr)
        // Colour codes only where a person reads them, not in CI logs or redirected files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// Log lines pass the one redaction on their way to stderr: an event holding a URL, a DSN or an
/// option with a secret shows `******`.
struct RedactedStderr;

/// One event's bytes, written redacted when the event is complete.
struct RedactedLine(Vec<u8>);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RedactedStderr {
    type Writer = RedactedLine;
    fn make_writer(&'a self) -> RedactedLine {
        RedactedLine(Vec::new())
    }
}

impl std::io::Write for RedactedLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactedLine {
    fn drop(&mut self) {
        let text = crate::secret::redact(&String::from_utf8_lossy(&self.0));
        crate::terminal::above_progress(|| {
            let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
        });
    }
}

/// Where images come from and which Flink line runs: flattened into every command that starts
/// a stack, so that the choice reads (and defaults) the same everywhere.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ImageChoice {
    /// Where images come from: `registry` (Docker Hub + Maven Central), `local` (built from
    /// Debian + PyPI; no postgres-cdc connector), or `auto` (registry when Docker Hub answers).
    #[arg(long, value_enum, default_value_t = ImageSource::Auto)]
    pub images: ImageSource,
    /// The Flink line [default: 1.20 on registry images, Aiven's production line, with every
    /// connector; 2.0 on local images, the only line built locally].
    #[arg(long, value_enum)]
    pub flink: Option<FlinkVersion>,
}

pub fn exec(cli: Cli) -> miette::Result<ExitCode> {
    // Resolved (and exported as DOCKER_HOST) while this process has one thread: setting an
    // environment variable is only sound then.
    crate::stack::docker_endpoint();
    match cli.command {
        Command::Run(args) => run::run(args, &cli.global),
        Command::Lint(args) => lint::run(args, &cli.global),
        Command::Sql(args) => sql::run(args, &cli.global),
        Command::Preflight(args) => preflight::run(args, &cli.global),
        Command::Slots(args) => slots::run(args, &cli.global),
        Command::Up(args) => up::run(args, &cli.global),
        Command::Down(args) => down::run(args, &cli.global),
        Command::Images(args) => images::run(args, &cli.global),
        Command::Bench(args) => bench::run(args, &cli.global),
    }
}

#[cfg(test)]
mod help_tests {
    use super::Cli;
    use clap::CommandFactory;

    fn every_command(
        command: &clap::Command,
        path: String,
        out: &mut Vec<(String, clap::Command)>,
    ) {
        out.push((path.clone(), command.clone()));
        for sub in command.get_subcommands() {
            every_command(sub, format!("{path} {}", sub.get_name()), out);
        }
    }

    /// `--help` is the first reference a user reads: every command and every option says what
    /// it is for.
    #[test]
    fn every_command_and_option_has_help() {
        let mut commands = Vec::new();
        every_command(&Cli::command(), "cdc-harness".into(), &mut commands);
        let mut silent = Vec::new();
        for (path, command) in &commands {
            if path != "cdc-harness" && command.get_about().is_none() {
                silent.push(path.clone());
            }
            for arg in command.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() {
                    silent.push(format!("{path} {}", arg.get_id()));
                }
            }
        }
        assert!(silent.is_empty(), "no help text: {silent:?}");
    }
}
