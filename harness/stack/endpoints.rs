//! Where a running stack's services answer: from the host (ports published on 127.0.0.1, or a
//! container's address on the stack's network) and from inside the network (container names),
//! which is what generated Flink SQL uses.

use super::images::{Images, KafkaFlavour};
use crate::secret::{redact, Secret};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Endpoints {
    pub run_id: String,
    /// The Docker network every container is on.
    pub network: String,
    pub postgres: PostgresEndpoint,
    pub kafka: KafkaEndpoint,
    pub flink: FlinkEndpoint,
    /// Kafka Connect, when the stack runs it.
    pub connect: Option<ConnectEndpoint>,
    pub images: Images,
}

/// A PostgreSQL login.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Credentials {
    pub user: String,
    pub password: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PostgresEndpoint {
    /// From the host: always 127.0.0.1.
    pub host: String,
    pub port: u16,
    /// From the stack's network (Flink): the container name.
    pub network_host: String,
    pub network_port: u16,
    pub database: String,
    pub superuser: Credentials,
    /// LOGIN REPLICATION, not a superuser.
    pub replication: Credentials,
}

impl PostgresEndpoint {
    /// A tokio-postgres configuration reaching the server from the host as `who`.
    pub fn host_config(&self, who: &Credentials) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .user(&who.user)
            .password(who.password.expose())
            .dbname(&self.database)
            .connect_timeout(std::time::Duration::from_secs(5));
        config
    }

    /// `postgres://user:password@127.0.0.1:port/db`: holds the password, never print it.
    pub fn host_url(&self, who: &Credentials) -> String {
        format!(
            "postgres://{}:{}@{}:{}/{}",
            who.user,
            who.password.expose(),
            self.host,
            self.port,
            self.database
        )
    }

    /// [`Self::host_url`] with the password redacted, for people.
    pub fn display_url(&self, who: &Credentials) -> String {
        redact(&self.host_url(who))
    }

    /// The JDBC URL Flink uses inside the network (no credentials in it).
    pub fn jdbc_url(&self) -> String {
        format!("jdbc:postgresql://{}:{}/{}", self.network_host, self.network_port, self.database)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KafkaEndpoint {
    pub flavour: KafkaFlavour,
    /// `bootstrap.servers` for clients on the host (the harness's rdkafka).
    pub bootstrap_host: String,
    /// `properties.bootstrap.servers` for Flink and other containers on the network.
    pub bootstrap_network: String,
}

/// Kafka Connect's REST API.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConnectEndpoint {
    /// From the host.
    pub rest_url: String,
    /// From the stack's network.
    pub rest_url_network: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FlinkEndpoint {
    /// The exact Flink version, e.g. `2.0.1`.
    pub version: String,
    /// JobManager REST API and web UI from the host.
    pub rest_url: String,
    /// JobManager REST API from the network.
    pub rest_url_network: String,
    /// SQL Gateway REST API from the host, when the image has a gateway.
    pub gateway_url: Option<String>,
    pub gateway_url_network: Option<String>,
    /// Where the SQL-runner jar is inside the Flink image (for jar submission).
    pub sql_runner_jar: String,
    pub taskmanagers: u32,
    pub task_slots: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> PostgresEndpoint {
        let who = |user: &str| Credentials { user: user.into(), password: Secret::new("s3cret") };
        PostgresEndpoint {
            host: "127.0.0.1".into(),
            port: 40001,
            network_host: "cdc-abc-postgres".into(),
            network_port: 5432,
            database: "harness".into(),
            superuser: who("postgres"),
            replication: who("replicator"),
        }
    }

    #[test]
    fn urls_for_people_never_hold_the_password() {
        let pg = endpoint();
        assert_eq!(
            pg.display_url(&pg.replication),
            "postgres://replicator:******@127.0.0.1:40001/harness"
        );
        assert!(pg.host_url(&pg.superuser).contains("s3cret"));
        assert_eq!(pg.jdbc_url(), "jdbc:postgresql://cdc-abc-postgres:5432/harness");
        assert!(!serde_json::to_string(&pg).unwrap().contains("s3cret"));
    }
}
