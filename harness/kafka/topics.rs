//! Creating and deleting the scenario's sink topic through the admin API: on the harness's own
//! broker and on a `--target`'s, where only topics the harness created are ever deleted.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;
use std::time::Duration;

/// How many copies of each partition a new topic gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replication {
    /// One copy: the harness's single broker.
    Single,
    /// The broker's `default.replication.factor` (KIP-464, Kafka 2.4+): a shared cluster's policy.
    BrokerDefault,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot {action} topic {topic} on {bootstrap}: {message}")]
pub struct TopicError {
    /// `create`, `delete` or `list`.
    pub action: &'static str,
    pub topic: String,
    pub bootstrap: String,
    pub message: String,
}

impl TopicError {
    /// Turns a cause into the error of `action` on `topic`.
    fn of<'a>(
        action: &'static str,
        bootstrap: &'a str,
        topic: &'a str,
    ) -> impl Fn(String) -> TopicError + Copy + 'a {
        move |message| TopicError {
            action,
            topic: topic.into(),
            bootstrap: bootstrap.into(),
            message,
        }
    }
}

/// Whether a deleted topic existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicDeleted {
    Deleted,
    Absent,
}

const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn create_topic(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    replication: Replication,
) -> Result<(), TopicError> {
    let error = TopicError::of("create", bootstrap, topic);
    let admin = admin_client(bootstrap).map_err(error)?;
    let copies = match replication {
        Replication::Single => 1,
        Replication::BrokerDefault => -1,
    };
    let new_topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(copies));
    let options = AdminOptions::new().operation_timeout(Some(OPERATION_TIMEOUT));
    let results =
        admin.create_topics([&new_topic], &options).await.map_err(|e| error(e.to_string()))?;
    for result in results {
        result.map_err(|(_, code)| error(code.to_string()))?;
    }
    Ok(())
}

pub async fn delete_topic(bootstrap: &str, topic: &str) -> Result<TopicDeleted, TopicError> {
    let error = TopicError::of("delete", bootstrap, topic);
    let admin = admin_client(bootstrap).map_err(error)?;
    let options = AdminOptions::new().operation_timeout(Some(OPERATION_TIMEOUT));
    let results =
        admin.delete_topics(&[topic], &options).await.map_err(|e| error(e.to_string()))?;
    let mut deleted = TopicDeleted::Deleted;
    for result in results {
        match result {
            Ok(_) => {}
            Err((_, RDKafkaErrorCode::UnknownTopicOrPartition)) => deleted = TopicDeleted::Absent,
            Err((_, code)) => return Err(error(code.to_string())),
        }
    }
    Ok(deleted)
}

/// Every topic's name, from a metadata request.
pub async fn list_topics(bootstrap: &str) -> Result<Vec<String>, TopicError> {
    let error = TopicError::of("list", bootstrap, "*");
    let admin = admin_client(bootstrap).map_err(error)?;
    tokio::task::spawn_blocking(move || {
        admin
            .inner()
            .fetch_metadata(None, OPERATION_TIMEOUT)
            .map(|m| m.topics().iter().map(|t| t.name().to_string()).collect())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| error(e.to_string()))?
    .map_err(error)
}

/// An admin client that fails fast when nothing answers (a metadata request proves the broker).
pub fn admin_client(bootstrap: &str) -> Result<AdminClient<DefaultClientContext>, String> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("socket.connection.setup.timeout.ms", "2000")
        .create()
        .map_err(|e| e.to_string())
}
