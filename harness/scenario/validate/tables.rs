//! `[source]`, `[sink]` and `[flink]`: structured or verbatim, and the fields each kind takes.

use super::{opt_span, span, Cx};
use crate::diagnostics::Span;
use crate::scenario::model::{
    Column, ConnectorOption, FlinkSettings, Sink, SinkKind, Source, SourceConnector, Spanned,
    StructuredSink, StructuredSource, TableName,
};
use crate::scenario::raw::{Options, RawFlink, RawTable};
use toml::Spanned as S;

const SOURCE_FIELDS: &[&str] = &["connector", "table", "columns", "primary_key", "options", "name"];
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

/// `None` when anything in [source] is wrong, so that rules depending on it stay quiet.
pub fn source(cx: &mut Cx, raw: &S<RawTable>) -> Option<Source> {
    let before = cx.findings.len();
    let source = source_unchecked(cx, raw)?;
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
        &[("cdc", SourceConnector::Cdc), ("jdbc", SourceConnector::Jdbc)],
        &[
            ("postgres-cdc", "write `cdc`: `sql --dialect` decides whether it prints postgres-cdc or cdc-postgres"),
            ("cdc-postgres", "write `cdc`: `sql --dialect` decides whether it prints postgres-cdc or cdc-postgres"),
            ("JDBC", "write `jdbc` (lower case); `sql --dialect aiven` prints the console's `JDBC`"),
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
