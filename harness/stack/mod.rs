//! The stack: PostgreSQL, a Kafka-protocol broker and a Flink session cluster in containers, and
//! Kafka Connect with Debezium's PostgreSQL connector when asked for.
//!
//! [`Stack::start`] resolves the images, creates the run's network, starts PostgreSQL, the broker
//! and the JobManager concurrently (TaskManagers and the gateway as soon as the JobManager's
//! container exists), and returns once every service is ready. Everything it creates carries the
//! labels `cdc-harness.managed=true` and `cdc-harness.run=<run id>`; one run is removed by
//! [`Stack::stop`], by dropping the `Stack` (also on panic), by a failed start, or by
//! [`until_interrupted`] — unless `keep` is set — and [`down`] removes every run, orphans included.

pub mod engine;
pub mod images;

mod alone;
mod cleanup;
mod client;
mod connect;
mod docker;
mod docker_host;
mod endpoints;
mod error;
mod flink;
mod flink_state;
mod kafka;
mod logs;
mod network;
mod postgres;
mod progress;
mod ready;
mod service;
mod signal;
mod state;
pub mod target;

pub use alone::{time_alone, Solo};
pub use cleanup::{Inventory, LabelledContainer, Scope};
pub use client::{ClientCommand, ClientOutput};
pub use connect::{OFFSET_FLUSH_INTERVAL_MS, POSTGRES_CONNECTOR};
pub use docker::{MANAGED_LABEL, RUN_LABEL, SERVICE_LABEL};
pub use docker_host::{docker_endpoint, DockerEndpoint};
pub use endpoints::{
    ConnectEndpoint, Credentials, Endpoints, FlinkEndpoint, KafkaEndpoint, PostgresEndpoint,
};
pub use error::StackError;
pub use flink::ClusterShape;
pub use flink_state::MOUNT_PATH as FLINK_STATE_DIR;
pub use progress::{ServiceReady, Timings};
pub use service::ServiceHandle;
pub use signal::{interrupt, until_interrupted, Signal};
pub use state::{describe_endpoints, write_state, CREDENTIALS_FILE, TARGET_FILE};

use cleanup::RunGuard;
use docker::Run;
use images::{FlinkVersion, ImageSource, Images};
use progress::Progress;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Where run artefacts go unless configured: `<cwd>/.cdc-harness/runs/<run id>/`.
pub const DEFAULT_ARTEFACTS_ROOT: &str = ".cdc-harness/runs";

/// What to start.
#[derive(Debug, Clone)]
pub struct StackConfig {
    pub source: ImageSource,
    /// `None` runs the image source's line ([`FlinkVersion::default_for`]).
    pub flink: Option<FlinkVersion>,
    /// Already resolved images (tests, benchmarks); `None` resolves `source` + `flink`.
    pub images: Option<Images>,
    pub shape: ClusterShape,
    /// Leave the containers when the stack is dropped, fails or is interrupted (debugging).
    pub keep: bool,
    /// Show an indicatif progress line while waiting.
    pub progress: bool,
    /// For each service to become ready.
    pub ready_timeout: Duration,
    /// The run's artefacts go into `<artefacts_root>/<run id>/`.
    pub artefacts_root: PathBuf,
    /// A run id chosen by the caller (unique per run); `None` generates one.
    pub run_id: Option<String>,
    /// Also run Kafka Connect with Debezium's PostgreSQL connector.
    pub connect: bool,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            source: ImageSource::Auto,
            flink: None,
            images: None,
            shape: ClusterShape { taskmanagers: 1, slots_per_taskmanager: 4 },
            keep: false,
            progress: false,
            ready_timeout: Duration::from_secs(180),
            artefacts_root: PathBuf::from(DEFAULT_ARTEFACTS_ROOT),
            run_id: None,
            connect: false,
        }
    }
}

/// A running stack. Dropping it removes its containers and network (unless `keep`); prefer
/// [`Stack::stop`], which reports errors.
#[derive(Debug)]
pub struct Stack {
    run: Run,
    endpoints: Endpoints,
    postgres: ServiceHandle,
    kafka: ServiceHandle,
    jobmanager: ServiceHandle,
    taskmanagers: Vec<ServiceHandle>,
    gateway: Option<ServiceHandle>,
    connect: Option<ServiceHandle>,
    shape: ClusterShape,
    timings: Timings,
    artefacts: PathBuf,
    ready_timeout: Duration,
    clients: AtomicU32,
    guard: RunGuard,
}

impl Stack {
    /// Starts every service and waits until each is ready. On failure, every container's log is
    /// saved under `<artefacts>/logs/` and the run's containers are removed (unless `keep`).
    pub async fn start(config: StackConfig) -> Result<Stack, StackError> {
        if config.shape.taskmanagers == 0 || config.shape.slots_per_taskmanager == 0 {
            return Err(StackError::setup("flink", "needs at least one TaskManager with one slot"));
        }
        let id = match config.run_id.clone() {
            Some(id) => docker::check_run_id(&id)?,
            None => docker::new_run_id(),
        };
        // Also makes sure a Docker engine answers (images::ensure starts with engine::ensure_engine).
        let (images, images_time, image_outcomes) = match config.images.clone() {
            Some(images) if config.connect && images.connect.is_none() => {
                return Err(StackError::setup(
                    connect::SERVICE,
                    "the images given have no Kafka Connect image",
                ))
            }
            Some(images) => (images, Duration::ZERO, Vec::new()),
            None => {
                let ensured =
                    images::ensure_reporting(config.source, config.flink, config.connect).await?;
                (ensured.images, ensured.duration, ensured.outcomes)
            }
        };
        let run = Run::new(id)?;
        let artefacts = config.artefacts_root.join(&run.id);
        let mut guard = RunGuard::new(&run);
        if config.keep {
            guard.disarm();
        }
        // Why this source was chosen was said when it was resolved: once is enough.
        tracing::info!(
            run = %run.id,
            "starting the stack: {} images, Flink {}",
            images.source,
            images.flink.version
        );
        match start_services(&run, &images, &config).await {
            Ok((parts, progress)) => {
                let stack_ready = progress.elapsed();
                let timings = Timings {
                    images: images_time,
                    image_outcomes,
                    stack_ready,
                    services: progress.finish(),
                };
                Ok(parts.into_stack(run, images, config, timings, artefacts, guard))
            }
            Err(cause) => {
                // Abandoned starts finish first, so that their logs are saved and they are reaped.
                run.in_flight().settled().await;
                let saved = logs::save_run_logs(&run.docker, &run.id, &artefacts).await;
                if !config.keep {
                    if let Err(e) = cleanup::reap(&run.docker, &Scope::Run(run.id.clone())).await {
                        tracing::error!(
                            "could not remove the failed stack: {e}; run `cdc-harness down`"
                        );
                    }
                }
                guard.disarm();
                Err(match saved {
                    Ok(logs) => StackError::WithLogs { cause: Box::new(cause), logs },
                    Err(e) => {
                        tracing::warn!("could not save the container logs: {e}");
                        cause
                    }
                })
            }
        }
    }

    pub fn run_id(&self) -> &str {
        &self.run.id
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn images(&self) -> &Images {
        &self.endpoints.images
    }

    pub fn timings(&self) -> &Timings {
        &self.timings
    }

    /// `<artefacts_root>/<run id>/` (created only when something is saved).
    pub fn artefacts_dir(&self) -> &Path {
        &self.artefacts
    }

    pub fn postgres(&self) -> &ServiceHandle {
        &self.postgres
    }

    pub fn kafka(&self) -> &ServiceHandle {
        &self.kafka
    }

    pub fn jobmanager(&self) -> &ServiceHandle {
        &self.jobmanager
    }

    pub fn taskmanagers(&self) -> &[ServiceHandle] {
        &self.taskmanagers
    }

    pub fn gateway(&self) -> Option<&ServiceHandle> {
        self.gateway.as_ref()
    }

    /// Kafka Connect, when the stack runs it.
    pub fn connect(&self) -> Option<&ServiceHandle> {
        self.connect.as_ref()
    }

    /// Every service container: postgres, kafka, jobmanager, taskmanagers, gateway, connect.
    pub fn services(&self) -> impl Iterator<Item = &ServiceHandle> {
        [&self.postgres, &self.kafka, &self.jobmanager]
            .into_iter()
            .chain(self.taskmanagers.iter())
            .chain(self.gateway.iter())
            .chain(self.connect.iter())
    }

    /// A service by name (`postgres`, `kafka`, `flink-jobmanager`, `flink-taskmanager-1`, ...).
    pub fn service(&self, name: &str) -> Option<&ServiceHandle> {
        self.services().find(|s| s.service() == name)
    }

    /// Creates a topic through the broker's admin API.
    pub async fn create_topic(&self, topic: &str, partitions: i32) -> Result<(), StackError> {
        kafka::create_topic(&self.endpoints.kafka, topic, partitions).await
    }

    /// Runs a one-shot container on the stack's network and returns its exit code and output.
    pub async fn run_on_network(&self, command: ClientCommand) -> Result<ClientOutput, StackError> {
        let n = self.clients.fetch_add(1, Ordering::Relaxed) + 1;
        client::run(&self.run, format!("client-{n}"), command).await
    }

    /// Fails naming the first service whose container has stopped.
    pub async fn ensure_running(&self) -> Result<(), StackError> {
        for service in self.services() {
            service.ensure_running().await?;
        }
        Ok(())
    }

    /// Waits until Kafka Connect answers again with its plugins (after a restart).
    pub async fn wait_connect_ready(&self) -> Result<(), StackError> {
        match (&self.connect, &self.endpoints.connect) {
            (Some(handle), Some(endpoint)) => {
                connect::wait_ready(handle, endpoint, self.ready_timeout).await
            }
            _ => Err(StackError::setup(connect::SERVICE, "this stack runs no Kafka Connect")),
        }
    }

    /// Waits until PostgreSQL answers again (after a restart).
    pub async fn wait_postgres_ready(&self) -> Result<(), StackError> {
        postgres::wait_ready(&self.postgres, &self.endpoints.postgres, self.ready_timeout)
            .await
            .map(drop)
    }

    /// Waits until `/overview` shows every TaskManager with free slots (after a restart).
    pub async fn wait_flink_ready(&self) -> Result<(), StackError> {
        let http = crate::http::client(Duration::from_secs(5))
            .map_err(|e| StackError::setup(flink::JOBMANAGER, e))?;
        let mut watched = vec![&self.jobmanager];
        watched.extend(self.taskmanagers.iter());
        flink::wait_taskmanagers(
            &http,
            &self.endpoints.flink.rest_url,
            &watched,
            self.shape,
            self.ready_timeout,
        )
        .await
    }

    /// Saves every container's log under `<artefacts>/logs/`; returns that folder.
    pub async fn save_logs(&self) -> Result<PathBuf, StackError> {
        logs::save_run_logs(&self.run.docker, &self.run.id, &self.artefacts)
            .await
            .map_err(|source| StackError::Io { path: self.artefacts.join("logs"), source })
    }

    /// Removes the run's containers and network, reporting what went wrong.
    pub async fn stop(mut self) -> Result<Inventory, StackError> {
        self.guard.disarm();
        cleanup::reap(&self.run.docker, &Scope::Run(self.run.id.clone())).await
    }

    /// Leaves the stack running (`up --detach`); `cdc-harness down` removes it.
    pub fn detach(mut self) -> Endpoints {
        self.guard.disarm();
        self.endpoints.clone()
    }
}

/// Services started but not yet assembled into a `Stack`.
struct Parts {
    postgres: (ServiceHandle, PostgresEndpoint),
    kafka: (ServiceHandle, KafkaEndpoint),
    flink: (flink::Cluster, FlinkEndpoint),
    connect: Option<(ServiceHandle, ConnectEndpoint)>,
}

impl Parts {
    fn into_stack(
        self,
        run: Run,
        images: Images,
        config: StackConfig,
        timings: Timings,
        artefacts: PathBuf,
        guard: RunGuard,
    ) -> Stack {
        let (cluster, flink) = self.flink;
        let (connect, connect_endpoint) = self.connect.unzip();
        let endpoints = Endpoints {
            run_id: run.id.clone(),
            network: run.network(),
            postgres: self.postgres.1,
            kafka: self.kafka.1,
            flink,
            connect: connect_endpoint,
            images,
        };
        Stack {
            run,
            endpoints,
            postgres: self.postgres.0,
            kafka: self.kafka.0,
            jobmanager: cluster.jobmanager,
            taskmanagers: cluster.taskmanagers,
            gateway: cluster.gateway,
            connect,
            shape: config.shape,
            timings,
            artefacts,
            ready_timeout: config.ready_timeout,
            clients: AtomicU32::new(0),
            guard,
        }
    }
}

async fn start_services(
    run: &Run,
    images: &Images,
    config: &StackConfig,
) -> Result<(Parts, Progress), StackError> {
    let mut awaited = vec![
        postgres::SERVICE.to_string(),
        kafka::SERVICE.to_string(),
        flink::JOBMANAGER.to_string(),
    ];
    awaited.push(flink::TASKMANAGERS.to_string());
    if images.flink.sql_gateway {
        awaited.push(flink::GATEWAY.to_string());
    }
    let connect_image = match (config.connect, &images.connect) {
        (false, _) => None,
        (true, Some(image)) => Some(image),
        (true, None) => {
            return Err(StackError::setup(
                connect::SERVICE,
                "the images have no Kafka Connect image",
            ))
        }
    };
    if connect_image.is_some() {
        awaited.push(connect::SERVICE.to_string());
    }
    let progress = Progress::new(awaited, config.progress);
    let timeout = config.ready_timeout;
    let started = async {
        network::create(run).await?;
        // Kafka Connect's worker needs the broker when it starts.
        let kafka_then_connect = async {
            let kafka =
                kafka::start(run, &images.kafka, images.kafka_flavour, timeout, &progress).await?;
            let connect = match connect_image {
                Some(image) => Some(
                    connect::start(run, image, images.source, &kafka.1, timeout, &progress).await?,
                ),
                None => None,
            };
            Ok::<_, StackError>((kafka, connect))
        };
        futures::try_join!(
            postgres::start(run, &images.postgres, timeout, &progress),
            kafka_then_connect,
            flink::start(run, &images.flink, config.shape, timeout, &progress),
        )
    }
    .await;
    match started {
        Ok((postgres, (kafka, connect), flink)) => {
            Ok((Parts { postgres, kafka, flink, connect }, progress))
        }
        Err(e) => {
            progress.finish();
            Err(e)
        }
    }
}

/// What the harness created under `scope` (containers, networks, volumes).
pub async fn inventory(scope: &Scope) -> Result<Inventory, StackError> {
    cleanup::inventory(&docker::connect()?, scope).await
}

/// Removes everything the harness created under `scope`; returns what was removed.
pub async fn down(scope: &Scope) -> Result<Inventory, StackError> {
    cleanup::reap(&docker::connect()?, scope).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `run` shares one stack between concurrent scenarios.
    #[test]
    fn a_stack_can_be_shared_between_tasks() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<Stack>();
        shareable::<StackError>();
    }
}
