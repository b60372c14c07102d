//! `cdc-harness bench run`: figures for scenarios run end to end on one stack.
//!
//! Per scenario: submit → job running (or finished), record latency, verifier decode rate and
//! the harness's overhead (wall time minus what PostgreSQL and Flink spent themselves).

use super::plan::Planned;
use super::suite::{run_on, RunOptions};
use crate::expect::{verify, Count, Expectation, Mode};
use crate::flink::JobManager;
use crate::kafka::{ReaderConfig, ReceivedRecord, RecordSource, RecordedTopic, SinkReader};
use crate::report::{Phase, RunId, ScenarioResult};
use crate::stack::Stack;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Records the verifier decodes for its rate (the topic's records repeated).
const DECODE_SAMPLE: usize = 200_000;

#[derive(Debug)]
pub struct Figures {
    pub result: ScenarioResult,
    /// Flink's own run time of the job (start → end, or → cancel for a streaming job).
    pub job_duration: Option<Duration>,
    /// Each record's Kafka timestamp minus the job's start, sorted (ms).
    pub latencies_ms: Vec<i64>,
    /// A Debezium source: each change from its commit in PostgreSQL (Debezium's `source.ts_ms`)
    /// to its record in the sink topic (the record's Kafka timestamp), sorted (ms).
    pub commit_to_sink_ms: Vec<i64>,
    /// A Debezium source: the connector's POST until it streams from its slot.
    pub connector_start: Option<Duration>,
    pub records: usize,
    /// Records per second through decode + compare (count mode) on a recorded topic.
    pub decode_rate: Option<f64>,
    /// setup + connector + submit + the job's own duration: the time that belongs to PostgreSQL,
    /// Kafka Connect and Flink.
    pub pipeline: Duration,
    /// Wall time − pipeline.
    pub overhead: Duration,
}

impl Figures {
    /// Of the records' latency since the job's start.
    pub fn percentile(&self, p: f64) -> Option<i64> {
        percentile(&self.latencies_ms, p)
    }
}

/// The `p` quantile of sorted values.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    let n = sorted.len();
    (n > 0).then(|| sorted[((n - 1) as f64 * p).round() as usize])
}

/// Runs each scenario alone on `stack` and measures it.
pub async fn bench(
    stack: &Stack,
    planned: &[Planned],
    options: &RunOptions,
    run_id: &RunId,
) -> Vec<Figures> {
    let jobmanager = JobManager::new(&stack.endpoints().flink.rest_url).ok();
    let mut figures = Vec::new();
    for i in 0..planned.len() {
        let seen: HashSet<String> = match &jobmanager {
            Some(jm) => jm.jobs().await.unwrap_or_default().into_iter().map(|j| j.jid).collect(),
            None => HashSet::new(),
        };
        let result =
            run_on(stack, planned, &[i], options, run_id, Duration::ZERO).await.remove(0).1;
        let job = match &jobmanager {
            Some(jm) => {
                jm.jobs().await.unwrap_or_default().into_iter().find(|j| !seen.contains(&j.jid))
            }
            None => None,
        };
        let records =
            read_topic(&stack.endpoints().kafka.bootstrap_host, &planned[i].names.topic).await;
        let mut latencies_ms: Vec<i64> = match &job {
            Some(job) => {
                records.iter().filter_map(|r| r.timestamp).map(|t| t - job.start_time).collect()
            }
            None => Vec::new(),
        };
        latencies_ms.sort_unstable();
        let commit_to_sink_ms = match &planned[i].scenario.debezium {
            Some(debezium) => {
                let names = &planned[i].names;
                let table = &debezium.table;
                let topic = format!("{}.{}.{}", names.topic_prefix, table.schema, table.table);
                let changes = read_topic(&stack.endpoints().kafka.bootstrap_host, &topic).await;
                commit_to_sink(&changes, &records)
            }
            None => Vec::new(),
        };
        let connector_start = result.phase_duration(Phase::Connector);
        let decode_rate = decode_rate(&planned[i], &records).await;
        let job_duration = job.as_ref().map(|j| Duration::from_millis(j.duration.max(0) as u64));
        let phase = |p| result.phase_duration(p).unwrap_or_default();
        // The CDC reader's start is the pipeline's too.
        let pipeline = phase(Phase::Setup)
            + phase(Phase::Connector)
            + phase(Phase::Submit)
            + job_duration.unwrap_or_default();
        let overhead = result.duration.saturating_sub(pipeline);
        figures.push(Figures {
            records: records.len(),
            result,
            job_duration,
            latencies_ms,
            commit_to_sink_ms,
            connector_start,
            decode_rate,
            pipeline,
            overhead,
        });
    }
    figures
}

/// Per key, Debezium's commit time of its streamed (not snapshot) change, matched with the sink
/// record of that key: the sink's Kafka timestamp minus the commit time, sorted. Keys changed
/// more than once count their last change.
fn commit_to_sink(changes: &[ReceivedRecord], sink: &[ReceivedRecord]) -> Vec<i64> {
    let key_of = |bytes: &Option<Vec<u8>>| -> Option<serde_json::Value> {
        serde_json::from_slice(bytes.as_deref()?).ok()
    };
    let mut committed = std::collections::HashMap::new();
    for change in changes {
        let (Some(key), Some(value)) = (key_of(&change.key), key_of(&change.value)) else {
            continue;
        };
        let source = &value["source"];
        if source["snapshot"].as_str().is_some_and(|s| s != "false") {
            continue;
        }
        if let Some(ts) = source["ts_ms"].as_i64() {
            committed.insert(key.to_string(), ts);
        }
    }
    let mut latencies: Vec<i64> = sink
        .iter()
        .filter_map(|r| {
            let key = key_of(&r.key)?.to_string();
            Some(r.timestamp? - committed.get(&key)?)
        })
        .collect();
    latencies.sort_unstable();
    latencies
}

/// Every record of the topic: read until nothing new arrives for a second.
async fn read_topic(bootstrap: &str, topic: &str) -> Vec<ReceivedRecord> {
    let Ok(mut reader) = SinkReader::open(ReaderConfig::new(bootstrap, topic)).await else {
        return Vec::new();
    };
    let mut records = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match reader.poll(Duration::from_secs(1)).await {
            Ok(batch) if batch.is_empty() => break,
            Ok(batch) => records.extend(batch),
            Err(_) => break,
        }
    }
    records
}

/// The verifier over the topic's records repeated to [`DECODE_SAMPLE`], in count mode.
async fn decode_rate(planned: &Planned, records: &[ReceivedRecord]) -> Option<f64> {
    if records.is_empty() {
        return None;
    }
    let sample: Vec<ReceivedRecord> = records
        .iter()
        .cycle()
        .take(DECODE_SAMPLE.max(records.len()))
        .enumerate()
        .map(|(i, r)| ReceivedRecord { offset: i as i64, ..r.clone() })
        .collect();
    let n = sample.len();
    let mut topic = RecordedTopic::new(planned.names.topic.clone(), sample);
    let mut expectation = Expectation::new(
        Mode::Count(Count { total: Some(n), per_op: Default::default() }),
        Vec::new(),
    );
    expectation.quiet_period = Duration::ZERO;
    let started = Instant::now();
    let verdict = verify(&mut topic, planned.format, &expectation).await.ok()?;
    verdict.passed.then(|| n as f64 / started.elapsed().as_secs_f64())
}
