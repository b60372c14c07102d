//! Kafka Connect with Debezium's PostgreSQL connector, for scenarios whose source is Debezium
//! (started only when a planned scenario needs it, or with `up --with connect`).
//!
//! Both flavours take the official `quay.io/debezium/connect` image's environment
//! (`BOOTSTRAP_SERVERS`, `CONNECT_*` worker properties). The registry image runs the distributed
//! worker its documentation describes (internal topics on Apache Kafka); the local image runs a
//! standalone worker (offsets in a file: tansu joins consumer groups slowly). The REST API the
//! harness uses is the same on both.

use super::docker::{free_port, ContainerSpec, Run};
use super::endpoints::{ConnectEndpoint, KafkaEndpoint};
use super::error::StackError;
use super::images::{ImageRef, ImageSource};
use super::progress::Progress;
use super::ready::until_ready;
use super::service::ServiceHandle;
use std::time::{Duration, Instant};

pub const SERVICE: &str = "kafka-connect";
pub const REST_PORT: u16 = 8083;
/// The connector class readiness waits for in `GET /connector-plugins`.
pub const POSTGRES_CONNECTOR: &str = "io.debezium.connector.postgresql.PostgresConnector";

/// How often the worker commits source offsets. Debezium confirms an LSN to PostgreSQL (the
/// slot's `confirmed_flush_lsn`) only when Connect commits the offsets of the records before it,
/// so the default minute would leave the slot retaining WAL long after the changes arrived.
pub const OFFSET_FLUSH_INTERVAL_MS: u64 = 1000;

pub(crate) async fn start(
    run: &Run,
    image: &ImageRef,
    source: ImageSource,
    kafka: &KafkaEndpoint,
    timeout: Duration,
    progress: &Progress,
) -> Result<(ServiceHandle, ConnectEndpoint), StackError> {
    let requested = Instant::now();
    let name = run.container_name(SERVICE);
    let host_port = free_port()?;
    let mut spec = ContainerSpec::new(SERVICE, image)
        .env("BOOTSTRAP_SERVERS", &kafka.bootstrap_network)
        .env("CONNECT_REST_ADVERTISED_HOST_NAME", &name)
        .env("CONNECT_OFFSET_FLUSH_INTERVAL_MS", OFFSET_FLUSH_INTERVAL_MS.to_string())
        .publish(REST_PORT, host_port);
    if source == ImageSource::Registry {
        spec = spec
            .env("GROUP_ID", "cdc-harness")
            .env("CONFIG_STORAGE_TOPIC", "cdc_harness_connect_configs")
            .env("OFFSET_STORAGE_TOPIC", "cdc_harness_connect_offsets")
            .env("STATUS_STORAGE_TOPIC", "cdc_harness_connect_statuses")
            .env("CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR", "1")
            .env("CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR", "1")
            .env("CONNECT_STATUS_STORAGE_REPLICATION_FACTOR", "1");
    }
    let handle = spec.start(run).await?;
    let endpoint = ConnectEndpoint {
        rest_url: format!("http://127.0.0.1:{host_port}"),
        rest_url_network: format!("http://{name}:{REST_PORT}"),
    };
    wait_ready(&handle, &endpoint, timeout).await?;
    progress.ready(SERVICE, requested);
    Ok((handle, endpoint))
}

/// Ready when the REST API answers and lists Debezium's PostgreSQL connector among its plugins.
pub(crate) async fn wait_ready(
    handle: &ServiceHandle,
    endpoint: &ConnectEndpoint,
    timeout: Duration,
) -> Result<(), StackError> {
    let client = crate::connect::ConnectClient::new(&endpoint.rest_url)
        .map_err(|e| StackError::setup(SERVICE, e))?;
    until_ready(SERVICE, &[handle], timeout, || async {
        let plugins = client.plugins().await.map_err(|e| e.to_string())?;
        if plugins.iter().any(|p| p == POSTGRES_CONNECTOR) {
            Ok(())
        } else {
            Err(format!("{POSTGRES_CONNECTOR} is not among the plugins {plugins:?}"))
        }
    })
    .await
}
