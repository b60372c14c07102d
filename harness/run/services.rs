//! Where a run's services are: the containers of a stack the harness started, or the existing
//! services of a `--target` file. The run engine reaches both the same way; only what needs
//! containers (restarts, pausing the broker, a second slot reader inside the PostgreSQL
//! container, container logs) asks for the stack.

use crate::flink::FlinkEndpoints;
use crate::kafka::{Replication, TopicDeleted, TopicError};
use crate::stack::target::Target;
use crate::stack::{PostgresEndpoint, Stack};

#[derive(Clone, Copy)]
pub enum Services<'a> {
    Stack(&'a Stack),
    Target(&'a Target),
}

impl<'a> Services<'a> {
    pub fn postgres(&self) -> &'a PostgresEndpoint {
        match self {
            Services::Stack(stack) => &stack.endpoints().postgres,
            Services::Target(target) => &target.postgres,
        }
    }

    /// `bootstrap.servers` for the harness (admin client, verifier).
    pub fn kafka_bootstrap(&self) -> &'a str {
        match self {
            Services::Stack(stack) => &stack.endpoints().kafka.bootstrap_host,
            Services::Target(target) => &target.kafka.bootstrap,
        }
    }

    /// `properties.bootstrap.servers` for generated Flink SQL.
    pub fn kafka_bootstrap_for_flink(&self) -> &'a str {
        match self {
            Services::Stack(stack) => &stack.endpoints().kafka.bootstrap_network,
            Services::Target(target) => &target.kafka.flink_bootstrap,
        }
    }

    pub fn flink(&self) -> FlinkEndpoints {
        match self {
            Services::Stack(stack) => FlinkEndpoints::from(&stack.endpoints().flink),
            Services::Target(target) => FlinkEndpoints {
                rest_url: target.flink.rest_url.clone(),
                gateway_url: target.flink.gateway_url.clone(),
            },
        }
    }

    /// Kafka Connect's REST API from the host, when the services have one.
    pub fn connect_url(&self) -> Option<&'a str> {
        match self {
            Services::Stack(stack) => {
                stack.endpoints().connect.as_ref().map(|c| c.rest_url.as_str())
            }
            Services::Target(target) => target.connect_url.as_deref(),
        }
    }

    /// The harness's own containers; `None` for a target.
    pub fn stack(&self) -> Option<&'a Stack> {
        match self {
            Services::Stack(stack) => Some(stack),
            Services::Target(_) => None,
        }
    }

    pub async fn create_topic(&self, topic: &str) -> Result<(), TopicError> {
        let replication = match self {
            Services::Stack(_) => Replication::Single,
            Services::Target(target) => target.kafka.replication,
        };
        crate::kafka::create_topic(self.kafka_bootstrap(), topic, 1, replication).await
    }

    pub async fn delete_topic(&self, topic: &str) -> Result<TopicDeleted, TopicError> {
        crate::kafka::delete_topic(self.kafka_bootstrap(), topic).await
    }

    pub async fn list_topics(&self) -> Result<Vec<String>, TopicError> {
        crate::kafka::list_topics(self.kafka_bootstrap()).await
    }
}
