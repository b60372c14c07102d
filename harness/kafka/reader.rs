//! Reads a topic from the beginning by assignment with rdkafka.
//!
//! Assignment, not subscription: no consumer group, so no join delay (a group join takes about
//! half of `session.timeout.ms` on tansu) and no committed offsets left behind. Nothing here
//! asks for the high watermark or end offsets: tansu answers ListOffsets LATEST with the start
//! of the last batch, so "read up to the end offset" would stop early.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::{KafkaError, ReceivedRecord, RecordSource};
use crate::retry::{Attempt, Retry};
use crate::secret::Secret;

/// Where and what to read.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    /// `host:port[,host:port]`.
    pub bootstrap: String,
    pub topic: String,
    /// How long to wait for the topic to exist (Flink or the harness may still be creating it).
    pub topic_timeout: Duration,
    /// Extra librdkafka properties (e.g. `security.protocol`, `sasl.password` for a target
    /// stack); values are never printed.
    pub properties: Vec<(String, Secret)>,
}

impl ReaderConfig {
    pub fn new(bootstrap: impl Into<String>, topic: impl Into<String>) -> ReaderConfig {
        ReaderConfig {
            bootstrap: bootstrap.into(),
            topic: topic.into(),
            topic_timeout: Duration::from_secs(30),
            properties: Vec::new(),
        }
    }
}

/// Most records one poll returns, so the verifier re-checks between large batches.
const MAX_BATCH: usize = 10_000;

pub struct SinkReader {
    consumer: Arc<StreamConsumer>,
    config: ReaderConfig,
    partitions: Vec<i32>,
    /// The last poll stopped at MAX_BATCH records.
    last_batch_full: bool,
}

impl SinkReader {
    /// Connects, waits for the topic's partitions and assigns them all at their beginning.
    pub async fn open(config: ReaderConfig) -> Result<SinkReader, KafkaError> {
        let mut client = ClientConfig::new();
        client
            .set("bootstrap.servers", &config.bootstrap)
            .set("client.id", "cdc-harness-verify")
            // librdkafka's assign() needs a group id even though no group is joined and
            // nothing is committed.
            .set("group.id", format!("cdc-harness-verify-{}", config.topic))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("enable.partition.eof", "false")
            .set("auto.offset.reset", "earliest")
            // Small fetch waits: the verifier polls often and wants records as they land.
            .set("fetch.wait.max.ms", "100");
        for (key, value) in &config.properties {
            client.set(key, value.expose());
        }
        let consumer: StreamConsumer = client.create().map_err(|source| KafkaError::Client {
            bootstrap: config.bootstrap.clone(),
            source: Box::new(source),
        })?;
        let consumer = Arc::new(consumer);
        let partitions = wait_for_partitions(&consumer, &config).await?;
        let reader = SinkReader { consumer, config, partitions, last_batch_full: false };
        reader.rewind()?;
        tracing::debug!(topic = %reader.config.topic, partitions = ?reader.partitions, "assigned from the beginning");
        Ok(reader)
    }

    /// Goes back to the beginning of every partition, so the next expectation on the same topic
    /// sees every record again.
    pub fn rewind(&self) -> Result<(), KafkaError> {
        let mut assignment = TopicPartitionList::new();
        for &p in &self.partitions {
            assignment
                .add_partition_offset(&self.config.topic, p, Offset::Beginning)
                .map_err(|source| consume_error(&self.config, source))?;
        }
        self.consumer.assign(&assignment).map_err(|source| consume_error(&self.config, source))
    }

    pub fn partitions(&self) -> &[i32] {
        &self.partitions
    }
}

fn consume_error(config: &ReaderConfig, source: rdkafka::error::KafkaError) -> KafkaError {
    KafkaError::Consume {
        topic: config.topic.clone(),
        bootstrap: config.bootstrap.clone(),
        source: Box::new(source),
    }
}

/// Polls the topic's metadata until it lists partitions.
async fn wait_for_partitions(
    consumer: &Arc<StreamConsumer>,
    config: &ReaderConfig,
) -> Result<Vec<i32>, KafkaError> {
    let retry = Retry::with_timeout(config.topic_timeout).max_backoff(Duration::from_millis(500));
    retry
        .run(|| {
            let consumer = Arc::clone(consumer);
            let topic = config.topic.clone();
            async move {
                // fetch_metadata blocks the calling thread.
                let fetched = tokio::task::spawn_blocking(move || {
                    let metadata = consumer.fetch_metadata(Some(&topic), Duration::from_secs(3))?;
                    Ok::<_, rdkafka::error::KafkaError>(
                        metadata.topics().iter().find(|t| t.name() == topic).map(|t| {
                            (t.error(), t.partitions().iter().map(|p| p.id()).collect::<Vec<_>>())
                        }),
                    )
                })
                .await
                .map_err(|e| Attempt::Fatal(format!("metadata task failed: {e}")))?;
                match fetched {
                    Ok(Some((None, partitions))) if !partitions.is_empty() => {
                        let mut partitions = partitions;
                        partitions.sort_unstable();
                        Ok(partitions)
                    }
                    Ok(Some((Some(code), _))) => {
                        Err(Attempt::Retry(format!("metadata says {code:?}")))
                    }
                    Ok(_) => Err(Attempt::Retry("the topic has no partitions yet".to_owned())),
                    Err(e) => Err(Attempt::Retry(e.to_string())),
                }
            }
        })
        .await
        .map_err(|e| {
            let waited = match &e {
                crate::retry::RetryError::TimedOut { elapsed, .. }
                | crate::retry::RetryError::Fatal { elapsed, .. } => *elapsed,
            };
            KafkaError::TopicMissing {
                topic: config.topic.clone(),
                bootstrap: config.bootstrap.clone(),
                waited,
                last: e.into_inner(),
            }
        })
}

impl RecordSource for SinkReader {
    fn topic(&self) -> &str {
        &self.config.topic
    }

    fn caught_up(&self) -> bool {
        !self.last_batch_full
    }

    async fn poll(&mut self, wait: Duration) -> Result<Vec<ReceivedRecord>, KafkaError> {
        let mut records = Vec::new();
        let mut budget = wait;
        // Wait up to `wait` for the first record, then take what is already there.
        while records.len() < MAX_BATCH {
            let message = match tokio::time::timeout(budget, self.consumer.recv()).await {
                Err(_elapsed) => break,
                Ok(Ok(message)) => message,
                // Transport hiccups surface here and heal by themselves; a topic that is
                // gone does not.
                Ok(Err(e))
                    if e.rdkafka_error_code()
                        == Some(RDKafkaErrorCode::UnknownTopicOrPartition) =>
                {
                    return Err(consume_error(&self.config, e))
                }
                Ok(Err(e)) => {
                    tracing::debug!(topic = %self.config.topic, error = %e, "transient consumer error");
                    break;
                }
            };
            records.push(ReceivedRecord {
                partition: message.partition(),
                offset: message.offset(),
                key: message.key().map(<[u8]>::to_vec),
                value: message.payload().map(<[u8]>::to_vec),
                timestamp: message.timestamp().to_millis(),
                headers: message
                    .headers()
                    .map(|h| {
                        h.iter().map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec))).collect()
                    })
                    .unwrap_or_default(),
            });
            budget = Duration::ZERO;
        }
        self.last_batch_full = records.len() >= MAX_BATCH;
        Ok(records)
    }
}
