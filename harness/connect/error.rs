//! The one error type of the Kafka Connect client.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Nothing answered: connection refused, reset, or the request timed out.
    #[error("Kafka Connect at {url}: {endpoint}: no answer: {reason}")]
    Unreachable { endpoint: String, url: String, reason: String },

    /// Kafka Connect answered with an error status (`{"error_code", "message"}`).
    #[error("Kafka Connect: {endpoint} answered HTTP {status}: {message}")]
    Http { endpoint: String, status: u16, message: String },

    /// The answer is not what the REST API documents.
    #[error("Kafka Connect: {endpoint}: unexpected answer ({reason}): {body}")]
    Decode { endpoint: String, reason: String, body: String },

    /// The connector or one of its tasks FAILED; `trace` is Kafka Connect's stack trace.
    #[error("connector {connector}: {what} FAILED: {root_cause}")]
    Failed { connector: String, what: String, root_cause: String, trace: String },

    /// A wait ran out of time; `last` is the last thing observed.
    #[error("connector {connector}: gave up after {:.1}s waiting for {what}: {last}", elapsed.as_secs_f64())]
    Timeout { connector: String, what: String, elapsed: Duration, last: String },
}

impl ConnectError {
    /// The Java stack trace behind this error, when Kafka Connect sent one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ConnectError::Failed { trace, .. } => Some(trace),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ConnectError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}
