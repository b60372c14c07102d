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
    Cleanup, PgClient, PgConfig, PgError, Recvlogical,
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
    /// WAL the reader decodes: from the slot's `restart_lsn` (where decoding must resume) to
    /// the end; more than the backlog when `restart_lsn` lags the confirmed position.
    pub decoded_wal_bytes: u64,
    /// What decoding spilled to disk meanwhile (`pg_stat_replication_slots.spill_bytes`): a
    /// transaction larger than `logical_decoding_work_mem` is written out and read back.
    pub spilled_bytes: u64,
    pub change_bytes: u64,
    /// From starting the reader until it exits at the WAL position reached by the writes.
    pub elapsed: Duration,
}

#[derive(Debug, Clone)]
pub struct SlotFigures {
    pub retention: Vec<Retention>,
    pub catch_up: Vec<CatchUp>,
    /// The same reader started with nothing written since it stopped.
    pub empty_catch_up: CatchUp,
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
        let empty_catch_up = self.catch_up(0).await?;
        let mut catch_up = Vec::new();
        for &mb in catch_up_mb {
            catch_up.push(self.catch_up(mb).await?);
        }
        Ok(SlotFigures { retention, catch_up, empty_catch_up })
    }

    /// Writes `mb` MiB with the reader stopped, then times the resumed reader.
    async fn catch_up(&mut self, mb: u64) -> Result<CatchUp, SlotBenchError> {
        let start = self.wal_lsn().await?;
        let (_, change_bytes) = if mb > 0 { self.write(mb).await? } else { (0, 0) };
        let backlog_wal_bytes = self.wal_lsn().await? - start;
        let decoded_wal_bytes = self.retained().await?;
        let spilled = self.spilled().await?;
        let elapsed = self.read_to_end().await?;
        // The statistics are reported when the walsender ends; wait for them briefly.
        let mut spilled_bytes = 0;
        for _ in 0..20 {
            spilled_bytes = self.spilled().await?.saturating_sub(spilled);
            if spilled_bytes > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(CatchUp { backlog_wal_bytes, decoded_wal_bytes, spilled_bytes, change_bytes, elapsed })
    }

    async fn spilled(&self) -> Result<u64, PgError> {
        let row = self
            .db
            .raw()
            .query_opt(
                "SELECT spill_bytes FROM pg_stat_replication_slots WHERE slot_name = $1",
                &[&self.names.slot],
            )
            .await
            .map_err(|e| self.db.error("reading pg_stat_replication_slots", e))?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0).max(0) as u64))
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
    ///
    /// A reader that has everything up to `--endpos` still waits for a message past it (the
    /// server's keepalive may take seconds), so one marker row is written after the end
    /// position: its first message ends the reader at once.
    async fn read_to_end(&mut self) -> Result<Duration, SlotBenchError> {
        // A checkpoint logs the running transactions; decoding that record is what lets the
        // slot's restart_lsn move up to what the reader confirms, so the next round starts fresh.
        run_script(self.db, "CHECKPOINT").await?;
        let end = self.wal_lsn().await?;
        let marker = self.next_id;
        self.next_id += 1;
        run_script(self.db, &format!("INSERT INTO {TABLE} VALUES ({marker}, 'end marker')"))
            .await?;
        let user = &self.stack.endpoints().postgres.superuser.user;
        let reader = Recvlogical::new(user, &self.names.database, &self.names.slot)
            .option(format!("--endpos={:X}/{:X}", end >> 32, end & 0xFFFF_FFFF))
            .pgoutput(&self.names.publication);
        let script = format!("timeout 600 {}", reader.command());
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
