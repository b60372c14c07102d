//! The Kafka-protocol broker, reachable both by Flink (inside the network) and by the
//! harness's rdkafka (on the host).
//!
//! - `kafka` (apache/kafka, KRaft): two listeners. `INTERNAL` advertises the container name for
//!   the network; `HOST` advertises 127.0.0.1 and a port chosen before start and published at
//!   that same number.
//! - `tansu`: one listener per process, so one advertised address must serve both sides. It
//!   advertises the container's address on the stack's network, which containers reach directly
//!   and the host reaches through the network's bridge (Linux). The address is only known inside
//!   the container once it runs, so a shell reads it (`hostname -i`) before starting tansu.
//!   A host port would not do: the advertised address would then be 127.0.0.1, which is each
//!   Flink container itself.

use super::docker::{free_port, ContainerSpec, Run};
use super::endpoints::KafkaEndpoint;
use super::error::StackError;
use super::images::{ImageRef, KafkaFlavour};
use super::progress::Progress;
use super::ready::until_ready;
use super::service::ServiceHandle;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;
use std::time::{Duration, Instant};

pub const SERVICE: &str = "kafka";
/// The in-network listener of both flavours.
pub const PORT: u16 = 9092;
const CONTROLLER_PORT: u16 = 9093;
const HOST_LISTENER_PORT: u16 = 9094;

pub(crate) async fn start(
    run: &Run,
    image: &ImageRef,
    flavour: KafkaFlavour,
    timeout: Duration,
    progress: &Progress,
) -> Result<(ServiceHandle, KafkaEndpoint), StackError> {
    let requested = Instant::now();
    let name = run.container_name(SERVICE);
    let bootstrap_network = format!("{name}:{PORT}");
    let (handle, bootstrap_host) = match flavour {
        KafkaFlavour::Kafka => {
            let host_port = free_port()?;
            let handle = apache_kafka(image, &name, host_port).start(run).await?;
            (handle, format!("127.0.0.1:{host_port}"))
        }
        KafkaFlavour::Tansu => {
            let handle = tansu(image).start(run).await?;
            let ip = handle.network_ip().await?;
            (handle, format!("{ip}:{PORT}"))
        }
    };
    let endpoint = KafkaEndpoint { flavour, bootstrap_host, bootstrap_network };
    wait_ready(&handle, &endpoint, timeout).await?;
    progress.ready(SERVICE, requested);
    Ok((handle, endpoint))
}

fn apache_kafka(image: &ImageRef, name: &str, host_port: u16) -> ContainerSpec {
    ContainerSpec::new(SERVICE, image)
        .env("KAFKA_NODE_ID", "1")
        .env("KAFKA_PROCESS_ROLES", "broker,controller")
        .env(
            "KAFKA_LISTENERS",
            format!(
                "INTERNAL://0.0.0.0:{PORT},CONTROLLER://0.0.0.0:{CONTROLLER_PORT},HOST://0.0.0.0:{HOST_LISTENER_PORT}"
            ),
        )
        .env("KAFKA_ADVERTISED_LISTENERS", format!("INTERNAL://{name}:{PORT},HOST://127.0.0.1:{host_port}"))
        .env("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,HOST:PLAINTEXT")
        .env("KAFKA_INTER_BROKER_LISTENER_NAME", "INTERNAL")
        .env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .env("KAFKA_CONTROLLER_QUORUM_VOTERS", format!("1@localhost:{CONTROLLER_PORT}"))
        .env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .env("KAFKA_NUM_PARTITIONS", "1")
        .publish(HOST_LISTENER_PORT, host_port)
}

fn tansu(image: &ImageRef) -> ContainerSpec {
    let mut spec = ContainerSpec::new(SERVICE, image).cmd([
        "-c".to_string(),
        format!(
            "exec tansu broker --listener-url tcp://0.0.0.0:{PORT} \
             --advertised-listener-url tcp://$(hostname -i | cut -d' ' -f1):{PORT}"
        ),
    ]);
    spec.entrypoint = Some("sh".into());
    spec
}

/// Ready when a metadata request from the host lists a broker.
pub(crate) async fn wait_ready(
    handle: &ServiceHandle,
    endpoint: &KafkaEndpoint,
    timeout: Duration,
) -> Result<(), StackError> {
    until_ready(SERVICE, &[handle], timeout, || async {
        let admin = admin_client(&endpoint.bootstrap_host)?;
        let brokers = tokio::task::spawn_blocking(move || {
            admin
                .inner()
                .fetch_metadata(None, Duration::from_secs(2))
                .map(|m| m.brokers().len())
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())??;
        if brokers == 0 {
            Err("metadata lists no broker".to_string())
        } else {
            Ok(())
        }
    })
    .await
}

fn admin_client(bootstrap: &str) -> Result<AdminClient<DefaultClientContext>, String> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("socket.connection.setup.timeout.ms", "2000")
        .create()
        .map_err(|e| e.to_string())
}

/// Creates a topic through the admin API (replication factor 1: there is one broker).
pub(crate) async fn create_topic(
    endpoint: &KafkaEndpoint,
    topic: &str,
    partitions: i32,
) -> Result<(), StackError> {
    let error = |message: String| StackError::Topic { topic: topic.to_string(), message };
    let admin = admin_client(&endpoint.bootstrap_host).map_err(error)?;
    let new_topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results =
        admin.create_topics([&new_topic], &options).await.map_err(|e| error(e.to_string()))?;
    for result in results {
        result.map_err(|(_, code)| error(code.to_string()))?;
    }
    Ok(())
}
