//! The parts one scenario works with: its names, its PostgreSQL sessions, its job, its
//! artefacts. Shared parts (stack, submitter) stay in the [`Suite`](super::Suite).

use super::plan::Planned;
use super::services::Services;
use crate::flink::SubmittedJob;
use crate::postgres::{Cleanup, PgClient, PgConfig};
use crate::report::{ArtefactKind, ScenarioArtefacts};
use crate::scenario::Scenario;
use crate::sql::generate::{PostgresEndpoint, Target};

/// PostgreSQL as the harness reaches it from the host.
pub struct Pg {
    /// The superuser on the stack's own database: creates and drops the scenario's database.
    pub admin: PgClient,
    /// The superuser on the scenario's database: setup and step SQL.
    pub db: Option<PgClient>,
    /// What the scenario created (database, publication, slot), dropped at teardown.
    pub cleanup: Cleanup,
}

/// The scenario's Flink job: the one running now, or the last one that ran.
pub struct Job {
    pub submitted: SubmittedJob,
    /// A JDBC scan FINISHES by itself; a streaming job is cancelled at teardown.
    pub bounded: bool,
    /// The SQL it runs, resubmitted by the resume steps.
    pub script: String,
    /// Where `job = "stop-with-savepoint"` put its savepoint, for `resume-from-savepoint`.
    pub savepoint: Option<String>,
}

pub struct ScenarioContext<'p> {
    pub planned: &'p Planned,
    pub pg: Option<Pg>,
    pub job: Option<Job>,
    pub artefacts: Option<ScenarioArtefacts>,
    /// The PostgreSQL SQL run so far (setup, steps), for `postgres.sql`.
    pub postgres_sql: String,
    /// Per slot, the `confirmed_flush_lsn` its last `verify_slot` saw (what "advances" is
    /// measured from).
    pub flush_marks: std::collections::HashMap<String, u64>,
    /// Slots held by `fault = "occupy-slot"`, released by `release-slot` or at teardown.
    pub occupied: Vec<String>,
    /// The scenario's topic exists (teardown deletes it where the services keep topics).
    pub topic_created: bool,
    /// The Debezium connector posted to Kafka Connect (teardown deletes it, then its topics).
    pub connector: Option<String>,
    /// Debezium's topics may exist (teardown deletes every topic under the run's prefix).
    pub debezium_topics: bool,
}

impl<'p> ScenarioContext<'p> {
    pub fn scenario(&self) -> &'p Scenario {
        &self.planned.scenario
    }

    /// The scenario's database session; setup creates it before any step runs.
    pub fn db(&self) -> &PgClient {
        self.pg
            .as_ref()
            .and_then(|pg| pg.db.as_ref())
            .expect("setup connected to the scenario's database")
    }

    /// Notes scenario SQL about to run, for the artefacts.
    pub fn record_sql(&mut self, sql: &crate::scenario::EmbeddedSql) {
        let line = self.scenario().file.line_col(sql.span.start).line;
        self.postgres_sql.push_str(&format!(
            "-- {}:{line}\n{}\n\n",
            self.scenario().file.name(),
            sql.text.trim()
        ));
        let text = self.postgres_sql.clone();
        self.save(ArtefactKind::PostgresSql, &text);
    }

    /// Writes an artefact; a failure to write is logged, never the scenario's failure.
    pub fn save(&mut self, kind: ArtefactKind, text: &str) {
        if let Some(artefacts) = &mut self.artefacts {
            if let Err(e) = artefacts.write(kind, text) {
                tracing::warn!("artefact {}: {e}", kind.file_name());
            }
        }
    }
}

/// Where the generated SQL points: the services as Flink reaches them, and the scenario's names.
pub fn target(services: Services<'_>, planned: &Planned) -> Target {
    let pg = services.postgres();
    let names = &planned.names;
    Target {
        postgres: PostgresEndpoint {
            host: pg.network_host.clone(),
            port: pg.network_port,
            database: names.database.clone(),
            username: pg.replication.user.clone(),
            password: pg.replication.password.clone(),
        },
        kafka_bootstrap: services.kafka_bootstrap_for_flink().to_string(),
        topic: names.topic.clone(),
        slot_name: names.slot.clone(),
        publication_name: names.publication.clone(),
        connector_name: names.connector.clone(),
        topic_prefix: names.topic_prefix.clone(),
    }
}

/// The login that creates and drops the scenario databases (the stack's superuser, a target's
/// `admin`), on the services' own database.
pub fn admin_config(services: Services<'_>) -> PgConfig {
    let pg = services.postgres();
    PgConfig::new(
        &pg.host,
        pg.port,
        &pg.superuser.user,
        pg.superuser.password.clone(),
        &pg.database,
    )
}
