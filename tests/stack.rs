//! The stack with real containers. Each test starts at most one stack and the tests of this file
//! run one at a time (the machine has 2 cores); every test removes what it started even when an
//! assertion fails (the `Stack` or a guard removes its run on drop), and checks that nothing
//! labelled with its run is left.

#![allow(clippy::await_holding_lock)] // one stack at a time: see SERIAL

use cdc_harness::stack::images::{self, FlinkVersion, ImageSource};
use cdc_harness::stack::{
    inventory, ClientCommand, ClusterShape, Scope, Stack, StackConfig, StackError,
};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One stack at a time in this binary. Each `#[tokio::test]` has its own runtime on its own
/// thread, so a blocking guard held across awaits is the point: it holds the other tests' threads.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn local_config() -> StackConfig {
    StackConfig {
        source: ImageSource::Local,
        flink: Some(FlinkVersion::V2_0),
        artefacts_root: std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("stack-runs"),
        ..StackConfig::default()
    }
}

async fn assert_nothing_left(run_id: &str) {
    let left = inventory(&Scope::Run(run_id.to_string())).await.expect("list labelled objects");
    assert!(left.is_empty(), "run {run_id} left {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_stack_serves_host_and_network_clients_and_leaves_nothing_when_dropped() {
    let _serial = serial();
    let stack = Stack::start(local_config()).await.expect("the local stack starts");
    let run_id = stack.run_id().to_string();

    postgres_is_logical_and_both_roles_manage_pgoutput_slots(&stack).await;
    flink_rest_lists_every_taskmanager(&stack).await;
    network_clients_reach_postgres(&stack).await;
    kafka_carries_records_from_host_and_network_clients(&stack, true).await;
    restarted_services_come_back_on_the_same_endpoints(&stack).await;

    drop(stack);
    assert_nothing_left(&run_id).await;
}

async fn postgres_is_logical_and_both_roles_manage_pgoutput_slots(stack: &Stack) {
    let pg = &stack.endpoints().postgres;
    for (who, superuser) in [(&pg.superuser, true), (&pg.replication, false)] {
        let (client, connection) =
            pg.host_config(who).connect(tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        let wal_level: String = client.query_one("SHOW wal_level", &[]).await.unwrap().get(0);
        assert_eq!(wal_level, "logical");
        let role = client
            .query_one(
                "SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(
            (role.get::<_, bool>(0), role.get::<_, bool>(1)),
            (superuser, true),
            "{}",
            who.user
        );

        let slot = format!("stack_test_{}", who.user);
        let created = client
            .query_one(
                "SELECT slot_name::text FROM pg_create_logical_replication_slot($1, 'pgoutput')",
                &[&slot],
            )
            .await
            .unwrap_or_else(|e| panic!("{} creates a pgoutput slot: {e}", who.user));
        assert_eq!(created.get::<_, String>(0), slot);
        let plugin: String = client
            .query_one(
                "SELECT plugin::text FROM pg_replication_slots WHERE slot_name = $1",
                &[&slot],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(plugin, "pgoutput");
        client
            .execute("SELECT pg_drop_replication_slot($1)", &[&slot])
            .await
            .expect("drop the slot");
        let left = client
            .query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", &[&slot])
            .await
            .unwrap();
        assert!(left.is_empty());
    }
}

/// What fault steps rely on: a restarted PostgreSQL keeps its data and port, a restarted
/// TaskManager registers again.
async fn restarted_services_come_back_on_the_same_endpoints(stack: &Stack) {
    let pg = &stack.endpoints().postgres;
    let connect = || async {
        let (client, connection) =
            pg.host_config(&pg.superuser).connect(tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(connection);
        client
    };
    connect()
        .await
        .batch_execute("CREATE TABLE survives (id int); INSERT INTO survives VALUES (7)")
        .await
        .unwrap();
    stack.postgres().restart(10).await.expect("restart PostgreSQL");
    stack.wait_postgres_ready().await.expect("PostgreSQL answers again");
    let id: i32 = connect().await.query_one("SELECT id FROM survives", &[]).await.unwrap().get(0);
    assert_eq!(id, 7);

    let taskmanager = stack.service("flink-taskmanager-1").expect("a TaskManager");
    taskmanager.restart(5).await.expect("restart the TaskManager");
    stack.wait_flink_ready().await.expect("the TaskManager registers again");
    stack.ensure_running().await.expect("every service runs");
}

async fn flink_rest_lists_every_taskmanager(stack: &Stack) {
    let flink = &stack.endpoints().flink;
    let body: serde_json::Value = reqwest::get(format!("{}/taskmanagers", flink.rest_url))
        .await
        .expect("GET /taskmanagers")
        .json()
        .await
        .unwrap();
    let taskmanagers = body["taskmanagers"].as_array().expect("a list of TaskManagers");
    assert_eq!(taskmanagers.len(), stack.taskmanagers().len());
    assert!(taskmanagers.iter().all(|tm| tm["freeSlots"].as_u64() > Some(0)), "{body}");
    let overview: serde_json::Value =
        reqwest::get(format!("{}/overview", flink.rest_url)).await.unwrap().json().await.unwrap();
    assert_eq!(overview["flink-version"].as_str(), Some(flink.version.as_str()));
}

/// `pg_isready` and `psql` from the PostgreSQL image, on the network, by container name.
async fn network_clients_reach_postgres(stack: &Stack) {
    let pg = &stack.endpoints().postgres;
    let image = &stack.images().postgres;
    let port = pg.network_port.to_string();
    let ready = stack
        .run_on_network(ClientCommand::new(
            image,
            ["pg_isready", "-h", &pg.network_host, "-p", &port, "-d", &pg.database],
        ))
        .await
        .expect("pg_isready runs");
    assert_eq!(ready.exit_code, 0, "{}", ready.logs);

    let query = ClientCommand::new(
        image,
        [
            "psql",
            "-h",
            &pg.network_host,
            "-p",
            &port,
            "-U",
            &pg.replication.user,
            "-d",
            &pg.database,
            "-tAc",
            "SELECT current_user || ' ' || setting FROM pg_settings WHERE name = 'wal_level'",
        ],
    )
    .env("PGPASSWORD", pg.replication.password.expose());
    let out = stack.run_on_network(query).await.expect("psql runs");
    assert_eq!(out.exit_code, 0, "{}", out.logs);
    assert!(out.logs.contains("replicator logical"), "{}", out.logs);
}

/// A Java client (kafka-clients from the Flink image) lists the brokers and produces one record.
const JAVA_KAFKA_CLIENT: &str = r#"
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
public class KafkaCheck {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        try (Admin admin = Admin.create(p)) {
            for (var node : admin.describeCluster().nodes().get()) {
                System.out.println("broker " + node.host() + ":" + node.port());
            }
        }
        p.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        p.put("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
        try (var producer = new KafkaProducer<String, String>(p)) {
            var sent = producer.send(new ProducerRecord<>(args[1], "network", "from-flink-image")).get();
            System.out.println("sent " + sent.topic() + "@" + sent.offset());
        }
    }
}
"#;

async fn kafka_carries_records_from_host_and_network_clients(stack: &Stack, java_client: bool) {
    let kafka = &stack.endpoints().kafka;
    let topic = "stack-test";
    stack.create_topic(topic, 1).await.expect("create the topic");

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &kafka.bootstrap_host)
        .create()
        .expect("producer");
    for i in 0..3 {
        let key = format!("host-{i}");
        let record = FutureRecord::to(topic).key(&key).payload("from-host");
        producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(e, _)| e)
            .expect("produce from the host");
    }

    let mut expected: BTreeSet<String> = ["host-0", "host-1", "host-2"].map(String::from).into();
    if java_client {
        let script = format!(
            "printf '%s' \"$SOURCE\" > /tmp/KafkaCheck.java && exec java -cp '/opt/flink/lib/*' /tmp/KafkaCheck.java {} {topic}",
            kafka.bootstrap_network
        );
        let java = ClientCommand::new(&stack.images().flink.image, ["-c", &script])
            .entrypoint("sh")
            .env("SOURCE", JAVA_KAFKA_CLIENT);
        let out = stack.run_on_network(java).await.expect("the Java client runs");
        assert_eq!(out.exit_code, 0, "{}", out.logs);
        assert!(out.logs.contains("broker "), "{}", out.logs);
        expected.insert("network".to_string());
    }

    let keys =
        consume_keys(&kafka.bootstrap_host, topic, expected.len(), Duration::from_secs(30)).await;
    assert_eq!(keys, expected);
}

/// Reads by assignment from the beginning until `count` records arrived (never trusting the
/// high watermark: tansu answers it wrongly).
async fn consume_keys(
    bootstrap: &str,
    topic: &str,
    count: usize,
    timeout: Duration,
) -> BTreeSet<String> {
    let (bootstrap, topic) = (bootstrap.to_string(), topic.to_string());
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "stack-test")
            .set("enable.auto.commit", "false")
            .create()
            .expect("consumer");
        let mut assignment = TopicPartitionList::new();
        assignment.add_partition_offset(&topic, 0, Offset::Beginning).unwrap();
        consumer.assign(&assignment).expect("assign");
        let deadline = Instant::now() + timeout;
        let mut keys = BTreeSet::new();
        while keys.len() < count && Instant::now() < deadline {
            if let Some(message) = consumer.poll(Duration::from_millis(200)) {
                let message = message.expect("consume");
                keys.insert(
                    String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned(),
                );
            }
        }
        keys
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_dies_is_named_with_its_logs_and_nothing_is_left() {
    let _serial = serial();
    let mut broken =
        images::ensure(ImageSource::Local, FlinkVersion::V2_0, false).await.expect("local images");
    // The broker's image cannot run PostgreSQL's command: its container exits at once.
    broken.postgres = broken.kafka.clone();
    let run_id = format!("dies-{}", std::process::id());
    let config =
        StackConfig { images: Some(broken), run_id: Some(run_id.clone()), ..local_config() };

    let error = Stack::start(config).await.expect_err("a stack whose PostgreSQL dies");
    assert_eq!(error.service(), Some("postgres"), "{error}");
    let text = error.to_string();
    assert!(text.contains("postgres exited with code"), "{text}");
    let StackError::WithLogs { logs, .. } = &error else { panic!("no saved logs: {error:?}") };
    let saved = logs.join(format!("cdc-{run_id}-postgres.log"));
    assert!(saved.is_file(), "{} missing", saved.display());
    assert_nothing_left(&run_id).await;
}

#[test]
fn ctrl_c_while_up_is_starting_removes_the_run() {
    let _serial = serial();
    let run_id = format!("interrupted-{}", std::process::id());
    let mut up = UpProcess::spawn(&run_id, &[], Stdio::null(), Stdio::piped());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let scope = Scope::Run(run_id.clone());
    let deadline = Instant::now() + Duration::from_secs(300);
    while runtime.block_on(inventory(&scope)).unwrap().containers.is_empty() {
        assert!(Instant::now() < deadline, "`up` created no container");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = up.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let status = up.child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut up.child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    runtime.block_on(assert_nothing_left(&run_id));
}

/// Kills a child process and removes its run, whatever the test's outcome.
struct UpProcess {
    child: Child,
    run_id: String,
}

impl UpProcess {
    /// `cdc-harness up --images local --run-id <run_id> [extra...]`.
    fn spawn(run_id: &str, extra: &[&str], stdout: Stdio, stderr: Stdio) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
            .args(["up", "--images", "local", "--run-id", run_id])
            .args(extra)
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("spawn cdc-harness up");
        UpProcess { child, run_id: run_id.to_string() }
    }
}

impl Drop for UpProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
            .args(["down", "--run", &self.run_id])
            .output();
    }
}

#[test]
fn down_removes_what_a_killed_up_left_behind() {
    let _serial = serial();
    let run_id = format!("killed-{}", std::process::id());
    // With the optional Kafka Connect service: `down` reaps it like every service.
    let mut up = UpProcess::spawn(&run_id, &["--with", "connect"], Stdio::piped(), Stdio::null());

    let stdout = up.child.stdout.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let ready = format!("stack {run_id} ready");
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines.recv_timeout(left).expect("`up` prints that the stack is ready");
        if line.starts_with(&ready) {
            break;
        }
    }
    let connect_line = lines.recv_timeout(Duration::from_secs(10));
    let printed: Vec<String> = std::iter::once(connect_line.unwrap_or_default())
        .chain(std::iter::from_fn(|| lines.recv_timeout(Duration::from_millis(500)).ok()))
        .collect();
    assert!(
        printed.iter().any(|l| l.trim_start().starts_with("Kafka Connect http://127.0.0.1:")),
        "`up --with connect` names Kafka Connect: {printed:?}"
    );
    up.child.kill().expect("SIGKILL");
    up.child.wait().unwrap();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let scope = Scope::Run(run_id.clone());
    let orphans = runtime.block_on(inventory(&scope)).unwrap();
    let services: BTreeSet<_> = orphans.containers.iter().map(|c| c.service.as_str()).collect();
    assert_eq!(
        services,
        ["flink-jobmanager", "flink-taskmanager-1", "kafka", "kafka-connect", "postgres"].into(),
        "{orphans:?}"
    );
    assert_eq!(orphans.networks, vec![format!("cdc-{run_id}")]);
    assert_eq!(orphans.volumes, vec![format!("cdc-{run_id}-flink-state")], "Flink's state volume");

    let down = Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
        .args(["down", "--run", &run_id])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&down.stdout);
    assert!(down.status.success(), "{printed}");
    assert!(printed.contains(&format!("removed container cdc-{run_id}-postgres")), "{printed}");
    assert!(printed.contains(&format!("removed network cdc-{run_id}")), "{printed}");
    assert!(printed.contains(&format!("removed volume cdc-{run_id}-flink-state")), "{printed}");
    runtime.block_on(assert_nothing_left(&run_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs registry access (Docker Hub and quay.io)"]
async fn registry_stack_runs_debeziums_own_kafka_connect() {
    let _serial = serial();
    let config = StackConfig {
        source: ImageSource::Registry,
        flink: Some(FlinkVersion::V1_20),
        connect: true,
        ..local_config()
    };
    // Ready means its REST API lists Debezium's PostgreSQL connector.
    let stack = Stack::start(config).await.expect("the registry stack starts with Kafka Connect");
    let connect = stack.endpoints().connect.clone().expect("Kafka Connect's endpoint");
    let client = cdc_harness::connect::ConnectClient::new(&connect.rest_url).unwrap();
    assert!(client
        .plugins()
        .await
        .unwrap()
        .iter()
        .any(|p| p == cdc_harness::stack::POSTGRES_CONNECTOR));
    assert_eq!(stack.images().connect.as_ref().unwrap().name, "quay.io/debezium/connect");
    let run_id = stack.run_id().to_string();
    stack.stop().await.expect("stop");
    assert_nothing_left(&run_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs registry access"]
async fn registry_stack_has_apache_kafka_and_a_sql_gateway() {
    let _serial = serial();
    let config = StackConfig {
        source: ImageSource::Registry,
        flink: Some(FlinkVersion::V1_20),
        shape: ClusterShape { taskmanagers: 2, slots_per_taskmanager: 2 },
        ..local_config()
    };
    let stack = Stack::start(config).await.expect("the registry stack starts");
    let gateway = stack.endpoints().flink.gateway_url.clone().expect("a gateway");
    let info: serde_json::Value =
        reqwest::get(format!("{gateway}/v1/info")).await.unwrap().json().await.unwrap();
    assert_eq!(info["productName"], "Apache Flink");
    flink_rest_lists_every_taskmanager(&stack).await;
    // The official image has only the shaded Kafka client of the SQL connector: host side only.
    kafka_carries_records_from_host_and_network_clients(&stack, false).await;
    let run_id = stack.run_id().to_string();
    stack.stop().await.expect("stop");
    assert_nothing_left(&run_id).await;
}
