//! `[source]`, `[sink]` and `[flink]`: structured or verbatim, and the fields each kind takes.

use super::{opt_span, span, Cx};
use crate::diagnostics::Span;
use crate::scenario::model::{
    Column, ConnectorOption, DebeziumSource, EmbeddedSql, FlinkSettings, Sink, SinkKind, Source,
    SourceConnector, Spanned, StructuredSink, StructuredSource, TableName,
};
use crate::scenario::raw::{Options, RawFlink, RawTable};
use crate::sql::debezium::{config as debezium_config, parse_config, ParsedConfig};
use toml::Spanned as S;

const SOURCE_FIELDS: &[&str] = &["connector", "table", "columns", "primary_key", "options", "name"];
const DEBEZIUM_FIELDS: &[&str] =
    &["connector", "table", "columns", "primary_key", "options", "name", "config", "sql"];
const KAFKA_FIELDS: &[&str] =
    &["connector", "topic", "format", "columns", "primary_key", "options", "name"];
const UPSERT_FIELDS: &[&str] = &[
    "connector",
    "topic",
    "key_format",
    "value_format",
    "columns",
    "primary_key",
    "options",
    "name",
];

/// Options the harness sets itself from the scenario and the target it runs against.
const CDC_MANAGED: &[&str] = &[
    "connector",
    "hostname",
    "port",
    "username",
    "password",
    "database-name",
    "schema-name",
    "table-name",
];
const JDBC_MANAGED: &[&str] = &["connector", "url", "username", "password", "table-name"];
const SINK_MANAGED: &[&str] =
    &["connector", "topic", "properties.bootstrap.servers", "format", "key.format", "value.format"];

fn present(t: &RawTable) -> Vec<(&'static str, Option<Span>)> {
    vec![
        ("connector", opt_span(&t.connector)),
        ("name", opt_span(&t.name)),
        ("table", opt_span(&t.table)),
        ("topic", opt_span(&t.topic)),
        ("format", opt_span(&t.format)),
        ("key_format", opt_span(&t.key_format)),
        ("value_format", opt_span(&t.value_format)),
        ("columns", opt_span(&t.columns)),
        ("primary_key", opt_span(&t.primary_key)),
        ("options", opt_span(&t.options)),
        ("config", opt_span(&t.config)),
    ]
}

/// `sql` excludes every structured field; returns the verbatim SQL when that is the form used.
fn verbatim(
    cx: &mut Cx,
    raw: &S<RawTable>,
    section: &str,
) -> Option<Option<crate::scenario::model::EmbeddedSql>> {
    let t = raw.get_ref();
    let Some(sql) = &t.sql else { return Some(None) };
    let structured: Vec<_> =
        present(t).into_iter().filter_map(|(f, s)| s.map(|s| (f, s))).collect();
    if let Some((field, at)) = structured.first() {
        let names = structured.iter().map(|(f, _)| format!("`{f}`")).collect::<Vec<_>>().join(", ");
        cx.error(
            "scenario/both-forms",
            *at,
            format!("[{section}] has both verbatim `sql` and structured fields ({names})"),
            format!(
                "keep either `sql` (a CREATE TABLE pasted from the console) or the structured fields; \
                 `{field}` and `sql` cannot be combined"
            ),
        );
        return None;
    }
    Some(Some(cx.sql(sql)))
}

/// The Flink source table, and the Debezium connector feeding it for a `debezium` source.
/// `None` when anything in [source] is wrong, so that rules depending on it stay quiet.
pub fn source(cx: &mut Cx, raw: &S<RawTable>) -> Option<(Source, Option<DebeziumSource>)> {
    let before = cx.findings.len();
    let is_debezium = raw.get_ref().connector.as_ref().is_some_and(|c| c.get_ref() == "debezium");
    let source = if is_debezium {
        debezium_source(cx, raw).map(|(s, d)| (s, Some(d)))?
    } else {
        (source_unchecked(cx, raw)?, None)
    };
    (cx.findings.len() == before).then_some(source)
}

fn source_unchecked(cx: &mut Cx, raw: &S<RawTable>) -> Option<Source> {
    if let Some(sql) = verbatim(cx, raw, "source")? {
        return Some(Source::Verbatim(sql));
    }
    let t = raw.get_ref();
    let Some(connector) = &t.connector else {
        cx.error(
            "scenario/missing-field",
            span(raw),
            "[source] needs `connector` (structured) or `sql` (verbatim Flink SQL)",
            "add `connector = \"cdc\"` or `connector = \"jdbc\"`, or paste the console's CREATE TABLE as `sql = '''...'''`",
        );
        return None;
    };
    let connector = cx.choice(
        connector,
        "connector",
        &[
            ("cdc", SourceConnector::Cdc),
            ("jdbc", SourceConnector::Jdbc),
            ("debezium", SourceConnector::Debezium),
        ],
        &[
            ("postgres-cdc", "write `cdc`: `sql --dialect` decides whether it prints postgres-cdc or cdc-postgres"),
            ("cdc-postgres", "write `cdc`: `sql --dialect` decides whether it prints postgres-cdc or cdc-postgres"),
            ("JDBC", "write `jdbc` (lower case); `sql --dialect aiven` prints the console's `JDBC`"),
            ("debezium-json", "write `debezium`: the harness runs Debezium on Kafka Connect and reads its topic with the debezium-json format"),
        ],
    );
    cx.reject_fields(&present(t), SOURCE_FIELDS, "a [source]");
    let table = match &t.table {
        Some(table) => table_name(cx, table),
        None => {
            cx.missing(span(raw), "table", "table = \"public.orders\"");
            None
        }
    };
    let columns = t.columns.as_ref().and_then(|c| columns(cx, c));
    let primary_key =
        t.primary_key.as_ref().and_then(|pk| primary_key(cx, pk, columns.as_deref(), "[source]"));
    let managed = match connector {
        Some(SourceConnector::Cdc) => CDC_MANAGED,
        _ => JDBC_MANAGED,
    };
    let options = options(
        cx,
        &t.options,
        managed,
        "the harness sets it from `table` and the target it runs against",
    );
    let (connector, table) = (connector?, table?);
    let flink_name = t
        .name
        .as_ref()
        .map(|n| n.get_ref().clone())
        .unwrap_or_else(|| format!("{}_source", table.table));
    Some(Source::Structured(StructuredSource {
        connector,
        table,
        columns,
        primary_key,
        options,
        flink_name,
        span: span(raw),
    }))
}

/// `connector = "debezium"`: Debezium's PostgreSQL connector on Kafka Connect, configured from
/// `table` + `options` or by a pasted `config` (JSON); the Flink table reading its topic is
/// generated from the table's columns, or pasted as `sql`.
fn debezium_source(cx: &mut Cx, raw: &S<RawTable>) -> Option<(Source, DebeziumSource)> {
    let t = raw.get_ref();
    cx.reject_fields(&present(t), DEBEZIUM_FIELDS, "a `debezium` [source]");
    if let (Some(_), Some(options)) = (&t.config, &t.options) {
        cx.error(
            "scenario/both-forms",
            span(options),
            "[source] has both a pasted `config` and `options`",
            "put the Debezium properties into `config`, or drop `config` and let the harness generate it from `table` and `options`",
        );
    }
    if t.sql.is_some() {
        for (field, at) in [
            ("columns", opt_span(&t.columns)),
            ("primary_key", opt_span(&t.primary_key)),
            ("name", opt_span(&t.name)),
        ] {
            if let Some(at) = at {
                cx.error(
                    "scenario/both-forms",
                    at,
                    format!("`{field}` does not apply with `sql`: the pasted CREATE TABLE declares the Flink table"),
                    "remove it, or drop `sql` to have the table generated",
                );
            }
        }
    }
    let config = t.config.as_ref().map(|c| cx.sql(c));
    let parsed = config.as_ref().map(|c| parse_embedded_config(cx, c));
    let table = match (&t.table, &parsed) {
        (Some(table), _) => table_name(cx, table),
        (None, Some(parsed)) => {
            table_from_config(cx, parsed, opt_span(&t.config).unwrap_or(span(raw)))
        }
        (None, None) => {
            cx.missing(span(raw), "table", "table = \"public.orders\"");
            None
        }
    };
    let columns = t.columns.as_ref().and_then(|c| columns(cx, c));
    let primary_key =
        t.primary_key.as_ref().and_then(|pk| primary_key(cx, pk, columns.as_deref(), "[source]"));
    let options = options(
        cx,
        &t.options,
        debezium_config::MANAGED,
        "the harness sets it to the target it runs against (`cdc-harness sql` shows the configuration)",
    );
    let table = table?;
    let debezium = DebeziumSource { table: table.clone(), options, config, span: span(raw) };
    let source = match &t.sql {
        Some(sql) => Source::Verbatim(cx.sql(sql)),
        None => Source::Structured(StructuredSource {
            connector: SourceConnector::Debezium,
            flink_name: t
                .name
                .as_ref()
                .map(|n| n.get_ref().clone())
                .unwrap_or_else(|| format!("{}_source", table.table)),
            table,
            columns,
            primary_key,
            options: Vec::new(),
            span: span(raw),
        }),
    };
    Some((source, debezium))
}

/// The pasted configuration's JSON problems become findings now, before anything starts. A
/// `"basic"` TOML string with escapes has no byte-for-byte region: its findings point at the
/// whole string.
fn parse_embedded_config(cx: &mut Cx, config: &EmbeddedSql) -> ParsedConfig {
    let parsed = match config.region {
        Some(region) => parse_config(cx.file, region),
        None => {
            let inner = crate::diagnostics::SourceFile::new("config", config.text.clone());
            let mut parsed = parse_config(&inner, Span::new(0, config.text.len()));
            for f in &mut parsed.findings {
                let lc = inner.line_col(f.span.start);
                f.message =
                    format!("{} (line {}, column {} of `config`)", f.message, lc.line, lc.column);
                f.span = config.span;
            }
            for e in &mut parsed.entries {
                e.key_span = config.span;
                e.value_span = config.span;
            }
            parsed.span = config.span;
            parsed
        }
    };
    cx.findings.extend(
        parsed
            .findings
            .iter()
            .filter(|f| f.severity == crate::diagnostics::Severity::Error)
            .cloned(),
    );
    parsed
}

/// Without `table`, the one table the configuration's `table.include.list` names.
fn table_from_config(cx: &mut Cx, parsed: &ParsedConfig, at: Span) -> Option<TableName> {
    let entry = parsed.get("table.include.list");
    let single = entry.and_then(|e| e.value.as_deref()).and_then(debezium_config::single_table);
    match single {
        Some((schema, table)) => {
            Some(TableName { schema, table, span: entry.map_or(at, |e| e.value_span) })
        }
        None => {
            cx.error(
                "scenario/missing-field",
                entry.map_or(at, |e| e.value_span),
                "cannot tell which table the Flink source reads: the configuration's `table.include.list` does not name exactly one table",
                "add `table = \"public.orders\"` to [source] to name the table whose topic Flink reads",
            );
            None
        }
    }
}

pub fn sink(cx: &mut Cx, raw: &S<RawTable>, source: Option<&Source>) -> Option<Sink> {
    if let Some(sql) = verbatim(cx, raw, "sink")? {
        return Some(Sink::Verbatim(sql));
    }
    let t = raw.get_ref();
    let Some(connector) = &t.connector else {
        cx.error(
            "scenario/missing-field",
            span(raw),
            "[sink] needs `connector` (structured) or `sql` (verbatim Flink SQL)",
            "add `connector = \"upsert-kafka\"` or `connector = \"kafka\"`",
        );
        return None;
    };
    #[derive(Clone, Copy, PartialEq)]
    enum Connector {
        Kafka,
        Upsert,
    }
    let connector = cx.choice(
        connector,
        "connector",
        &[("kafka", Connector::Kafka), ("upsert-kafka", Connector::Upsert)],
        &[],
    )?;
    let json_only = "the harness's verifier decodes JSON; other formats are not supported yet";
    let kind = match connector {
        Connector::Kafka => {
            cx.reject_fields(&present(t), KAFKA_FIELDS, "a `kafka` [sink]");
            match &t.format {
                Some(f) => cx.choice(
                    f,
                    "format",
                    &[
                        ("json", SinkKind::KafkaJson),
                        ("debezium-json", SinkKind::KafkaDebeziumJson),
                    ],
                    &[(
                        "upsert-kafka",
                        "upsert-kafka is a connector: write `connector = \"upsert-kafka\"`",
                    )],
                ),
                None => {
                    cx.missing(span(raw), "format", "format = \"json\" (or \"debezium-json\")");
                    None
                }
            }
        }
        Connector::Upsert => {
            cx.reject_fields(&present(t), UPSERT_FIELDS, "an `upsert-kafka` [sink]");
            for f in [&t.key_format, &t.value_format].into_iter().flatten() {
                cx.choice(f, "format", &[("json", ())], &[("debezium-json", json_only)]);
            }
            Some(SinkKind::UpsertKafkaJson)
        }
    };
    let topic = match &t.topic {
        Some(topic) if !topic.get_ref().trim().is_empty() => {
            Some(Spanned { value: topic.get_ref().clone(), span: span(topic) })
        }
        Some(topic) => {
            cx.error(
                "scenario/empty",
                span(topic),
                "`topic` is empty",
                "name the Kafka topic the sink writes",
            );
            None
        }
        None => {
            cx.missing(span(raw), "topic", "topic = \"orders\"");
            None
        }
    };
    let columns = t.columns.as_ref().and_then(|c| columns(cx, c));
    let source_columns = match source {
        Some(Source::Structured(s)) => s.columns.as_deref(),
        _ => None,
    };
    let primary_key = t
        .primary_key
        .as_ref()
        .and_then(|pk| primary_key(cx, pk, columns.as_deref().or(source_columns), "[sink]"));
    let options = options(
        cx,
        &t.options,
        SINK_MANAGED,
        "the harness sets it from `topic`, `format` and the target",
    );
    let kind = kind?;
    sink_key_rules(cx, raw, kind, primary_key.is_some(), source);
    let topic = topic?;
    let flink_name = t.name.as_ref().map(|n| n.get_ref().clone()).unwrap_or_else(|| {
        let base: String =
            topic.value.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        format!("{base}_sink")
    });
    Some(Sink::Structured(StructuredSink {
        kind,
        topic,
        columns,
        primary_key,
        options,
        flink_name,
        span: span(raw),
    }))
}

/// upsert-kafka needs a primary key; an append-only json sink refuses one.
fn sink_key_rules(
    cx: &mut Cx,
    raw: &S<RawTable>,
    kind: SinkKind,
    has_pk: bool,
    source: Option<&Source>,
) {
    let t = raw.get_ref();
    match kind {
        SinkKind::UpsertKafkaJson if !has_pk => {
            // Without a declared key the source's is used; it is unknown only when the columns
            // come from PostgreSQL, and then `sql`/`run` check it once they are resolved.
            if let Some(Source::Structured(s)) = source {
                if s.primary_key.is_none() && s.columns.is_some() {
                    cx.error(
                        "scenario/upsert-needs-key",
                        opt_span(&t.connector).unwrap_or(span(raw)),
                        "an upsert-kafka sink needs a primary key, and neither [sink] nor [source] declares one",
                        "add `primary_key = [\"id\"]` to [source] or [sink]",
                    );
                }
            }
        }
        SinkKind::KafkaJson if has_pk => cx.error(
            "scenario/key-not-allowed",
            opt_span(&t.primary_key).unwrap_or(span(raw)),
            "Flink's kafka connector with format json rejects a PRIMARY KEY (it cannot honour it)",
            "remove `primary_key`, or use `connector = \"upsert-kafka\"` to write by key",
        ),
        _ => {}
    }
}

pub fn flink(cx: &mut Cx, raw: &S<RawFlink>) -> FlinkSettings {
    let f = raw.get_ref();
    FlinkSettings {
        settings: options(cx, &f.settings, &[], ""),
        insert: f.insert.as_ref().map(|i| cx.sql(i)),
    }
}

fn table_name(cx: &mut Cx, raw: &S<String>) -> Option<TableName> {
    let text = raw.get_ref().trim();
    let (schema, table) = text.split_once('.').unwrap_or(("public", text));
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    };
    if !ok(schema) || !ok(table) {
        cx.error(
            "scenario/bad-table",
            span(raw),
            format!("`table` must be `schema.table` or `table`, found {text:?}"),
            "write unquoted PostgreSQL identifiers, such as `public.orders`",
        );
        return None;
    }
    Some(TableName { schema: schema.to_string(), table: table.to_string(), span: span(raw) })
}

/// `"name TYPE [NOT NULL]"` entries.
fn columns(cx: &mut Cx, raw: &S<Vec<S<String>>>) -> Option<Vec<Column>> {
    let mut out: Vec<Column> = Vec::new();
    let mut ok = true;
    for entry in raw.get_ref() {
        let text = entry.get_ref().trim();
        let (name, ty) = match text.strip_prefix('`') {
            Some(rest) => match rest.split_once('`') {
                Some((name, ty)) => (name, ty.trim()),
                None => ("", ""),
            },
            None => text
                .split_once(char::is_whitespace)
                .map(|(n, t)| (n, t.trim()))
                .unwrap_or((text, "")),
        };
        if name.is_empty() || ty.is_empty() {
            cx.error(
                "scenario/bad-column",
                span(entry),
                format!("a column is `name TYPE`, found {text:?}"),
                "write the name, a space and the Flink type, such as \"id INT\" or \"price DECIMAL(10, 2)\"",
            );
            ok = false;
        } else if out.iter().any(|c| c.name == name) {
            cx.error(
                "scenario/duplicate-column",
                span(entry),
                format!("column `{name}` is declared twice"),
                "remove one",
            );
            ok = false;
        } else {
            out.push(Column {
                name: name.to_string(),
                flink_type: ty.to_string(),
                span: span(entry),
            });
        }
    }
    if out.is_empty() && ok {
        cx.error(
            "scenario/bad-column",
            span(raw),
            "`columns` is empty",
            "list the columns, or leave `columns` out to take them from PostgreSQL",
        );
        return None;
    }
    ok.then_some(out)
}

fn primary_key(
    cx: &mut Cx,
    raw: &S<Vec<S<String>>>,
    columns: Option<&[Column]>,
    section: &str,
) -> Option<Vec<Spanned<String>>> {
    if raw.get_ref().is_empty() {
        cx.error(
            "scenario/bad-key",
            span(raw),
            "`primary_key` is empty",
            "name at least one column, or leave it out",
        );
        return None;
    }
    let mut ok = true;
    if let Some(columns) = columns {
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        for key in raw.get_ref() {
            if !names.contains(&key.get_ref().as_str()) {
                let hint = match super::did_you_mean(key.get_ref(), &names) {
                    Some(best) => {
                        format!("did you mean `{best}`? the columns are {}", names.join(", "))
                    }
                    None => format!("the columns are {}", names.join(", ")),
                };
                cx.error(
                    "scenario/unknown-column",
                    span(key),
                    format!("primary key column `{}` is not a column of {section}", key.get_ref()),
                    hint,
                );
                ok = false;
            }
        }
    }
    ok.then(|| {
        raw.get_ref()
            .iter()
            .map(|k| Spanned { value: k.get_ref().clone(), span: span(k) })
            .collect()
    })
}

fn options(
    cx: &mut Cx,
    raw: &Option<S<Options>>,
    managed: &[&str],
    why: &str,
) -> Vec<ConnectorOption> {
    let Some(raw) = raw else { return Vec::new() };
    let mut out = Vec::new();
    for (key, value) in raw.get_ref() {
        if managed.contains(&key.get_ref().as_str()) {
            cx.error(
                "scenario/managed-option",
                span(key),
                format!("option '{}' cannot be set here: {why}", key.get_ref()),
                "remove it; `cdc-harness sql` shows the value the harness uses",
            );
            continue;
        }
        out.push(ConnectorOption {
            key: key.get_ref().clone(),
            value: value.get_ref().0.clone(),
            span: span(key).join(span(value)),
        });
    }
    out
}
