//! `--target <file>`: existing services a run uses instead of containers (a staging PostgreSQL,
//! Kafka and a Flink cluster). The harness creates and drops only its own objects there: a
//! database per scenario, its publication and slot, its topic, its job and the SQL-runner jar it
//! uploaded.
//!
//! ```toml
//! [postgres]
//! host = "pg.staging.internal"   # as the harness reaches it
//! port = 5432
//! database = "postgres"          # where `admin` connects to create the scenario databases
//! flink_host = "pg"              # as the Flink cluster reaches it (default: host, port)
//! admin = { user = "harness", password_env = "HARNESS_PG_PASSWORD" }   # needs CREATEDB
//! connector = { user = "flink_cdc", password_env = "FLINK_PG_PASSWORD" } # REPLICATION
//!
//! [kafka]
//! bootstrap = "kafka.staging.internal:9092"
//! flink_bootstrap = "kafka:9092"  # default: bootstrap
//!
//! [flink]
//! rest = "http://flink.staging.internal:8081"
//! gateway = "http://flink.staging.internal:8083"   # optional
//! ```

use super::endpoints::{Credentials, PostgresEndpoint};
use crate::diagnostics::{Finding, SourceFile, Span};
use crate::kafka::Replication;
use crate::secret::Secret;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned as S;

/// The services of a `--target` file, validated.
#[derive(Debug, Clone)]
pub struct Target {
    /// The file it came from, as given (for messages).
    pub file: String,
    /// `superuser` is the target's `admin` login (CREATEDB, not necessarily a superuser);
    /// `replication` is its `connector` login, the one generated Flink SQL uses.
    pub postgres: PostgresEndpoint,
    pub kafka: TargetKafka,
    pub flink: TargetFlink,
    /// Kafka Connect's REST API (with Debezium's PostgreSQL connector), for `debezium` sources;
    /// it reaches PostgreSQL and Kafka at the addresses Flink uses.
    pub connect_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetKafka {
    /// For the harness's admin client and the verifier.
    pub bootstrap: String,
    /// `properties.bootstrap.servers` in generated Flink SQL.
    pub flink_bootstrap: String,
    pub replication: Replication,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFlink {
    pub rest_url: String,
    pub gateway_url: Option<String>,
    /// The SQL-runner jar to upload when there is no gateway (default: the one in the harness's
    /// Flink image).
    pub sql_runner_jar: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot read target file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {} error(s) in target file", file.name(), findings.len())]
    Invalid { file: SourceFile, findings: Vec<Finding> },
}

impl TargetError {
    /// Every finding rendered with its file:line, then a summary line.
    pub fn render(&self, color: bool) -> String {
        match self {
            TargetError::Read { .. } => format!("error: {self}\n"),
            TargetError::Invalid { file, findings } => {
                Finding::render_all(findings, file, &self.to_string(), color)
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    postgres: RawPostgres,
    kafka: RawKafka,
    flink: RawFlink,
    connect: Option<RawConnect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnect {
    rest: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPostgres {
    host: S<String>,
    #[serde(default = "default_pg_port")]
    port: u16,
    #[serde(default = "default_database")]
    database: String,
    flink_host: Option<String>,
    flink_port: Option<u16>,
    admin: S<RawLogin>,
    connector: S<RawLogin>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogin {
    user: String,
    password: Option<S<String>>,
    password_env: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKafka {
    bootstrap: S<String>,
    flink_bootstrap: Option<String>,
    #[serde(default)]
    replication: RawReplication,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum RawReplication {
    /// Shared clusters have their own policy: leave it to the broker.
    #[default]
    BrokerDefault,
    Single,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlink {
    rest: S<String>,
    gateway: Option<S<String>>,
    sql_runner_jar: Option<S<String>>,
}

fn default_pg_port() -> u16 {
    5432
}

fn default_database() -> String {
    "postgres".into()
}

/// Reads and validates a target file; passwords named by `password_env` are read now.
pub fn load(path: &Path) -> Result<Target, TargetError> {
    let file = SourceFile::read(path)
        .map_err(|source| TargetError::Read { path: path.to_path_buf(), source })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    parse(file, dir, |name| std::env::var(name).ok())
}

/// Validates target text; `env` looks up `password_env` variables, relative paths are taken
/// from `dir`.
pub fn parse(
    file: SourceFile,
    dir: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Target, TargetError> {
    let raw: RawTarget = match toml::from_str(file.text()) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().map(Span::from).unwrap_or_default();
            let finding = Finding::error("target/invalid", span, e.message().trim().to_string())
                .with_help("the README's `--target` section lists every field");
            return Err(TargetError::Invalid { file, findings: vec![finding] });
        }
    };
    let mut findings = Vec::new();
    let admin = login(&raw.postgres.admin, "admin", &env, &mut findings);
    let connector = login(&raw.postgres.connector, "connector", &env, &mut findings);
    let urls = [
        (Some(&raw.flink.rest), "[flink] rest"),
        (raw.flink.gateway.as_ref(), "[flink] gateway"),
        (raw.connect.as_ref().map(|c| &c.rest), "[connect] rest"),
    ];
    for (url, key) in urls {
        if let Some(url) = url.filter(|u| !is_http(u.get_ref())) {
            findings.push(
                Finding::error(
                    "target/invalid-url",
                    url.span().into(),
                    format!("{key} must be an http:// URL"),
                )
                .with_help(
                    "such as `http://flink:8081`; the harness has no TLS client yet, so an \
                     https:// endpoint needs a plain-HTTP proxy or port-forward in front of it",
                ),
            );
        }
    }
    let jar = raw.flink.sql_runner_jar.as_ref().and_then(|jar| {
        let path = dir.join(jar.get_ref());
        if path.is_file() {
            return Some(path);
        }
        findings.push(Finding::error(
            "target/missing-file",
            jar.span().into(),
            format!("no SQL-runner jar at {}", path.display()),
        ));
        None
    });
    if raw.kafka.bootstrap.get_ref().trim().is_empty() {
        findings.push(Finding::error(
            "target/empty",
            raw.kafka.bootstrap.span().into(),
            "[kafka] bootstrap is empty",
        ));
    }
    if raw.postgres.host.get_ref().trim().is_empty() {
        findings.push(Finding::error(
            "target/empty",
            raw.postgres.host.span().into(),
            "[postgres] host is empty",
        ));
    }
    let (Some(admin), Some(connector)) = (admin, connector) else {
        return Err(TargetError::Invalid { file, findings });
    };
    if !findings.is_empty() {
        return Err(TargetError::Invalid { file, findings });
    }
    let pg = raw.postgres;
    let host = pg.host.into_inner();
    let bootstrap = raw.kafka.bootstrap.into_inner();
    Ok(Target {
        file: file.name().to_string(),
        postgres: PostgresEndpoint {
            network_host: pg.flink_host.unwrap_or_else(|| host.clone()),
            network_port: pg.flink_port.unwrap_or(pg.port),
            host,
            port: pg.port,
            database: pg.database,
            superuser: admin,
            replication: connector,
        },
        kafka: TargetKafka {
            flink_bootstrap: raw.kafka.flink_bootstrap.unwrap_or_else(|| bootstrap.clone()),
            bootstrap,
            replication: match raw.kafka.replication {
                RawReplication::BrokerDefault => Replication::BrokerDefault,
                RawReplication::Single => Replication::Single,
            },
        },
        flink: TargetFlink {
            rest_url: trim_slash(raw.flink.rest.into_inner()),
            gateway_url: raw.flink.gateway.map(|g| trim_slash(g.into_inner())),
            sql_runner_jar: jar,
        },
        connect_url: raw.connect.map(|c| trim_slash(c.rest.into_inner())),
    })
}

/// A login with exactly one of `password` and `password_env` (set in the environment).
fn login(
    raw: &S<RawLogin>,
    name: &str,
    env: &impl Fn(&str) -> Option<String>,
    findings: &mut Vec<Finding>,
) -> Option<Credentials> {
    let login = raw.get_ref();
    let password = match (&login.password, &login.password_env) {
        (Some(password), None) => Some(Secret::new(password.get_ref().clone())),
        (None, Some(var)) => match env(var.get_ref()) {
            Some(value) => Some(Secret::new(value)),
            None => {
                findings.push(
                    Finding::error(
                        "target/unset-env",
                        var.span().into(),
                        format!("environment variable `{}` is not set", var.get_ref()),
                    )
                    .with_help(format!(
                        "export {}=... with the password of `{}`",
                        var.get_ref(),
                        login.user
                    )),
                );
                None
            }
        },
        (None, None) | (Some(_), Some(_)) => {
            findings.push(
                Finding::error(
                    "target/password",
                    raw.span().into(),
                    format!("[postgres] {name} needs exactly one of `password` and `password_env`"),
                )
                .with_help("`password_env` keeps the password out of the file"),
            );
            None
        }
    };
    password.map(|password| Credentials { user: login.user.clone(), password })
}

fn is_http(url: &str) -> bool {
    url.starts_with("http://")
}

fn trim_slash(url: String) -> String {
    url.trim_end_matches('/').to_string()
}

/// A target file for a running stack (`up` and `run --keep` write it): its services as seen from
/// the host, and from its network for Flink. It holds the stack's passwords.
pub fn render(endpoints: &super::Endpoints) -> String {
    let pg = &endpoints.postgres;
    let login = |who: &Credentials| {
        format!("{{ user = {}, password = {} }}", quote(&who.user), quote(who.password.expose()))
    };
    let gateway = match &endpoints.flink.gateway_url {
        Some(url) => format!("gateway = {}\n", quote(url)),
        None => String::new(),
    };
    let connect = match &endpoints.connect {
        Some(c) => format!("\n[connect]\nrest = {}\n", quote(&c.rest_url)),
        None => String::new(),
    };
    format!(
        "# The services of cdc-harness run `{run}`, for `cdc-harness run --target <this file>`.\n\
         # It holds passwords. `cdc-harness down --run {run}` removes the stack.\n\
         [postgres]\n\
         host = {host}\nport = {port}\ndatabase = {database}\n\
         flink_host = {network_host}\nflink_port = {network_port}\n\
         admin = {admin}\nconnector = {connector}\n\n\
         [kafka]\n\
         bootstrap = {bootstrap}\nflink_bootstrap = {flink_bootstrap}\nreplication = \"single\"\n\n\
         [flink]\n\
         rest = {rest}\n{gateway}{connect}",
        run = endpoints.run_id,
        host = quote(&pg.host),
        port = pg.port,
        database = quote(&pg.database),
        network_host = quote(&pg.network_host),
        network_port = pg.network_port,
        admin = login(&pg.superuser),
        connector = login(&pg.replication),
        bootstrap = quote(&endpoints.kafka.bootstrap_host),
        flink_bootstrap = quote(&endpoints.kafka.bootstrap_network),
        rest = quote(&endpoints.flink.rest_url),
    )
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[postgres]
host = "127.0.0.1"
port = 5433
admin = { user = "harness", password_env = "ADMIN_PW" }
connector = { user = "flink", password = "inline" }

[kafka]
bootstrap = "127.0.0.1:9092"

[flink]
rest = "http://127.0.0.1:8081/"
"#;

    fn parse_text(text: &str, env: &[(&str, &str)]) -> Result<Target, TargetError> {
        let env: Vec<(String, String)> =
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse(SourceFile::new("t.toml", text), Path::new("."), move |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn errors(e: TargetError) -> String {
        e.render(false)
    }

    #[test]
    fn defaults_follow_the_harness_side_and_passwords_come_from_the_environment() {
        let target = parse_text(GOOD, &[("ADMIN_PW", "from-env")]).unwrap();
        let pg = &target.postgres;
        assert_eq!((pg.network_host.as_str(), pg.network_port), ("127.0.0.1", 5433));
        assert_eq!(pg.database, "postgres");
        assert_eq!(pg.superuser.password.expose(), "from-env");
        assert_eq!(pg.replication.user, "flink");
        assert_eq!(target.kafka.flink_bootstrap, "127.0.0.1:9092");
        assert_eq!(target.kafka.replication, Replication::BrokerDefault);
        assert_eq!(target.flink.rest_url, "http://127.0.0.1:8081");
        assert_eq!(target.flink.gateway_url, None);
        assert_eq!(target.connect_url, None);
        assert!(!format!("{target:?}").contains("from-env"), "Debug shows no password");
        let with_connect = format!("{GOOD}\n[connect]\nrest = \"http://connect:8083/\"\n");
        let target = parse_text(&with_connect, &[("ADMIN_PW", "x")]).unwrap();
        assert_eq!(target.connect_url.as_deref(), Some("http://connect:8083"));
    }

    #[test]
    fn an_unset_password_variable_is_named_at_its_line() {
        let shown = errors(parse_text(GOOD, &[]).unwrap_err());
        assert!(shown.contains("environment variable `ADMIN_PW` is not set"), "{shown}");
        assert!(shown.contains("t.toml:5:"), "{shown}");
    }

    #[test]
    fn unknown_fields_and_bad_urls_are_errors_with_positions() {
        let typo = GOOD.replace("bootstrap =", "bootstrp =");
        let shown = errors(parse_text(&typo, &[("ADMIN_PW", "x")]).unwrap_err());
        assert!(shown.contains("unknown field `bootstrp`"), "{shown}");
        assert!(shown.contains("t.toml:9:"), "{shown}");

        let url = GOOD.replace("http://127.0.0.1:8081/", "127.0.0.1:8081");
        let shown = errors(parse_text(&url, &[("ADMIN_PW", "x")]).unwrap_err());
        assert!(shown.contains("[flink] rest must be an http:// URL"), "{shown}");
        assert!(shown.contains("t.toml:12:"), "{shown}");
    }

    #[test]
    fn a_login_needs_exactly_one_password_source() {
        let both = GOOD
            .replace(r#"password = "inline""#, r#"password = "inline", password_env = "ADMIN_PW""#);
        let shown = errors(parse_text(&both, &[("ADMIN_PW", "x")]).unwrap_err());
        assert!(shown.contains("[postgres] connector needs exactly one of"), "{shown}");
    }
}
