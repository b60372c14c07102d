//! Removing what the harness created, found by label: one run (`stop`, drop, a failed start) or
//! every run (`down`, which also reaps orphans of crashed runs). Containers go first (forced, with
//! their anonymous volumes), then networks, then labelled volumes.

use super::docker::{InFlight, Run, MANAGED_LABEL, RUN_LABEL, SERVICE_LABEL};
use super::error::StackError;
use futures::future::join_all;
use std::collections::HashMap;
use testcontainers::bollard::errors::Error as DockerError;
use testcontainers::bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};
use testcontainers::bollard::Docker;

/// Which of the harness's objects an operation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every run, including orphans of crashed ones.
    All,
    /// One run, by its id.
    Run(String),
}

impl Scope {
    fn filters(&self) -> HashMap<String, Vec<String>> {
        let mut labels = vec![format!("{MANAGED_LABEL}=true")];
        if let Scope::Run(id) = self {
            labels.push(format!("{RUN_LABEL}={id}"));
        }
        HashMap::from([("label".to_string(), labels)])
    }
}

/// A labelled container as Docker lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LabelledContainer {
    pub id: String,
    pub name: String,
    pub run: String,
    pub service: String,
    /// `running`, `exited`, `created`, ...
    pub state: String,
}

/// What exists (or was removed) under a scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Inventory {
    pub containers: Vec<LabelledContainer>,
    pub networks: Vec<String>,
    pub volumes: Vec<String>,
}

impl Inventory {
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty() && self.networks.is_empty() && self.volumes.is_empty()
    }
}

pub(crate) async fn list_containers(
    docker: &Docker,
    scope: &Scope,
) -> Result<Vec<LabelledContainer>, DockerError> {
    let options = ListContainersOptionsBuilder::new().all(true).filters(&scope.filters()).build();
    let summaries = docker.list_containers(Some(options)).await?;
    Ok(summaries
        .into_iter()
        .map(|c| {
            let labels = c.labels.unwrap_or_default();
            let name = c.names.and_then(|n| n.into_iter().next()).unwrap_or_default();
            LabelledContainer {
                id: c.id.unwrap_or_default(),
                name: name.trim_start_matches('/').to_string(),
                run: labels.get(RUN_LABEL).cloned().unwrap_or_default(),
                service: labels.get(SERVICE_LABEL).cloned().unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
            }
        })
        .collect())
}

/// Everything labelled under `scope`.
pub async fn inventory(docker: &Docker, scope: &Scope) -> Result<Inventory, StackError> {
    let containers = list_containers(docker, scope).await?;
    let networks = docker
        .list_networks(Some(ListNetworksOptionsBuilder::new().filters(&scope.filters()).build()))
        .await?
        .into_iter()
        .filter_map(|n| n.name)
        .collect();
    let volumes = docker
        .list_volumes(Some(ListVolumesOptionsBuilder::new().filters(&scope.filters()).build()))
        .await?
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.name)
        .collect();
    Ok(Inventory { containers, networks, volumes })
}

/// Removes everything labelled under `scope`; returns what it removed. Objects that vanish
/// meanwhile (another reaper was faster) are not errors.
pub async fn reap(docker: &Docker, scope: &Scope) -> Result<Inventory, StackError> {
    let found = inventory(docker, scope).await?;
    let remove = RemoveContainerOptionsBuilder::new().force(true).v(true).build();
    let results = join_all(
        found.containers.iter().map(|c| docker.remove_container(&c.id, Some(remove.clone()))),
    )
    .await;
    for result in results {
        ignore_missing(result)?;
    }
    for network in &found.networks {
        ignore_missing(docker.remove_network(network).await)?;
    }
    for volume in &found.volumes {
        let options = RemoveVolumeOptionsBuilder::new().force(true).build();
        ignore_missing(docker.remove_volume(volume, Some(options)).await)?;
    }
    Ok(found)
}

fn ignore_missing(result: Result<(), DockerError>) -> Result<(), StackError> {
    match result {
        Err(DockerError::DockerResponseServerError { status_code: 404, .. }) => Ok(()),
        // "removal of container ... is already in progress"
        Err(DockerError::DockerResponseServerError { status_code: 409, .. }) => Ok(()),
        other => other.map_err(StackError::from),
    }
}

/// Reaps from synchronous code (Drop, panics, a start future dropped on Ctrl-C): on a thread of
/// its own with its own runtime and its own client (pooled connections of the caller's client
/// belong to the caller's runtime, which may be shutting down), so it works anywhere.
pub(crate) fn reap_blocking(scope: Scope) {
    let joined = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let docker = super::docker::connect().map_err(std::io::Error::other)?;
        runtime.block_on(reap(&docker, &scope)).map_err(std::io::Error::other)
    })
    .join();
    match joined {
        Ok(Ok(removed)) if !removed.is_empty() => {
            tracing::debug!(containers = removed.containers.len(), "removed the stack on drop")
        }
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::error!("could not remove the stack's containers: {e}; run `cdc-harness down`")
        }
        Err(_) => tracing::error!("the clean-up thread panicked; run `cdc-harness down`"),
    }
}

/// Removes one run's containers and network when dropped, unless disarmed: covers a start that
/// fails, panics or is cancelled (its future dropped on Ctrl-C) before a `Stack` exists.
#[derive(Debug)]
pub(crate) struct RunGuard {
    run_id: String,
    in_flight: InFlight,
    armed: bool,
}

impl RunGuard {
    pub fn new(run: &Run) -> Self {
        RunGuard { run_id: run.id.clone(), in_flight: run.in_flight(), armed: true }
    }

    pub fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if self.armed {
            self.in_flight.settled_blocking();
            reap_blocking(Scope::Run(self.run_id.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_scope_filters_on_both_labels() {
        let filters = Scope::Run("abc".into()).filters();
        assert_eq!(filters["label"], vec!["cdc-harness.managed=true", "cdc-harness.run=abc"]);
        assert_eq!(Scope::All.filters()["label"], vec!["cdc-harness.managed=true"]);
    }
}
