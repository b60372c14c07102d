//! The stack: PostgreSQL, a Kafka-protocol broker and a Flink session cluster in containers.

pub mod engine;
pub mod images;
