//! Verifier decode rate: decode + compare of a recorded topic of 200k Flink-shaped records held
//! in memory, per sink format (goal: at least 200k records/s).
//!
//! Two figures per format: wall time (criterion's usual), and process CPU time, which is what a
//! dedicated core would take on a machine shared with other work (the verifier is one thread).
//!
//! Rows look like a types scenario's output (bigint, text, decimal, timestamp, timestamp_ltz,
//! jsonb as a string, bytea as base64, a nullable column) and the expectations use the typed
//! rules a user would write (`$timestamp`, `$base64`, structured JSON for the jsonb column).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use cdc_harness::expect::{verify, Expectation, ExpectedRecord, ExpectedValue, Mode, Op};
use cdc_harness::kafka::{decode, ReceivedRecord, RecordedTopic, SinkFormat};

const RECORDS: usize = 200_000;

/// A topic's records and what a scenario would expect of them.
type Recorded = (Vec<ReceivedRecord>, Expectation);
type Maker = fn() -> Recorded;

fn row(id: usize, version: usize) -> String {
    format!(
        concat!(
            r#"{{"id":{id},"name":"customer {id} v{version} – Grüße","price":{price}.{cents:02},"#,
            r#""created":"2024-01-{day:02} 10:{min:02}:00.123","ltz":"2024-01-{day:02} 10:{min:02}:00.123Z","#,
            r#""payload":"{{\"tags\":[\"a\",\"b\"],\"n\":{id}}}","data":"3q2+7w==","note":{note}}}"#
        ),
        id = id,
        version = version,
        price = id % 1000,
        cents = id % 100,
        day = id % 28 + 1,
        min = id % 60,
        note = if id.is_multiple_of(3) { "null".to_owned() } else { format!("\"note {id}\"") },
    )
}

fn expected_row(id: usize, version: usize) -> ExpectedValue {
    let note =
        if id.is_multiple_of(3) { serde_json::Value::Null } else { format!("note {id}").into() };
    ExpectedValue::from_json(&serde_json::json!({
        "id": id,
        "name": format!("customer {id} v{version} – Grüße"),
        "price": format!("{}.{:02}", id % 1000, id % 100).parse::<f64>().unwrap(),
        "created": {"$timestamp": format!("2024-01-{:02}T10:{:02}:00.123", id % 28 + 1, id % 60)},
        "ltz": {"$timestamp": format!("2024-01-{:02}T10:{:02}:00.123Z", id % 28 + 1, id % 60)},
        "payload": {"tags": ["a", "b"], "n": id},
        "data": {"$base64": "3q2+7w=="},
        "note": note,
    }))
    .unwrap()
}

fn record(
    partition: i32,
    offset: i64,
    key: Option<String>,
    value: Option<String>,
) -> ReceivedRecord {
    ReceivedRecord {
        partition,
        offset,
        key: key.map(String::into_bytes),
        value: value.map(String::into_bytes),
        timestamp: None,
        headers: Vec::new(),
    }
}

/// `kafka` + `json`: 200k inserted rows, checked as a final state keyed by `id`.
fn json_topic() -> Recorded {
    let records = (0..RECORDS)
        .map(|i| record((i % 4) as i32, (i / 4) as i64, None, Some(row(i, 0))))
        .collect();
    let rows = (0..RECORDS).map(|i| ExpectedRecord::row(expected_row(i, 0))).collect();
    let mut e = Expectation::new(Mode::FinalState, rows);
    e.key_fields = vec!["id".into()];
    (records, e)
}

/// `debezium-json` with a JSON key: 100k inserts, then 50k updates (a `d` and a `c` each),
/// checked as the exact changelog per key.
fn debezium_topic() -> Recorded {
    let inserts = RECORDS / 2;
    let mut records = Vec::with_capacity(RECORDS);
    let mut expected = Vec::with_capacity(RECORDS);
    let key = |id: usize| format!(r#"{{"id":{id}}}"#);
    let keyed = |id: usize, op, v| ExpectedRecord {
        key: Some(ExpectedValue::from_json(&serde_json::json!({"id": id})).unwrap()),
        op: Some(op),
        value: Some(expected_row(id, v)),
    };
    for id in 0..inserts {
        records.push(record(
            0,
            records.len() as i64,
            Some(key(id)),
            Some(format!(r#"{{"before":null,"after":{},"op":"c"}}"#, row(id, 0))),
        ));
        expected.push(keyed(id, Op::Insert, 0));
    }
    for id in 0..(RECORDS - inserts) / 2 {
        records.push(record(
            0,
            records.len() as i64,
            Some(key(id)),
            Some(format!(r#"{{"before":{},"after":null,"op":"d"}}"#, row(id, 0))),
        ));
        records.push(record(
            0,
            records.len() as i64,
            Some(key(id)),
            Some(format!(r#"{{"before":null,"after":{},"op":"c"}}"#, row(id, 1))),
        ));
        expected.push(keyed(id, Op::Delete, 0));
        expected.push(keyed(id, Op::Insert, 1));
    }
    (records, Expectation::new(Mode::Changelog, expected))
}

/// `upsert-kafka`: 150k upserts over 100k keys and 50k tombstones, checked as a final state.
fn upsert_topic() -> Recorded {
    let keys = 100_000;
    let mut records = Vec::with_capacity(RECORDS);
    let key = |id: usize| Some(format!(r#"{{"id":{id}}}"#));
    for id in 0..keys {
        records.push(record(0, records.len() as i64, key(id), Some(row(id, 0))));
    }
    for id in 0..keys / 2 {
        records.push(record(0, records.len() as i64, key(id), Some(row(id, 1))));
        records.push(record(0, records.len() as i64, key(keys / 2 + id), None));
    }
    let rows = (0..keys / 2).map(|id| ExpectedRecord::row(expected_row(id, 1))).collect();
    (records, Expectation::new(Mode::FinalState, rows))
}

/// CPU time used by this process so far.
fn cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let mut group = c.benchmark_group("verify");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));
    let topics: [(&str, SinkFormat, Maker); 3] = [
        ("json/final-state", SinkFormat::Json, json_topic),
        ("debezium-json/changelog", SinkFormat::DebeziumJson, debezium_topic),
        ("upsert-kafka/final-state", SinkFormat::UpsertKafka, upsert_topic),
    ];
    for (name, format, make) in topics {
        let (records, mut expectation) = make();
        assert_eq!(records.len(), RECORDS);
        expectation.quiet_period = Duration::ZERO;
        expectation.timeout = Duration::from_secs(120);
        // The benchmark only means something if the expectation holds.
        let verdict = runtime
            .block_on(verify(
                &mut RecordedTopic::new("bench", records.clone()),
                format,
                &expectation,
            ))
            .unwrap();
        assert!(verdict.passed, "{}", verdict.summary());
        group.throughput(Throughput::Elements(RECORDS as u64));
        group.bench_function(format!("{name}/wall"), |b| {
            b.iter_batched(
                || RecordedTopic::new("bench", records.clone()),
                |mut topic| runtime.block_on(verify(&mut topic, format, &expectation)).unwrap(),
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("{name}/decode-only/cpu"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let start = cpu_time();
                    let mut changes = Vec::with_capacity(RECORDS);
                    for record in &records {
                        decode(format, "bench", record, &mut changes).unwrap();
                    }
                    total += cpu_time() - start;
                    drop(changes);
                }
                total
            })
        });
        group.bench_function(format!("{name}/cpu"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let mut topic = RecordedTopic::new("bench", records.clone());
                    let start = cpu_time();
                    let verdict =
                        runtime.block_on(verify(&mut topic, format, &expectation)).unwrap();
                    total += cpu_time() - start;
                    drop(verdict);
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
