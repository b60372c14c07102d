//! The Debezium connector configuration a scenario runs: generated from `table` and `options`,
//! or the pasted JSON pointed at the target (endpoint and isolation keys rewritten, each change
//! listed), always with converters Flink's `debezium-json` format reads.

use super::json::{parse_config, ParsedConfig};
use super::types::Modes;
use crate::diagnostics::{Finding, Severity, SourceFile, Span};
use crate::scenario::{DebeziumSource, Scenario, TableName};
use crate::secret::{Secret, REDACTED};
use crate::sql::generate::{GenerateError, Target};

pub const POSTGRES_CONNECTOR_CLASS: &str = "io.debezium.connector.postgresql.PostgresConnector";
pub const JSON_CONVERTER: &str = "org.apache.kafka.connect.json.JsonConverter";

/// Keys the harness sets in a generated configuration; `options` may not set them.
pub const MANAGED: &[&str] = &[
    "name",
    "connector.class",
    "database.hostname",
    "database.port",
    "database.user",
    "database.password",
    "database.dbname",
    "topic.prefix",
    "plugin.name",
    "slot.name",
    "publication.name",
    "publication.autocreate.mode",
    "table.include.list",
    "key.converter",
    "key.converter.schemas.enable",
    "value.converter",
    "value.converter.schemas.enable",
];

#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    Plain(String),
    Secret(Secret),
}

impl ConfigValue {
    fn shown(&self, show_secrets: bool) -> &str {
        match self {
            ConfigValue::Plain(v) => v,
            ConfigValue::Secret(s) if show_secrets => s.expose(),
            ConfigValue::Secret(_) => REDACTED,
        }
    }
}

/// A connector configuration, ready to post; secrets stay [`Secret`]s until posted.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedConnector {
    pub name: String,
    /// In order: the pasted configuration's, then what the harness added.
    pub entries: Vec<(String, ConfigValue)>,
    /// What the harness changed in a pasted configuration, one line each (secrets redacted).
    pub changes: Vec<String>,
    /// The captured table.
    pub table: TableName,
}

/// Debezium's publication when the configuration names none.
pub const DEFAULT_PUBLICATION: &str = "dbz_publication";

impl GeneratedConnector {
    /// A key's value (a secret's is never returned).
    pub fn value(&self, key: &str) -> Option<&str> {
        self.entries.iter().rev().find(|(k, _)| k == key).and_then(|(_, v)| match v {
            ConfigValue::Plain(v) => Some(v.as_str()),
            ConfigValue::Secret(_) => None,
        })
    }

    /// The publication Debezium reads (and, depending on `publication.autocreate.mode`, creates).
    pub fn publication(&self) -> &str {
        self.value("publication.name").unwrap_or(DEFAULT_PUBLICATION)
    }

    /// Whether the harness is to create the publication in setup: it does for its own
    /// configurations and for a pasted one that names its publication (as its database's owner
    /// would have); a pasted one relying on Debezium's default publication gets what Debezium
    /// does on its own.
    pub fn publication_made_in_setup(&self) -> bool {
        self.value("publication.name").is_some()
    }

    /// The encoding modes the configuration sets.
    pub fn modes(&self) -> Modes {
        Modes::from_config(|k| self.value(k))
    }

    /// The topic Debezium writes the table's changes to: `<topic.prefix>.<schema>.<table>`.
    pub fn topic(&self) -> String {
        let delimiter = self.value("topic.delimiter").unwrap_or(".");
        let prefix = self.value("topic.prefix").unwrap_or_default();
        format!("{prefix}{delimiter}{}{delimiter}{}", self.table.schema, self.table.table)
    }

    /// The configuration to post: `{"key": "value", ...}`, secrets included.
    pub fn config(&self) -> serde_json::Map<String, serde_json::Value> {
        self.entries
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.shown(true).to_string())))
            .collect()
    }

    /// `{"name": ..., "config": {...}}` as JSON text, in entry order, for people.
    pub fn render(&self, show_secrets: bool) -> String {
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let lines: Vec<String> = self
            .entries
            .iter()
            .map(|(k, v)| format!("    {}: {}", quote(k), quote(v.shown(show_secrets))))
            .collect();
        format!(
            "{{\n  \"name\": {},\n  \"config\": {{\n{}\n  }}\n}}",
            quote(&self.name),
            lines.join(",\n")
        )
    }
}

/// The configuration of `scenario`'s Debezium source, pointed at `target`.
pub fn connector(
    scenario: &Scenario,
    debezium: &DebeziumSource,
    target: &Target,
) -> Result<GeneratedConnector, GenerateError> {
    match &debezium.config {
        None => Ok(structured(debezium, target)),
        Some(json) => {
            let (file, region, note) = match json.region {
                Some(region) => (scenario.file.clone(), region, None),
                None => (
                    SourceFile::new(
                        format!("{} [source.config]", scenario.file.name()),
                        json.text.clone(),
                    ),
                    Span::new(0, json.text.len()),
                    Some(
                        "positions in [source] `config` are relative to the string: it is a \"basic\" TOML string \
                         with escapes; write it as a '''literal''' string to get positions in the scenario file"
                            .to_string(),
                    ),
                ),
            };
            let parsed = parse_config(&file, region);
            let errors: Vec<Finding> =
                parsed.findings.iter().filter(|f| f.severity == Severity::Error).cloned().collect();
            if !errors.is_empty() {
                return Err(GenerateError { file, findings: errors, note });
            }
            Ok(verbatim(&parsed, debezium, target))
        }
    }
}

/// The entries that point a configuration at the target and isolate the run (slots and topics
/// are shared by everyone on a server or broker; the publication lives in the scenario's own
/// database).
fn pointed_at(target: &Target) -> Vec<(&'static str, ConfigValue)> {
    let pg = &target.postgres;
    let plain = |v: &str| ConfigValue::Plain(v.to_string());
    vec![
        ("database.hostname", plain(&pg.host)),
        ("database.port", plain(&pg.port.to_string())),
        ("database.user", plain(&pg.username)),
        ("database.password", ConfigValue::Secret(pg.password.clone())),
        ("database.dbname", plain(&pg.database)),
        ("topic.prefix", plain(&target.topic_prefix)),
        ("slot.name", plain(&target.slot_name)),
    ]
}

/// The publication a generated configuration reads: the harness's, made in setup (a
/// non-superuser cannot create one FOR ALL TABLES, Debezium's default). A pasted configuration
/// keeps its own choice, which is part of what it proves.
fn harness_publication(target: &Target) -> Vec<(&'static str, ConfigValue)> {
    let plain = |v: &str| ConfigValue::Plain(v.to_string());
    vec![
        ("publication.name", plain(&target.publication_name)),
        ("publication.autocreate.mode", plain("disabled")),
    ]
}

/// Converters Flink's `debezium-json` reads: plain JSON envelopes, no schemas.
fn converters() -> Vec<(&'static str, ConfigValue)> {
    let plain = |v: &str| ConfigValue::Plain(v.to_string());
    vec![
        ("key.converter", plain(JSON_CONVERTER)),
        ("key.converter.schemas.enable", plain("false")),
        ("value.converter", plain(JSON_CONVERTER)),
        ("value.converter.schemas.enable", plain("false")),
    ]
}

fn structured(debezium: &DebeziumSource, target: &Target) -> GeneratedConnector {
    let plain = |v: &str| ConfigValue::Plain(v.to_string());
    let mut entries: Vec<(String, ConfigValue)> =
        vec![("connector.class".into(), plain(POSTGRES_CONNECTOR_CLASS))];
    entries.extend(
        pointed_at(target)
            .into_iter()
            .chain(harness_publication(target))
            .map(|(k, v)| (k.to_string(), v)),
    );
    entries.push(("plugin.name".into(), plain("pgoutput")));
    entries.push(("table.include.list".into(), plain(&include_list_entry(&debezium.table))));
    entries.extend(converters().into_iter().map(|(k, v)| (k.to_string(), v)));
    // Debezium's default ('precise') writes bytes Flink cannot read as DECIMAL.
    entries.push(("decimal.handling.mode".into(), plain("string")));
    for o in &debezium.options {
        set(&mut entries, &o.key, plain(&o.value));
    }
    GeneratedConnector {
        name: target.connector_name.clone(),
        entries,
        changes: Vec::new(),
        table: debezium.table.clone(),
    }
}

fn verbatim(
    parsed: &ParsedConfig,
    debezium: &DebeziumSource,
    target: &Target,
) -> GeneratedConnector {
    let mut entries: Vec<(String, ConfigValue)> = Vec::new();
    for e in &parsed.entries {
        let Some(value) = &e.value else { continue };
        let value = if crate::secret::is_secret_key(&e.key) {
            ConfigValue::Secret(Secret::new(value.clone()))
        } else {
            ConfigValue::Plain(value.clone())
        };
        set(&mut entries, &e.key, value);
    }
    entries.retain(|(k, _)| k != "name");
    let mut changes = Vec::new();
    let original_name = parsed.name.as_ref().map(|(n, _)| n.as_str()).unwrap_or("");
    if original_name != target.connector_name {
        changes.push(format!(
            "rewritten: \"name\" {} -> {}",
            json_text(original_name),
            json_text(&target.connector_name)
        ));
    }
    for (key, wanted) in pointed_at(target) {
        let old = entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        match old {
            Some(old) if old == wanted => {}
            Some(old) => changes.push(format!(
                "rewritten: {} {} -> {}",
                json_text(key),
                json_text(old.shown(false)),
                json_text(wanted.shown(false))
            )),
            None => changes.push(format!(
                "added: {} = {}",
                json_text(key),
                json_text(wanted.shown(false))
            )),
        }
        set(&mut entries, key, wanted);
    }
    if !entries.iter().any(|(k, _)| k == "key.converter" || k == "value.converter") {
        for (key, value) in converters() {
            changes.push(format!(
                "added: {} = {} (converters otherwise come from the worker, and differ between installations)",
                json_text(key),
                json_text(value.shown(false))
            ));
            set(&mut entries, key, value);
        }
    }
    GeneratedConnector {
        name: target.connector_name.clone(),
        entries,
        changes,
        table: debezium.table.clone(),
    }
}

/// Replaces the last entry of `key` (the one Kafka Connect keeps) or appends it.
fn set(entries: &mut Vec<(String, ConfigValue)>, key: &str, value: ConfigValue) {
    match entries.iter().rposition(|(k, _)| k == key) {
        Some(i) => entries[i].1 = value,
        None => entries.push((key.to_string(), value)),
    }
}

fn json_text(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// `table.include.list` holds regular expressions matched against `schema.table`: the table's
/// name with every character a regex treats specially escaped.
pub fn include_list_entry(table: &TableName) -> String {
    format!("{}\\.{}", regex_quote(&table.schema), regex_quote(&table.table))
}

fn regex_quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if "\\.^$|?*+()[]{},".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The table an include list names, when it names exactly one without regex operators
/// (`public.orders`, `public\.orders`).
pub fn single_table(include_list: &str) -> Option<(String, String)> {
    let entries: Vec<&str> =
        include_list.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
    let [entry] = entries.as_slice() else { return None };
    let unescaped = entry.replace("\\.", "\u{0}");
    if unescaped.contains(|c: char| "\\^$|?*+()[]{}".contains(c)) {
        return None;
    }
    let parts: Vec<&str> = unescaped.split(['.', '\u{0}']).collect();
    match parts.as_slice() {
        [schema, table] if !schema.is_empty() && !table.is_empty() => {
            Some((schema.to_string(), table.to_string()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_list_entries_escape_regex_operators() {
        let t = |schema: &str, table: &str| TableName {
            schema: schema.into(),
            table: table.into(),
            span: Span::default(),
        };
        assert_eq!(include_list_entry(&t("public", "orders")), "public\\.orders");
        assert_eq!(include_list_entry(&t("Sales", "Order$Lines")), "Sales\\.Order\\$Lines");
    }

    #[test]
    fn a_single_plain_table_is_read_from_an_include_list() {
        assert_eq!(single_table("public.orders"), Some(("public".into(), "orders".into())));
        assert_eq!(single_table(" public\\.orders "), Some(("public".into(), "orders".into())));
        assert_eq!(single_table("public.orders,public.items"), None);
        assert_eq!(single_table("public.order.*"), None);
        assert_eq!(single_table("orders"), None);
    }
}
