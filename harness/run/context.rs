//! The parts one scenario works with: its names, its PostgreSQL sessions, its job, its
//! artefacts. Shared parts (stack, submitter) stay in the [`Suite`](super::Suite).

use super::plan::Planned;
use crate::flink::SubmittedJob;
use crate::postgres::{Cleanup, PgClient, PgConfig};
use crate::report::{ArtefactKind, ScenarioArtefacts};
use crate::scenario::Scenario;
use crate::sql::generate::{PostgresEndpoint, Target};
use crate::stack::Endpoints;

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

/// Where the generated SQL points: the stack's in-network services and the scenario's names.
pub fn target(endpoints: &Endpoints, planned: &Planned) -> Target {
    let pg = &endpoints.postgres;
    let names = &planned.names;
    Target {
        postgres: PostgresEndpoint {
            host: pg.network_host.clone(),
            port: pg.network_port,
            database: names.database.clone(),
            username: pg.replication.user.clone(),
            password: pg.replication.password.clone(),
        },
        kafka_bootstrap: endpoints.kafka.bootstrap_network.clone(),
        topic: names.topic.clone(),
        slot_name: names.slot.clone(),
        publication_name: names.publication.clone(),
    }
}

/// The superuser on the stack's database.
pub fn admin_config(endpoints: &Endpoints) -> PgConfig {
    let pg = &endpoints.postgres;
    PgConfig::new(
        &pg.host,
        pg.port,
        &pg.superuser.user,
        pg.superuser.password.clone(),
        &pg.database,
    )
}
