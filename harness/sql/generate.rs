//! The Flink SQL a scenario runs: `SET`s, the source table, the sink table, `INSERT INTO ... SELECT`.
//!
//! Generation takes the [`Target`] (where PostgreSQL and Kafka are, and the isolated names the run
//! uses), so `cdc-harness sql` and `run` print and submit the same text. Passwords stay [`Secret`]s
//! inside [`SqlText`] until someone explicitly asks for the executable form.

use super::debezium::GeneratedConnector;
use super::rewrite;
use super::types::{pg_to_flink, quote_identifier, quote_string};
use crate::diagnostics::{Finding, SourceFile, Span};
use crate::scenario::pg_schema::{find_table, PgTable};
use crate::scenario::{
    Column, ConnectorOption, Scenario, Sink, SinkKind, Source, SourceConnector, StructuredSink,
    StructuredSource,
};
use crate::secret::{Secret, REDACTED};

/// Which connector names to print. The harness always runs [`Dialect::Flink`]: upstream Flink
/// matches connector names case-sensitively and knows no `cdc-postgres` or `JDBC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Upstream names: `postgres-cdc`, `jdbc`.
    Flink,
    /// The Aiven console's names: `cdc-postgres`, `JDBC`.
    Aiven,
}

impl Dialect {
    /// A connector name in this dialect, from either spelling.
    pub fn connector(self, name: &str) -> String {
        let upstream = upstream_connector(name).unwrap_or(name);
        match (self, upstream) {
            (Dialect::Aiven, "postgres-cdc") => "cdc-postgres".into(),
            (Dialect::Aiven, "jdbc") => "JDBC".into(),
            _ => upstream.into(),
        }
    }
}

/// The upstream name for an Aiven console connector name, `None` when it is not one.
pub fn upstream_connector(name: &str) -> Option<&'static str> {
    match name {
        "cdc-postgres" => Some("postgres-cdc"),
        "JDBC" => Some("jdbc"),
        _ => None,
    }
}

/// Where the generated SQL points: the services, and the names isolating this scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub postgres: PostgresEndpoint,
    /// `host:port` as Flink's TaskManagers (and Kafka Connect) reach the broker.
    pub kafka_bootstrap: String,
    pub topic: String,
    pub slot_name: String,
    pub publication_name: String,
    /// A Debezium source's connector name in Kafka Connect.
    pub connector_name: String,
    /// A Debezium source's `topic.prefix`: its topics are `<prefix>.<schema>.<table>`.
    pub topic_prefix: String,
}

/// PostgreSQL as Flink's TaskManagers reach it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostgresEndpoint {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub username: String,
    pub password: Secret,
}

impl PostgresEndpoint {
    pub fn jdbc_url(&self) -> String {
        format!("jdbc:postgresql://{}:{}/{}", self.host, self.port, self.database)
    }
}

/// The in-network names of the harness's stack, used by `sql` when no stack runs.
pub const DEFAULT_POSTGRES_HOST: &str = "postgres";
pub const DEFAULT_POSTGRES_PORT: u16 = 5432;
pub const DEFAULT_DATABASE: &str = "harness";
pub const DEFAULT_USERNAME: &str = "harness";
pub const DEFAULT_PASSWORD: &str = "harness";
pub const DEFAULT_KAFKA_BOOTSTRAP: &str = "kafka:9092";

impl Target {
    /// The stack's default endpoints with the scenario's own topic and slot name (or names derived
    /// from the scenario's): what `cdc-harness sql` prints. `run` builds its own Target with the
    /// real endpoints and names isolated per run.
    pub fn preview(scenario: &Scenario) -> Target {
        let declared = rewrite::declared_names(scenario);
        let slot_name = declared.slot.unwrap_or_else(|| derived_name(&scenario.name, ""));
        Target {
            postgres: PostgresEndpoint {
                host: DEFAULT_POSTGRES_HOST.into(),
                port: DEFAULT_POSTGRES_PORT,
                database: DEFAULT_DATABASE.into(),
                username: DEFAULT_USERNAME.into(),
                password: Secret::new(DEFAULT_PASSWORD),
            },
            kafka_bootstrap: DEFAULT_KAFKA_BOOTSTRAP.into(),
            topic: declared.topic.unwrap_or_else(|| scenario.name.clone()),
            publication_name: derived_name(&scenario.name, "_pub"),
            slot_name,
            connector_name: scenario.name.clone(),
            topic_prefix: declared.topic_prefix.unwrap_or_else(|| derived_name(&scenario.name, "")),
        }
    }
}

/// A PostgreSQL-safe name from any text: `[a-z0-9_]`, at most 63 bytes with the suffix, the
/// form replication slot names must have.
pub fn derived_name(base: &str, suffix: &str) -> String {
    let mut name: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "h_");
    }
    name.truncate(63 - suffix.len());
    name + suffix
}

/// SQL text in which passwords stay secret until rendered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlText(Vec<Piece>);

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    /// A string literal holding a secret; rendered quoted.
    SecretLiteral(Secret),
}

impl SqlText {
    pub fn push(&mut self, text: &str) {
        match self.0.last_mut() {
            Some(Piece::Text(t)) => t.push_str(text),
            _ => self.0.push(Piece::Text(text.to_string())),
        }
    }

    pub fn push_secret_literal(&mut self, secret: &Secret) {
        self.0.push(Piece::SecretLiteral(secret.clone()));
    }

    pub fn append(&mut self, other: &SqlText) {
        for piece in &other.0 {
            match piece {
                Piece::Text(t) => self.push(t),
                Piece::SecretLiteral(s) => self.push_secret_literal(s),
            }
        }
    }

    /// For people: secrets as `'******'` unless `show_secrets`.
    pub fn render(&self, show_secrets: bool) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::SecretLiteral(s) if show_secrets => quote_string(s.expose()),
                Piece::SecretLiteral(_) => quote_string(REDACTED),
            })
            .collect()
    }

    /// For submission: the real values.
    pub fn expose(&self) -> String {
        self.render(true)
    }
}

/// One generated statement with what a reader should know about it (rewrites, origins).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedStatement {
    pub comments: Vec<Comment>,
    pub sql: SqlText,
}

/// A `-- ...` line above a statement; may mention a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment(pub SqlText);

/// Everything `sql` prints and `run` submits, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedSql {
    pub dialect: Dialect,
    pub header: Vec<String>,
    pub settings: Vec<GeneratedStatement>,
    pub source: GeneratedStatement,
    pub sink: GeneratedStatement,
    pub insert: GeneratedStatement,
    /// The Flink tables as the SQL refers to them (quoted), for the run engine's reports.
    pub source_table: String,
    pub sink_table: String,
    /// The source's connector (verbatim SQL included), when it is one the harness knows.
    pub source_connector: Option<SourceConnector>,
    /// A Debezium source's Kafka Connect connector, posted before the job is submitted.
    pub connector: Option<GeneratedConnector>,
}

impl GeneratedSql {
    /// A JDBC source is a bounded scan: the job ends, so `run` waits for FINISHED, not RUNNING.
    pub fn source_is_bounded(&self) -> bool {
        self.source_connector == Some(SourceConnector::Jdbc)
    }

    /// A commented script for people. Without `show_secrets`, everything passes the one
    /// [`Redactor`](crate::secret::Redactor): pasted SQL and the rewrites listed above it may hold
    /// secrets the harness does not manage (a misspelt `'passwd'`, a URL's `password=`).
    pub fn render(&self, show_secrets: bool) -> String {
        let text = self.render_all(show_secrets);
        if show_secrets {
            text
        } else {
            crate::secret::redact(&text)
        }
    }

    fn render_all(&self, show_secrets: bool) -> String {
        let mut out = String::new();
        for line in &self.header {
            out.push_str(&format!("-- {line}\n"));
        }
        if let Some(connector) = &self.connector {
            out.push_str(&format!(
                "\n-- Kafka Connect: the Debezium connector (POST /connectors), writing topic {}:\n",
                connector.topic()
            ));
            for change in &connector.changes {
                out.push_str(&format!("-- {change}\n"));
            }
            for line in connector.render(show_secrets).lines() {
                out.push_str(&format!("-- {line}\n"));
            }
        }
        let settings_commented = self.dialect == Dialect::Aiven;
        if !self.settings.is_empty() {
            out.push('\n');
            if settings_commented {
                out.push_str("-- Job settings (set them on the deployment: they are not part of a table's SQL):\n");
            }
            for s in &self.settings {
                let prefix = if settings_commented { "-- " } else { "" };
                out.push_str(&format!("{prefix}{}\n", s.sql.render(show_secrets)));
            }
        }
        for statement in [&self.source, &self.sink, &self.insert] {
            out.push('\n');
            for c in &statement.comments {
                out.push_str(&format!("-- {}\n", c.0.render(show_secrets)));
            }
            out.push_str(&statement.sql.render(show_secrets));
            out.push('\n');
        }
        out
    }

    /// The statements to submit, secrets included: SETs, source, sink, INSERT.
    pub fn statements(&self) -> Vec<String> {
        self.settings
            .iter()
            .chain([&self.source, &self.sink, &self.insert])
            .map(|s| s.sql.expose())
            .collect()
    }
}

/// Findings in the scenario file (or, for SQL in an escaped TOML string, in that string alone).
#[derive(Debug, thiserror::Error)]
#[error("cannot generate the Flink SQL of {}: {} error(s)", .file.name(), .findings.len())]
pub struct GenerateError {
    pub file: SourceFile,
    pub findings: Vec<Finding>,
    /// Why positions are relative to a string rather than the file, when they are.
    pub note: Option<String>,
}

impl GenerateError {
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        if let Some(note) = &self.note {
            out.push_str(&format!("note: {note}\n"));
        }
        for f in &self.findings {
            out.push_str(&f.render(&self.file, color));
            out.push('\n');
        }
        out
    }
}

/// A table's columns and primary key, however they were obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct TableShape {
    pub columns: Vec<(String, String)>,
    pub primary_key: Vec<String>,
    /// Where they came from, for the header.
    pub origin: Option<String>,
}

/// Generates the scenario's SQL for `target`. `catalog` is the source table as the live
/// PostgreSQL describes it, when the scenario leaves `columns` out and a database is at hand;
/// without it the setup SQL's CREATE TABLE is read.
pub fn generate(
    scenario: &Scenario,
    target: &Target,
    dialect: Dialect,
    catalog: Option<&PgTable>,
) -> Result<GeneratedSql, GenerateError> {
    let fail = |findings: Vec<Finding>| GenerateError {
        file: scenario.file.clone(),
        findings,
        note: None,
    };
    let mut header = vec![
        format!("Scenario `{}`: {}", scenario.name, dialect_line(dialect)),
        format!(
            "Target: PostgreSQL {}:{}/{} as {}, Kafka {}, topic {}.",
            target.postgres.host,
            target.postgres.port,
            target.postgres.database,
            target.postgres.username,
            target.kafka_bootstrap,
            target.topic
        ),
    ];

    let connector = match &scenario.debezium {
        Some(debezium) => Some(super::debezium::connector(scenario, debezium, target)?),
        None => None,
    };
    let mut conversions: Vec<(String, String)> = Vec::new();
    let (source, source_shape, source_connector, source_ref) = match (&scenario.source, &connector)
    {
        (Source::Structured(s), Some(connector)) => {
            let part = debezium_source(scenario, s, connector, catalog, target)
                .map_err(|f| fail(vec![f]))?;
            conversions = part.conversions;
            (
                part.statement,
                part.shape,
                Some(SourceConnector::Debezium),
                quote_identifier(&s.flink_name),
            )
        }
        (Source::Structured(s), None) if s.connector == SourceConnector::Debezium => {
            return Err(fail(vec![Finding::error(
                "sql/no-connector",
                s.span,
                "a `debezium` source needs its connector configuration",
            )]))
        }
        (Source::Structured(s), None) => {
            let shape = source_shape(scenario, s, catalog).map_err(|f| fail(vec![f]))?;
            let sql = structured_source(s, &shape, target, dialect);
            (
                GeneratedStatement { comments: Vec::new(), sql },
                shape,
                Some(s.connector),
                quote_identifier(&s.flink_name),
            )
        }
        (Source::Verbatim(sql), connector) => {
            // A Debezium source's pasted table reads the connector's topic, not the sink's.
            let pointed = match connector {
                Some(c) => Target { topic: c.topic(), ..target.clone() },
                None => target.clone(),
            };
            let v =
                rewrite::verbatim_table(scenario, sql, rewrite::Role::Source, &pointed, dialect)?;
            let source_connector = if connector.is_some() {
                Some(SourceConnector::Debezium)
            } else {
                v.source_connector
            };
            (v.statement, v.shape, source_connector, v.reference)
        }
    };
    if let Some(origin) = &source_shape.origin {
        header.push(origin.clone());
    }
    if connector.is_some() && dialect == Dialect::Aiven {
        header.push(
            "Aiven: create the connector in Aiven for Apache Kafka Connect (console or `avn service \
             connector create`), and the source table in Aiven for Apache Flink over its topic \
             through the Kafka integration, which supplies 'properties.bootstrap.servers'."
                .to_string(),
        );
    }
    let (sink, sink_shape, sink_ref) = match &scenario.sink {
        Sink::Structured(s) => {
            let shape = sink_shape(s, &source_shape).map_err(|f| fail(vec![f]))?;
            let sql = structured_sink(s, &shape, target);
            (
                GeneratedStatement { comments: Vec::new(), sql },
                shape,
                quote_identifier(&s.flink_name),
            )
        }
        Sink::Verbatim(sql) => {
            let v = rewrite::verbatim_table(scenario, sql, rewrite::Role::Sink, target, dialect)?;
            (v.statement, v.shape, v.reference)
        }
    };
    let insert = match &scenario.flink.insert {
        Some(insert) => GeneratedStatement {
            comments: vec![Comment(text("INSERT from the scenario's [flink] insert."))],
            sql: text(&terminated(insert.text.trim())),
        },
        None => {
            let columns: Vec<String> = sink_shape
                .columns
                .iter()
                .map(|(n, _)| match conversions.iter().find(|(c, _)| c == n) {
                    Some((_, expr)) => format!("{expr} AS {}", quote_identifier(n)),
                    None => quote_identifier(n),
                })
                .collect();
            let select = if columns.is_empty() { "*".to_string() } else { columns.join(", ") };
            GeneratedStatement {
                comments: Vec::new(),
                sql: text(&format!("INSERT INTO {sink_ref}\nSELECT {select}\nFROM {source_ref};")),
            }
        }
    };
    let utc = !conversions.is_empty()
        && conversions
            .iter()
            .any(|(_, e)| e.contains("TO_TIMESTAMP_LTZ") || e.contains("FROM_UNIXTIME"));
    Ok(GeneratedSql {
        dialect,
        header,
        settings: settings(scenario, source_connector, utc),
        source,
        sink,
        insert,
        source_table: source_ref,
        sink_table: sink_ref,
        source_connector,
        connector,
    })
}

fn dialect_line(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Flink => "flink dialect (upstream connector names: what `run` submits).",
        Dialect::Aiven => "aiven dialect (connector names as the Aiven console writes them; `run` submits the flink dialect).",
    }
}

fn text(s: &str) -> SqlText {
    let mut t = SqlText::default();
    t.push(s);
    t
}

fn terminated(sql: &str) -> String {
    if sql.ends_with(';') {
        sql.to_string()
    } else {
        format!("{sql};")
    }
}

/// Checkpoints are what make Flink CDC confirm the slot's position (its LSN is committed when a
/// checkpoint completes), so a CDC scenario without them would retain WAL forever.
pub const CDC_CHECKPOINT_INTERVAL: &str = "2s";

/// The time zone conversions of Debezium's epoch numbers are computed in: UTC gives back
/// PostgreSQL's wall-clock time.
const TIME_ZONE_KEY: &str = "table.local-time-zone";

fn settings(
    scenario: &Scenario,
    connector: Option<SourceConnector>,
    utc: bool,
) -> Vec<GeneratedStatement> {
    let mut entries: Vec<(String, String)> =
        scenario.flink.settings.iter().map(|o| (o.key.clone(), o.value.clone())).collect();
    let key = "execution.checkpointing.interval";
    if connector == Some(SourceConnector::Cdc) && !entries.iter().any(|(k, _)| k == key) {
        entries.insert(0, (key.to_string(), CDC_CHECKPOINT_INTERVAL.to_string()));
    }
    if utc && !entries.iter().any(|(k, _)| k == TIME_ZONE_KEY) {
        entries.insert(0, (TIME_ZONE_KEY.to_string(), "UTC".to_string()));
    }
    entries
        .into_iter()
        .map(|(k, v)| GeneratedStatement {
            comments: Vec::new(),
            sql: text(&format!("SET {} = {};", quote_string(&k), quote_string(&v))),
        })
        .collect()
}

/// The source's columns as declared in the scenario.
fn declared_shape(s: &StructuredSource) -> Option<TableShape> {
    let columns = s.columns.as_ref()?;
    Some(TableShape {
        columns: columns.iter().map(|c| (c.name.clone(), c.flink_type.clone())).collect(),
        primary_key: declared_key(s).unwrap_or_default(),
        origin: None,
    })
}

fn declared_key(s: &StructuredSource) -> Option<Vec<String>> {
    s.primary_key.as_ref().map(|k| k.iter().map(|c| c.value.clone()).collect())
}

fn source_shape(
    scenario: &Scenario,
    s: &StructuredSource,
    catalog: Option<&PgTable>,
) -> Result<TableShape, Finding> {
    if let Some(shape) = declared_shape(s) {
        return Ok(shape);
    }
    let (table, origin, base) = pg_table(scenario, s, catalog)?;
    let mut columns = Vec::new();
    for c in &table.columns {
        let flink =
            pg_to_flink(&c.pg_type, s.connector).map_err(|why| unmapped(s, base, c, why))?;
        columns.push((c.name.clone(), flink));
    }
    Ok(TableShape {
        columns,
        primary_key: declared_key(s).unwrap_or(table.primary_key),
        origin: Some(origin),
    })
}

fn unmapped(
    s: &StructuredSource,
    base: Option<Span>,
    c: &crate::scenario::pg_schema::PgColumn,
    why: String,
) -> Finding {
    let at = base
        .map(|r| Span::new(r.start + c.offset, r.start + c.offset + c.name.len()))
        .unwrap_or(s.table.span);
    Finding::error("sql/unmapped-type", at, why)
        .with_help("list the source's columns, such as `columns = [\"id INT\", \"doc STRING\"]`")
}

/// A Debezium source's Flink table and how its columns become what the rest of the job sees.
struct DebeziumPart {
    statement: GeneratedStatement,
    /// The columns the INSERT selects: converted types where Debezium's encoding needs it.
    shape: TableShape,
    /// `(column, expression)` for the converted columns.
    conversions: Vec<(String, String)>,
}

fn debezium_source(
    scenario: &Scenario,
    s: &StructuredSource,
    connector: &GeneratedConnector,
    catalog: Option<&PgTable>,
    target: &Target,
) -> Result<DebeziumPart, Finding> {
    let mut comments = Vec::new();
    let mut conversions = Vec::new();
    let mut iso = false;
    let (wire, shape) = match declared_shape(s) {
        Some(shape) => (shape.clone(), shape),
        None => {
            let (table, origin, base) = pg_table(scenario, s, catalog)?;
            let modes = connector.modes();
            let (mut wire, mut seen) = (Vec::new(), Vec::new());
            for c in &table.columns {
                let column = super::debezium::types::debezium_column(&c.pg_type, &modes)
                    .map_err(|why| unmapped(s, base, c, why))?;
                iso |= column.iso_timestamp;
                wire.push((c.name.clone(), column.wire_type.clone()));
                match column.conversion {
                    Some(conversion) => {
                        comments.push(Comment(text(&format!(
                            "`{}` {}: Debezium writes {} {}; the INSERT converts it to {}.",
                            c.name,
                            column.wire_type,
                            c.pg_type,
                            conversion.encoding,
                            conversion.flink_type
                        ))));
                        conversions.push((
                            c.name.clone(),
                            conversion.expression(&quote_identifier(&c.name)),
                        ));
                        seen.push((c.name.clone(), conversion.flink_type));
                    }
                    None => seen.push((c.name.clone(), column.wire_type)),
                }
            }
            let key = declared_key(s).unwrap_or(table.primary_key);
            (
                TableShape { columns: wire, primary_key: key.clone(), origin: Some(origin) },
                TableShape { columns: seen, primary_key: key, origin: None },
            )
        }
    };
    let mut with = WithClause(Vec::new());
    with.plain("connector", "kafka");
    with.plain("topic", connector.topic());
    with.plain("properties.bootstrap.servers", target.kafka_bootstrap.clone());
    with.plain("scan.startup.mode", "earliest-offset");
    with.plain("format", "debezium-json");
    if iso {
        with.plain("debezium-json.timestamp-format.standard", "ISO-8601");
    }
    let sql = create_table(&s.flink_name, &wire, with);
    Ok(DebeziumPart {
        statement: GeneratedStatement { comments, sql },
        shape: TableShape { origin: wire.origin.clone(), ..shape },
        conversions,
    })
}

/// The source table as PostgreSQL has it: the live catalog's, else the setup SQL's CREATE TABLE
/// (with where that sits in the file, for findings).
fn pg_table(
    scenario: &Scenario,
    s: &StructuredSource,
    catalog: Option<&PgTable>,
) -> Result<(PgTable, String, Option<Span>), Finding> {
    Ok(match catalog {
        Some(t) => {
            (t.clone(), format!("Columns of {}: from the PostgreSQL catalog.", s.table), None)
        }
        None => {
            let Some(setup) = &scenario.setup else {
                return Err(no_columns(s, "the scenario has no [postgres] setup"));
            };
            let Some(t) = find_table(&setup.text, &s.table) else {
                return Err(no_columns(s, "the [postgres] setup SQL has no CREATE TABLE for it"));
            };
            (
                t,
                format!("Columns of {}: from the [postgres] setup SQL's CREATE TABLE.", s.table),
                setup.region,
            )
        }
    })
}

fn no_columns(s: &StructuredSource, why: &str) -> Finding {
    Finding::error(
        "sql/no-columns",
        s.table.span,
        format!("cannot tell the columns of {}: {why}", s.table),
    )
    .with_label("columns taken from PostgreSQL")
    .with_help(
        "add `columns = [\"id INT\", ...]` to [source], or create the table in [postgres] setup",
    )
}

fn sink_shape(s: &StructuredSink, source: &TableShape) -> Result<TableShape, Finding> {
    let columns = match &s.columns {
        Some(c) => c.iter().map(|c: &Column| (c.name.clone(), c.flink_type.clone())).collect(),
        None => source.columns.clone(),
    };
    let primary_key = match (&s.primary_key, s.kind) {
        (Some(k), _) => k.iter().map(|c| c.value.clone()).collect(),
        (None, SinkKind::UpsertKafkaJson) => source.primary_key.clone(),
        (None, _) => Vec::new(),
    };
    if s.kind == SinkKind::UpsertKafkaJson && primary_key.is_empty() {
        return Err(Finding::error(
            "sql/upsert-needs-key",
            s.span,
            "an upsert-kafka sink needs a primary key, and the source has none",
        )
        .with_help("add `primary_key = [\"id\"]` to [sink]"));
    }
    if let Some(missing) = primary_key.iter().find(|k| !columns.iter().any(|(n, _)| n == *k)) {
        return Err(Finding::error(
            "sql/unknown-column",
            s.span,
            format!("primary key column `{missing}` is not a column of the sink"),
        )
        .with_help("list it in [sink] `columns`, or fix `primary_key`"));
    }
    Ok(TableShape { columns, primary_key, origin: None })
}

/// Option entries in order; scenario options replace generated ones in place or follow them.
struct WithClause(Vec<(String, OptionValue)>);

enum OptionValue {
    Plain(String),
    Secret(Secret),
}

impl WithClause {
    fn set(&mut self, key: &str, value: OptionValue) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    fn plain(&mut self, key: &str, value: impl Into<String>) {
        self.set(key, OptionValue::Plain(value.into()));
    }

    fn extend(&mut self, options: &[ConnectorOption]) {
        for o in options {
            self.plain(&o.key, o.value.clone());
        }
    }
}

fn create_table(name: &str, shape: &TableShape, with: WithClause) -> SqlText {
    let mut sql = SqlText::default();
    sql.push(&format!("CREATE TABLE {} (\n", quote_identifier(name)));
    let mut lines: Vec<String> =
        shape.columns.iter().map(|(n, t)| format!("  {} {t}", quote_identifier(n))).collect();
    if !shape.primary_key.is_empty() {
        let key: Vec<String> = shape.primary_key.iter().map(|k| quote_identifier(k)).collect();
        lines.push(format!("  PRIMARY KEY ({}) NOT ENFORCED", key.join(", ")));
    }
    sql.push(&lines.join(",\n"));
    sql.push("\n) WITH (\n");
    let count = with.0.len();
    for (i, (key, value)) in with.0.iter().enumerate() {
        sql.push(&format!("  {} = ", quote_string(key)));
        match value {
            OptionValue::Plain(v) => sql.push(&quote_string(v)),
            OptionValue::Secret(s) => sql.push_secret_literal(s),
        }
        sql.push(if i + 1 < count { ",\n" } else { "\n" });
    }
    sql.push(");");
    sql
}

fn structured_source(
    s: &StructuredSource,
    shape: &TableShape,
    target: &Target,
    dialect: Dialect,
) -> SqlText {
    let pg = &target.postgres;
    let mut with = WithClause(Vec::new());
    match s.connector {
        // Its Flink table is the `kafka` connector over Debezium's topic (`debezium_source`).
        SourceConnector::Cdc | SourceConnector::Debezium => {
            with.plain("connector", dialect.connector("postgres-cdc"));
            with.plain("hostname", pg.host.clone());
            with.plain("port", pg.port.to_string());
            with.plain("database-name", pg.database.clone());
            with.plain("schema-name", s.table.schema.clone());
            with.plain("table-name", s.table.table.clone());
            with.plain("username", pg.username.clone());
            with.set("password", OptionValue::Secret(pg.password.clone()));
            with.plain("decoding.plugin.name", "pgoutput");
            with.plain("slot.name", target.slot_name.clone());
            with.plain("debezium.publication.name", target.publication_name.clone());
            with.extend(&s.options);
            // The target's slot wins over the scenario's: it is how runs are isolated.
            with.plain("slot.name", target.slot_name.clone());
        }
        SourceConnector::Jdbc => {
            with.plain("connector", dialect.connector("jdbc"));
            with.plain("url", pg.jdbc_url());
            with.plain("table-name", s.table.to_string());
            with.plain("username", pg.username.clone());
            with.set("password", OptionValue::Secret(pg.password.clone()));
            with.extend(&s.options);
        }
    }
    create_table(&s.flink_name, shape, with)
}

fn structured_sink(s: &StructuredSink, shape: &TableShape, target: &Target) -> SqlText {
    let mut with = WithClause(Vec::new());
    with.plain("connector", s.kind.connector());
    with.plain("topic", target.topic.clone());
    with.plain("properties.bootstrap.servers", target.kafka_bootstrap.clone());
    match s.kind {
        SinkKind::KafkaJson => with.plain("format", "json"),
        SinkKind::KafkaDebeziumJson => with.plain("format", "debezium-json"),
        SinkKind::UpsertKafkaJson => {
            with.plain("key.format", "json");
            with.plain("value.format", "json");
        }
    }
    with.extend(&s.options);
    create_table(&s.flink_name, shape, with)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_names_are_valid_slot_names() {
        assert_eq!(derived_name("CDC-Upsert.kafka", ""), "cdc_upsert_kafka");
        assert_eq!(derived_name("9lives", "_pub"), "h_9lives_pub");
        let long = derived_name(&"x".repeat(100), "_pub");
        assert_eq!(long.len(), 63);
        assert!(long.ends_with("_pub"));
    }

    #[test]
    fn dialects_name_connectors() {
        assert_eq!(Dialect::Aiven.connector("postgres-cdc"), "cdc-postgres");
        assert_eq!(Dialect::Aiven.connector("jdbc"), "JDBC");
        assert_eq!(Dialect::Flink.connector("cdc-postgres"), "postgres-cdc");
        assert_eq!(Dialect::Flink.connector("JDBC"), "jdbc");
        assert_eq!(Dialect::Aiven.connector("upsert-kafka"), "upsert-kafka");
    }

    #[test]
    fn secrets_render_redacted_unless_asked() {
        let mut t = SqlText::default();
        t.push("'password' = ");
        t.push_secret_literal(&Secret::new("it's"));
        assert_eq!(t.render(false), "'password' = '******'");
        assert_eq!(t.expose(), "'password' = 'it''s'");
    }
}
