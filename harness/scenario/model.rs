//! The validated scenario: what the run engine, the SQL generator and the verifier consume.
//!
//! Every type here is plain data. Spans point into [`Scenario::file`] so that a later failure
//! (a step that errors, an expectation that does not hold) can name the file, line and column.

use crate::diagnostics::{SourceFile, Span};
use serde_json::Value;
use std::time::Duration;

/// One scenario file, parsed and validated.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario file's text, for rendering findings that point into it.
    pub file: SourceFile,
    /// A short identifier; also the base of the names the harness derives (slot, topic...).
    pub name: String,
    pub description: Option<String>,
    /// SQL run once in PostgreSQL before the Flink job is submitted.
    pub setup: Option<EmbeddedSql>,
    pub source: Source,
    /// For a `debezium` source: the Kafka Connect connector that writes the table's changes to
    /// Kafka, where the Flink source table reads them.
    pub debezium: Option<DebeziumSource>,
    pub sink: Sink,
    pub flink: FlinkSettings,
    /// Run in order after the job starts (or around an explicit [`JobAction::Start`] step).
    pub steps: Vec<Step>,
    /// Checked after the last step, in order.
    pub expectations: Vec<Expectation>,
    pub timeouts: Timeouts,
}

impl Scenario {
    /// The Flink SQL written in the file itself (verbatim source and sink, `[flink] insert`), for
    /// `lint`: each has its byte region in [`Scenario::file`] when it maps one to one.
    pub fn embedded_flink_sql(&self) -> Vec<&EmbeddedSql> {
        let source = match &self.source {
            Source::Verbatim(sql) => Some(sql),
            Source::Structured(_) => None,
        };
        let sink = match &self.sink {
            Sink::Verbatim(sql) => Some(sql),
            Sink::Structured(_) => None,
        };
        source.into_iter().chain(sink).chain(self.flink.insert.as_ref()).collect()
    }

    /// The source's connector: a structured source's, Debezium's, or `None` for verbatim SQL
    /// (whose WITH clause names it).
    pub fn source_connector(&self) -> Option<SourceConnector> {
        match self.debezium {
            Some(_) => Some(SourceConnector::Debezium),
            None => self.source.connector(),
        }
    }

    /// The index of the step that starts the job; without one the job starts before the first step.
    pub fn job_start_step(&self) -> Option<usize> {
        self.steps.iter().position(|s| matches!(s.kind, StepKind::Job(JobAction::Start)))
    }
}

/// SQL (or any text) embedded in the scenario file, with where it sits in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedSql {
    /// The decoded string value.
    pub text: String,
    /// The whole TOML string token, quotes included.
    pub span: Span,
    /// Where `text` lies byte for byte in the file. `None` when the TOML string has escapes (a
    /// `"basic"` string), so positions inside it can only be given relative to the string.
    pub region: Option<Span>,
}

/// A qualified PostgreSQL table name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    pub schema: String,
    pub table: String,
    pub span: Span,
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.table)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceConnector {
    /// postgres-cdc (Flink CDC; Aiven: cdc-postgres): logical replication, streaming.
    Cdc,
    /// jdbc (Aiven: JDBC): a bounded scan of the table.
    Jdbc,
    /// Debezium's PostgreSQL connector on Kafka Connect writes the changes to a topic; Flink
    /// reads it with the `kafka` connector and the `debezium-json` format.
    Debezium,
}

#[derive(Debug, Clone)]
pub enum Source {
    Structured(StructuredSource),
    /// A CREATE TABLE pasted from the Aiven console; endpoints are rewritten to the target.
    Verbatim(EmbeddedSql),
}

impl Source {
    /// The connector, when the source is structured (verbatim SQL names it in its WITH clause).
    pub fn connector(&self) -> Option<SourceConnector> {
        match self {
            Source::Structured(s) => Some(s.connector),
            Source::Verbatim(_) => None,
        }
    }
}

/// The Debezium connector of a `debezium` source: generated from `table` and `options`, or the
/// configuration as users post it to Kafka Connect (`config`, JSON).
#[derive(Debug, Clone)]
pub struct DebeziumSource {
    /// The table Debezium captures (the harness publishes it and reads its columns).
    pub table: TableName,
    /// Debezium connector properties added to the generated configuration, in file order.
    pub options: Vec<ConnectorOption>,
    /// The configuration as posted to Kafka Connect: `{"name": ..., "config": {...}}` or the
    /// `config` object alone.
    pub config: Option<EmbeddedSql>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct StructuredSource {
    pub connector: SourceConnector,
    pub table: TableName,
    /// `None`: derived from PostgreSQL (the setup SQL's CREATE TABLE, or the live catalog).
    pub columns: Option<Vec<Column>>,
    /// `None`: none declared (derived from PostgreSQL together with the columns).
    pub primary_key: Option<Vec<Spanned<String>>>,
    /// Extra connector options, in file order (`'slot.name'`, `'scan.fetch-size'`, ...).
    pub options: Vec<ConnectorOption>,
    /// The Flink table name.
    pub flink_name: String,
    pub span: Span,
}

/// A Flink column: name and Flink SQL type, as written in a CREATE TABLE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// A Flink type such as `INT NOT NULL` or `DECIMAL(10, 2)`.
    pub flink_type: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorOption {
    pub key: String,
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Sink {
    Structured(StructuredSink),
    Verbatim(EmbeddedSql),
}

#[derive(Debug, Clone)]
pub struct StructuredSink {
    pub kind: SinkKind,
    pub topic: Spanned<String>,
    /// `None`: the source's columns.
    pub columns: Option<Vec<Column>>,
    /// `None`: the source's primary key (upsert-kafka needs one).
    pub primary_key: Option<Vec<Spanned<String>>>,
    pub options: Vec<ConnectorOption>,
    pub flink_name: String,
    pub span: Span,
}

/// What a Kafka sink writes, which decides how the verifier decodes records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// `kafka` + `json`: one JSON object per row, no key, append-only.
    KafkaJson,
    /// `kafka` + `debezium-json`: `{"before", "after", "op"}` envelopes, no key.
    KafkaDebeziumJson,
    /// `upsert-kafka` with JSON key and value: the key is the primary key, deletes are tombstones.
    UpsertKafkaJson,
}

impl SinkKind {
    pub fn connector(self) -> &'static str {
        match self {
            SinkKind::KafkaJson | SinkKind::KafkaDebeziumJson => "kafka",
            SinkKind::UpsertKafkaJson => "upsert-kafka",
        }
    }
}

/// Flink job settings (`SET 'key' = 'value';`) and an optional hand-written INSERT.
#[derive(Debug, Clone, Default)]
pub struct FlinkSettings {
    pub settings: Vec<ConnectorOption>,
    /// Replaces the generated `INSERT INTO sink SELECT ... FROM source`.
    pub insert: Option<EmbeddedSql>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub kind: StepKind,
    /// An optional label shown in reports.
    pub name: Option<String>,
    /// How long a waiting step (wait_until, verify_slot, job actions, faults) may take; the
    /// `[timeouts] step` default is already applied.
    pub timeout: Duration,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StepKind {
    /// SQL run in PostgreSQL (several statements allowed; sent as one simple-query batch).
    Sql(EmbeddedSql),
    /// Sleep for a fixed time.
    Wait(Duration),
    /// Poll a query until its first column of the first row is `true` (or the timeout passes).
    WaitUntil(EmbeddedSql),
    /// N generated inserts, updates or deletes, for volume tests.
    Generate(Generator),
    /// Control the Flink job.
    Job(JobAction),
    /// Control a Debezium source's connector through Kafka Connect's REST API.
    Connector(ConnectorAction),
    /// Break something on purpose.
    Fault(Fault),
    /// Check the replication slot; retried until the step's timeout, like every check.
    VerifySlot(SlotCheck),
}

/// Generates `count` statements from a template where `{n}` is the row number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    pub change: ChangeKind,
    /// The PostgreSQL table, as written (`public.orders`).
    pub table: String,
    pub count: u64,
    /// The first `{n}`.
    pub first: u64,
    /// Statements per transaction.
    pub per_transaction: u64,
    /// Insert: the VALUES tuple; update: the SET list; delete: unused.
    pub template: String,
    /// Update/delete: the WHERE condition.
    pub condition: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Update,
    Delete,
}

impl Generator {
    /// The statement for row number `n`.
    pub fn statement(&self, n: u64) -> String {
        let fill = |t: &str| t.replace("{n}", &n.to_string());
        match self.change {
            ChangeKind::Insert => {
                format!("INSERT INTO {} VALUES {}", self.table, fill(&self.template))
            }
            ChangeKind::Update => format!(
                "UPDATE {} SET {} WHERE {}",
                self.table,
                fill(&self.template),
                fill(self.condition.as_deref().unwrap_or("false"))
            ),
            ChangeKind::Delete => format!(
                "DELETE FROM {} WHERE {}",
                self.table,
                fill(self.condition.as_deref().unwrap_or("false"))
            ),
        }
    }

    /// The batches to send, one transaction each (`per_transaction` statements joined by `;`).
    pub fn transactions(&self) -> impl Iterator<Item = String> + '_ {
        let end = self.first + self.count;
        let step = self.per_transaction.max(1);
        (self.first..end).step_by(step as usize).map(move |start| {
            (start..(start + step).min(end))
                .map(|n| self.statement(n))
                .collect::<Vec<_>>()
                .join(";\n")
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    /// Submit the job here instead of before the first step.
    Start,
    /// Stop with a savepoint (the job can be resumed from it).
    StopWithSavepoint,
    /// Cancel without a savepoint.
    Cancel,
    ResumeFromSavepoint,
    ResumeFromCheckpoint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorAction {
    /// `PUT /connectors/<name>/pause`: the task stops reading, its slot goes inactive.
    Pause,
    Resume,
    /// Restarts the connector and its task; waits until it streams again.
    Restart,
    /// Deletes the connector (its slot stays, retaining WAL).
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    RestartTaskManager,
    RestartJobManager,
    RestartPostgres,
    /// `pg_terminate_backend(active_pid)` of the slot's walsender.
    TerminateWalsender,
    /// Hold the slot from another connection (start this before the job).
    OccupySlot,
    /// Release a slot held by `occupy-slot`.
    ReleaseSlot,
    DropSlot,
    PauseBroker,
    UnpauseBroker,
    /// Write this many bytes of WAL (e.g. while the job is stopped).
    GenerateWal {
        bytes: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotCheck {
    /// `None`: the scenario's own slot.
    pub slot: Option<String>,
    pub state: SlotState,
    /// Retained WAL (`pg_current_wal_lsn() - restart_lsn`) must stay at or under this.
    pub max_retained_wal_bytes: Option<u64>,
    /// Retained WAL must be at least this: an idle slot holding back what was written since.
    pub min_retained_wal_bytes: Option<u64>,
    /// `confirmed_flush_lsn` must move past its value at the previous check or change.
    pub confirmed_flush_advances: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotState {
    Exists,
    Absent,
    Active,
    Inactive,
}

/// What must arrive in the sink topic.
#[derive(Debug, Clone)]
pub struct Expectation {
    pub mode: ExpectMode,
    /// Changelog / contains: the records; final-state: the rows left at the end. Empty for count.
    pub records: Vec<ExpectedRecord>,
    /// Count mode: exactly this many records.
    pub count: Option<u64>,
    /// Whether a record may arrive more than once (at-least-once sinks after a fault).
    pub allow_duplicates: bool,
    /// For sinks without Kafka keys (kafka + json/debezium-json): changelog order is checked per
    /// value of these fields, read from the JSON value (debezium-json: from `after`, or `before`
    /// for deletes). Empty: records group by Kafka key, and unkeyed records form one group.
    pub group_by: Vec<String>,
    /// How long to consume before giving up (defaults applied).
    pub timeout: Duration,
    /// After the expectation holds, keep consuming this long to catch extra records.
    pub quiet_period: Duration,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectMode {
    /// Per Kafka key (records without a key form one group), exactly these records in this order,
    /// and nothing else.
    Changelog,
    /// The table rebuilt from the changelog (upsert: last value per key, tombstones delete;
    /// debezium: `c` adds `after`, `d` removes `before`; json: every value is a row) equals these
    /// rows, in any order.
    FinalState,
    /// Each of these records arrives (in any order); others may too.
    Contains,
    /// Exactly `count` records arrive.
    Count,
}

/// One expected Kafka record.
///
/// Keys and values are the TOML written in the scenario, as JSON, for the verifier's
/// `ExpectedValue::from_json` (crate::expect): objects must have exactly the received fields, a
/// NULL is written `{ "$null" = true }`, and other `$` tables (`$any`, `$decimal`, `$base64`,
/// `$json`...) say how to compare. An unquoted TOML date-time arrives here as
/// `{ "$timestamp": "2024-01-31T12:00:00" }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedRecord {
    /// The Kafka key decoded as JSON (upsert-kafka); `None` when the record has no key.
    pub key: Option<Value>,
    pub value: RecordValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordValue {
    /// A JSON value (json, upsert-kafka, and a final-state row).
    Json(Value),
    /// A null Kafka value: upsert-kafka's delete.
    Tombstone,
    /// A debezium-json envelope. Flink writes an update as `d` (before) then `c` (after).
    Change { op: ChangeOp, before: Option<Value>, after: Option<Value> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOp {
    Create,
    Update,
    Delete,
    Read,
}

impl ChangeOp {
    /// The `op` field as debezium writes it.
    pub fn code(self) -> &'static str {
        match self {
            ChangeOp::Create => "c",
            ChangeOp::Update => "u",
            ChangeOp::Delete => "d",
            ChangeOp::Read => "r",
        }
    }
}

/// Per-phase time limits; every one has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Running the PostgreSQL setup SQL.
    pub setup: Duration,
    /// From submission until the job is RUNNING (streaming) or FINISHED (bounded scan).
    pub job: Duration,
    /// Default for each waiting step.
    pub step: Duration,
    /// Default for each expectation.
    pub expect: Duration,
    /// Default quiet period after an expectation holds.
    pub quiet_period: Duration,
    /// Stopping the job and dropping what the scenario created.
    pub teardown: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            setup: Duration::from_secs(30),
            job: Duration::from_secs(120),
            step: Duration::from_secs(30),
            expect: Duration::from_secs(60),
            quiet_period: Duration::from_secs(2),
            teardown: Duration::from_secs(30),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_batches_statements_into_transactions() {
        let g = Generator {
            change: ChangeKind::Update,
            table: "public.orders".into(),
            count: 5,
            first: 10,
            per_transaction: 2,
            template: "quantity = quantity + {n}".into(),
            condition: Some("id = {n}".into()),
        };
        let tx: Vec<String> = g.transactions().collect();
        assert_eq!(tx.len(), 3);
        assert_eq!(
            tx[0],
            "UPDATE public.orders SET quantity = quantity + 10 WHERE id = 10;\n\
             UPDATE public.orders SET quantity = quantity + 11 WHERE id = 11"
        );
        assert_eq!(tx[2], "UPDATE public.orders SET quantity = quantity + 14 WHERE id = 14");
    }
}
