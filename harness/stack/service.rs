//! One running service container, with what readiness checks and fault steps need: ports,
//! addresses, exit status, logs, restart and pause.

use super::error::StackError;
use super::logs;
use std::mem::ManuallyDrop;
use std::net::IpAddr;
use testcontainers::bollard::query_parameters::{
    RestartContainerOptionsBuilder, StatsOptionsBuilder,
};
use testcontainers::bollard::Docker;
use testcontainers::{ContainerAsync, GenericImage};

/// A service container of a running stack.
///
/// The container is never removed by dropping this handle: the stack removes every container of
/// its run by label (see `cleanup`), which also covers containers whose start failed half-way
/// and works on Ctrl-C and without a Tokio runtime.
pub struct ServiceHandle {
    service: String,
    name: String,
    container: ManuallyDrop<ContainerAsync<GenericImage>>,
    docker: Docker,
}

impl std::fmt::Debug for ServiceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceHandle")
            .field("service", &self.service)
            .field("name", &self.name)
            .field("id", &self.id())
            .finish()
    }
}

impl ServiceHandle {
    pub(crate) fn new(
        service: String,
        name: String,
        container: ContainerAsync<GenericImage>,
        docker: Docker,
    ) -> Self {
        ServiceHandle { service, name, container: ManuallyDrop::new(container), docker }
    }

    /// The service name: `postgres`, `kafka`, `flink-jobmanager`, `flink-taskmanager-1`, ...
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The container name, which is also its host name on the stack's network.
    pub fn container_name(&self) -> &str {
        &self.name
    }

    pub fn id(&self) -> &str {
        self.container.id()
    }

    /// The testcontainers handle, for anything not wrapped here (exec, file copies).
    pub fn container(&self) -> &ContainerAsync<GenericImage> {
        &self.container
    }

    /// The port on 127.0.0.1 that `container_port` is published on.
    pub async fn host_port(&self, container_port: u16) -> Result<u16, StackError> {
        match self.container.get_host_port_ipv4(container_port).await {
            Ok(port) => Ok(port),
            Err(e) => Err(self.explain(e).await),
        }
    }

    /// The container's address on the stack's network (reachable from the host on Linux).
    pub async fn network_ip(&self) -> Result<IpAddr, StackError> {
        match self.container.get_bridge_ip_address().await {
            Ok(ip) => Ok(ip),
            Err(e) => Err(self.explain(e).await),
        }
    }

    /// `Some(code)` once the container has stopped.
    pub async fn exit_code(&self) -> Result<Option<i64>, StackError> {
        self.container.exit_code().await.map_err(|e| self.error(e))
    }

    /// Fails with the exit code and the last log lines if the container has stopped.
    pub async fn ensure_running(&self) -> Result<(), StackError> {
        match self.exit_code().await? {
            None => Ok(()),
            Some(code) => Err(StackError::Exited {
                service: self.service.clone(),
                code,
                tail: self.log_tail(30).await,
            }),
        }
    }

    /// Restarts the container (SIGTERM, then SIGKILL after `grace_seconds`).
    pub async fn restart(&self, grace_seconds: i32) -> Result<(), StackError> {
        let options = RestartContainerOptionsBuilder::new().t(grace_seconds).build();
        self.docker.restart_container(self.id(), Some(options)).await.map_err(StackError::from)
    }

    /// Stops the container (kept, can be started again).
    pub async fn stop(&self, grace_seconds: i32) -> Result<(), StackError> {
        self.container.stop_with_timeout(Some(grace_seconds)).await.map_err(|e| self.error(e))
    }

    pub async fn start(&self) -> Result<(), StackError> {
        self.container.start().await.map_err(|e| self.error(e))
    }

    /// Freezes every process of the container (a broker that stops answering).
    pub async fn pause(&self) -> Result<(), StackError> {
        self.container.pause().await.map_err(|e| self.error(e))
    }

    pub async fn unpause(&self) -> Result<(), StackError> {
        self.container.unpause().await.map_err(|e| self.error(e))
    }

    /// The container's memory now, as `docker stats` shows it (usage minus page cache), e.g.
    /// `412.3 MiB`.
    pub async fn memory_usage(&self) -> Result<String, StackError> {
        use futures::StreamExt;
        let options = StatsOptionsBuilder::new().stream(false).one_shot(true).build();
        let stats = self.docker.stats(self.id(), Some(options)).next().await;
        let memory = match stats {
            Some(Ok(stats)) => stats.memory_stats,
            Some(Err(e)) => return Err(StackError::from(e)),
            None => None,
        };
        let memory = memory.unwrap_or_default();
        let cache = memory.stats.as_ref().and_then(|s| s.get("inactive_file").or(s.get("cache")));
        let used = memory.usage.unwrap_or(0).saturating_sub(cache.copied().unwrap_or(0));
        Ok(format!("{:.1} MiB", used as f64 / f64::from(1 << 20)))
    }

    /// The last `lines` lines of stdout and stderr; a note instead when they cannot be read.
    pub async fn log_tail(&self, lines: usize) -> String {
        logs::tail(&self.docker, self.id(), lines)
            .await
            .unwrap_or_else(|e| format!("(logs unavailable: {e})"))
    }

    /// A stopped container has no ports or address: say that it stopped, and why.
    async fn explain(&self, source: testcontainers::TestcontainersError) -> StackError {
        match self.ensure_running().await {
            Err(exited) => exited,
            Ok(()) => self.error(source),
        }
    }

    fn error(&self, source: testcontainers::TestcontainersError) -> StackError {
        StackError::Container { service: self.service.clone(), source: Box::new(source) }
    }
}
