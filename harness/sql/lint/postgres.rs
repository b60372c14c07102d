//! PostgreSQL-specific rules: replication slot names, the logical decoding plugin, the JDBC URL,
//! and the CDC options that only fail when the job starts.

use super::connector::Resolved;
use super::options::placeholder;
use crate::diagnostics::Finding;
use crate::sql::ddl::CreateTable;

/// Plugins that need a server-side extension which stock PostgreSQL and Aiven for PostgreSQL lack.
const EXTENSION_PLUGINS: &[&str] =
    &["decoderbufs", "wal2json", "wal2json_rds", "wal2json_streaming", "wal2json_rds_streaming"];

pub fn check(resolved: &Resolved<'_>, out: &mut Vec<Finding>) {
    match resolved.connector.as_deref() {
        Some("postgres-cdc") => {
            slot_name(resolved.table, out);
            decoding_plugin(resolved.table, out);
            incremental_snapshot(resolved.table, out);
            table_name(resolved.table, out);
        }
        Some("jdbc") => jdbc_url(resolved.table, out),
        _ => {}
    }
}

fn slot_name(table: &CreateTable, out: &mut Vec<Finding>) {
    let Some(opt) = table.option("slot.name") else { return };
    let name = opt.value.as_str();
    if placeholder(name).is_some() {
        return;
    }
    let valid_chars =
        name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !name.is_empty() && name.len() <= 63 && valid_chars {
        return;
    }
    let mut fixed: String = name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '_' })
        .take(63)
        .collect();
    if fixed.is_empty() {
        fixed = "flink_slot".into();
    }
    let why = if name.is_empty() {
        "is empty".to_string()
    } else if name.len() > 63 {
        format!("is {} bytes long (63 at most)", name.len())
    } else {
        "may contain only lower-case letters, digits and '_'".to_string()
    };
    out.push(
        Finding::error(
            "postgres/slot-name",
            opt.value_span,
            format!("replication slot name '{name}' {why}"),
        )
        .with_label("invalid slot name")
        .with_help(format!("PostgreSQL slot names match [a-z0-9_]{{1,63}}; e.g. '{fixed}'")),
    );
}

fn decoding_plugin(table: &CreateTable, out: &mut Vec<Finding>) {
    let Some(opt) = table.option("decoding.plugin.name") else {
        if table.like.is_none() {
            out.push(
                Finding::warning(
                    "postgres/decoding-plugin",
                    super::options::options_span(table),
                    "'decoding.plugin.name' is not set, so the connector uses 'decoderbufs', which stock PostgreSQL and Aiven for PostgreSQL do not have",
                )
                .with_label("no 'decoding.plugin.name'")
                .with_help("add 'decoding.plugin.name' = 'pgoutput' (built into PostgreSQL 10 and later)"),
            );
        }
        return;
    };
    let value = opt.value.to_ascii_lowercase();
    if value == "pgoutput" || placeholder(&opt.value).is_some() {
        return;
    }
    let finding = if EXTENSION_PLUGINS.contains(&value.as_str()) {
        Finding::warning(
            "postgres/decoding-plugin",
            opt.value_span,
            format!(
                "'{}' needs a server extension that stock PostgreSQL and Aiven for PostgreSQL lack",
                opt.value
            ),
        )
    } else {
        Finding::error(
            "postgres/decoding-plugin",
            opt.value_span,
            format!("'{}' is not a logical decoding plugin the connector knows", opt.value),
        )
    };
    out.push(finding.with_label("use 'pgoutput'").with_help(
        "write 'decoding.plugin.name' = 'pgoutput'; the connector also accepts decoderbufs, wal2json, wal2json_rds, \
         wal2json_streaming and wal2json_rds_streaming where those extensions are installed",
    ));
}

fn incremental_snapshot(table: &CreateTable, out: &mut Vec<Finding>) {
    let enabled = table
        .option("scan.incremental.snapshot.enabled")
        .is_some_and(|o| o.value.eq_ignore_ascii_case("true"));
    if !enabled {
        if let Some(mode) = table.option("scan.startup.mode").filter(|o| o.value == "latest-offset")
        {
            out.push(
                Finding::error(
                    "postgres/startup-mode",
                    mode.value_span,
                    "'latest-offset' needs the incremental snapshot source, which is off unless 'scan.incremental.snapshot.enabled' = 'true'",
                )
                .with_help("add 'scan.incremental.snapshot.enabled' = 'true', or start from 'initial'"),
            );
        }
        return;
    }
    if table.primary_key.is_none()
        && table.option("scan.incremental.snapshot.chunk.key-column").is_none()
    {
        let span =
            table.option("scan.incremental.snapshot.enabled").map_or(table.name.span, |o| o.span());
        out.push(
            Finding::error(
                "postgres/snapshot-key",
                span,
                "the incremental snapshot splits the table by its primary key, but this table declares none",
            )
            .with_help("declare PRIMARY KEY (...) NOT ENFORCED, or set 'scan.incremental.snapshot.chunk.key-column'"),
        );
    }
}

/// `table-name` is matched against the table name alone (the schema is `schema-name`).
fn table_name(table: &CreateTable, out: &mut Vec<Finding>) {
    let (Some(t), Some(schema)) = (table.option("table-name"), table.option("schema-name")) else {
        return;
    };
    if let Some(rest) = t.value.strip_prefix(&format!("{}.", schema.value)) {
        out.push(
            Finding::warning(
                "postgres/table-name",
                t.value_span,
                format!(
                    "'table-name' repeats the schema '{}': the connector prefixes it already",
                    schema.value
                ),
            )
            .with_help(format!("write 'table-name' = '{rest}'")),
        );
    }
}

fn jdbc_url(table: &CreateTable, out: &mut Vec<Finding>) {
    let Some(opt) = table.option("url") else { return };
    let url = opt.value.trim();
    if placeholder(url).is_some() {
        return;
    }
    let problem = if let Some(rest) = url.strip_prefix("jdbc:postgresql:") {
        postgres_url_problem(rest)
    } else if let Some(rest) = url.strip_prefix("jdbc:") {
        let sub = rest.split(':').next().unwrap_or("");
        matches!(sub, "postgres" | "pgsql" | "pg" | "postgre").then(|| {
            format!("the PostgreSQL driver's prefix is 'jdbc:postgresql:', not 'jdbc:{sub}:'")
        })
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some("this is a libpq URL; JDBC needs 'jdbc:postgresql://host:port/database'".to_string())
    } else {
        Some("a JDBC URL starts with 'jdbc:'".to_string())
    };
    if let Some(problem) = problem {
        // The URL itself is not repeated: it may carry a password parameter.
        out.push(
            Finding::error("jdbc/url", opt.value_span, format!("invalid JDBC URL: {problem}"))
                .with_label("invalid URL")
                .with_help("write 'url' = 'jdbc:postgresql://host[:port]/database'"),
        );
    }
}

/// What is wrong with `//host[:port]/database[?params]`, if anything.
fn postgres_url_problem(rest: &str) -> Option<String> {
    let Some(after) = rest.strip_prefix("//") else {
        return Some("expected '//' after 'jdbc:postgresql:'".into());
    };
    let (authority, path) = match after.find('/') {
        Some(i) => (&after[..i], &after[i + 1..]),
        None => {
            return Some(
                "the database name is missing (expected '/database' after the host)".into(),
            )
        }
    };
    let database = path.split('?').next().unwrap_or("");
    if authority.contains('@') {
        return Some("credentials belong in 'username' and 'password', not in the URL".into());
    }
    // One or more comma-separated hosts (failover), each host[:port].
    for host in authority.split(',') {
        let (name, port) = if host.starts_with('[') {
            match host.find(']') {
                Some(i) => (&host[..=i], host[i + 1..].strip_prefix(':')),
                None => (host, None),
            }
        } else {
            match host.rsplit_once(':') {
                Some((n, p)) => (n, Some(p)),
                None => (host, None),
            }
        };
        if name.is_empty() {
            return Some("the host is missing".into());
        }
        if let Some(p) = port {
            if p.is_empty() || p.parse::<u16>().is_err() {
                return Some("the port must be a number between 1 and 65535".into());
            }
        }
    }
    if database.is_empty() {
        return Some("the database name is missing (expected '/database' after the host)".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::postgres_url_problem;

    #[test]
    fn postgres_urls() {
        for ok in [
            "//h/db",
            "//h:5432/db",
            "//h1:5432,h2:5433/db?sslmode=require",
            "//[::1]:5432/db",
            "//[::1]/db",
        ] {
            assert_eq!(postgres_url_problem(ok), None, "{ok}");
        }
        for bad in ["h:5432/db", "//h:5432", "//h:5432/", "//:5432/db", "//h:port/db", "//u:p@h/db"]
        {
            assert!(postgres_url_problem(bad).is_some(), "{bad}");
        }
    }
}
