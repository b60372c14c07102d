//! What Debezium's PostgreSQL connector writes for each column type (JsonConverter without
//! schemas, the harness's converters) and how Flink's `debezium-json` format reads it.
//!
//! Measured with Debezium 3.0.7 on PostgreSQL 15 (see README "Debezium sources"): NUMERIC under
//! `decimal.handling.mode = precise` is base64 bytes without its scale, DATE a number of days,
//! TIME and TIMESTAMP numbers of milli- or microseconds since the epoch, TIMESTAMPTZ an ISO-8601
//! string in UTC (`2024-02-29T12:45:01.000000Z`), BYTEA base64 text, JSON/JSONB a string. Flink's
//! JSON formats read DATE/TIME/TIMESTAMP only from strings, so those columns are read as the
//! numbers they are and converted in the generated INSERT.

use crate::scenario::SourceConnector;
use crate::sql::types::{pg_to_flink, split_modifiers};

/// The encoding settings of a Debezium configuration that decide what it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modes {
    pub decimal: DecimalMode,
    pub time: TimeMode,
    pub binary: BinaryMode,
    pub interval_as_string: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMode {
    Precise,
    String,
    Double,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeMode {
    /// Milliseconds up to precision 3, microseconds above (TIME and TIMESTAMP).
    Adaptive,
    /// As adaptive, but TIME always in microseconds.
    AdaptiveTimeMicroseconds,
    /// Kafka Connect's own types: always milliseconds.
    Connect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryMode {
    /// Bytes, which JsonConverter writes as base64 text.
    Bytes,
    Base64,
    Base64UrlSafe,
    Hex,
}

impl Modes {
    /// The modes a configuration sets, Debezium's defaults for the rest (unknown values too:
    /// the linter reports them).
    pub fn from_config<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Modes {
        let value = |key: &str| get(key).map(|v| v.trim().to_ascii_lowercase());
        Modes {
            decimal: match value("decimal.handling.mode").as_deref() {
                Some("string") => DecimalMode::String,
                Some("double") => DecimalMode::Double,
                _ => DecimalMode::Precise,
            },
            time: match value("time.precision.mode").as_deref() {
                Some("adaptive_time_microseconds") => TimeMode::AdaptiveTimeMicroseconds,
                Some("connect") => TimeMode::Connect,
                _ => TimeMode::Adaptive,
            },
            binary: match value("binary.handling.mode").as_deref() {
                Some("base64") => BinaryMode::Base64,
                Some("base64-url-safe") => BinaryMode::Base64UrlSafe,
                Some("hex") => BinaryMode::Hex,
                _ => BinaryMode::Bytes,
            },
            interval_as_string: value("interval.handling.mode").as_deref() == Some("string"),
        }
    }
}

/// One column as the Flink source table declares it and as the rest of the job sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebeziumColumn {
    /// The type Flink's `debezium-json` format decodes what Debezium writes into.
    pub wire_type: String,
    /// The column's type for the rest of the job and the Flink SQL expression that turns the
    /// wire value into it (`{c}` stands for the column), when they differ.
    pub conversion: Option<Conversion>,
    /// Whether Debezium writes it as an ISO-8601 timestamp with zone, which Flink reads as
    /// TIMESTAMP_LTZ only with `'debezium-json.timestamp-format.standard' = 'ISO-8601'`.
    pub iso_timestamp: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    pub flink_type: String,
    pub template: String,
    /// What Debezium writes, for the generated SQL's comments.
    pub encoding: &'static str,
}

impl Conversion {
    /// The expression for column reference `column` (already quoted).
    pub fn expression(&self, column: &str) -> String {
        self.template.replace("{c}", column)
    }
}

/// Milliseconds since the epoch as a TIMESTAMP in the session time zone (the generated SQL sets
/// it to UTC, so the wall-clock time is PostgreSQL's).
const FROM_MILLIS: &str = "CAST(TO_TIMESTAMP_LTZ({c}, 3) AS {t})";
/// Microseconds: TO_TIMESTAMP_LTZ takes milliseconds at most (Flink 2.0), so the text of the
/// seconds plus the six fraction digits is cast instead; FLOOR keeps times before 1970 right.
const FROM_MICROS: &str =
    "CAST(CONCAT(FROM_UNIXTIME(CAST(FLOOR({c} / 1000000.0) AS BIGINT)), '.', \
     LPAD(CAST({c} - CAST(FLOOR({c} / 1000000.0) AS BIGINT) * 1000000 AS STRING), 6, '0')) AS {t})";

/// How Debezium's column of PostgreSQL type `pg_type` reaches Flink under `modes`.
pub fn debezium_column(pg_type: &str, modes: &Modes) -> Result<DebeziumColumn, String> {
    let normalized =
        pg_type.trim().to_ascii_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
    let (base, args) = split_modifiers(&normalized);
    let with_zone = base.ends_with(" with time zone") || base == "timestamptz" || base == "timetz";
    let base = base.trim_end_matches(" with time zone").trim_end_matches(" without time zone");
    let precision = args.first().and_then(|p| p.parse::<u32>().ok());
    let plain = |wire: String| {
        Ok(DebeziumColumn { wire_type: wire, conversion: None, iso_timestamp: false })
    };
    let converted = |wire: &str, flink_type: String, template: &str, encoding: &'static str| {
        Ok(DebeziumColumn {
            wire_type: wire.to_string(),
            conversion: Some(Conversion {
                template: template.replace("{t}", &flink_type),
                flink_type,
                encoding,
            }),
            iso_timestamp: false,
        })
    };
    match base {
        "numeric" | "decimal" => {
            let flink = pg_to_flink(pg_type, SourceConnector::Debezium)?;
            match modes.decimal {
                DecimalMode::String => plain(flink),
                DecimalMode::Double => converted(
                    "DOUBLE",
                    flink,
                    "CAST({c} AS {t})",
                    "a JSON number (decimal.handling.mode double: approximate)",
                ),
                DecimalMode::Precise => Err(format!(
                    "Debezium's decimal.handling.mode 'precise' writes `{pg_type}` as base64-encoded \
                     bytes without its scale, which Flink cannot read as DECIMAL: set \
                     'decimal.handling.mode' to 'string' (exact) or 'double'"
                )),
            }
        }
        "date" => converted(
            "INT",
            "DATE".to_string(),
            "TIMESTAMPADD(DAY, {c}, DATE '1970-01-01')",
            "days since 1970-01-01",
        ),
        "time" if with_zone => plain("STRING".to_string()),
        "timetz" => plain("STRING".to_string()),
        "time" => {
            let flink = pg_to_flink(pg_type, SourceConnector::Debezium)?;
            let micros = match modes.time {
                TimeMode::Connect => false,
                TimeMode::AdaptiveTimeMicroseconds => true,
                TimeMode::Adaptive => precision.is_none_or(|p| p > 3),
            };
            if micros {
                converted(
                    "BIGINT",
                    flink,
                    "CAST(CAST(TO_TIMESTAMP_LTZ({c} / 1000, 3) AS TIMESTAMP(3)) AS {t})",
                    "microseconds since midnight",
                )
            } else {
                converted(
                    "INT",
                    flink,
                    "CAST(CAST(TO_TIMESTAMP_LTZ({c}, 3) AS TIMESTAMP(3)) AS {t})",
                    "milliseconds since midnight",
                )
            }
        }
        "timestamp" | "timestamptz" if with_zone => Ok(DebeziumColumn {
            wire_type: pg_to_flink(pg_type, SourceConnector::Debezium)?,
            conversion: None,
            iso_timestamp: true,
        }),
        "timestamp" => {
            let flink = pg_to_flink(pg_type, SourceConnector::Debezium)?;
            let micros = modes.time != TimeMode::Connect && precision.is_none_or(|p| p > 3);
            if micros {
                converted("BIGINT", flink, FROM_MICROS, "microseconds since 1970-01-01 00:00:00")
            } else {
                converted("BIGINT", flink, FROM_MILLIS, "milliseconds since 1970-01-01 00:00:00")
            }
        }
        "bytea" => match modes.binary {
            BinaryMode::Bytes | BinaryMode::Base64 => plain("BYTES".to_string()),
            BinaryMode::Hex | BinaryMode::Base64UrlSafe => plain("STRING".to_string()),
        },
        "interval" => plain(if modes.interval_as_string { "STRING" } else { "BIGINT" }.to_string()),
        _ => pg_to_flink(pg_type, SourceConnector::Debezium).and_then(plain),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn harness_modes() -> Modes {
        Modes::from_config(|k| (k == "decimal.handling.mode").then_some("string"))
    }

    #[test]
    fn defaults_are_debeziums_own() {
        let m = Modes::from_config(|_| None);
        assert_eq!(m.decimal, DecimalMode::Precise);
        assert_eq!(m.time, TimeMode::Adaptive);
        assert_eq!(m.binary, BinaryMode::Bytes);
        assert!(!m.interval_as_string);
        let m = Modes::from_config(|k| (k == "time.precision.mode").then_some(" CONNECT "));
        assert_eq!(m.time, TimeMode::Connect);
    }

    #[test]
    fn numeric_depends_on_the_decimal_mode() {
        let string = debezium_column("numeric(10,2)", &harness_modes()).unwrap();
        assert_eq!(string.wire_type, "DECIMAL(10, 2)");
        assert!(string.conversion.is_none());
        let precise = debezium_column("numeric(10,2)", &Modes::from_config(|_| None));
        assert!(precise.unwrap_err().contains("'decimal.handling.mode' to 'string'"));
        let double = Modes::from_config(|k| (k == "decimal.handling.mode").then_some("double"));
        let c = debezium_column("numeric(10,2)", &double).unwrap();
        assert_eq!(c.wire_type, "DOUBLE");
        assert_eq!(c.conversion.unwrap().expression("`a`"), "CAST(`a` AS DECIMAL(10, 2))");
    }

    #[test]
    fn temporal_types_are_numbers_converted_in_sql() {
        let m = harness_modes();
        let date = debezium_column("date", &m).unwrap();
        assert_eq!(date.wire_type, "INT");
        let conversion = date.conversion.unwrap();
        assert_eq!(conversion.flink_type, "DATE");
        assert_eq!(conversion.expression("`d`"), "TIMESTAMPADD(DAY, `d`, DATE '1970-01-01')");

        let millis = debezium_column("timestamp(3)", &m).unwrap();
        assert_eq!(millis.wire_type, "BIGINT");
        assert_eq!(
            millis.conversion.unwrap().expression("`t`"),
            "CAST(TO_TIMESTAMP_LTZ(`t`, 3) AS TIMESTAMP(3))"
        );
        let micros = debezium_column("timestamp without time zone", &m).unwrap();
        assert!(micros.conversion.unwrap().template.contains("FROM_UNIXTIME"));
        let connect = Modes { time: TimeMode::Connect, ..m };
        let c = debezium_column("timestamp(6)", &connect).unwrap().conversion.unwrap();
        assert!(c.template.starts_with("CAST(TO_TIMESTAMP_LTZ("), "{}", c.template);

        let zoned = debezium_column("timestamp(3) with time zone", &m).unwrap();
        assert_eq!(zoned.wire_type, "TIMESTAMP_LTZ(3)");
        assert!(zoned.iso_timestamp && zoned.conversion.is_none());
        assert_eq!(debezium_column("timetz", &m).unwrap().wire_type, "STRING");
    }

    #[test]
    fn the_rest_reads_as_it_is() {
        let m = harness_modes();
        for (pg, flink) in [
            ("int", "INT"),
            ("bigint", "BIGINT"),
            ("double precision", "DOUBLE"),
            ("boolean", "BOOLEAN"),
            ("text", "STRING"),
            ("jsonb", "STRING"),
            ("uuid", "STRING"),
            ("bytea", "BYTES"),
            ("interval", "BIGINT"),
        ] {
            let c = debezium_column(pg, &m).unwrap();
            assert_eq!((c.wire_type.as_str(), c.conversion), (flink, None), "{pg}");
        }
        let hex = Modes { binary: BinaryMode::Hex, ..m };
        assert_eq!(debezium_column("bytea", &hex).unwrap().wire_type, "STRING");
        assert!(debezium_column("tsvector", &m).is_err());
    }
}
