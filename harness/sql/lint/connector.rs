//! Which connector a table uses: upstream names, the Aiven console's names, typos.

use super::suggest;
use super::LintConfig;
use crate::diagnostics::Finding;
use crate::sql::catalog::{Catalog, ConnectorSpec};
use crate::sql::ddl::CreateTable;

/// Names the Aiven for Apache Flink console uses where upstream Flink has another (upstream
/// matches connector identifiers case-sensitively, so `JDBC` is not `jdbc`).
pub const AIVEN_NAMES: &[(&str, &str, &str)] = &[
    ("cdc-postgres", "postgres-cdc", "the PostgreSQL CDC connector"),
    ("JDBC", "jdbc", "the JDBC connector"),
];

/// The Aiven console's name for an upstream connector, if it has its own.
pub fn aiven_name(upstream: &str) -> Option<&'static str> {
    AIVEN_NAMES.iter().find(|(_, up, _)| *up == upstream).map(|(aiven, _, _)| *aiven)
}

/// The upstream name for an Aiven console name.
pub fn upstream_name(aiven: &str) -> Option<&'static str> {
    AIVEN_NAMES.iter().find(|(a, _, _)| *a == aiven).map(|(_, up, _)| *up)
}

/// Connectors that ship with Flink or Flink CDC but whose options the linter does not check:
/// using one is not a mistake.
const UNCHECKED_CONNECTORS: &[&str] = &[
    "datagen",
    "print",
    "blackhole",
    "filesystem",
    "values",
    "hive",
    "mysql-cdc",
    "mongodb-cdc",
    "oracle-cdc",
    "sqlserver-cdc",
    "tidb-cdc",
    "db2-cdc",
    "oceanbase-cdc",
    "vitess-cdc",
    "elasticsearch-6",
    "elasticsearch-7",
    "opensearch",
    "opensearch-2",
    "hbase-1.4",
    "hbase-2.2",
    "kinesis",
    "firehose",
    "dynamodb",
    "pulsar",
    "mongodb",
];

/// A table and the catalogue entry its connector resolves to.
pub struct Resolved<'a> {
    pub table: &'a CreateTable,
    /// The upstream connector name, after mapping an Aiven name.
    pub connector: Option<String>,
    pub spec: Option<&'static ConnectorSpec>,
}

pub fn resolve<'a>(
    table: &'a CreateTable,
    config: &LintConfig,
    out: &mut Vec<Finding>,
) -> Resolved<'a> {
    let unresolved = Resolved { table, connector: None, spec: None };
    let Some(opt) = table.connector() else {
        // `LIKE` copies options from another table; `CREATE TABLE ... AS` may rely on a catalog.
        if table.like.is_none() {
            let span = table.with_span.unwrap_or(table.name.span);
            out.push(
                Finding::error("connector/missing", span, format!("table '{}' has no 'connector' option", table.name.display()))
                    .with_label("no 'connector' here")
                    .with_help("add e.g. 'connector' = 'postgres-cdc', 'jdbc', 'kafka' or 'upsert-kafka' to the WITH options"),
            );
        }
        return unresolved;
    };
    let catalog = Catalog::get();
    let name = opt.value.as_str();
    let major = major_for(upstream_name(name).unwrap_or(name), config);
    if catalog.connector(name, major.as_deref()).is_some() {
        return Resolved {
            table,
            connector: Some(name.into()),
            spec: catalog.connector(name, major.as_deref()),
        };
    }
    if let Some((aiven, upstream, what)) = AIVEN_NAMES.iter().find(|(a, _, _)| *a == name) {
        let message = format!(
            "'{aiven}' is the Aiven console's name for {what}; upstream Flink knows it only as '{upstream}'"
        );
        let finding = if config.accept_aiven_names {
            Finding::warning("connector/aiven-name", opt.value_span, message)
        } else {
            Finding::error("connector/aiven-name", opt.value_span, message)
        };
        out.push(
            finding.with_label(format!("Aiven name for '{upstream}'")).with_help(format!(
                "write 'connector' = '{upstream}' to run on upstream Flink (connector names are case-sensitive); \
                 cdc-harness always runs the upstream form, and `cdc-harness sql --dialect aiven` prints the console's"
            )),
        );
        return Resolved {
            table,
            connector: Some((*upstream).into()),
            spec: catalog.connector(upstream, major.as_deref()),
        };
    }
    if UNCHECKED_CONNECTORS.contains(&name) {
        return Resolved { table, connector: Some(name.into()), spec: None };
    }
    let known: Vec<&str> = catalog
        .connector_names()
        .chain(UNCHECKED_CONNECTORS.iter().copied())
        .chain(AIVEN_NAMES.iter().map(|(a, _, _)| *a))
        .collect();
    let suggestion = suggest::did_you_mean(name, known.iter().copied());
    let mut finding = Finding::error(
        "connector/unknown",
        opt.value_span,
        format!("unknown connector '{name}': Flink finds no factory with this identifier"),
    )
    .with_label("unknown connector");
    finding = match suggestion {
        Some(s) => finding.with_help(format!(
            "did you mean '{}'? (connector names are case-sensitive)",
            upstream_name(s).unwrap_or(s)
        )),
        None => finding.with_help("the linter checks postgres-cdc, jdbc, kafka and upsert-kafka"),
    };
    out.push(finding);
    // Only a difference in case is sure enough to check the options against the guess.
    let guessed =
        suggestion.map(|s| upstream_name(s).unwrap_or(s)).filter(|g| g.eq_ignore_ascii_case(name));
    let spec = guessed.and_then(|g| catalog.connector(g, major_for(g, config).as_deref()));
    Resolved { table, connector: None, spec }
}

/// The catalogue version to check a connector against (only JDBC's is configurable).
fn major_for(upstream: &str, config: &LintConfig) -> Option<String> {
    (upstream == "jdbc").then(|| config.jdbc_major.to_string())
}
