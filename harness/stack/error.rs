//! The stack layer's one error type. Every failure of a service names the service.

use super::images::ImageError;
use super::signal::Signal;
use std::path::PathBuf;
use std::time::Duration;
use testcontainers::bollard::errors::Error as DockerError;
use testcontainers::TestcontainersError;

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(transparent)]
    Images(Box<ImageError>),
    #[error("Docker engine: {0}")]
    Docker(Box<DockerError>),
    #[error("could not create the Docker network {network}: {source}")]
    Network { network: String, source: Box<DockerError> },
    #[error("{service}: could not start a container from {image}: {source}")]
    Create { service: String, image: String, source: Box<TestcontainersError> },
    #[error("{service}: {source}")]
    Container { service: String, source: Box<TestcontainersError> },
    #[error("{service} exited with code {code}; last log lines:\n{tail}")]
    Exited { service: String, code: i64, tail: String },
    #[error("{service} not ready after {:.0}s: {last}", waited.as_secs_f64())]
    NotReady { service: String, waited: Duration, last: String },
    #[error("{service}: {message}")]
    Setup { service: String, message: String },
    #[error("could not create topic {topic}: {message}")]
    Topic { topic: String, message: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("interrupted by {0}")]
    Interrupted(Signal),
    #[error("{cause}\n  container logs: {}", logs.display())]
    WithLogs { cause: Box<StackError>, logs: PathBuf },
}

// The large foreign errors are boxed so that `Result<_, StackError>` stays small.
impl From<ImageError> for StackError {
    fn from(e: ImageError) -> Self {
        StackError::Images(Box::new(e))
    }
}

impl From<DockerError> for StackError {
    fn from(e: DockerError) -> Self {
        StackError::Docker(Box::new(e))
    }
}

impl StackError {
    /// The service the failure is about, if it is about one.
    pub fn service(&self) -> Option<&str> {
        match self {
            StackError::Create { service, .. }
            | StackError::Container { service, .. }
            | StackError::Exited { service, .. }
            | StackError::NotReady { service, .. }
            | StackError::Setup { service, .. } => Some(service),
            StackError::WithLogs { cause, .. } => cause.service(),
            _ => None,
        }
    }

    pub(crate) fn setup(service: &str, message: impl std::fmt::Display) -> Self {
        StackError::Setup { service: service.to_string(), message: message.to_string() }
    }
}
