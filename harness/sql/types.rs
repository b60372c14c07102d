//! PostgreSQL column types to the Flink types the CDC and JDBC connectors read them as.
//!
//! Input is a type as written in DDL (`numeric(10,2)`, `varchar(20)`, `timestamptz`) or as
//! PostgreSQL's `format_type()` prints it (`character varying(20)`, `timestamp(3) with time
//! zone`), so the same mapping serves the setup SQL and the live catalog.

use crate::scenario::SourceConnector;

/// The Flink type for a PostgreSQL type, or why there is none.
pub fn pg_to_flink(pg_type: &str, connector: SourceConnector) -> Result<String, String> {
    let normalized =
        pg_type.trim().to_ascii_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
    if normalized.ends_with("[]") || normalized.starts_with('_') {
        return Err(format!(
            "array type `{pg_type}` is not mapped; list the columns with `columns = [...]`"
        ));
    }
    let (base, args) = split_modifiers(&normalized);
    let with_time_zone = base.ends_with(" with time zone");
    let base = base.trim_end_matches(" with time zone").trim_end_matches(" without time zone");
    let precision = |default: &str| {
        args.first().map(|p| format!("({p})")).unwrap_or_else(|| default.to_string())
    };
    let flink = match base {
        "smallint" | "int2" | "smallserial" | "serial2" => "SMALLINT".to_string(),
        "integer" | "int" | "int4" | "serial" | "serial4" => "INT".to_string(),
        "bigint" | "int8" | "bigserial" | "serial8" => "BIGINT".to_string(),
        "real" | "float4" => "FLOAT".to_string(),
        "double precision" | "float8" => "DOUBLE".to_string(),
        // PostgreSQL's float(p) is real up to 24 bits of precision, double above.
        "float" => match args.first().and_then(|p| p.parse::<u32>().ok()) {
            Some(p) if p <= 24 => "FLOAT".to_string(),
            _ => "DOUBLE".to_string(),
        },
        "numeric" | "decimal" => match args.as_slice() {
            [p, s] => format!("DECIMAL({p}, {s})"),
            [p] => format!("DECIMAL({p}, 0)"),
            // Unconstrained numeric: what the JDBC catalog maps it to (max precision, scale 18).
            _ => "DECIMAL(38, 18)".to_string(),
        },
        "boolean" | "bool" => "BOOLEAN".to_string(),
        // The JDBC driver hands json/jsonb over as a PGobject, which the JDBC connector's row
        // converter fails to cast to STRING (ClassCastException, measured on 4.0.0-2.0).
        "json" | "jsonb" if connector == SourceConnector::Jdbc => {
            return Err(format!(
                "the JDBC connector cannot read `{pg_type}` (the driver returns a PGobject, not a \
                 string): read the table through a view that casts the column (`doc::text`) and list \
                 the columns with `columns = [...]`"
            ))
        }
        "text" | "json" | "jsonb" | "xml" => "STRING".to_string(),
        "uuid" => "STRING".to_string(),
        "varchar" | "character varying" => match args.first() {
            Some(n) => format!("VARCHAR({n})"),
            None => "STRING".to_string(),
        },
        "char" | "character" | "bpchar" => format!("CHAR{}", precision("(1)")),
        "bytea" => "BYTES".to_string(),
        "date" => "DATE".to_string(),
        "time" if !with_time_zone => format!("TIME{}", precision("")),
        "timestamptz" => timestamp_with_zone(connector, &precision("")),
        "timestamp" if with_time_zone => timestamp_with_zone(connector, &precision("")),
        "timestamp" => format!("TIMESTAMP{}", precision("")),
        _ => return Err(format!("PostgreSQL type `{pg_type}` is not mapped to a Flink type; list the columns with `columns = [...]`")),
    };
    Ok(flink)
}

/// postgres-cdc (and Flink from Debezium's ISO-8601 text) reads timestamptz as an instant
/// (TIMESTAMP_LTZ). The JDBC connector's row
/// converter has no TIMESTAMP_LTZ case ("Unsupported type"), so for JDBC the column is read as
/// TIMESTAMP: the instant's wall-clock time in the TaskManager's time zone.
fn timestamp_with_zone(connector: SourceConnector, precision: &str) -> String {
    match connector {
        SourceConnector::Cdc | SourceConnector::Debezium => format!("TIMESTAMP_LTZ{precision}"),
        SourceConnector::Jdbc => format!("TIMESTAMP{precision}"),
    }
}

/// `numeric(10, 2)` -> (`numeric`, [10, 2]); `timestamp(3) with time zone` keeps its suffix.
pub(crate) fn split_modifiers(t: &str) -> (String, Vec<String>) {
    match (t.find('('), t.find(')')) {
        (Some(open), Some(close)) if open < close => {
            let args = t[open + 1..close]
                .split(',')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect();
            let base = format!("{}{}", t[..open].trim_end(), &t[close + 1..]);
            (base.trim().to_string(), args)
        }
        _ => (t.to_string(), Vec::new()),
    }
}

/// A Flink SQL identifier in backticks, as Flink's own SHOW CREATE TABLE prints them: always
/// valid, whatever the name and whatever Flink reserves.
pub fn quote_identifier(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A Flink SQL string literal.
pub fn quote_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use SourceConnector::{Cdc, Jdbc};

    #[test]
    fn numbers_and_text() {
        assert_eq!(pg_to_flink("numeric(10,2)", Cdc).unwrap(), "DECIMAL(10, 2)");
        assert_eq!(pg_to_flink("DECIMAL(5)", Cdc).unwrap(), "DECIMAL(5, 0)");
        assert_eq!(pg_to_flink("numeric", Jdbc).unwrap(), "DECIMAL(38, 18)");
        assert_eq!(pg_to_flink("int2", Cdc).unwrap(), "SMALLINT");
        assert_eq!(pg_to_flink("INTEGER", Cdc).unwrap(), "INT");
        assert_eq!(pg_to_flink("bigserial", Cdc).unwrap(), "BIGINT");
        assert_eq!(pg_to_flink("double  precision", Cdc).unwrap(), "DOUBLE");
        assert_eq!(pg_to_flink("float(10)", Cdc).unwrap(), "FLOAT");
        assert_eq!(pg_to_flink("character varying(20)", Cdc).unwrap(), "VARCHAR(20)");
        assert_eq!(pg_to_flink("varchar", Cdc).unwrap(), "STRING");
        assert_eq!(pg_to_flink("text", Cdc).unwrap(), "STRING");
        assert_eq!(pg_to_flink("char(3)", Cdc).unwrap(), "CHAR(3)");
        assert_eq!(pg_to_flink("bool", Cdc).unwrap(), "BOOLEAN");
        assert_eq!(pg_to_flink("jsonb", Cdc).unwrap(), "STRING");
        assert!(pg_to_flink("jsonb", Jdbc).unwrap_err().contains("PGobject"));
        assert_eq!(pg_to_flink("uuid", Jdbc).unwrap(), "STRING");
        assert_eq!(pg_to_flink("bytea", Jdbc).unwrap(), "BYTES");
    }

    #[test]
    fn times_depend_on_the_connector_for_time_zones() {
        assert_eq!(pg_to_flink("date", Cdc).unwrap(), "DATE");
        assert_eq!(pg_to_flink("timestamp", Cdc).unwrap(), "TIMESTAMP");
        assert_eq!(pg_to_flink("timestamp(3) without time zone", Cdc).unwrap(), "TIMESTAMP(3)");
        assert_eq!(pg_to_flink("timestamptz", Cdc).unwrap(), "TIMESTAMP_LTZ");
        assert_eq!(pg_to_flink("timestamp(3) with time zone", Cdc).unwrap(), "TIMESTAMP_LTZ(3)");
        assert_eq!(pg_to_flink("timestamptz", Jdbc).unwrap(), "TIMESTAMP");
        assert_eq!(pg_to_flink("time(3)", Jdbc).unwrap(), "TIME(3)");
    }

    #[test]
    fn unmapped_types_say_what_to_do() {
        assert!(pg_to_flink("int[]", Cdc).unwrap_err().contains("columns = [...]"));
        assert!(pg_to_flink("tsvector", Cdc).unwrap_err().contains("`tsvector`"));
        assert!(pg_to_flink("timetz", Cdc).is_err());
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_identifier("value"), "`value`");
        assert_eq!(quote_identifier("a`b"), "`a``b`");
        assert_eq!(quote_string("it's"), "'it''s'");
    }
}
