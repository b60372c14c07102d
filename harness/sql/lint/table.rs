//! Rules on one table's schema: primary keys, column names, key columns.

use super::connector::Resolved;
use crate::diagnostics::Finding;
use crate::sql::ddl::{ColumnKind, CreateTable, ParsedScript};
use std::collections::HashSet;

/// Words Flink's SQL parser (Calcite) reserves, which a column may use only in backquotes. Flink's
/// documented list also holds non-reserved keywords (`data`, `name`, `key`, `type` work
/// unquoted), so only the truly reserved ones likely to be column names are here.
const RESERVED: &[&str] = &[
    "ALL",
    "AS",
    "AVG",
    "BY",
    "CASE",
    "CHECK",
    "COLUMN",
    "COUNT",
    "CREATE",
    "CURRENT",
    "DATE",
    "DAY",
    "DEFAULT",
    "DELETE",
    "DISTINCT",
    "DROP",
    "END",
    "EXISTS",
    "FALSE",
    "FOR",
    "FROM",
    "GROUP",
    "HAVING",
    "HOUR",
    "IN",
    "INSERT",
    "INTERVAL",
    "JOIN",
    "LANGUAGE",
    "LEFT",
    "LIKE",
    "LOCAL",
    "LOWER",
    "MAX",
    "MIN",
    "MINUTE",
    "MONTH",
    "NOT",
    "NULL",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OVER",
    "PARTITION",
    "POSITION",
    "PRIMARY",
    "RANGE",
    "RANK",
    "RESULT",
    "RIGHT",
    "ROW",
    "ROWS",
    "SECOND",
    "SELECT",
    "SET",
    "START",
    "SUM",
    "SYSTEM",
    "TABLE",
    "TIME",
    "TIMESTAMP",
    "TO",
    "TRUE",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "UPPER",
    "USER",
    "USING",
    "VALUE",
    "VALUES",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "YEAR",
];

pub fn check(resolved: &Resolved<'_>, out: &mut Vec<Finding>) {
    let table = resolved.table;
    primary_key(table, out);
    columns(table, out);
    if let Some(spec) = resolved.spec {
        if spec.needs_primary_key && table.primary_key.is_none() && table.like.is_none() {
            out.push(
                Finding::error(
                    "table/upsert-without-pk",
                    table.name.span,
                    format!(
                        "'{}' tables need a PRIMARY KEY: it is the Kafka message key",
                        spec.connector
                    ),
                )
                .with_label("no primary key")
                .with_help("add `PRIMARY KEY (id) NOT ENFORCED` to the column list"),
            );
        }
    }
    if resolved.connector.as_deref() == Some("kafka") {
        key_fields(table, out);
    }
}

fn primary_key(table: &CreateTable, out: &mut Vec<Finding>) {
    let Some(pk) = &table.primary_key else { return };
    if !pk.not_enforced {
        let fix = if pk.inline {
            format!("write `{} ... PRIMARY KEY NOT ENFORCED`", pk.columns[0].value)
        } else {
            format!(
                "write `PRIMARY KEY ({}) NOT ENFORCED`",
                pk.columns.iter().map(|c| c.value.as_str()).collect::<Vec<_>>().join(", ")
            )
        };
        out.push(
            Finding::error(
                "table/pk-not-enforced",
                pk.span,
                "Flink supports only NOT ENFORCED primary keys: it does not own the data, so it cannot enforce them",
            )
            .with_label("missing NOT ENFORCED")
            .with_help(fix),
        );
    }
    if table.columns.is_empty() {
        return;
    }
    for c in &pk.columns {
        match table.column(&c.value) {
            None => out.push(
                Finding::error(
                    "table/pk-unknown-column",
                    c.span,
                    format!("primary key column '{}' is not declared", c.value),
                )
                .with_help("name a column of this table"),
            ),
            Some(col) if col.kind != ColumnKind::Physical => out.push(
                Finding::error(
                    "table/pk-not-physical",
                    c.span,
                    format!("primary key column '{}' is not a physical column", c.value),
                )
                .with_help("a primary key may use only physical columns"),
            ),
            Some(_) => {}
        }
    }
}

fn columns(table: &CreateTable, out: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    for c in &table.columns {
        if !seen.insert(c.name.value.as_str()) {
            out.push(
                Finding::error(
                    "table/duplicate-column",
                    c.name.span,
                    format!("column '{}' is declared twice", c.name.value),
                )
                .with_help("rename or remove one of them"),
            );
        }
        if !c.name.quoted && RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&c.name.value)) {
            out.push(
                Finding::error(
                    "table/reserved-word",
                    c.name.span,
                    format!("'{}' is a reserved word in Flink SQL", c.name.value),
                )
                .with_label("reserved word")
                .with_help(format!("quote it with backquotes: `{}`", c.name.value)),
            );
        }
    }
}

/// `key.fields` must name physical columns (Kafka writes them into the message key).
fn key_fields(table: &CreateTable, out: &mut Vec<Finding>) {
    let Some(opt) = table.option("key.fields") else { return };
    if table.columns.is_empty() || super::options::placeholder(&opt.value).is_some() {
        return;
    }
    for field in opt.value.split(';').map(str::trim).filter(|f| !f.is_empty()) {
        if table.column(field).is_none() {
            out.push(
                Finding::error(
                    "kafka/key-fields",
                    opt.value_span,
                    format!("'key.fields' names '{field}', which is not a column of this table"),
                )
                .with_help("list physical columns separated by ';'"),
            );
        }
    }
}

/// The same table created twice in one script fails on the second `CREATE`.
pub fn duplicates(parsed: &ParsedScript, out: &mut Vec<Finding>) {
    let mut seen: HashSet<String> = HashSet::new();
    for t in parsed.tables() {
        if !seen.insert(t.name.display()) && !t.if_not_exists {
            out.push(
                Finding::error(
                    "table/duplicate",
                    t.name.span,
                    format!("table '{}' is created twice", t.name.display()),
                )
                .with_help("rename one, drop the first, or write CREATE TABLE IF NOT EXISTS"),
            );
        }
    }
}
