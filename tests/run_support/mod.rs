//! The one way `run` tests run scenarios on a local stack: plan them, start the stack, run them
//! with `run_on`, note what they left in PostgreSQL, stop the stack and note the containers left.

#![allow(dead_code)]

use cdc_harness::report::{RunId, ScenarioResult};
use cdc_harness::run::{plan, run_on, Planned, RunOptions};
use cdc_harness::stack::images::{self, FlinkVersion, ImageSource};
use cdc_harness::stack::{inventory, Inventory, Scope, Stack, StackConfig};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// At most one stack at a time in a test binary. A std lock held across awaits on purpose: each
/// test has its own runtime (and plain #[test]s take it too).
pub static STACK: Mutex<()> = Mutex::new(());

/// A fresh folder under the target's temporary directory.
pub fn scratch(binary: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(binary).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A scenario's outcome in one line, with its failure's details.
pub fn outcome_line(r: &ScenarioResult) -> String {
    match r.outcome.failure() {
        Some(f) => format!(
            "{} {} in {}: {}\n{}",
            r.name,
            r.outcome.label(),
            f.phase,
            f.root_cause,
            f.details.clone().unwrap_or_default()
        ),
        None => format!("{} {}", r.name, r.outcome.label()),
    }
}

/// What one run on a local stack produced and left.
pub struct LocalRun {
    pub planned: Vec<Planned>,
    pub results: Vec<(usize, ScenarioResult)>,
    pub slots_before: Vec<String>,
    pub slots_after: Vec<String>,
    /// Scenario databases (`s_*`) still there after the run.
    pub databases_after: Vec<String>,
    /// Scenario topics (`s_*`) still on the broker after the run.
    pub topics_after: Vec<String>,
    /// What of the run's containers and networks is still there after the stack stopped.
    pub left_behind: Inventory,
}

/// Runs `paths` on a new local stack, `jobs` at a time, and stops the stack.
pub async fn run_on_local_stack(paths: &[PathBuf], jobs: usize, artefacts: PathBuf) -> LocalRun {
    run_on_local_stack_then(paths, jobs, artefacts, async |_, _| ()).await.0
}

/// [`run_on_local_stack`], with `inspect` looking at the stack (Flink's jobs, the topics) after
/// the scenarios ran and before it stops.
pub async fn run_on_local_stack_then<T>(
    paths: &[PathBuf],
    jobs: usize,
    artefacts: PathBuf,
    inspect: impl AsyncFnOnce(&Stack, &[Planned]) -> T,
) -> (LocalRun, T) {
    let run_id = RunId::generate(chrono::Utc::now());
    let planned = plan(paths, run_id.as_str(), false).expect("the scenarios are valid");
    let connect = planned.iter().any(Planned::needs_connect);
    let images = images::ensure(ImageSource::Local, FlinkVersion::V2_0, connect)
        .await
        .expect("local images");
    let options = RunOptions {
        images: ImageSource::Local,
        jobs,
        artefacts_root: artefacts,
        resolved_images: Some(images.clone()),
        ..RunOptions::default()
    };
    let config = StackConfig {
        source: ImageSource::Local,
        images: Some(images),
        artefacts_root: options.artefacts_root.clone(),
        run_id: Some(run_id.as_str().to_string()),
        connect,
        ..StackConfig::default()
    };
    let stack = Stack::start(config).await.expect("the stack starts");
    let (slots_before, _) = slots_and_databases(&stack).await;
    let all: Vec<usize> = (0..planned.len()).collect();
    let results = run_on(&stack, &planned, &all, &options, &run_id, Duration::ZERO).await;
    let (slots_after, databases_after) = slots_and_databases(&stack).await;
    let mut topics_after = broker_topics(&stack.endpoints().kafka.bootstrap_host).await;
    topics_after.retain(|t| t.starts_with("s_"));
    eprintln!("{}", results.iter().map(|(_, r)| outcome_line(r)).collect::<Vec<_>>().join("\n"));
    let inspected = inspect(&stack, &planned).await;
    stack.stop().await.expect("the stack stops");
    let left_behind = inventory(&Scope::Run(run_id.as_str().to_string())).await.unwrap();
    let run = LocalRun {
        planned,
        results,
        slots_before,
        slots_after,
        databases_after,
        topics_after,
        left_behind,
    };
    (run, inspected)
}

/// Every topic on the broker, sorted.
pub async fn broker_topics(bootstrap: &str) -> Vec<String> {
    let bootstrap = bootstrap.to_string();
    tokio::task::spawn_blocking(move || {
        let admin = cdc_harness::kafka::admin_client(&bootstrap).unwrap();
        let metadata = admin.inner().fetch_metadata(None, Duration::from_secs(10)).unwrap();
        let mut topics: Vec<String> =
            metadata.topics().iter().map(|t| t.name().to_string()).collect();
        topics.sort();
        topics
    })
    .await
    .unwrap()
}

/// A session of the stack's superuser on `database` (default: the stack's own).
pub async fn superuser_session(stack: &Stack, database: Option<&str>) -> tokio_postgres::Client {
    let pg = &stack.endpoints().postgres;
    let mut config = pg.host_config(&pg.superuser);
    if let Some(database) = database {
        config.dbname(database);
    }
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

/// The first column of `sql`'s rows, as text.
pub async fn names(client: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    client.query(sql, &[]).await.unwrap().iter().map(|r| r.get::<_, String>(0)).collect()
}

async fn slots_and_databases(stack: &Stack) -> (Vec<String>, Vec<String>) {
    let client = superuser_session(stack, None).await;
    (
        names(&client, "SELECT slot_name::text FROM pg_replication_slots ORDER BY 1").await,
        names(
            &client,
            "SELECT datname::text FROM pg_database WHERE datname LIKE 's\\_%' ORDER BY 1",
        )
        .await,
    )
}

/// Every file below `dir`, at any depth.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}
