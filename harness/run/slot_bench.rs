//! `cdc-harness bench slots`: what an idle replication slot costs, measured on the stack's
//! PostgreSQL.
//!
//! - Retained WAL per byte of row changes written while no reader consumes the slot (an idle
//!   slot, as a cancelled CDC job leaves it), over a few sizes.
//! - How long a resumed reader takes to catch up after N MB were written while it was stopped.
//!
//! The reader is `pg_recvlogical` with `pgoutput` inside the PostgreSQL container, STANDING IN
//! for the postgres-cdc connector (which the local images lack): it decodes the same output
//! plugin from the same slot, without Flink's own per-record work.

use crate::postgres::{
    create_database, create_logical_slot, create_publication, drop_slot, find_slot, run_script,
    Cleanup, PgClient, PgConfig, PgError,
};
use crate::stack::Stack;
use std::time::{Duration, Instant};
use testcontainers::core::ExecCommand;

/// Bytes of text per generated row (plus an 8-byte key).
const PAYLOAD_BYTES: u64 = 200;
const TABLE: &str = "public.bench_rows";
const WAIT: Duration = Duration::from_secs(60);

/// One size of row changes written behind an idle slot.
#[derive(Debug, Clone)]
pub struct Retention {
    pub rows: u64,
    /// Key + payload bytes of the rows inserted.
    pub change_bytes: u64,
    /// WAL written meanwhile (`pg_current_wal_lsn` difference).
    pub wal_bytes: u64,
    /// How much the slot's retained WAL grew.
    pub retained_growth: u64,
}

/// One catch-up of a resumed reader.
#[derive(Debug, Clone)]
pub struct CatchUp {
    /// WAL written while the reader was stopped.
    pub backlog_wal_bytes: u64,
    pub change_bytes: u64,
    /// From starting the reader until it exits at the WAL position reached by the writes.
    pub elapsed: Duration,
}

#[derive(Debug, Clone)]
pub struct SlotFigures {
    pub retention: Vec<Retention>,
    pub catch_up: Vec<CatchUp>,
    /// The same reader started with nothing to catch up on (connection and start-up).
    pub empty_catch_up: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum SlotBenchError {
    #[error(transparent)]
    Postgres(#[from] PgError),
    #[error("pg_recvlogical (the stand-in reader) failed: {0}")]
    Reader(String),
}

/// Measures on `stack`'s PostgreSQL in a database of its own, dropped afterwards with its slot.
pub async fn measure(
    stack: &Stack,
    retention_mb: &[u64],
    catch_up_mb: &[u64],
) -> Result<SlotFigures, SlotBenchError> {
    let pg = &stack.endpoints().postgres;
    let admin_config = PgConfig::new(
        &pg.host,
        pg.port,
        &pg.superuser.user,
        pg.superuser.password.clone(),
        &pg.database,
    );
    let admin = PgClient::connect(&admin_config).await?;
    let names = crate::postgres::IsolatedNames::derive("bench-slots", &stack.endpoints().run_id);
    let mut cleanup = Cleanup::default();
    let outcome = async {
        let db = PgClient::connect(&create_database(&admin, &names.database, &mut cleanup).await?)
            .await?;
        run_script(
            &db,
            &format!("CREATE TABLE {TABLE} (id BIGINT PRIMARY KEY, payload TEXT NOT NULL)"),
        )
        .await?;
        create_publication(&db, &names.publication, &[TABLE]).await?;
        cleanup.own_publication(&names.database, &names.publication);
        create_logical_slot(&db, &names.slot, "pgoutput").await?;
        cleanup.own_slot(&names.slot);
        let bench = Bench { stack, db: &db, names: &names, next_id: 1 };
        bench.run(retention_mb, catch_up_mb).await
    }
    .await;
    if let Err(e) = drop_slot(&admin, &names.slot, true, WAIT).await {
        tracing::warn!("dropping the bench slot: {e}");
    }
    let report = cleanup.run(&admin, WAIT).await;
    for e in &report.errors {
        tracing::warn!("bench cleanup: {e}");
    }
    outcome
}

struct Bench<'a> {
    stack: &'a Stack,
    db: &'a PgClient,
    names: &'a crate::postgres::IsolatedNames,
    next_id: u64,
}

impl Bench<'_> {
    async fn run(
        mut self,
        retention_mb: &[u64],
        catch_up_mb: &[u64],
    ) -> Result<SlotFigures, SlotBenchError> {
        let mut retention = Vec::new();
        for &mb in retention_mb {
            let before = self.retained().await?;
            let start = self.wal_lsn().await?;
            let (rows, change_bytes) = self.write(mb).await?;
            let wal_bytes = self.wal_lsn().await? - start;
            let after = self.retained().await?;
            retention.push(Retention {
                rows,
                change_bytes,
                wal_bytes,
                retained_growth: after.saturating_sub(before),
            });
        }
        // The reader catches up with what the retention rounds left, then stops.
        self.read_to_end().await?;
        let empty_catch_up = self.read_to_end().await?;
        let mut catch_up = Vec::new();
        for &mb in catch_up_mb {
            let start = self.wal_lsn().await?;
            let (_, change_bytes) = self.write(mb).await?;
            let backlog_wal_bytes = self.wal_lsn().await? - start;
            let elapsed = self.read_to_end().await?;
            catch_up.push(CatchUp { backlog_wal_bytes, change_bytes, elapsed });
        }
        Ok(SlotFigures { retention, catch_up, empty_catch_up })
    }

    /// Inserts about `mb` MiB of row data (keys + payloads) in one statement.
    async fn write(&mut self, mb: u64) -> Result<(u64, u64), PgError> {
        let rows = (mb << 20) / (PAYLOAD_BYTES + 8);
        let first = self.next_id;
        let last = first + rows - 1;
        self.next_id = last + 1;
        run_script(
            self.db,
            &format!(
                "INSERT INTO {TABLE} SELECT n, repeat(md5(n::text), {}) FROM generate_series({first}, {last}) AS n",
                PAYLOAD_BYTES / 32
            ),
        )
        .await?;
        Ok((rows, rows * (PAYLOAD_BYTES / 32 * 32 + 8)))
    }

    async fn wal_lsn(&self) -> Result<u64, PgError> {
        let lsn: String = self
            .db
            .raw()
            .query_one("SELECT pg_current_wal_lsn()::text", &[])
            .await
            .map_err(|e| self.db.error("reading the WAL position", e))?
            .get(0);
        Ok(super::action::slot::parse_lsn(&lsn).unwrap_or(0))
    }

    async fn retained(&self) -> Result<u64, PgError> {
        let slot = find_slot(self.db, &self.names.slot).await?;
        Ok(slot.and_then(|s| s.retained_wal_bytes).unwrap_or(0).max(0) as u64)
    }

    /// Starts the stand-in reader on the slot and times it until it has received everything up
    /// to the current WAL position (`--endpos`: it exits there); it confirms what it read.
    async fn read_to_end(&self) -> Result<Duration, SlotBenchError> {
        let end = self.wal_lsn().await?;
        let user = &self.stack.endpoints().postgres.superuser.user;
        let script = format!(
            "timeout 600 pg_recvlogical -h /var/run/postgresql -U '{user}' -d '{}' -S '{}' --start \
             --no-loop --endpos={:X}/{:X} -o proto_version=1 -o publication_names='{}' -f /dev/null",
            self.names.database,
            self.names.slot,
            end >> 32,
            end & 0xFFFF_FFFF,
            self.names.publication
        );
        let started = Instant::now();
        let mut result = self
            .stack
            .postgres()
            .container()
            .exec(ExecCommand::new(["sh", "-c", script.as_str()]))
            .await
            .map_err(|e| SlotBenchError::Reader(e.to_string()))?;
        let stderr = result.stderr_to_vec().await.unwrap_or_default();
        let elapsed = started.elapsed();
        match result.exit_code().await {
            Ok(Some(0)) => Ok(elapsed),
            code => Err(SlotBenchError::Reader(format!(
                "exit {code:?}: {}",
                String::from_utf8_lossy(&stderr).trim()
            ))),
        }
    }
}
