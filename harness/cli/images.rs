//! `cdc-harness images build|list`: make the stack's images present ahead of time, or show them.

use super::{Global, ImageChoice};
use crate::stack::images;
use miette::{Context, IntoDiagnostic};
use std::process::ExitCode;

/// Build or fetch the images a stack needs, or list the harness's images.
#[derive(Debug, clap::Args)]
pub struct ImagesArgs {
    #[command(subcommand)]
    pub command: ImagesCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ImagesCommand {
    /// Build (local) or pull and derive (registry) every image the stack needs; reuses what is present.
    Build(BuildArgs),
    /// Show the harness's images present in the Docker engine.
    List,
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub choice: ImageChoice,
}

pub fn run(args: ImagesArgs, _global: &Global) -> miette::Result<ExitCode> {
    let runtime =
        tokio::runtime::Runtime::new().into_diagnostic().wrap_err("starting the async runtime")?;
    match args.command {
        ImagesCommand::Build(build) => runtime.block_on(run_build(build)),
        ImagesCommand::List => runtime.block_on(run_list()),
    }
}

async fn run_build(args: BuildArgs) -> miette::Result<ExitCode> {
    // Every image a stack can need, Kafka Connect's included.
    let ensured = images::ensure_reporting(args.choice.images, args.choice.flink, true)
        .await
        .into_diagnostic()?;
    let images = &ensured.images;
    println!("images: {} ({})", images.source, images.reason);
    let rows: Vec<[String; 3]> = ensured
        .outcomes
        .iter()
        .map(|o| {
            [o.image.to_string(), o.action.to_string(), format!("{:.1}s", o.duration.as_secs_f64())]
        })
        .collect();
    print_table(&["IMAGE", "ACTION", "TIME"], &rows);
    println!("total {:.1}s", ensured.duration.as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

async fn run_list() -> miette::Result<ExitCode> {
    crate::stack::engine::ensure_engine().await.into_diagnostic()?;
    let present = images::list().await.into_diagnostic()?;
    if present.is_empty() {
        println!("no cdc-harness images; `cdc-harness images build` makes them");
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 4]> =
        present.into_iter().map(|p| [p.image.to_string(), p.size, p.created, p.source]).collect();
    print_table(&["IMAGE", "SIZE", "CREATED", "SOURCE"], &rows);
    Ok(ExitCode::SUCCESS)
}

fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> =
            cells.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}
