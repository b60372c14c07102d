//! Reading the sink topic and decoding it into changes.
//!
//! [`SinkReader`] reads a topic from the beginning by assignment (no consumer-group join) and
//! never trusts the high watermark (tansu reports it wrongly): callers read until what they
//! expect is there. [`decode`] turns each record into uniform [`Change`]s according to the
//! Flink sink format. [`RecordSource`] is what the verifier reads from: the live topic, or a
//! [`RecordedTopic`] held in memory (tests, benchmarks, replaying a run's records).

pub mod datum;
mod decode;
mod reader;
mod recorded;
mod topics;

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

pub use datum::Datum;
pub use decode::{decode, DecodeError};
pub use reader::{ReaderConfig, SinkReader};
pub use recorded::{parse_recording, RecordedTopic};
pub use topics::{
    admin_client, create_topic, delete_topic, list_topics, Replication, TopicDeleted, TopicError,
};

/// One Kafka record as read, undecoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceivedRecord {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    /// `None` is a tombstone.
    pub value: Option<Vec<u8>>,
    /// Milliseconds since the epoch (create or log-append time), when the broker gave one.
    pub timestamp: Option<i64>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// What a change did to its key, in Flink's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `+I`
    Insert,
    /// `-U`
    UpdateBefore,
    /// `+U`
    UpdateAfter,
    /// `-D`
    Delete,
    /// An upsert-kafka record with a value: insert or update, the format cannot tell which.
    Upsert,
}

impl Op {
    pub const ALL: [Op; 5] =
        [Op::Insert, Op::UpdateBefore, Op::UpdateAfter, Op::Delete, Op::Upsert];

    pub fn name(self) -> &'static str {
        match self {
            Op::Insert => "insert",
            Op::UpdateBefore => "update_before",
            Op::UpdateAfter => "update_after",
            Op::Delete => "delete",
            Op::Upsert => "upsert",
        }
    }

    /// Whether the change removes its key's row (as opposed to setting it).
    pub fn is_retraction(self) -> bool {
        matches!(self, Op::UpdateBefore | Op::Delete)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Accepts the names (`update_before`, `update-before`) and Flink's short forms (`-U`).
impl FromStr for Op {
    type Err = String;

    fn from_str(s: &str) -> Result<Op, String> {
        Ok(match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "insert" | "+i" => Op::Insert,
            "update_before" | "_u" => Op::UpdateBefore,
            "update_after" | "+u" => Op::UpdateAfter,
            "delete" | "_d" => Op::Delete,
            "upsert" => Op::Upsert,
            _ => {
                return Err(format!(
                    "unknown op `{s}` (expected insert, update_before, update_after, delete, upsert or +I, -U, +U, -D)"
                ))
            }
        })
    }
}

impl<'de> serde::Deserialize<'de> for Op {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Op, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One decoded change.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// The decoded Kafka key, when the record has one.
    pub key: Option<Datum>,
    pub op: Op,
    /// The row after the change, or before it for `update_before`/`delete`; `None` for a
    /// tombstone.
    pub row: Option<Datum>,
    pub partition: i32,
    pub offset: i64,
    /// The record's Kafka timestamp (ms since the epoch), when the broker gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}@{} ", self.partition, self.offset)?;
        if let Some(key) = &self.key {
            write!(f, "key={key} ")?;
        }
        write!(f, "{}", self.op)?;
        match &self.row {
            Some(row) => write!(f, " {row}"),
            None => f.write_str(" (tombstone)"),
        }
    }
}

/// The Flink format a sink table writes, which decides how records decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SinkFormat {
    /// `'connector' = 'kafka', 'format' = 'json'`: each value is an inserted row.
    Json,
    /// `'format' = 'debezium-json'`: `{before, after, op}` envelopes (optionally inside
    /// `{schema, payload}`); Flink writes an update as a `d` then a `c` message.
    DebeziumJson,
    /// `'connector' = 'upsert-kafka'` with JSON key and value: a value upserts its key, a
    /// tombstone deletes it.
    UpsertKafka,
}

impl fmt::Display for SinkFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SinkFormat::Json => "json",
            SinkFormat::DebeziumJson => "debezium-json",
            SinkFormat::UpsertKafka => "upsert-kafka",
        })
    }
}

impl FromStr for SinkFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<SinkFormat, String> {
        match s {
            "json" => Ok(SinkFormat::Json),
            "debezium-json" => Ok(SinkFormat::DebeziumJson),
            "upsert-kafka" => Ok(SinkFormat::UpsertKafka),
            _ => Err(format!(
                "unknown sink format `{s}` (expected json, debezium-json or upsert-kafka)"
            )),
        }
    }
}

/// Errors of the Kafka layer.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    #[error("cannot create a Kafka consumer for {bootstrap}: {source}")]
    Client { bootstrap: String, source: Box<rdkafka::error::KafkaError> },
    #[error("topic {topic} did not appear on {bootstrap} within {:.1}s: {last}", waited.as_secs_f64())]
    TopicMissing { topic: String, bootstrap: String, waited: Duration, last: String },
    #[error("cannot read topic {topic} from {bootstrap}: {source}")]
    Consume { topic: String, bootstrap: String, source: Box<rdkafka::error::KafkaError> },
    #[error(transparent)]
    Decode(Box<DecodeError>),
}

impl From<DecodeError> for KafkaError {
    fn from(error: DecodeError) -> KafkaError {
        KafkaError::Decode(Box::new(error))
    }
}

/// Where the verifier reads records from.
pub trait RecordSource {
    fn topic(&self) -> &str;

    /// Waits up to `wait` for records and returns those that arrived (maybe none).
    fn poll(
        &mut self,
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<ReceivedRecord>, KafkaError>> + Send;

    /// Whether the last poll took everything there was to take at that moment (a full batch
    /// says more is waiting). The verifier checks its expectation only when caught up.
    fn caught_up(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_names_and_short_forms() {
        for op in Op::ALL {
            assert_eq!(op.name().parse::<Op>(), Ok(op));
        }
        assert_eq!("-U".parse::<Op>(), Ok(Op::UpdateBefore));
        assert_eq!("+U".parse::<Op>(), Ok(Op::UpdateAfter));
        assert_eq!("+I".parse::<Op>(), Ok(Op::Insert));
        assert_eq!("-D".parse::<Op>(), Ok(Op::Delete));
        assert_eq!("update-after".parse::<Op>(), Ok(Op::UpdateAfter));
        assert!("merge".parse::<Op>().unwrap_err().contains("unknown op `merge`"));
    }

    #[test]
    fn formats_parse() {
        assert_eq!("debezium-json".parse(), Ok(SinkFormat::DebeziumJson));
        assert!("avro".parse::<SinkFormat>().is_err());
        assert_eq!(SinkFormat::UpsertKafka.to_string(), "upsert-kafka");
    }
}
