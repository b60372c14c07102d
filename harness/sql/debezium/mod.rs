//! Debezium's PostgreSQL connector on Kafka Connect as a scenario's source: its configuration
//! (read with positions, generated or pointed at the target), what it writes for each column
//! type and how Flink's `debezium-json` format reads that, and the checks of a configuration
//! against the catalogue and against the Flink table that reads its topic.

pub mod config;
pub mod json;
pub mod lint;
pub mod types;

pub use config::{connector, GeneratedConnector, POSTGRES_CONNECTOR_CLASS};
pub use json::{parse_config, ConfigEntry, ParsedConfig};
