//! One-shot client containers on the stack's network (psql, a Java Kafka client ...): they see
//! the services exactly as Flink does. Labelled with the run, so they are reaped with it.

use super::docker::{ContainerSpec, Run};
use super::error::StackError;
use super::images::ImageRef;
use crate::retry::{Attempt, Retry};
use std::time::Duration;
use testcontainers::bollard::query_parameters::RemoveContainerOptionsBuilder;

/// A command to run in a container on the stack's network.
#[derive(Debug, Clone)]
pub struct ClientCommand {
    pub image: ImageRef,
    /// Replaces the image's entrypoint (e.g. `sh`).
    pub entrypoint: Option<String>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
}

impl ClientCommand {
    pub fn new<S: Into<String>>(image: &ImageRef, args: impl IntoIterator<Item = S>) -> Self {
        ClientCommand {
            image: image.clone(),
            entrypoint: None,
            args: args.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            timeout: Duration::from_secs(120),
        }
    }

    pub fn entrypoint(mut self, entrypoint: &str) -> Self {
        self.entrypoint = Some(entrypoint.to_string());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }
}

/// How a client container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOutput {
    pub exit_code: i64,
    /// stdout and stderr.
    pub logs: String,
}

pub(crate) async fn run(
    run: &Run,
    name: String,
    command: ClientCommand,
) -> Result<ClientOutput, StackError> {
    let mut spec = ContainerSpec::new(name.clone(), &command.image).cmd(command.args);
    spec.entrypoint = command.entrypoint;
    spec.env = command.env;
    let handle = spec.start(run).await?;
    let finished = Retry::with_timeout(command.timeout)
        .run(|| async {
            match handle.exit_code().await {
                Ok(Some(code)) => Ok(code),
                Ok(None) => Err(Attempt::Retry(None)),
                Err(e) => Err(Attempt::Fatal(Some(e))),
            }
        })
        .await;
    let logs = handle.log_tail(10_000).await;
    let remove = RemoveContainerOptionsBuilder::new().force(true).v(true).build();
    let removed = run.docker.remove_container(handle.id(), Some(remove)).await;
    let exit_code = match finished {
        Ok(code) => code,
        Err(e) => {
            return Err(e.into_inner().unwrap_or_else(|| StackError::NotReady {
                service: name,
                waited: command.timeout,
                last: format!("still running; output so far:\n{logs}"),
            }))
        }
    };
    removed?;
    Ok(ClientOutput { exit_code, logs })
}
