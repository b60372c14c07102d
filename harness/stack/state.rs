//! What a stack left running leaves for people and tools: its endpoints on screen, and
//! `stack.json` (endpoints, passwords redacted), `credentials.env` (the passwords) and
//! `target.toml` (for `run --target`) in the run's folder, the last two readable by the owner
//! only. `up` and `run --keep` both leave a stack this way.

use super::endpoints::Endpoints;
use super::error::StackError;
use super::images::{KafkaFlavour, DEBEZIUM_VERSION};
use std::path::Path;

/// In the run's folder: the stack as a `run --target` file.
pub const TARGET_FILE: &str = "target.toml";
/// In the run's folder: the PostgreSQL logins.
pub const CREDENTIALS_FILE: &str = "credentials.env";

/// Writes `stack.json`, `credentials.env` and `target.toml` into `dir`.
pub fn write_state(endpoints: &Endpoints, dir: &Path) -> Result<(), StackError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StackError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let json = serde_json::to_string_pretty(endpoints).expect("endpoints serialize");
    let stack_json = dir.join("stack.json");
    std::fs::write(&stack_json, json).map_err(io(&stack_json))?;
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
    write_private(&dir.join(CREDENTIALS_FILE), &credentials)?;
    write_private(&dir.join(TARGET_FILE), &super::target::render(endpoints))
}

fn write_private(path: &Path, text: &str) -> Result<(), StackError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|source| StackError::Io { path: path.to_path_buf(), source })
}

/// The endpoints, one service per line (passwords redacted), and how to use the stack as a
/// target; `dir` is where [`write_state`] wrote.
pub fn describe_endpoints(endpoints: &Endpoints, dir: &Path) -> String {
    let (pg, kafka, flink) = (&endpoints.postgres, &endpoints.kafka, &endpoints.flink);
    let mut text = String::new();
    let mut line = |s: String| {
        text.push_str(&s);
        text.push('\n');
    };
    line(format!("  PostgreSQL   {}", pg.display_url(&pg.superuser)));
    line(format!(
        "               {} (LOGIN REPLICATION, not a superuser)",
        pg.display_url(&pg.replication)
    ));
    line(format!("               in the network: {}:{}", pg.network_host, pg.network_port));
    line(format!("  passwords    {}", dir.join(CREDENTIALS_FILE).display()));
    let flavour = match kafka.flavour {
        KafkaFlavour::Kafka => "Apache Kafka",
        KafkaFlavour::Tansu => "tansu",
    };
    line(format!("  Kafka        {} from the host ({flavour})", kafka.bootstrap_host));
    line(format!("               {} in the network", kafka.bootstrap_network));
    line(format!(
        "  Flink UI     {} (Flink {}, in the network: {})",
        flink.rest_url, flink.version, flink.rest_url_network
    ));
    match (&flink.gateway_url, &flink.gateway_url_network) {
        (Some(url), Some(inner)) => line(format!("  SQL Gateway  {url} (in the network: {inner})")),
        _ => line(format!("  SQL Gateway  none: jar submission ({})", flink.sql_runner_jar)),
    }
    if let Some(connect) = &endpoints.connect {
        line(format!(
            "  Kafka Connect {} (Debezium {DEBEZIUM_VERSION}, in the network: {})",
            connect.rest_url, connect.rest_url_network
        ));
    }
    line(format!("  network      {}", endpoints.network));
    line(format!(
        "  as a target  cdc-harness run --target {} <scenarios>",
        dir.join(TARGET_FILE).display()
    ));
    text
}
