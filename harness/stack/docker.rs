//! The harness's Docker conventions, shared by every service: one run id, one labelled network,
//! unique container names, labels on everything, ports published on 127.0.0.1 only.
//!
//! Containers are started with testcontainers (`AsyncRunner`); what testcontainers does not do —
//! labelled networks, reaping by label, logs of containers whose start failed half-way — goes
//! through its re-exported bollard client.

use super::error::StackError;
use super::images::ImageRef;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use std::time::{SystemTime, UNIX_EPOCH};
use testcontainers::bollard::models::{HostConfig, PortBinding};
use testcontainers::bollard::Docker;
use testcontainers::core::{IntoContainerPort, Mount};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerRequest, GenericImage, ImageExt};

/// On every container and network the harness creates; `down` reaps by it.
pub const MANAGED_LABEL: &str = "cdc-harness.managed";
/// The run a container or network belongs to.
pub const RUN_LABEL: &str = "cdc-harness.run";
/// The service a container runs (`postgres`, `kafka`, `jobmanager`, `taskmanager-1`, ...).
pub const SERVICE_LABEL: &str = "cdc-harness.service";

/// Connects to the one Docker endpoint (exported as `DOCKER_HOST` by its resolution).
pub fn connect() -> Result<Docker, StackError> {
    super::docker_endpoint();
    Docker::connect_with_defaults().map_err(StackError::from)
}

/// A short id unique enough to keep concurrent runs (parallel tests, several users) apart.
pub fn new_run_id() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("{:08x}", hasher.finish() as u32)
}

/// A caller-chosen run id becomes part of container and network names: keep it to what Docker
/// accepts everywhere.
pub(crate) fn check_run_id(id: &str) -> Result<String, StackError> {
    let valid = !id.is_empty()
        && id.len() <= 32
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-');
    if valid {
        Ok(id.to_string())
    } else {
        Err(StackError::setup("stack", format!("run id {id:?}: use 1 to 32 of a-z, 0-9 and '-'")))
    }
}

/// A random hex password (hex so that it never needs quoting in SQL or URLs).
pub(crate) fn new_password() -> String {
    let a = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let b = std::collections::hash_map::RandomState::new().build_hasher().finish();
    format!("{a:016x}{b:016x}")
}

/// A port free on 127.0.0.1 now, and not handed out before by this process. Published ports are
/// chosen here rather than by Docker because Docker picks a new random port when a container
/// restarts (fault steps restart services), and the Kafka flavour must advertise its host port
/// before it starts.
pub(crate) fn free_port() -> Result<u16, StackError> {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let io = |source| StackError::Io { path: "127.0.0.1:0".into(), source };
    // Hold every candidate until one is new, so that the kernel offers a different one each time.
    let mut held = Vec::new();
    for _ in 0..64 {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(io)?;
        let port = listener.local_addr().map_err(io)?.port();
        if HANDED_OUT.lock().unwrap_or_else(|p| p.into_inner()).insert(port) {
            return Ok(port);
        }
        held.push(listener);
    }
    Err(io(std::io::Error::other("no new free port on 127.0.0.1")))
}

/// What every service of one run shares.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub id: String,
    pub docker: Docker,
    /// Container starts whose Docker requests have not returned yet.
    starting: InFlight,
}

/// Counts container starts in flight. A start runs to completion even when the stack's start is
/// abandoned (an error elsewhere, Ctrl-C), because Docker finishes creating a container whether
/// or not anyone waits for the answer; reapers wait for the count to fall to zero so that they
/// never list a run's containers while one is still being created.
#[derive(Debug, Clone, Default)]
pub(crate) struct InFlight(Arc<AtomicUsize>);

/// How long a reaper waits for starts in flight.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

impl InFlight {
    fn begin(&self) -> InFlightGuard {
        self.0.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.0.clone())
    }

    fn idle(&self) -> bool {
        self.0.load(Ordering::SeqCst) == 0
    }

    pub async fn settled(&self) {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        while !self.idle() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// For Drop: blocks this thread while the starts run on the runtime's other threads. On a
    /// current-thread runtime they cannot run while this thread waits, so it does not wait.
    pub fn settled_blocking(&self) {
        let current_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread);
        if current_thread {
            return;
        }
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        while !self.idle() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Run {
    pub fn new(id: String) -> Result<Self, StackError> {
        Ok(Run { id, docker: connect()?, starting: InFlight::default() })
    }

    pub fn in_flight(&self) -> InFlight {
        self.starting.clone()
    }

    pub fn network(&self) -> String {
        network_name(&self.id)
    }

    /// The container name, which is also the host name on the run's network.
    pub fn container_name(&self, service: &str) -> String {
        format!("cdc-{}-{service}", self.id)
    }

    pub fn labels(&self) -> HashMap<String, String> {
        HashMap::from([
            (MANAGED_LABEL.to_string(), "true".to_string()),
            (RUN_LABEL.to_string(), self.id.clone()),
        ])
    }
}

pub(crate) fn network_name(run_id: &str) -> String {
    format!("cdc-{run_id}")
}

/// How one service's container is created.
#[derive(Debug, Clone)]
pub(crate) struct ContainerSpec {
    pub service: String,
    pub image: ImageRef,
    pub entrypoint: Option<String>,
    pub cmd: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Container ports published on 127.0.0.1: `(container port, host port)`, host port 0 = any.
    pub publish: Vec<(u16, u16)>,
    /// Named volumes (created and labelled by the caller): `(volume, path in the container)`.
    pub volumes: Vec<(String, String)>,
}

impl ContainerSpec {
    pub fn new(service: impl Into<String>, image: &ImageRef) -> Self {
        ContainerSpec {
            service: service.into(),
            image: image.clone(),
            entrypoint: None,
            cmd: Vec::new(),
            env: Vec::new(),
            publish: Vec::new(),
            volumes: Vec::new(),
        }
    }

    pub fn cmd<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.cmd = args.into_iter().map(Into::into).collect();
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn publish(mut self, container_port: u16, host_port: u16) -> Self {
        self.publish.push((container_port, host_port));
        self
    }

    pub fn volume(mut self, volume: impl Into<String>, path: impl Into<String>) -> Self {
        self.volumes.push((volume.into(), path.into()));
        self
    }

    fn request(&self, run: &Run) -> ContainerRequest<GenericImage> {
        let mut image = GenericImage::new(self.image.name.as_str(), self.image.tag.as_str());
        if let Some(entrypoint) = &self.entrypoint {
            image = image.with_entrypoint(entrypoint);
        }
        for (port, _) in &self.publish {
            image = image.with_exposed_port(port.tcp());
        }
        // testcontainers publishes on every interface; the harness's rule is 127.0.0.1 only.
        let bindings: HashMap<String, Option<Vec<PortBinding>>> = self
            .publish
            .iter()
            .map(|(container, host)| {
                let host_port = if *host == 0 { String::new() } else { host.to_string() };
                let binding =
                    PortBinding { host_ip: Some("127.0.0.1".into()), host_port: Some(host_port) };
                (format!("{container}/tcp"), Some(vec![binding]))
            })
            .collect();
        let mut request = image
            .with_container_name(run.container_name(&self.service))
            .with_network(run.network())
            .with_labels(run.labels())
            .with_label(SERVICE_LABEL, self.service.clone())
            .with_host_config_modifier(move |host: &mut HostConfig| {
                host.publish_all_ports = Some(false);
                host.port_bindings = Some(bindings.clone());
            });
        if !self.cmd.is_empty() {
            request = request.with_cmd(self.cmd.clone());
        }
        for (key, value) in &self.env {
            request = request.with_env_var(key.clone(), value.clone());
        }
        for (volume, path) in &self.volumes {
            request = request.with_mount(Mount::volume_mount(volume, path));
        }
        request
    }

    /// Creates and starts the container; readiness is each service's own business. The Docker
    /// requests run in a task of their own that finishes even if this future is dropped (see
    /// [`InFlight`]); the container then stays for the run's reaper.
    pub async fn start(self, run: &Run) -> Result<super::ServiceHandle, StackError> {
        let name = run.container_name(&self.service);
        tracing::debug!(service = %self.service, image = %self.image, "starting container {name}");
        let request = self.request(run);
        let (docker, in_flight) = (run.docker.clone(), run.starting.begin());
        let ContainerSpec { service, image, .. } = self;
        let task = tokio::spawn(async move {
            let started = match request.start().await {
                Ok(container) => Ok(super::ServiceHandle::new(service, name, container, docker)),
                Err(source) => Err(StackError::Create {
                    service,
                    image: image.to_string(),
                    source: Box::new(source),
                }),
            };
            drop(in_flight);
            started
        });
        task.await.map_err(|e| {
            StackError::setup("stack", format!("a container start was abandoned: {e}"))
        })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_differ_and_are_short_hex() {
        let (a, b) = (new_run_id(), new_run_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
    }

    #[test]
    fn run_ids_chosen_by_callers_must_fit_container_names() {
        assert_eq!(check_run_id("ci-42").unwrap(), "ci-42");
        for bad in ["", "-x", "Upper", "a b", "a/b", &"x".repeat(33)] {
            assert!(check_run_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn free_ports_are_never_handed_out_twice() {
        let ports: BTreeSet<u16> = (0..20).map(|_| free_port().unwrap()).collect();
        assert_eq!(ports.len(), 20);
    }

    #[test]
    fn passwords_are_long_hex() {
        let p = new_password();
        assert_eq!(p.len(), 32);
        assert!(p.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(p, new_password());
    }
}
