//! The verifier against a real Kafka-protocol broker: tansu, in a container from the local
//! image, on a port published on 127.0.0.1. Records are produced with rdkafka (keys, several
//! partitions, tombstones), then read back by assignment and checked in every mode.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt as _;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use cdc_harness::expect::{
    verify, Count, DiffEntry, Expectation, ExpectedRecord, ExpectedValue, Mode, Op,
};
use cdc_harness::kafka::{KafkaError, ReaderConfig, SinkFormat, SinkReader};
use cdc_harness::stack::images::{self, FlinkVersion, ImageSource};

/// `CDC_HARNESS_TANSU_IMAGE=name:tag` picks the broker image explicitly.
/// The harness's local tansu image, built on first use like every stack's images.
async fn tansu_image() -> String {
    if let Ok(image) = std::env::var("CDC_HARNESS_TANSU_IMAGE") {
        return image;
    }
    images::ensure(ImageSource::Local, FlinkVersion::V2_0, false)
        .await
        .expect("local images build")
        .kafka
        .to_string()
}

/// Starts a broker and returns it with its bootstrap address. The only place these tests know
/// how a broker is started (the stack API can replace it).
async fn start_broker() -> (ContainerAsync<GenericImage>, String) {
    let image = tansu_image().await;
    let (name, tag) = image.rsplit_once(':').unwrap_or((&image, "latest"));
    // tansu advertises one address, so the published host port must be known before start.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let container = GenericImage::new(name, tag)
        .with_wait_for(WaitFor::message_on_either_std("ready in"))
        .with_cmd([
            "broker".to_owned(),
            "--listener-url".to_owned(),
            "tcp://0.0.0.0:9092".to_owned(),
            "--advertised-listener-url".to_owned(),
            format!("tcp://127.0.0.1:{port}"),
        ])
        .with_mapped_port(port, 9092.tcp())
        .with_host_config_modifier(|host| {
            for binding in
                host.port_bindings.iter_mut().flat_map(|b| b.values_mut()).flatten().flatten()
            {
                binding.host_ip = Some("127.0.0.1".to_owned());
            }
        })
        .with_label("cdc-harness.test", "verify_broker")
        .start()
        .await
        .unwrap_or_else(|e| panic!("cannot start {image}: {e}"));
    (container, format!("127.0.0.1:{port}"))
}

/// Runs `test` against a fresh broker and removes the container afterwards, also on failure.
async fn with_broker<F, Fut>(test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let (container, bootstrap) = start_broker().await;
    let outcome = AssertUnwindSafe(test(bootstrap)).catch_unwind().await;
    container.rm().await.expect("remove the broker container");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn create_topic(bootstrap: &str, topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", bootstrap).create().unwrap();
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    for result in results {
        result.unwrap_or_else(|(t, e)| panic!("create {t}: {e}"));
    }
}

/// Produces `(partition, key, value)` records in order; `None` value = tombstone.
async fn produce(bootstrap: &str, topic: &str, records: &[(i32, Option<&str>, Option<&str>)]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .unwrap();
    for &(partition, key, value) in records {
        let mut record = FutureRecord::<str, str>::to(topic).partition(partition);
        if let Some(key) = key {
            record = record.key(key);
        }
        if let Some(value) = value {
            record = record.payload(value);
        }
        producer.send(record, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
    }
}

fn json(text: &str) -> ExpectedValue {
    ExpectedValue::from_json(&serde_json::from_str(text).unwrap()).unwrap()
}

fn record(key: &str, op: Option<Op>, value: Option<&str>) -> ExpectedRecord {
    ExpectedRecord { key: Some(json(key)), op, value: value.map(json) }
}

async fn check(
    bootstrap: &str,
    topic: &str,
    format: SinkFormat,
    expectation: &Expectation,
) -> cdc_harness::expect::Verdict {
    let mut reader = SinkReader::open(ReaderConfig::new(bootstrap, topic)).await.unwrap();
    verify(&mut reader, format, expectation).await.unwrap()
}

fn expectation(mode: Mode, records: Vec<ExpectedRecord>) -> Expectation {
    let mut e = Expectation::new(mode, records);
    e.timeout = Duration::from_secs(5);
    e.quiet_period = Duration::from_millis(500);
    e
}

/// Three partitions of upsert-kafka output: key 1 updated, key 2 deleted, key 3 inserted.
const UPSERTS: &[(i32, Option<&str>, Option<&str>)] = &[
    (0, Some(r#"{"id":1}"#), Some(r#"{"id":1,"name":"alice","price":10.50}"#)),
    (1, Some(r#"{"id":2}"#), Some(r#"{"id":2,"name":"bob","price":20.00}"#)),
    (0, Some(r#"{"id":1}"#), Some(r#"{"id":1,"name":"alicia","price":10.50}"#)),
    (1, Some(r#"{"id":2}"#), None),
    (2, Some(r#"{"id":3}"#), Some(r#"{"id":3,"name":"carol","price":1E+3}"#)),
];

fn upsert_changelog() -> Vec<ExpectedRecord> {
    vec![
        record(r#"{"id":3}"#, Some(Op::Upsert), Some(r#"{"id":3,"name":"carol","price":1000}"#)),
        record(r#"{"id":1}"#, None, Some(r#"{"id":1,"name":"alice","price":10.5}"#)),
        record(r#"{"id":2}"#, None, Some(r#"{"id":2,"name":"bob","price":{"$decimal":"20"}}"#)),
        record(r#"{"id":1}"#, None, Some(r#"{"id":1,"name":"alicia","price":10.50}"#)),
        record(r#"{"id":2}"#, Some(Op::Delete), None),
    ]
}

#[tokio::test]
async fn upsert_kafka_topic_in_every_mode() {
    with_broker(|bootstrap| async move {
        create_topic(&bootstrap, "upserts", 3).await;
        produce(&bootstrap, "upserts", UPSERTS).await;
        let topic = "upserts";
        let format = SinkFormat::UpsertKafka;

        let verdict =
            check(&bootstrap, topic, format, &expectation(Mode::Changelog, upsert_changelog()))
                .await;
        assert!(verdict.passed, "{verdict}");
        assert_eq!(verdict.received.len(), 5);
        assert_eq!(
            verdict
                .received
                .iter()
                .map(|c| c.partition)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            3,
            "read every partition"
        );

        // One reader for several expectations, rewound in between.
        let mut reader = SinkReader::open(ReaderConfig::new(&bootstrap, topic)).await.unwrap();
        let final_rows = vec![
            ExpectedRecord::row(json(r#"{"id":1,"name":"alicia","price":10.5}"#)),
            ExpectedRecord::row(json(r#"{"id":3,"name":"carol","price":1000}"#)),
            record(r#"{"id":2}"#, None, None),
        ];
        let verdict =
            verify(&mut reader, format, &expectation(Mode::FinalState, final_rows)).await.unwrap();
        assert!(verdict.passed, "{verdict}");
        reader.rewind().unwrap();
        let verdict =
            verify(&mut reader, format, &expectation(Mode::Changelog, upsert_changelog()))
                .await
                .unwrap();
        assert!(verdict.passed, "{verdict}");

        let some = vec![record(r#"{"id":2}"#, None, None)];
        let verdict = check(&bootstrap, topic, format, &expectation(Mode::Contains, some)).await;
        assert!(verdict.passed, "{verdict}");

        let count = Count {
            total: Some(5),
            per_op: [(Op::Upsert, 4), (Op::Delete, 1)].into_iter().collect(),
        };
        let verdict =
            check(&bootstrap, topic, format, &expectation(Mode::Count(count), vec![])).await;
        assert!(verdict.passed, "{verdict}");
    })
    .await;
}

#[tokio::test]
async fn missing_and_extra_records_fail_with_their_diff() {
    with_broker(|bootstrap| async move {
        create_topic(&bootstrap, "upserts", 3).await;
        produce(&bootstrap, "upserts", UPSERTS).await;
        let format = SinkFormat::UpsertKafka;

        let mut more = upsert_changelog();
        more.push(record(r#"{"id":4}"#, None, Some(r#"{"id":4,"name":"dan","price":1}"#)));
        let mut e = expectation(Mode::Changelog, more);
        e.timeout = Duration::from_secs(2);
        let verdict = check(&bootstrap, "upserts", format, &e).await;
        assert!(!verdict.passed && verdict.timed_out);
        let text = verdict.render();
        assert!(
            text.contains("key {\"id\":4}:\n  - missing record #6: key={\"id\":4} {\"id\":4,\"name\":\"dan\",\"price\":1}\n"),
            "{text}"
        );
        assert!(text.contains("received 5 records:\n"), "{text}");

        let mut fewer = upsert_changelog();
        fewer.pop();
        let verdict = check(&bootstrap, "upserts", format, &expectation(Mode::Changelog, fewer)).await;
        assert!(!verdict.passed && !verdict.timed_out, "an extra record fails at once");
        assert!(
            matches!(&verdict.diff[..], [DiffEntry::Extra { key: Some(k), received, .. }] if k == r#"{"id":2}"# && received.starts_with("p1@1 ")),
            "{verdict}"
        );
        assert!(verdict.render().contains("  + extra record: p1@1 key={\"id\":2} delete (tombstone)\n"));
    })
    .await;
}

#[tokio::test]
async fn records_that_arrive_while_verifying_are_awaited() {
    with_broker(|bootstrap| async move {
        create_topic(&bootstrap, "late", 2).await;
        let mut reader = SinkReader::open(ReaderConfig::new(&bootstrap, "late")).await.unwrap();
        let e = expectation(Mode::Changelog, upsert_changelog());
        let producing = async {
            tokio::time::sleep(Duration::from_millis(700)).await;
            produce(
                &bootstrap,
                "late",
                &UPSERTS.iter().map(|&(p, k, v)| (p % 2, k, v)).collect::<Vec<_>>(),
            )
            .await;
        };
        let (verdict, ()) =
            tokio::join!(verify(&mut reader, SinkFormat::UpsertKafka, &e), producing);
        let verdict = verdict.unwrap();
        assert!(verdict.passed, "{verdict}");
        assert!(verdict.waited >= Duration::from_millis(700));
    })
    .await;
}

#[tokio::test]
async fn flink_json_and_debezium_json_topics() {
    with_broker(|bootstrap| async move {
        let fixture = |name: &str| {
            let path = format!("{}/tests/fixtures/kafka/{name}", env!("CARGO_MANIFEST_DIR"));
            cdc_harness::kafka::parse_recording(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        for (topic, file) in [("rows", "json.tsv"), ("changes", "debezium-json.tsv")] {
            create_topic(&bootstrap, topic, 2).await;
            let recorded = fixture(file);
            let as_text = |b: &Option<Vec<u8>>| b.as_ref().map(|b| String::from_utf8(b.clone()).unwrap());
            let owned: Vec<(i32, Option<String>, Option<String>)> =
                recorded.iter().map(|r| (r.partition, as_text(&r.key), as_text(&r.value))).collect();
            let borrowed: Vec<(i32, Option<&str>, Option<&str>)> =
                owned.iter().map(|(p, k, v)| (*p, k.as_deref(), v.as_deref())).collect();
            produce(&bootstrap, topic, &borrowed).await;
        }

        let rows = vec![
            ExpectedRecord::row(json(
                r#"{"id":1,"name":"alice","price":10.5,"created":{"$timestamp":"2024-01-01T10:00:00"},
                   "ltz":{"$timestamp":"2024-01-01T10:00:00.123Z"},"payload":{"tags":["a","b"],"n":1},
                   "data":{"$base64":"3q2+7w=="},"note":null}"#,
            )),
            ExpectedRecord::row(json(
                r#"{"id":2,"name":"bob","price":0.1,"created":{"$timestamp":"2024-01-02 00:00:00"},
                   "ltz":{"$timestamp":"2024-01-02T00:00:00Z"},"payload":{},"data":{"$base64":""},"note":"Grüße, 世界 😀"}"#,
            )),
            ExpectedRecord::row(json(
                r#"{"id":3,"name":"carol","price":1000,"created":{"$any":true},"ltz":{"$any":true},
                   "payload":[],"data":{"$base64":"AA=="},"note":null}"#,
            )),
        ];
        let verdict = check(&bootstrap, "rows", SinkFormat::Json, &expectation(Mode::FinalState, rows)).await;
        assert!(verdict.passed, "{verdict}");

        let changes = vec![
            record(r#"{"id":1}"#, Some(Op::Insert), Some(r#"{"id":1,"name":"alice","price":10.5}"#)),
            record(r#"{"id":1}"#, Some(Op::Delete), Some(r#"{"id":1,"name":"alice","price":10.5}"#)),
            record(r#"{"id":1}"#, Some(Op::Insert), Some(r#"{"id":1,"name":"alicia","price":10.5}"#)),
            record(r#"{"id":2}"#, Some(Op::Insert), Some(r#"{"id":2,"name":"bob","price":20}"#)),
            record(r#"{"id":2}"#, Some(Op::Delete), Some(r#"{"id":2,"name":"bob","price":20}"#)),
        ];
        let verdict = check(&bootstrap, "changes", SinkFormat::DebeziumJson, &expectation(Mode::Changelog, changes)).await;
        assert!(verdict.passed, "{verdict}");
        let final_rows = vec![ExpectedRecord::row(json(r#"{"id":1,"name":"alicia","price":10.5}"#))];
        let verdict = check(&bootstrap, "changes", SinkFormat::DebeziumJson, &expectation(Mode::FinalState, final_rows)).await;
        assert!(verdict.passed, "{verdict}");
    })
    .await;
}

#[tokio::test]
async fn a_topic_that_never_appears_is_named() {
    with_broker(|bootstrap| async move {
        let mut config = ReaderConfig::new(&bootstrap, "never-created");
        config.topic_timeout = Duration::from_secs(2);
        match SinkReader::open(config).await {
            Err(KafkaError::TopicMissing { topic, .. }) => assert_eq!(topic, "never-created"),
            Err(other) => panic!("{other}"),
            Ok(reader) => panic!("topic appeared with partitions {:?}", reader.partitions()),
        }
    })
    .await;
}
