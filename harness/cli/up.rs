//! `cdc-harness up`: starts the stack, prints where its services answer, keeps it until Ctrl-C
//! (or leaves it running with `--detach`).

use super::Global;
use crate::stack::images::{FlinkVersion, ImageSource, KafkaFlavour};
use crate::stack::{
    interrupt, until_ctrl_c, ClusterShape, Endpoints, Stack, StackConfig, StackError,
};
use miette::{Context, IntoDiagnostic};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Start PostgreSQL, a Kafka broker and a Flink cluster (and Kafka Connect with `--with connect`)
/// on their own Docker network.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// The Flink line to run.
    #[arg(long, value_enum, default_value = "2.0")]
    pub flink: FlinkVersion,
    /// Where images come from.
    #[arg(long, value_enum, default_value_t = ImageSource::Auto)]
    pub images: ImageSource,
    /// How many TaskManagers to start.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub taskmanagers: u32,
    /// Task slots per TaskManager.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub slots: u32,
    /// Return once ready and leave the stack running; `cdc-harness down` removes it.
    #[arg(long)]
    pub detach: bool,
    /// Leave the containers in place on Ctrl-C or on failure (for debugging).
    #[arg(long)]
    pub keep: bool,
    /// Seconds each service may take to become ready.
    #[arg(long, default_value_t = 180)]
    pub timeout: u64,
    /// The run id (labels and container names; a-z, 0-9, '-'); default: a random one.
    #[arg(long)]
    pub run_id: Option<String>,
    /// Optional services to start as well (`connect`: Kafka Connect with Debezium's PostgreSQL
    /// connector).
    #[arg(long = "with", value_enum, value_delimiter = ',')]
    pub with: Vec<OptionalService>,
}

/// A service the stack runs only when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OptionalService {
    /// Kafka Connect with Debezium's PostgreSQL connector.
    Connect,
}

pub fn run(args: UpArgs, global: &Global) -> miette::Result<ExitCode> {
    runtime()?.block_on(up(args, global))
}

/// The CLI's async commands share one way to get a runtime.
pub(super) fn runtime() -> miette::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().into_diagnostic().wrap_err("could not start the async runtime")
}

async fn up(args: UpArgs, global: &Global) -> miette::Result<ExitCode> {
    let config = StackConfig {
        source: args.images,
        flink: args.flink,
        shape: ClusterShape { taskmanagers: args.taskmanagers, slots_per_taskmanager: args.slots },
        keep: args.keep,
        progress: !global.quiet,
        ready_timeout: Duration::from_secs(args.timeout),
        run_id: args.run_id,
        connect: args.with.contains(&OptionalService::Connect),
        ..StackConfig::default()
    };
    let stack = match until_ctrl_c(Stack::start(config)).await {
        Err(StackError::Interrupted) => return interrupted(args.keep),
        Ok(started) => started.map_err(to_report).wrap_err("the stack did not start")?,
        Err(other) => return Err(to_report(other)),
    };
    write_state(stack.endpoints(), stack.artefacts_dir())?;
    print_endpoints(&stack);

    if args.detach {
        let endpoints = stack.detach();
        println!(
            "detached: remove it with `cdc-harness down --run {}` (or `cdc-harness down`)",
            endpoints.run_id
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("press Ctrl-C to stop and remove the stack");
    interrupt().await;
    if args.keep {
        let endpoints = stack.detach();
        println!(
            "kept run {}: remove it with `cdc-harness down --run {}`",
            endpoints.run_id, endpoints.run_id
        );
        return Ok(ExitCode::SUCCESS);
    }
    let removed = stack.stop().await.map_err(to_report)?;
    println!(
        "removed {} containers and {} network(s)",
        removed.containers.len(),
        removed.networks.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn interrupted(keep: bool) -> miette::Result<ExitCode> {
    if keep {
        eprintln!("interrupted: containers kept (--keep); `cdc-harness down` removes them");
    } else {
        eprintln!("interrupted: the stack's containers were removed");
    }
    Ok(ExitCode::from(130))
}

pub(super) fn to_report(error: StackError) -> miette::Report {
    miette::miette!("{error}")
}

/// `stack.json` (endpoints, passwords redacted), and `credentials.env` (the passwords) and
/// `target.toml` (for `run --target`), readable by the owner only, in the run's artefact folder,
/// for people and tools using a detached stack.
fn write_state(endpoints: &Endpoints, dir: &Path) -> miette::Result<()> {
    std::fs::create_dir_all(dir)
        .into_diagnostic()
        .wrap_err_with(|| format!("creating {}", dir.display()))?;
    let json = serde_json::to_string_pretty(endpoints).into_diagnostic()?;
    std::fs::write(dir.join("stack.json"), json).into_diagnostic()?;
    let pg = &endpoints.postgres;
    let credentials = format!(
        "# cdc-harness run {}: PostgreSQL logins. Keep private.\n\
         POSTGRES_SUPERUSER={}\nPOSTGRES_SUPERUSER_PASSWORD={}\n\
         POSTGRES_REPLICATION_USER={}\nPOSTGRES_REPLICATION_PASSWORD={}\n",
        endpoints.run_id,
        pg.superuser.user,
        pg.superuser.password.expose(),
        pg.replication.user,
        pg.replication.password.expose(),
    );
    write_private(&dir.join("credentials.env"), &credentials)?;
    write_private(&dir.join(TARGET_FILE), &crate::stack::target::render(endpoints))
}

/// In the run's folder: the stack as a `run --target` file.
const TARGET_FILE: &str = "target.toml";

fn write_private(path: &Path, text: &str) -> miette::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes()).into_diagnostic()
}

fn print_endpoints(stack: &Stack) {
    let e = stack.endpoints();
    let (pg, kafka, flink) = (&e.postgres, &e.kafka, &e.flink);
    let t = stack.timings();
    println!(
        "stack {} ready in {:.1}s (images: {}, {})",
        e.run_id,
        t.stack_ready.as_secs_f64(),
        e.images.source,
        e.images.reason
    );
    println!("  PostgreSQL   {}", pg.display_url(&pg.superuser));
    println!(
        "               {} (LOGIN REPLICATION, not a superuser)",
        pg.display_url(&pg.replication)
    );
    println!("               in the network: {}:{}", pg.network_host, pg.network_port);
    println!("  passwords    {}", stack.artefacts_dir().join("credentials.env").display());
    let flavour = match kafka.flavour {
        KafkaFlavour::Kafka => "Apache Kafka",
        KafkaFlavour::Tansu => "tansu",
    };
    println!("  Kafka        {} from the host ({flavour})", kafka.bootstrap_host);
    println!("               {} in the network", kafka.bootstrap_network);
    println!(
        "  Flink UI     {} (Flink {}, in the network: {})",
        flink.rest_url, flink.version, flink.rest_url_network
    );
    match (&flink.gateway_url, &flink.gateway_url_network) {
        (Some(url), Some(inner)) => println!("  SQL Gateway  {url} (in the network: {inner})"),
        _ => println!("  SQL Gateway  none: jar submission ({})", flink.sql_runner_jar),
    }
    if let Some(connect) = &e.connect {
        println!(
            "  Kafka Connect {} (Debezium {}, in the network: {})",
            connect.rest_url,
            crate::stack::images::DEBEZIUM_VERSION,
            connect.rest_url_network
        );
    }
    println!("  network      {}", e.network);
    println!(
        "  as a target  cdc-harness run --target {} <scenarios>",
        stack.artefacts_dir().join(TARGET_FILE).display()
    );
}
