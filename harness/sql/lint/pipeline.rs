//! Rules across tables: what an `INSERT INTO sink SELECT ... FROM source` asks of both, where
//! both tables are declared in the same script.

use super::connector::Resolved;
use crate::diagnostics::{Finding, Span};
use crate::sql::catalog::{Catalog, Changelog, Role};
use crate::sql::ddl::{
    ColumnKind, CreateTable, DataType, Insert, ObjectName, ParsedScript, SelectItem,
};
use std::collections::HashMap;

pub fn check(parsed: &ParsedScript, tables: &[Resolved<'_>], out: &mut Vec<Finding>) {
    // The last declaration of a name wins, as when the statements run in order.
    let by_name: HashMap<&str, &Resolved<'_>> =
        tables.iter().map(|r| (r.table.name.base(), r)).collect();
    let find = |name: &ObjectName| by_name.get(name.base()).copied();
    for insert in parsed.inserts() {
        let Some(target) = find(&insert.target) else { continue };
        if let Some(spec) = target.spec.filter(|s| s.role == Role::Source) {
            out.push(
                Finding::error(
                    "insert/into-source",
                    insert.target.span,
                    format!(
                        "'{}' uses the {} connector, which can only be read",
                        target.table.name.display(),
                        spec.connector
                    ),
                )
                .with_help("insert into a sink table (jdbc, kafka, upsert-kafka) instead"),
            );
        }
        let source = insert.select.as_ref().and_then(|s| s.from.as_ref()).and_then(find);
        shape(insert, target.table, source.map(|s| s.table), out);
        if let Some(source) = source {
            changelog(insert, source, target, out);
        }
    }
}

/// One column of the query: where it comes from and its type when the script shows it.
struct QueryColumn<'a> {
    span: Span,
    data_type: Option<&'a DataType>,
}

/// Compares the query's columns with the target's, in number and (where visible) in type.
fn shape(
    insert: &Insert,
    target: &CreateTable,
    source: Option<&CreateTable>,
    out: &mut Vec<Finding>,
) {
    if target.like.is_some() || target.as_select || target.columns.is_empty() {
        return;
    }
    let target_columns: Vec<Option<&crate::sql::ddl::ColumnDef>> = match &insert.columns {
        Some(names) => names
            .iter()
            .map(|n| {
                let c = target.column(&n.value);
                if c.is_none() {
                    out.push(
                        Finding::error(
                            "insert/unknown-column",
                            n.span,
                            format!("'{}' has no column '{}'", target.name.display(), n.value),
                        )
                        .with_help(format!("columns: {}", column_names(target.writable_columns()))),
                    );
                }
                c
            })
            .collect(),
        None => target.writable_columns().map(Some).collect(),
    };
    let Some(select) = &insert.select else { return };
    let Some(query) = query_columns(select, source) else { return };
    if query.len() != target_columns.len() {
        let first = select.items.first().map_or(select.span, |i| i.span());
        let last = select.items.last().map_or(select.span, |i| i.span());
        out.push(
            Finding::error(
                "insert/column-count",
                first.join(last),
                format!(
                    "the query yields {} column{}, but the insert into '{}' takes {}",
                    query.len(),
                    if query.len() == 1 { "" } else { "s" },
                    target.name.display(),
                    target_columns.len()
                ),
            )
            .with_label(format!("{} columns", query.len()))
            .with_help(match &insert.columns {
                Some(_) => "select one expression per listed column".to_string(),
                None => format!(
                    "select the target's columns in order: {}",
                    column_names(target.writable_columns())
                ),
            }),
        );
        return;
    }
    for (q, t) in query.iter().zip(&target_columns) {
        let (Some(src), Some(dst)) = (q.data_type, t) else { continue };
        if dst.data_type.text.is_empty() || src.text.is_empty() {
            continue;
        }
        match compatibility(src, &dst.data_type) {
            Compat::Ok => {}
            Compat::Doubtful => out.push(
                Finding::warning(
                    "insert/type-mismatch",
                    q.span,
                    format!(
                        "{} goes into column '{}' of type {}",
                        src.text, dst.name.value, dst.data_type.text
                    ),
                )
                .with_help(format!(
                    "make the conversion explicit: CAST(... AS {})",
                    dst.data_type.text
                )),
            ),
            Compat::Incompatible => out.push(
                Finding::error(
                    "insert/type-mismatch",
                    q.span,
                    format!(
                        "{} cannot go into column '{}' of type {}",
                        src.text, dst.name.value, dst.data_type.text
                    ),
                )
                .with_label(format!("{} here", src.text))
                .with_help(format!("convert it: CAST(... AS {})", dst.data_type.text)),
            ),
        }
    }
}

/// The query's columns, or `None` when `*` cannot be expanded from what the script declares.
fn query_columns<'a>(
    select: &'a crate::sql::ddl::Select,
    source: Option<&'a CreateTable>,
) -> Option<Vec<QueryColumn<'a>>> {
    let source = source.filter(|s| {
        select.from_is_simple && s.like.is_none() && !s.as_select && !s.columns.is_empty()
    });
    let mut out = Vec::new();
    for item in &select.items {
        match item {
            SelectItem::Wildcard { span, .. } => {
                let s = source?;
                out.extend(
                    s.columns.iter().map(|c| QueryColumn { span: *span, data_type: typed(c) }),
                );
            }
            SelectItem::Expr { span, column, cast, .. } => {
                let data_type = match (cast, column) {
                    (Some(t), _) => Some(t),
                    (None, Some(c)) => source.and_then(|s| s.column(c.base())).and_then(typed),
                    (None, None) => None,
                };
                out.push(QueryColumn { span: *span, data_type });
            }
        }
    }
    Some(out)
}

fn typed(c: &crate::sql::ddl::ColumnDef) -> Option<&DataType> {
    (!matches!(c.kind, ColumnKind::Computed { .. })).then_some(&c.data_type)
}

fn column_names<'a>(cols: impl Iterator<Item = &'a crate::sql::ddl::ColumnDef>) -> String {
    cols.map(|c| c.name.value.as_str()).collect::<Vec<_>>().join(", ")
}

enum Compat {
    Ok,
    Doubtful,
    Incompatible,
}

fn numeric_rank(family: &str) -> Option<u8> {
    ["TINYINT", "SMALLINT", "INT", "BIGINT", "DECIMAL", "FLOAT", "DOUBLE"]
        .iter()
        .position(|f| *f == family)
        .map(|p| p as u8)
}

/// Flink casts implicitly only where no information is lost (numeric widening).
fn compatibility(src: &DataType, dst: &DataType) -> Compat {
    let (s, d) = (src.family(), dst.family());
    if s == d || s == "OTHER" || d == "OTHER" {
        return Compat::Ok;
    }
    match (numeric_rank(s), numeric_rank(d)) {
        (Some(a), Some(b)) if a <= b => Compat::Ok,
        (Some(_), Some(_)) => Compat::Incompatible,
        _ if matches!((s, d), ("TIMESTAMP", "TIMESTAMP_LTZ") | ("TIMESTAMP_LTZ", "TIMESTAMP")) => {
            Compat::Doubtful
        }
        _ => Compat::Incompatible,
    }
}

/// Whether a table, read as a source, produces updates and deletes.
fn produces_updates(r: &Resolved<'_>) -> Option<bool> {
    let spec = r.spec?;
    match spec.changelog {
        Changelog::Updating => Some(
            !r.table
                .option("scan.read-changelog-as-append-only.enabled")
                .is_some_and(|o| o.value.eq_ignore_ascii_case("true")),
        ),
        Changelog::InsertOnly => Some(false),
        Changelog::FromFormat => value_format_changelog(r.table).map(|c| c == Changelog::Updating),
    }
}

fn value_format_changelog(table: &CreateTable) -> Option<Changelog> {
    let name = table.option("value.format").or_else(|| table.option("format"))?;
    Catalog::get().format(&name.value).map(|f| f.changelog)
}

/// Whether a table, written as a sink, accepts updates and deletes.
fn accepts_updates(r: &Resolved<'_>) -> Option<bool> {
    let spec = r.spec?;
    if spec.sink_accepts_updates {
        return Some(true);
    }
    if spec.sink_upsert_with_primary_key {
        return Some(r.table.primary_key.is_some());
    }
    match spec.changelog {
        Changelog::FromFormat => value_format_changelog(r.table).map(|c| c == Changelog::Updating),
        _ => Some(false),
    }
}

fn changelog(
    insert: &Insert,
    source: &Resolved<'_>,
    target: &Resolved<'_>,
    out: &mut Vec<Finding>,
) {
    if produces_updates(source) != Some(true) || accepts_updates(target) != Some(false) {
        return;
    }
    let connector = target.connector.as_deref().unwrap_or("?");
    let help = match connector {
        "jdbc" => "declare `PRIMARY KEY (...) NOT ENFORCED` on the sink table: the JDBC sink then upserts".to_string(),
        "kafka" => "use 'connector' = 'upsert-kafka' with a PRIMARY KEY, or keep 'kafka' with 'value.format' = 'debezium-json'".to_string(),
        _ => "use a sink that accepts updates (upsert-kafka, or jdbc with a primary key)".to_string(),
    };
    let format = target.table.option("value.format").or_else(|| target.table.option("format"));
    let what = match (connector, format) {
        ("kafka", Some(f)) => format!("a 'kafka' sink with the '{}' format", f.value),
        ("jdbc", _) => "a 'jdbc' sink without a primary key".to_string(),
        (c, _) => format!("a '{c}' sink"),
    };
    out.push(
        Finding::error(
            "pipeline/updating-into-append-only",
            insert.target.span,
            format!(
                "'{}' ({}) produces updates and deletes, but {what} accepts only inserts: Flink rejects the job when planning it",
                source.table.name.display(),
                source.connector.as_deref().unwrap_or("?")
            ),
        )
        .with_label("append-only sink")
        .with_help(help),
    );
}
