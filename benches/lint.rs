//! Linting 1 MiB of connector DDL (target: under 50 ms).

use cdc_harness::diagnostics::{SourceFile, Span};
use cdc_harness::sql::lint::lint;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// About `bytes` of DDL: CDC sources, Kafka and JDBC sinks and the INSERTs between them, with a
/// few mistakes so that the findings paths run too.
fn ddl(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 4096);
    let mut i = 0;
    while out.len() < bytes {
        out.push_str(&format!(
            "CREATE TABLE src_{i} (
  id BIGINT,
  `name` STRING,
  amount DECIMAL(10, 2),
  tags ARRAY<STRING>,
  op_ts TIMESTAMP_LTZ(3) METADATA FROM 'op_ts' VIRTUAL,
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'postgres-cdc',
  'hostname' = 'pg-{i}.example.com',
  'port' = '5432',
  'username' = 'flink',
  'password' = 'secret',
  'database-name' = 'shop',
  'schema-name' = 'public',
  'table-name' = 'orders_{i}',
  'slot.name' = 'flink_slot_{i}',
  'decoding.plugin.name' = 'pgoutput'
  'heartbeat.interval.ms' = '30 s'
);
CREATE TABLE kafka_{i} (id BIGINT, `name` STRING, amount DECIMAL(10, 2), tags ARRAY<STRING>, op_ts TIMESTAMP_LTZ(3)) WITH (
  'connector' = 'kafka', 'topic' = 'orders-{i}', 'properties.bootstrap.servers' = 'kafka:9092',
  'format' = 'json', 'json.ignore-parse-errors' = 'true'
);
CREATE TABLE jdbc_{i} (id BIGINT PRIMARY KEY, `name` STRING) WITH (
  'connector' = 'JDBC', 'url' = 'jdbc:postgresql://<host>:5432/shop', 'table-name' = 'copy_{i}'
);
INSERT INTO kafka_{i} SELECT * FROM src_{i};
INSERT INTO jdbc_{i} SELECT id, `name` FROM src_{i};
"
        ));
        i += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let text = ddl(1 << 20);
    let src = SourceFile::new("bench.sql", text);
    let region = Span::new(0, src.text().len());
    let findings = lint(&src, region).len();
    eprintln!("linting {} bytes yields {findings} findings", src.text().len());
    let mut group = c.benchmark_group("lint");
    group.throughput(Throughput::Bytes(src.text().len() as u64));
    group.sample_size(20);
    group.bench_function("1 MiB of DDL", |b| b.iter(|| lint(black_box(&src), region)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
