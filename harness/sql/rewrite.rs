//! Verbatim Flink SQL (a CREATE TABLE pasted from the Aiven console) pointed at the target:
//! endpoint options replaced, isolation names set, connector names translated to the dialect,
//! each change listed as a comment above the statement. Everything else is kept byte for byte.

use super::ddl::{self, CreateTable, TableOption};
use super::generate::{
    upstream_connector, Comment, Dialect, GenerateError, GeneratedStatement, SqlText, TableShape,
    Target,
};
use super::types::quote_string;
use crate::diagnostics::{Finding, Severity, SourceFile, Span};
use crate::scenario::{EmbeddedSql, Scenario, Sink, Source, SourceConnector};
use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Source,
    Sink,
}

impl Role {
    fn section(self) -> &'static str {
        match self {
            Role::Source => "source",
            Role::Sink => "sink",
        }
    }
}

/// A verbatim table after the rewrite.
pub struct VerbatimTable {
    pub statement: GeneratedStatement,
    pub shape: TableShape,
    /// The table's name as written (possibly qualified, with its backquotes).
    pub reference: String,
    /// For a source: which connector it is, when it is one the harness knows.
    pub source_connector: Option<SourceConnector>,
}

/// The parsed SQL of a `sql = ...` field, with the file its spans point into.
struct Parsed {
    file: SourceFile,
    note: Option<String>,
    script: ddl::ParsedScript,
    region: Span,
}

fn parse(scenario: &Scenario, sql: &EmbeddedSql, section: &str) -> Parsed {
    let (file, region, note) = match sql.region {
        Some(region) => (scenario.file.clone(), region, None),
        None => (
            SourceFile::new(format!("{} [{section}.sql]", scenario.file.name()), sql.text.clone()),
            Span::new(0, sql.text.len()),
            Some(format!(
                "positions in [{section}] `sql` are relative to the string: it is a \"basic\" TOML string with \
                 escapes; write it as a '''literal''' string to get positions in the scenario file"
            )),
        ),
    };
    let script = ddl::parse(&file, region);
    Parsed { file, note, script, region }
}

/// Parses, checks and rewrites one verbatim table.
pub fn verbatim_table(
    scenario: &Scenario,
    sql: &EmbeddedSql,
    role: Role,
    target: &Target,
    dialect: Dialect,
) -> Result<VerbatimTable, GenerateError> {
    let parsed = parse(scenario, sql, role.section());
    let fail = |findings: Vec<Finding>| GenerateError {
        file: parsed.file.clone(),
        findings,
        note: parsed.note.clone(),
    };
    let errors: Vec<Finding> =
        parsed.script.findings.iter().filter(|f| f.severity == Severity::Error).cloned().collect();
    if !errors.is_empty() {
        return Err(fail(errors));
    }
    let mut tables = parsed.script.statements.iter();
    let table = match (tables.next(), tables.next()) {
        (Some(ddl::Statement::CreateTable(t)), None) => t,
        (first, second) => {
            let at = second.or(first).map(|s| s.span()).unwrap_or(parsed.region);
            return Err(fail(vec![Finding::error(
                "sql/one-table",
                at,
                format!("[{}] `sql` must hold exactly one CREATE TABLE statement", role.section()),
            )
            .with_help(
                "put the INSERT in [flink] `insert`, and SET statements in [flink] `settings`",
            )]));
        }
    };
    let connector =
        table.connector().map(|c| upstream_connector(&c.value).unwrap_or(&c.value).to_string());
    let changes = changes(parsed.file.text(), table, connector.as_deref(), target, dialect);
    let statement = apply(parsed.file.text(), table.span, &changes.edits);
    let shape = TableShape {
        columns: table
            .columns
            .iter()
            .filter(|c| match role {
                Role::Source => !c.data_type.text.is_empty(),
                Role::Sink => c.kind.is_persisted(),
            })
            .map(|c| (c.name.value.clone(), c.data_type.text.clone()))
            .collect(),
        primary_key: table
            .primary_key
            .as_ref()
            .map(|k| k.columns.iter().map(|c| c.value.clone()).collect())
            .unwrap_or_default(),
        origin: None,
    };
    let source_connector = match connector.as_deref() {
        Some("postgres-cdc") => Some(SourceConnector::Cdc),
        Some("jdbc") => Some(SourceConnector::Jdbc),
        _ => None,
    };
    Ok(VerbatimTable {
        statement: GeneratedStatement { comments: changes.comments, sql: statement },
        shape,
        reference: parsed.file.slice(table.name.span).to_string(),
        source_connector,
    })
}

/// One change to the statement: `span` replaced by `replacement` (an empty span inserts).
struct Edit {
    span: Span,
    replacement: SqlText,
}

/// The edits to make and the comments that list them.
#[derive(Default)]
struct Changes {
    edits: Vec<Edit>,
    comments: Vec<Comment>,
}

impl Changes {
    fn add(&mut self, span: Span, replacement: SqlText, comment: Comment) {
        self.edits.push(Edit { span, replacement });
        self.comments.push(comment);
    }
}

#[derive(Clone)]
enum Value {
    Plain(String),
    Secret(Secret),
}

impl Value {
    fn literal(&self) -> SqlText {
        let mut t = SqlText::default();
        match self {
            Value::Plain(v) => t.push(&quote_string(v)),
            Value::Secret(s) => t.push_secret_literal(s),
        }
        t
    }
}

fn comment(parts: &[Part]) -> Comment {
    let mut t = SqlText::default();
    for p in parts {
        match p {
            Part::Text(s) => t.push(s),
            Part::Value(v) => t.append(&v.literal()),
        }
    }
    Comment(t)
}

enum Part<'a> {
    Text(&'a str),
    Value(Value),
}

/// The options of a connector that the harness sets to the stack it runs against (so a
/// placeholder there is no error in a scenario).
pub fn endpoint_keys(connector: &str) -> &'static [&'static str] {
    match connector {
        "postgres-cdc" => &[
            "hostname",
            "port",
            "database-name",
            "username",
            "password",
            "slot.name",
            "debezium.publication.name",
        ],
        "jdbc" => &["url", "username", "password"],
        "kafka" | "upsert-kafka" => &["topic", "properties.bootstrap.servers"],
        _ => &[],
    }
}

/// What to change, per connector. Only real changes are listed.
fn changes(
    text: &str,
    table: &CreateTable,
    connector: Option<&str>,
    target: &Target,
    dialect: Dialect,
) -> Changes {
    let pg = &target.postgres;
    let mut wanted: Vec<(&str, Value)> = Vec::new();
    let mut removed_prefixes: &[&str] = &[];
    match connector {
        Some("postgres-cdc") => {
            wanted.push(("hostname", Value::Plain(pg.host.clone())));
            wanted.push(("port", Value::Plain(pg.port.to_string())));
            wanted.push(("database-name", Value::Plain(pg.database.clone())));
            wanted.push(("username", Value::Plain(pg.username.clone())));
            wanted.push(("password", Value::Secret(pg.password.clone())));
            wanted.push(("slot.name", Value::Plain(target.slot_name.clone())));
            wanted
                .push(("debezium.publication.name", Value::Plain(target.publication_name.clone())));
        }
        Some("jdbc") => {
            wanted.push(("url", Value::Plain(pg.jdbc_url())));
            wanted.push(("username", Value::Plain(pg.username.clone())));
            wanted.push(("password", Value::Secret(pg.password.clone())));
        }
        Some("kafka" | "upsert-kafka") => {
            wanted.push(("topic", Value::Plain(target.topic.clone())));
            wanted.push((
                "properties.bootstrap.servers",
                Value::Plain(target.kafka_bootstrap.clone()),
            ));
            removed_prefixes =
                &["properties.security.protocol", "properties.ssl.", "properties.sasl."];
        }
        _ => {}
    }

    let mut changes = Changes::default();
    if let Some(c) = table.connector() {
        let translated = dialect.connector(&c.value);
        if translated != c.value {
            let why = match dialect {
                Dialect::Flink => " (upstream Flink matches connector names exactly)",
                Dialect::Aiven => " (the Aiven console's name)",
            };
            changes.add(
                c.value_span,
                Value::Plain(translated.clone()).literal(),
                comment(&[
                    Part::Text("translated: 'connector' "),
                    Part::Value(Value::Plain(c.value.clone())),
                    Part::Text(" -> "),
                    Part::Value(Value::Plain(translated)),
                    Part::Text(why),
                ]),
            );
        }
    }
    let removed: Vec<usize> = (0..table.options.len())
        .filter(|&i| removed_prefixes.iter().any(|p| table.options[i].key.starts_with(p)))
        .collect();
    for (key, value) in &wanted {
        // Flink keeps the last of repeated keys, so that is the one to rewrite.
        match table.options.iter().rposition(|o| o.key == *key) {
            Some(i) => {
                let o = &table.options[i];
                let unchanged = matches!(value, Value::Plain(v) if *v == o.value);
                if !unchanged {
                    let old = if matches!(value, Value::Secret(_)) {
                        Value::Secret(Secret::new(o.value.clone()))
                    } else {
                        Value::Plain(o.value.clone())
                    };
                    changes.add(
                        o.value_span,
                        value.literal(),
                        comment(&[
                            Part::Text("rewritten: "),
                            Part::Text(&quote_string(key)),
                            Part::Text(" "),
                            Part::Value(old),
                            Part::Text(" -> "),
                            Part::Value(value.clone()),
                        ]),
                    );
                }
            }
            None => {
                let Some(anchor) = last_kept(table, &removed) else { continue };
                let mut replacement = SqlText::default();
                replacement.push(&format!(
                    ",{}{} = ",
                    separator_before(text, anchor),
                    quote_string(key)
                ));
                replacement.append(&value.literal());
                changes.add(
                    Span::new(anchor.value_span.end, anchor.value_span.end),
                    replacement,
                    comment(&[
                        Part::Text("added: "),
                        Part::Text(&quote_string(key)),
                        Part::Text(" = "),
                        Part::Value(value.clone()),
                    ]),
                );
            }
        }
    }
    for &i in &removed {
        changes.comments.push(comment(&[
            Part::Text("removed: "),
            Part::Text(&quote_string(&table.options[i].key)),
            Part::Text(" (the harness's broker speaks plaintext)"),
        ]));
    }
    changes.edits.extend(removals(table, &removed));
    changes
}

/// The last option that stays, after which added options go.
fn last_kept<'a>(table: &'a CreateTable, removed: &[usize]) -> Option<&'a TableOption> {
    table.options.iter().enumerate().rev().find(|(i, _)| !removed.contains(i)).map(|(_, o)| o)
}

/// What precedes `anchor` on its line (a line break and its indentation), so that an added
/// option looks like its neighbours; a space when the options share one line.
fn separator_before(text: &str, anchor: &TableOption) -> String {
    let line_start = text[..anchor.key_span.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let indent = &text[line_start..anchor.key_span.start];
    if indent.chars().all(|c| c == ' ' || c == '\t') {
        format!("\n{indent}")
    } else {
        " ".to_string()
    }
}

/// Removing option i takes the comma before it when an earlier option stays, else the comma
/// after it; overlapping removals then merge into one deletion.
fn removals(table: &CreateTable, removed: &[usize]) -> Vec<Edit> {
    let opts = &table.options;
    let mut spans: Vec<Span> = Vec::new();
    for &i in removed {
        let kept_before = (0..i).any(|j| !removed.contains(&j));
        let span = if kept_before {
            Span::new(opts[i - 1].value_span.end, opts[i].value_span.end)
        } else if let Some(next) = opts.get(i + 1) {
            Span::new(opts[i].key_span.start, next.key_span.start)
        } else {
            opts[i].span()
        };
        spans.push(span);
    }
    spans.sort();
    let mut merged: Vec<Span> = Vec::new();
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.start <= last.end => *last = last.join(s),
            _ => merged.push(s),
        }
    }
    merged.into_iter().map(|span| Edit { span, replacement: SqlText::default() }).collect()
}

/// The statement's text with the edits spliced in (edits never overlap: options are distinct).
fn apply(text: &str, statement: Span, edits: &[Edit]) -> SqlText {
    let mut sorted: Vec<&Edit> = edits
        .iter()
        .filter(|e| e.span.start >= statement.start && e.span.end <= statement.end)
        .collect();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = SqlText::default();
    let mut cursor = statement.start;
    for e in sorted {
        if e.span.start < cursor {
            continue;
        }
        out.push(&text[cursor..e.span.start]);
        out.append(&e.replacement);
        cursor = e.span.end;
    }
    out.push(&text[cursor..statement.end]);
    let rendered_end = text[statement.start..statement.end].trim_end();
    if !rendered_end.ends_with(';') {
        out.push(";");
    }
    out
}

/// Names the scenario itself gives its slot and topic, for [`Target::preview`]. Placeholders
/// (`<your_slot_name>`) do not count.
pub struct DeclaredNames {
    pub slot: Option<String>,
    pub topic: Option<String>,
    /// A pasted Debezium configuration's `topic.prefix`.
    pub topic_prefix: Option<String>,
}

pub fn declared_names(scenario: &Scenario) -> DeclaredNames {
    let real = |v: &str| (!v.contains('<') && !v.trim().is_empty()).then(|| v.to_string());
    let verbatim_option = |sql: &EmbeddedSql, section: &str, key: &str| {
        let parsed = parse(scenario, sql, section);
        let value =
            parsed.script.tables().next().and_then(|t| t.option(key)).map(|o| o.value.clone());
        value.and_then(|v| real(&v))
    };
    let slot = match &scenario.source {
        Source::Structured(s) => {
            s.options.iter().rev().find(|o| o.key == "slot.name").and_then(|o| real(&o.value))
        }
        Source::Verbatim(sql) => verbatim_option(sql, "source", "slot.name"),
    };
    let topic = match &scenario.sink {
        Sink::Structured(s) => Some(s.topic.value.clone()),
        Sink::Verbatim(sql) => verbatim_option(sql, "sink", "topic"),
    };
    let config = scenario.debezium.as_ref().and_then(|d| d.config.as_ref()).map(|json| {
        let file = SourceFile::new("config", json.text.clone());
        super::debezium::parse_config(&file, Span::new(0, json.text.len()))
    });
    let from_config = |key: &str| config.as_ref().and_then(|c| c.value(key)).and_then(real);
    let slot = if scenario.debezium.is_some() { from_config("slot.name") } else { slot };
    DeclaredNames { slot, topic, topic_prefix: from_config("topic.prefix") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::generate::{generate, Target};

    /// The generated source statement and its comments for a verbatim source.
    fn rewrite(create: &str, dialect: Dialect) -> (String, Vec<String>) {
        let text = format!(
            "name = \"r\"\n[source]\nsql = '''\n{create}\n'''\n[sink]\nconnector = \"kafka\"\nformat = \"json\"\ntopic = \"t\"\n\
             [[expect]]\nmode = \"count\"\ncount = 0\n"
        );
        let s = crate::scenario::parse(SourceFile::new("r.toml", text)).unwrap();
        let sql = generate(&s, &Target::preview(&s), dialect, None)
            .unwrap_or_else(|e| panic!("{}", e.render(false)));
        (
            sql.source.sql.render(false),
            sql.source.comments.iter().map(|c| c.0.render(false)).collect(),
        )
    }

    #[test]
    fn adds_isolation_options_after_the_last_one_with_its_indentation() {
        let (sql, comments) = rewrite(
            "CREATE TABLE s (id INT) WITH (\n    'connector' = 'postgres-cdc',\n    'hostname' = 'postgres',\n    'port' = '5432'\n);",
            Dialect::Flink,
        );
        assert!(
            sql.contains("    'port' = '5432',\n    'database-name' = 'harness',\n    'username' = 'harness',\n"),
            "{sql}"
        );
        assert!(
            sql.ends_with("    'slot.name' = 'r',\n    'debezium.publication.name' = 'r_pub'\n);"),
            "{sql}"
        );
        // hostname and port already point at the target: nothing to list for them.
        assert!(
            !comments.iter().any(|c| c.contains("'hostname'") || c.contains("'port'")),
            "{comments:?}"
        );
        assert!(comments.contains(&"added: 'slot.name' = 'r'".to_string()), "{comments:?}");
    }

    #[test]
    fn one_line_with_clauses_get_one_line_additions() {
        let (sql, _) =
            rewrite("CREATE TABLE s (id INT) WITH ('connector' = 'cdc-postgres')", Dialect::Flink);
        assert_eq!(
            sql,
            "CREATE TABLE s (id INT) WITH ('connector' = 'postgres-cdc', 'hostname' = 'postgres', 'port' = '5432', \
             'database-name' = 'harness', 'username' = 'harness', 'password' = '******', 'slot.name' = 'r', \
             'debezium.publication.name' = 'r_pub');"
        );
    }

    #[test]
    fn removing_neighbouring_options_keeps_the_commas_right() {
        let kafka = |opts: &str| format!("CREATE TABLE s (id INT) WITH ({opts});");
        let cases = [
            (
                "'properties.security.protocol' = 'SSL', 'properties.ssl.a' = 'x', 'connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'properties.bootstrap.servers' = 'kafka:9092'",
                "'connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'properties.bootstrap.servers' = 'kafka:9092'",
            ),
            (
                "'connector' = 'kafka', 'properties.sasl.a' = 'x', 'properties.sasl.b' = 'y', 'topic' = 't', 'format' = 'json', 'properties.bootstrap.servers' = 'kafka:9092'",
                "'connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'properties.bootstrap.servers' = 'kafka:9092'",
            ),
            (
                "'connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'properties.bootstrap.servers' = 'kafka:9092', 'properties.ssl.x' = 'z'",
                "'connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'properties.bootstrap.servers' = 'kafka:9092'",
            ),
        ];
        for (before, after) in cases {
            let (sql, comments) = rewrite(&kafka(before), Dialect::Flink);
            assert_eq!(sql, kafka(after), "from {before}");
            assert!(comments.iter().all(|c| c.starts_with("removed: ")), "{comments:?}");
        }
    }

    #[test]
    fn repeated_keys_rewrite_the_last_one_which_flink_keeps() {
        let (sql, _) = rewrite(
            "CREATE TABLE s (id INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://a/b', 'url' = 'jdbc:postgresql://c/d')",
            Dialect::Flink,
        );
        assert!(sql.contains("'url' = 'jdbc:postgresql://a/b', 'url' = 'jdbc:postgresql://postgres:5432/harness'"), "{sql}");
    }

    #[test]
    fn the_aiven_dialect_writes_console_names() {
        let (sql, comments) = rewrite(
            "CREATE TABLE s (id INT) WITH ('connector' = 'jdbc', 'url' = 'x')",
            Dialect::Aiven,
        );
        assert!(sql.contains("'connector' = 'JDBC'"), "{sql}");
        assert!(comments[0].contains("(the Aiven console's name)"), "{comments:?}");
    }
}
