//! Checks of a Debezium connector configuration before it is posted: keys against the
//! catalogue (unknown keys with did-you-mean, required keys, types and enumerations, keys
//! removed in Debezium 2.0), the rules Debezium or PostgreSQL enforce later at run time (slot
//! names, the decoding plugin), placeholders, and — given the Flink table that reads the topic —
//! whether Flink can decode what the configuration makes Debezium write.
//!
//! Kafka Connect ignores keys it does not know, so an unknown key is an error: its setting would
//! silently have no effect. A finding never contains a secret's value.

use super::config::{ConfigValue, GeneratedConnector, JSON_CONVERTER, POSTGRES_CONNECTOR_CLASS};
use super::json::{parse_config, ConfigEntry, ParsedConfig};
use super::types::{BinaryMode, DecimalMode, Modes};
use crate::diagnostics::{Finding, SourceFile, Span};
use crate::scenario::{DebeziumSource, Scenario};
use crate::sql::catalog::{Catalog, ConnectorSpec};
use crate::sql::ddl::{CreateTable, TableOption};
use crate::sql::lint::{check_typed, did_you_mean, is_secret, placeholder};

/// Where the configuration is checked: alone (a file), or in a scenario, where the harness
/// rewrites the endpoint and isolation keys (so their placeholders are no error there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    File,
    Scenario,
}

/// Keys the harness points at the stack in a scenario.
const REWRITTEN: &[&str] = &[
    "database.hostname",
    "database.port",
    "database.user",
    "database.password",
    "database.dbname",
    "topic.prefix",
    "slot.name",
    "publication.name",
];

/// Lints a connector configuration file (`{"name", "config"}` or the `config` object alone).
pub fn lint_file(file: &SourceFile) -> Vec<Finding> {
    let parsed = parse_config(file, Span::new(0, file.text().len()));
    lint_parsed(&parsed, Context::File)
}

fn lint_parsed(parsed: &ParsedConfig, context: Context) -> Vec<Finding> {
    let mut out = parsed.findings.clone();
    if !out.iter().any(|f| f.severity == crate::diagnostics::Severity::Error) {
        out.extend(check_entries(&parsed.entries, parsed.span, parsed.name.is_some(), context));
    }
    out
}

/// Lints a scenario's Debezium source: a pasted configuration where it stands in the file, or
/// the generated one (which holds the structured `options`, at their positions).
pub fn lint_scenario_connector(
    scenario: &Scenario,
    debezium: &DebeziumSource,
    generated: &GeneratedConnector,
) -> Vec<Finding> {
    match debezium.config.as_ref().and_then(|c| c.region) {
        Some(region) => lint_parsed(&parse_config(&scenario.file, region), Context::Scenario),
        None => {
            let at = |key: &str| {
                debezium
                    .options
                    .iter()
                    .rev()
                    .find(|o| o.key == key)
                    .map_or(debezium.span, |o| o.span)
            };
            let entries: Vec<ConfigEntry> = generated
                .entries
                .iter()
                .map(|(key, value)| ConfigEntry {
                    key: key.clone(),
                    key_span: at(key),
                    value: Some(match value {
                        ConfigValue::Plain(v) => v.clone(),
                        ConfigValue::Secret(_) => crate::secret::REDACTED.to_string(),
                    }),
                    value_span: at(key),
                })
                .collect();
            check_entries(&entries, debezium.span, true, Context::Scenario)
        }
    }
}

/// Checks the entries of a configuration. `whole` is where findings about the configuration as
/// a whole point; `has_name` says whether the connector is named (the `{"name", "config"}` form).
pub fn check_entries(
    entries: &[ConfigEntry],
    whole: Span,
    has_name: bool,
    context: Context,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let get = |key: &str| entries.iter().rev().find(|e| e.key == key);
    let class = get("connector.class").and_then(|e| e.value.clone());
    let catalog = Catalog::get();
    let spec = match class.as_deref() {
        Some(class) => match catalog.connect_connector(class) {
            Some(spec) => Some(spec),
            None => {
                if let Some(e) = get("connector.class") {
                    out.push(unknown_class(e, class));
                }
                None
            }
        },
        None => catalog.connect_connector(POSTGRES_CONNECTOR_CLASS),
    };
    let Some(spec) = spec else { return out };
    let named: Vec<String> = list(get("converters").and_then(|e| e.value.as_deref()))
        .into_iter()
        .map(|n| format!("{n}."))
        .collect();
    for e in entries {
        let Some(value) = &e.value else { continue };
        if let Some(p) = placeholder(value) {
            out.push(placeholder_finding(e, p, spec, context));
            continue;
        }
        match spec.option(&e.key) {
            Some(o) => {
                check_typed(&as_option(e), o, &mut out);
                if let Some(note) = o.note.as_deref().filter(|n| n.starts_with("deprecated")) {
                    out.push(Finding::warning(
                        "connect/deprecated",
                        e.key_span,
                        format!("'{}' is {note}", e.key),
                    ));
                }
            }
            None if spec.passthrough_prefix(&e.key).is_some() => {}
            None if named.iter().any(|p| e.key.starts_with(p.as_str())) => {}
            None => out.push(unknown_key(e, spec)),
        }
    }
    check_required(entries, whole, has_name, spec, &mut out);
    check_rules(entries, &mut out);
    out
}

fn as_option(e: &ConfigEntry) -> TableOption {
    TableOption {
        key: e.key.clone(),
        key_span: e.key_span,
        value: e.value.clone().unwrap_or_default(),
        value_span: e.value_span,
    }
}

fn list(value: Option<&str>) -> Vec<&str> {
    value
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default()
}

fn unknown_class(e: &ConfigEntry, class: &str) -> Finding {
    let help = match did_you_mean(class, [POSTGRES_CONNECTOR_CLASS]) {
        Some(c) => format!("did you mean '{c}'?"),
        None => format!(
            "only Debezium's PostgreSQL connector ('{POSTGRES_CONNECTOR_CLASS}') is catalogued; the \
             other keys are not checked"
        ),
    };
    Finding::warning(
        "connect/unknown-class",
        e.value_span,
        format!("connector class '{class}' is not one the linter knows"),
    )
    .with_help(help)
}

fn placeholder_finding(
    e: &ConfigEntry,
    p: &str,
    spec: &ConnectorSpec,
    context: Context,
) -> Finding {
    let shown =
        if is_secret(&e.key, spec.option(&e.key)) { String::new() } else { format!(" {p}") };
    if context == Context::Scenario && REWRITTEN.contains(&e.key.as_str()) {
        return Finding::warning(
            "connect/placeholder",
            e.value_span,
            format!("'{}' still holds the placeholder{shown}", e.key),
        )
        .with_help("the harness points it at its stack in a run; replace it before the rollout");
    }
    Finding::error(
        "connect/placeholder",
        e.value_span,
        format!("'{}' still holds the placeholder{shown}", e.key),
    )
    .with_label("placeholder")
    .with_help("replace it with the real value")
}

fn unknown_key(e: &ConfigEntry, spec: &ConnectorSpec) -> Finding {
    let mut finding = Finding::error(
        "connect/unknown-key",
        e.key_span,
        format!(
            "unknown property '{}': Kafka Connect ignores it, so its setting has no effect",
            e.key
        ),
    )
    .with_label("unknown property");
    if let Some(removed) = spec.removed.iter().find(|r| r.key == e.key) {
        return finding.with_help(format!("'{}' is {}", e.key, removed.note));
    }
    let keys = spec.options.iter().map(|o| o.key.as_str());
    finding = match did_you_mean(&e.key, keys) {
        Some(best) => finding.with_help(format!("did you mean '{best}'?")),
        None => finding.with_help(format!(
            "see {}; properties under {} are passed on unchecked",
            spec.doc,
            spec.passthrough.iter().map(|p| format!("'{p}*'")).collect::<Vec<_>>().join(", ")
        )),
    };
    finding
}

fn check_required(
    entries: &[ConfigEntry],
    whole: Span,
    has_name: bool,
    spec: &ConnectorSpec,
    out: &mut Vec<Finding>,
) {
    let set = |key: &str| entries.iter().any(|e| e.key == key && e.value.is_some());
    let missing: Vec<&str> = spec
        .options
        .iter()
        .filter(|o| o.required && !set(&o.key))
        .map(|o| o.key.as_str())
        .filter(|k| !(*k == "name" && has_name))
        .collect();
    if !missing.is_empty() {
        let list = missing.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
        out.push(
            Finding::error(
                "connect/missing-required",
                Span::new(whole.start, whole.start + 1),
                format!("the connector configuration lacks {list}"),
            )
            .with_label(format!("missing {list}"))
            .with_help(format!(
                "add {} to the configuration",
                missing.iter().map(|k| format!("\"{k}\": \"...\"")).collect::<Vec<_>>().join(", ")
            )),
        );
    }
}

/// What Debezium or PostgreSQL reject only once the connector runs.
fn check_rules(entries: &[ConfigEntry], out: &mut Vec<Finding>) {
    let get = |key: &str| entries.iter().rev().find(|e| e.key == key && e.value.is_some());
    let value = |e: &ConfigEntry| e.value.clone().unwrap_or_default();
    match get("plugin.name") {
        Some(e) if value(e).trim().eq_ignore_ascii_case("decoderbufs") => out.push(
            Finding::error("connect/decoding-plugin", e.value_span, "'plugin.name' is decoderbufs, a server plugin that stock PostgreSQL and Aiven for PostgreSQL do not have")
                .with_help("set \"plugin.name\": \"pgoutput\" (built into PostgreSQL 10 and later)"),
        ),
        Some(_) => {}
        None => out.push(
            Finding::error("connect/decoding-plugin", Span::new(entries.first().map_or(0, |e| e.key_span.start), entries.first().map_or(0, |e| e.key_span.start)), "'plugin.name' is not set: Debezium then uses decoderbufs, a server plugin that stock PostgreSQL and Aiven for PostgreSQL do not have")
                .with_help("add \"plugin.name\": \"pgoutput\""),
        ),
    }
    if let Some(e) = get("slot.name") {
        let slot = value(e);
        let valid = !slot.is_empty()
            && slot.len() <= 63
            && slot.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid && placeholder(&slot).is_none() {
            out.push(
                Finding::error("connect/slot-name", e.value_span, format!("'slot.name' {slot:?} is not a valid replication slot name"))
                    .with_help("PostgreSQL accepts only lower-case letters, digits and underscores, at most 63 of them"),
            );
        }
    }
    let autocreate = get("publication.autocreate.mode").map(value);
    if autocreate.as_deref().is_none_or(|m| m.trim().eq_ignore_ascii_case("all_tables")) {
        let at = get("publication.autocreate.mode")
            .or_else(|| get("publication.name"))
            .map_or(Span::default(), |e| e.value_span);
        let name = get("publication.name")
            .map(value)
            .unwrap_or_else(|| super::config::DEFAULT_PUBLICATION.into());
        out.push(
            Finding::warning("connect/publication", at, format!("when publication '{name}' is missing, Debezium creates it FOR ALL TABLES ('publication.autocreate.mode' all_tables, the default), which only a superuser may: managed PostgreSQL (Aiven's too) gives none"))
                .with_help(format!("create it beforehand (CREATE PUBLICATION {name} FOR TABLE ...) and set \"publication.autocreate.mode\": \"disabled\", or \"filtered\" when the login owns the tables")),
        );
    }
    if get("value.converter").is_none() {
        let at = entries
            .first()
            .map_or(Span::default(), |e| Span::new(e.key_span.start, e.key_span.start));
        out.push(
            Finding::warning("connect/converter", at, "no 'value.converter': the worker's default applies, which differs between installations (stock Kafka Connect: JsonConverter with schemas)")
                .with_help(format!("set \"value.converter\": \"{JSON_CONVERTER}\" and \"value.converter.schemas.enable\": \"false\" (what Flink's debezium-json reads by default)")),
        );
    }
    if let Some(e) = get("tasks.max").filter(|e| value(e).trim() != "1") {
        out.push(Finding::warning(
            "connect/tasks",
            e.value_span,
            "Debezium's PostgreSQL connector always runs one task: 'tasks.max' has no effect",
        ));
    }
    if let Some(e) = get("snapshot.mode").filter(|e| value(e).trim().eq_ignore_ascii_case("never"))
    {
        out.push(
            Finding::warning(
                "connect/deprecated",
                e.value_span,
                "snapshot.mode 'never' is deprecated since Debezium 2.6",
            )
            .with_help("use 'no_data'"),
        );
    }
}

/// Whether Flink's table reading the connector's topic can decode what the connector writes:
/// topic, format, envelope (converter schemas) and the column types the encoding modes allow.
/// `topic` is the topic the table should read as written (for a pasted configuration and table,
/// both before the harness points them at its run); `at(key)` is where a configuration key sits
/// (its entry, or the source as a whole).
pub fn check_flink_table(
    connector: &GeneratedConnector,
    topic: &str,
    at: &dyn Fn(&str) -> Span,
    table: &CreateTable,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let option = |key: &str| table.option(key);
    let with = table.with_span.unwrap_or(table.name.span);
    if let Some(read) = option("topic") {
        if placeholder(&read.value).is_none() && read.value != topic {
            out.push(
                Finding::error(
                    "connect/topic",
                    read.value_span,
                    format!(
                        "the table reads topic '{}', but the connector writes '{topic}' ('topic.prefix' + schema + table)",
                        read.value,
                    ),
                )
                .with_help("name the topic `<topic.prefix>.<schema>.<table>`"),
            );
        }
    }
    let format = option("format").or_else(|| option("value.format"));
    let unwrapped = connector.entries.iter().any(|(k, v)| {
        k.starts_with("transforms.") && k.ends_with(".type")
            && matches!(v, super::config::ConfigValue::Plain(c) if c == "io.debezium.transforms.ExtractNewRecordState")
    });
    if unwrapped {
        // ExtractNewRecordState writes the new row alone (deletes as tombstones): plain JSON rows.
        if let Some(f) = format.filter(|f| f.value == "debezium-json") {
            out.push(Finding::error("connect/format", f.value_span, "the connector's ExtractNewRecordState transform writes plain rows, not Debezium envelopes: 'debezium-json' finds no `op` in them")
                .with_help("read the topic with 'upsert-kafka' ('key.format' and 'value.format' = 'json'), or drop the transform"));
        }
        return out;
    }
    if let Some(f) = format.filter(|f| f.value != "debezium-json") {
        if f.value == "json" {
            out.push(Finding::warning("connect/format", f.value_span, "format 'json' reads Debezium's envelopes as plain rows (before, after, op), not as changes")
                .with_help("use 'debezium-json' to read inserts, updates and deletes as a changelog"));
        }
        return out;
    }
    let converter = connector.value("value.converter").unwrap_or(JSON_CONVERTER);
    if converter != JSON_CONVERTER {
        out.push(
            Finding::error("connect/converter", at("value.converter"), format!("the connector writes with {converter}, but Flink's debezium-json format reads JSON"))
                .with_help(format!("set \"value.converter\": \"{JSON_CONVERTER}\", or read the topic with the format that matches the converter")),
        );
        return out;
    }
    let schemas = connector
        .value("value.converter.schemas.enable")
        .unwrap_or("true")
        .trim()
        .eq_ignore_ascii_case("true");
    let include = option("debezium-json.schema-include")
        .or_else(|| option("value.debezium-json.schema-include"));
    let included = include.is_some_and(|o| o.value.trim().eq_ignore_ascii_case("true"));
    if schemas != included {
        let (span, message, help) = if schemas {
            (
                include.map_or(with, |o| o.value_span),
                "the connector's JsonConverter writes schemas (`value.converter.schemas.enable` is true, its default), but the table does not expect them",
                "set \"value.converter.schemas.enable\": \"false\" in the connector, or 'debezium-json.schema-include' = 'true' in the table",
            )
        } else {
            (
                include.map_or(with, |o| o.value_span),
                "the table expects schemas in each message ('debezium-json.schema-include' = 'true'), but the connector writes none",
                "remove 'debezium-json.schema-include', or set \"value.converter.schemas.enable\": \"true\"",
            )
        };
        out.push(Finding::error("connect/schemas", span, message).with_help(help));
    }
    let modes: Modes = connector.modes();
    let iso = [
        "debezium-json.timestamp-format.standard",
        "value.debezium-json.timestamp-format.standard",
    ]
    .iter()
    .filter_map(|k| option(k))
    .any(|o| o.value.trim() == "ISO-8601");
    for column in
        table.columns.iter().filter(|c| matches!(c.kind, crate::sql::ddl::ColumnKind::Physical))
    {
        let ty = &column.data_type;
        let name = &column.name.value;
        let problem: Option<(String, String)> = match ty.family() {
            "DECIMAL" if modes.decimal == DecimalMode::Precise => Some((
                format!("column `{name}` is {} but decimal.handling.mode 'precise' (Debezium's default) writes NUMERIC as base64 bytes without its scale", ty.text),
                "set \"decimal.handling.mode\": \"string\" in the connector (or \"double\")".to_string(),
            )),
            "DATE" => Some((
                format!("column `{name}` is DATE, but Debezium writes dates as a number of days since 1970-01-01, which Flink's JSON formats cannot read as DATE"),
                format!("declare `{name}` INT and convert it: TIMESTAMPADD(DAY, `{name}`, DATE '1970-01-01')"),
            )),
            "TIME" => Some((
                format!("column `{name}` is {}, but Debezium writes times as milli- or microseconds since midnight, which Flink's JSON formats cannot read as TIME", ty.text),
                format!("declare `{name}` BIGINT (or INT for milliseconds) and convert it in SQL (`cdc-harness sql` shows how)"),
            )),
            "TIMESTAMP" => Some((
                format!("column `{name}` is {}, but Debezium writes timestamps without time zone as milli- or microseconds since the epoch, which Flink's JSON formats cannot read as TIMESTAMP", ty.text),
                format!("declare `{name}` BIGINT and convert it, e.g. CAST(TO_TIMESTAMP_LTZ(`{name}`, 3) AS TIMESTAMP(3)) for milliseconds (`cdc-harness sql` shows the conversion for each precision)"),
            )),
            "TIMESTAMP_LTZ" if !iso => Some((
                format!("column `{name}` is {}: Debezium writes timestamptz as ISO-8601 text ('2024-02-29T12:45:01.000000Z'), which Flink reads only with the ISO-8601 standard", ty.text),
                "add 'debezium-json.timestamp-format.standard' = 'ISO-8601' to the table".to_string(),
            )),
            "BYTES" if matches!(modes.binary, BinaryMode::Hex | BinaryMode::Base64UrlSafe) => Some((
                format!("column `{name}` is BYTES, but binary.handling.mode writes hex or URL-safe base64 text, which Flink's JSON formats do not decode"),
                format!("declare `{name}` STRING, or set \"binary.handling.mode\": \"bytes\""),
            )),
            _ => None,
        };
        if let Some((message, help)) = problem {
            out.push(Finding::error("connect/column-type", ty.span, message).with_help(help));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;
    use crate::sql::debezium::json::parse_config;

    fn lint(json: &str, context: Context) -> Vec<Finding> {
        let file = SourceFile::new("c.json", json);
        let parsed = parse_config(&file, Span::new(0, json.len()));
        assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
        check_entries(&parsed.entries, parsed.span, parsed.name.is_some(), context)
    }

    const GOOD: &str = r#"{"name": "inventory", "config": {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "db", "database.port": 5432, "database.user": "u",
        "database.password": "hunter2", "database.dbname": "app", "topic.prefix": "app",
        "plugin.name": "pgoutput", "slot.name": "app_slot", "table.include.list": "public.orders",
        "decimal.handling.mode": "string", "transforms": "unwrap",
        "publication.name": "app_pub", "publication.autocreate.mode": "disabled",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState"}}"#;

    #[test]
    fn a_correct_configuration_has_no_findings() {
        let findings = lint(GOOD, Context::File);
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn typos_removed_keys_types_and_enums_are_found() {
        let json = GOOD
            .replace("\"slot.name\"", "\"slot.nmae\"")
            .replace(
                "\"decimal.handling.mode\": \"string\"",
                "\"decimal.handling.mode\": \"strng\", \"database.server.name\": \"x\"",
            )
            .replace("\"database.port\": 5432", "\"database.port\": \"five\"");
        let findings = lint(&json, Context::File);
        let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
        assert!(codes.contains(&"connect/unknown-key"), "{findings:?}");
        let typo = findings.iter().find(|f| f.message.contains("slot.nmae")).unwrap();
        assert_eq!(typo.help.as_deref(), Some("did you mean 'slot.name'?"));
        let removed = findings.iter().find(|f| f.message.contains("database.server.name")).unwrap();
        assert!(removed.help.as_deref().unwrap().contains("topic.prefix"), "{removed:?}");
        let enum_finding =
            findings.iter().find(|f| f.message.contains("decimal.handling.mode")).unwrap();
        assert!(
            enum_finding.help.as_deref().unwrap().contains("did you mean 'string'"),
            "{enum_finding:?}"
        );
        assert!(findings
            .iter()
            .any(|f| f.message.contains("database.port") && f.code == "option/type"));
        assert!(findings.iter().all(|f| !f.message.contains("hunter2")));
    }

    #[test]
    fn required_keys_plugin_and_slot_rules() {
        let findings = lint(
            r#"{"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "slot.name": "Orders-Slot"}"#,
            Context::File,
        );
        let missing = findings.iter().find(|f| f.code == "connect/missing-required").unwrap();
        for key in ["'name'", "'database.hostname'", "'topic.prefix'"] {
            assert!(missing.message.contains(key), "{missing:?}");
        }
        assert!(findings.iter().any(|f| f.code == "connect/decoding-plugin"));
        assert!(findings.iter().any(|f| f.code == "connect/slot-name"));
    }

    #[test]
    fn placeholders_are_warnings_only_where_the_harness_rewrites_them() {
        let json = GOOD.replace("\"db\"", "\"<db-host>\"").replace("\"hunter2\"", "\"<password>\"");
        let file = lint(&json, Context::File);
        assert_eq!(
            file.iter()
                .filter(|f| f.code == "connect/placeholder"
                    && f.severity == crate::diagnostics::Severity::Error)
                .count(),
            2
        );
        assert!(file.iter().all(|f| !f.message.contains("<password>")), "{file:?}");
        let scenario = lint(&json, Context::Scenario);
        assert!(
            scenario.iter().all(|f| f.severity != crate::diagnostics::Severity::Error),
            "{scenario:?}"
        );
    }
}
