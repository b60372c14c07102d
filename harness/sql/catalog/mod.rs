//! What each connector and format accepts, as data: one TOML table per connector and major
//! version (`data/*.toml`, each naming the upstream doc and source it was written from), parsed
//! once on first use.

mod value;

pub use value::{check_value, ValueError};

use serde::Deserialize;
use std::sync::LazyLock;

/// A connector's options in one major version.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorSpec {
    /// The factory identifier, as upstream Flink matches it (case-sensitively); for a Kafka
    /// Connect connector, its `connector.class`.
    pub connector: String,
    pub version: String,
    pub doc: String,
    /// Where the connector runs.
    #[serde(default)]
    pub platform: Platform,
    pub role: Role,
    /// What the connector produces as a source.
    pub changelog: Changelog,
    /// Whether, as a sink, it accepts updates only when the table has a primary key (JDBC).
    #[serde(default)]
    pub sink_upsert_with_primary_key: bool,
    /// Whether, as a sink, it accepts updates and deletes (upsert-kafka).
    #[serde(default)]
    pub sink_accepts_updates: bool,
    #[serde(default)]
    pub needs_primary_key: bool,
    /// Key prefixes passed through unchecked (`debezium.`, `properties.`).
    #[serde(default)]
    pub passthrough: Vec<String>,
    /// Options naming a format whose own options are then accepted under its prefix.
    #[serde(default)]
    pub formats: Vec<String>,
    /// Groups of keys of which at least one must be set.
    #[serde(default)]
    pub one_of: Vec<Vec<String>>,
    /// Groups of keys of which at most one may be set.
    #[serde(default)]
    pub exclusive: Vec<Vec<String>>,
    /// Groups of keys set all together or not at all.
    #[serde(default)]
    pub all_or_none: Vec<Vec<String>>,
    #[serde(default)]
    pub requires: Vec<Requirement>,
    #[serde(rename = "option", default)]
    pub options: Vec<OptionSpec>,
    /// Keys an earlier version had (copied from old guides), with what replaced them.
    #[serde(default)]
    pub removed: Vec<RemovedOption>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// A Flink table connector (`'connector' = '...'` in a WITH clause).
    #[default]
    Flink,
    /// A Kafka Connect connector (a JSON configuration posted to Kafka Connect).
    KafkaConnect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovedOption {
    pub key: String,
    pub note: String,
}

impl ConnectorSpec {
    pub fn option(&self, key: &str) -> Option<&OptionSpec> {
        self.options.iter().find(|o| o.key == key)
    }

    pub fn passthrough_prefix(&self, key: &str) -> Option<&str> {
        self.passthrough
            .iter()
            .map(String::as_str)
            .find(|p| key.starts_with(p) && key.len() > p.len())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Source,
    Sink,
    Both,
}

/// The kind of stream a table produces (as a source) or a format can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Changelog {
    InsertOnly,
    Updating,
    /// Decided by the value format (kafka).
    FromFormat,
}

/// When `key` is set (to `value`, if given), `needs` must be set too.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
    pub needs: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    pub key: String,
    #[serde(rename = "type")]
    pub ty: OptionType,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<String>,
    /// For enums: the accepted values.
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub case_insensitive: bool,
    /// For numbers: the smallest accepted value.
    #[serde(default)]
    pub min: Option<i64>,
    /// The first connector version (`major.minor`) with this option.
    #[serde(default)]
    pub since: Option<String>,
    /// The last connector version with this option.
    #[serde(default)]
    pub until: Option<String>,
    /// A value never shown in findings.
    #[serde(default)]
    pub secret: bool,
    /// Shown with findings about this option (deprecations, pitfalls).
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptionType {
    String,
    Int,
    Long,
    Double,
    Boolean,
    Duration,
    Memory,
    Enum,
    /// `;`-separated names (`key.fields`).
    List,
    /// Kafka's `,`-separated lists (`table.include.list`).
    #[serde(rename = "comma-list")]
    CommaList,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatSpec {
    pub name: String,
    pub changelog: Changelog,
    #[serde(default)]
    pub note: Option<String>,
    /// Options not catalogued: any key under the prefix is accepted.
    #[serde(default)]
    pub open: bool,
    #[serde(rename = "option", default)]
    pub options: Vec<OptionSpec>,
}

impl FormatSpec {
    pub fn option(&self, key: &str) -> Option<&OptionSpec> {
        self.options.iter().find(|o| o.key == key)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatFile {
    format: Vec<FormatSpec>,
}

/// Every catalogued connector version and format.
#[derive(Debug)]
pub struct Catalog {
    pub connectors: Vec<ConnectorSpec>,
    pub formats: Vec<FormatSpec>,
}

const CONNECTOR_FILES: &[(&str, &str)] = &[
    ("postgres-cdc-3.toml", include_str!("data/postgres-cdc-3.toml")),
    ("jdbc-3.toml", include_str!("data/jdbc-3.toml")),
    ("jdbc-4.toml", include_str!("data/jdbc-4.toml")),
    ("kafka-4.toml", include_str!("data/kafka-4.toml")),
    ("upsert-kafka-4.toml", include_str!("data/upsert-kafka-4.toml")),
    ("debezium-postgres-3.toml", include_str!("data/debezium-postgres-3.toml")),
];

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    // The files ship inside the binary and a unit test parses them: a failure here is a bug.
    let connectors = CONNECTOR_FILES
        .iter()
        .map(|(name, text)| {
            toml::from_str(text).unwrap_or_else(|e| panic!("catalog {name} is invalid: {e}"))
        })
        .collect();
    let formats: FormatFile = toml::from_str(include_str!("data/formats.toml"))
        .unwrap_or_else(|e| panic!("catalog formats.toml is invalid: {e}"));
    Catalog { connectors, formats: formats.format }
});

impl Catalog {
    pub fn get() -> &'static Catalog {
        &CATALOG
    }

    /// The Flink connector's spec for a major version, or its newest one when that version is
    /// not catalogued.
    pub fn connector(&self, name: &str, major: Option<&str>) -> Option<&ConnectorSpec> {
        let mut versions = self.flink_connectors().filter(|c| c.connector == name);
        match major {
            Some(v) => versions.clone().find(|c| c.version == v).or_else(|| versions.next_back()),
            None => versions.next_back(),
        }
    }

    pub fn format(&self, name: &str) -> Option<&FormatSpec> {
        self.formats.iter().find(|f| f.name == name)
    }

    /// The Flink connectors' names.
    pub fn connector_names(&self) -> impl Iterator<Item = &str> {
        let mut names: Vec<&str> = self.flink_connectors().map(|c| c.connector.as_str()).collect();
        names.dedup();
        names.into_iter()
    }

    /// The Kafka Connect connector of this `connector.class`.
    pub fn connect_connector(&self, class: &str) -> Option<&ConnectorSpec> {
        self.connectors
            .iter()
            .filter(|c| c.platform == Platform::KafkaConnect)
            .find(|c| c.connector == class)
    }

    fn flink_connectors(&self) -> impl DoubleEndedIterator<Item = &ConnectorSpec> + Clone {
        self.connectors.iter().filter(|c| c.platform == Platform::Flink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_file_parses_and_is_consistent() {
        let c = Catalog::get();
        assert_eq!(c.connectors.len(), CONNECTOR_FILES.len());
        for spec in c.connectors.iter() {
            for group in spec.one_of.iter().chain(&spec.exclusive).chain(&spec.all_or_none) {
                for key in group {
                    assert!(
                        spec.option(key).is_some(),
                        "{}: group names unknown {key}",
                        spec.connector
                    );
                }
            }
            for r in &spec.requires {
                assert!(spec.option(&r.key).is_some() && spec.option(&r.needs).is_some());
            }
            for o in &spec.options {
                assert_eq!(o.ty == OptionType::Enum, !o.values.is_empty(), "{}", o.key);
                if let Some(d) = &o.default {
                    assert!(check_value(o, d).is_ok(), "{} default {d} fails its own type", o.key);
                }
            }
        }
        assert!(c.format("json").is_some() && c.format("debezium-json").is_some());
    }

    #[test]
    fn kafka_connect_connectors_are_apart_from_flink_ones() {
        let c = Catalog::get();
        let class = "io.debezium.connector.postgresql.PostgresConnector";
        let debezium = c.connect_connector(class).unwrap();
        assert!(c.connector(class, None).is_none());
        assert!(!c.connector_names().any(|n| n == class));
        assert!(debezium.option("decimal.handling.mode").unwrap().case_insensitive);
        assert!(debezium.option("database.password").unwrap().secret);
        assert_eq!(debezium.option("table.include.list").unwrap().ty, OptionType::CommaList);
        assert!(debezium.option("topic.prefix").unwrap().required);
        assert!(debezium.removed.iter().any(|r| r.key == "database.server.name"));
    }

    #[test]
    fn versions_are_selected() {
        let c = Catalog::get();
        assert_eq!(c.connector("jdbc", Some("3")).unwrap().version, "3");
        assert_eq!(c.connector("jdbc", Some("4")).unwrap().version, "4");
        assert_eq!(c.connector("jdbc", None).unwrap().version, "4");
        assert_eq!(c.connector("jdbc", Some("9")).unwrap().version, "4");
        assert!(c.connector("JDBC", None).is_none());
        let pg = c.connector("postgres-cdc", Some("4")).unwrap();
        assert_eq!(pg.passthrough_prefix("debezium.snapshot.mode"), Some("debezium."));
        assert_eq!(pg.passthrough_prefix("debezium."), None);
    }
}
