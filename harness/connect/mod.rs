//! The Kafka Connect REST client: plugins, connectors (create, status, pause, resume, restart,
//! delete) and their offsets, and the wait until a connector's task runs or fails.
//!
//! Every answer and error passes through [`crate::secret::redact`]: Kafka Connect echoes a
//! connector's configuration, database password included, in its answers.

mod client;
mod error;

pub use client::{ConnectClient, ConnectorConfig, ConnectorState, ConnectorStatus, TaskStatus};
pub use error::ConnectError;
