//! `fault = "..."`: break one thing on purpose, then wait until the stack is usable again where
//! the fault is a restart. Slot faults act on the scenario's slot.

use super::slot::slot_name;
use crate::postgres::{drop_slot, find_slot, Dropped, PgClient, PgError, Recvlogical};
use crate::report::Phase;
use crate::retry::{Attempt, Retry};
use crate::run::context::ScenarioContext;
use crate::run::ScenarioFailure;
use crate::run::Suite;
use crate::scenario::Fault;
use crate::stack::{ServiceHandle, Stack, StackError};
use std::time::Duration;
use testcontainers::core::ExecCommand;

/// Seconds a restarted container gets to stop cleanly before it is killed.
const RESTART_GRACE_SECONDS: i32 = 10;
/// One `pg_logical_emit_message` writes at most this much.
const WAL_CHUNK_BYTES: u64 = 1 << 20;

pub async fn run(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    fault: Fault,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    // Faults on containers were refused before a --target run started; this is the guard.
    let stack = || {
        suite.services.stack().ok_or_else(|| {
            ScenarioFailure::error(Phase::Steps, "this fault needs the harness's own containers")
        })
    };
    match fault {
        Fault::RestartTaskManager => {
            let stack = stack()?;
            for taskmanager in stack.taskmanagers() {
                restart(taskmanager).await?;
            }
            stack.wait_flink_ready().await.map_err(stack_failure)
        }
        Fault::RestartJobManager => {
            let stack = stack()?;
            restart(stack.jobmanager()).await?;
            stack.wait_flink_ready().await.map_err(stack_failure)
        }
        Fault::RestartPostgres => restart_postgres(stack()?, cx).await,
        Fault::TerminateWalsender => terminate_walsender(cx, timeout).await,
        Fault::OccupySlot => occupy_slot(stack()?, cx, timeout).await,
        Fault::ReleaseSlot => release_slot(cx, timeout).await,
        Fault::DropSlot => {
            let slot = slot_name(cx, None);
            match drop_slot(cx.db(), &slot, true, timeout).await {
                Ok(Dropped::Dropped) => Ok(()),
                Ok(Dropped::Absent) => Err(ScenarioFailure::failed(
                    Phase::Steps,
                    format!("drop-slot: there is no slot `{slot}` to drop"),
                )),
                Err(e) => Err(ScenarioFailure::postgres(Phase::Steps, &e, None)),
            }
        }
        Fault::PauseBroker => stack()?.kafka().pause().await.map_err(stack_failure),
        Fault::UnpauseBroker => stack()?.kafka().unpause().await.map_err(stack_failure),
        Fault::GenerateWal { bytes } => {
            generate_wal(cx.db(), bytes).await.map(drop).map_err(pg_failure)
        }
    }
}

async fn restart(service: &ServiceHandle) -> Result<(), ScenarioFailure> {
    tracing::info!("fault: restarting {}", service.service());
    service.restart(RESTART_GRACE_SECONDS).await.map_err(stack_failure)
}

/// Restarts PostgreSQL and reconnects the scenario's sessions (the old ones died with it).
/// A slot held by `occupy-slot` is released by the restart.
async fn restart_postgres(
    stack: &Stack,
    cx: &mut ScenarioContext<'_>,
) -> Result<(), ScenarioFailure> {
    restart(stack.postgres()).await?;
    stack.wait_postgres_ready().await.map_err(stack_failure)?;
    cx.occupied.clear();
    if let Some(pg) = cx.pg.as_mut() {
        pg.admin = PgClient::connect(pg.admin.config()).await.map_err(pg_failure)?;
        if let Some(db) = &pg.db {
            pg.db = Some(PgClient::connect(db.config()).await.map_err(pg_failure)?);
        }
    }
    Ok(())
}

/// `pg_terminate_backend(active_pid)` of the process reading the slot; waits until the slot is
/// released (a reader that reconnects may take it again afterwards: that is the point).
async fn terminate_walsender(
    cx: &mut ScenarioContext<'_>,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let slot = slot_name(cx, None);
    let pg = cx.db();
    let pid = match find_slot(pg, &slot).await.map_err(pg_failure)? {
        Some(s) if s.active => s.active_pid,
        Some(_) => None,
        None => {
            return Err(ScenarioFailure::failed(
                Phase::Steps,
                format!("terminate-walsender: there is no slot `{slot}`"),
            ))
        }
    };
    let Some(pid) = pid else {
        return Err(ScenarioFailure::failed(
            Phase::Steps,
            format!("terminate-walsender: slot `{slot}` is inactive, no walsender to terminate"),
        ));
    };
    tracing::info!("fault: terminating walsender {pid} of slot `{slot}`");
    terminate_and_wait(pg, &slot, pid, timeout).await
}

async fn terminate_and_wait(
    pg: &PgClient,
    slot: &str,
    pid: i32,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    pg.raw().execute("SELECT pg_terminate_backend($1)", &[&pid]).await.map_err(|e| {
        pg_failure(pg.error(format!("terminating process {pid} of slot `{slot}`"), e))
    })?;
    Retry::with_timeout(timeout)
        .run(|| async {
            match find_slot(pg, slot).await {
                Ok(Some(s)) if s.active_pid == Some(pid) => {
                    Err(Attempt::Retry(format!("slot `{slot}` is still held by process {pid}")))
                }
                Ok(_) => Ok(()),
                Err(e) => Err(Attempt::Fatal(e.to_string())),
            }
        })
        .await
        .map_err(|e| ScenarioFailure::failed(Phase::Steps, e.to_string()))
}

/// Holds the slot with `pg_recvlogical` inside the PostgreSQL container (a second replication
/// connection, as another job would be), until `release-slot` or teardown.
async fn occupy_slot(
    stack: &Stack,
    cx: &mut ScenarioContext<'_>,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let slot = slot_name(cx, None);
    let names = &cx.planned.names;
    let Some(info) = find_slot(cx.db(), &slot).await.map_err(pg_failure)? else {
        return Err(ScenarioFailure::failed(
            Phase::Steps,
            format!("occupy-slot: there is no slot `{slot}` (create it first)"),
        ));
    };
    let user = &stack.endpoints().postgres.superuser.user;
    let log = format!("/tmp/cdc-harness-occupy-{slot}.log");
    let mut reader = Recvlogical::new(user, &names.database, &slot);
    // The scenario's publication is the one a pgoutput slot reads.
    if info.plugin.as_deref() == Some("pgoutput") {
        reader = reader.pgoutput(&names.publication);
    }
    let shell = format!("nohup {} >{log} 2>&1 &", reader.command());
    let postgres = stack.postgres();
    postgres.container().exec(ExecCommand::new(["sh", "-c", shell.as_str()])).await.map_err(
        |e| {
            ScenarioFailure::error(
                Phase::Steps,
                format!("occupy-slot: starting pg_recvlogical: {e}"),
            )
        },
    )?;
    let pg = cx.db();
    let held = Retry::with_timeout(timeout)
        .run(|| async {
            match find_slot(pg, &slot).await {
                Ok(Some(s)) if s.active => Ok(()),
                Ok(_) => Err(Attempt::Retry(format!("slot `{slot}` is not active yet"))),
                Err(e) => Err(Attempt::Fatal(e.to_string())),
            }
        })
        .await;
    if let Err(e) = held {
        let said = read_file(postgres, &log).await;
        return Err(ScenarioFailure::error(
            Phase::Steps,
            format!("occupy-slot: pg_recvlogical did not take slot `{slot}`: {e}; it said: {said}"),
        ));
    }
    cx.occupied.push(slot);
    Ok(())
}

/// Ends what `occupy-slot` started; waits until the slot is inactive.
async fn release_slot(
    cx: &mut ScenarioContext<'_>,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let slot = slot_name(cx, None);
    if !cx.occupied.contains(&slot) {
        return Err(ScenarioFailure::failed(
            Phase::Steps,
            format!("release-slot: slot `{slot}` is not held by an earlier occupy-slot step"),
        ));
    }
    release(cx.db(), &slot, timeout).await?;
    cx.occupied.retain(|s| s != &slot);
    Ok(())
}

/// Terminates whatever holds `slot` (the occupier), if anything; used by teardown too.
pub async fn release(pg: &PgClient, slot: &str, timeout: Duration) -> Result<(), ScenarioFailure> {
    match find_slot(pg, slot).await.map_err(pg_failure)? {
        Some(s) if s.active => match s.active_pid {
            Some(pid) => terminate_and_wait(pg, slot, pid, timeout).await,
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Writes at least `bytes` of WAL with non-transactional logical messages (WAL-logged at once,
/// whatever the transaction does); returns the bytes written, measured by the WAL position.
pub async fn generate_wal(pg: &PgClient, bytes: u64) -> Result<u64, PgError> {
    let start: String = pg
        .raw()
        .query_one("SELECT pg_current_wal_lsn()::text", &[])
        .await
        .map_err(|e| pg.error("reading the WAL position", e))?
        .get(0);
    loop {
        let written: i64 = pg
            .raw()
            .query_one(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::text::pg_lsn)::int8",
                &[&start],
            )
            .await
            .map_err(|e| pg.error("reading the WAL position", e))?
            .get(0);
        let written = written.max(0) as u64;
        if written >= bytes {
            return Ok(written);
        }
        let chunk = (bytes - written).min(WAL_CHUNK_BYTES) as i32;
        pg.raw()
            .execute(
                "SELECT pg_logical_emit_message(false, 'cdc-harness', repeat('x', $1))",
                &[&chunk],
            )
            .await
            .map_err(|e| pg.error("writing WAL (pg_logical_emit_message)", e))?;
    }
}

async fn read_file(service: &ServiceHandle, path: &str) -> String {
    let out = service.container().exec(ExecCommand::new(["cat", path])).await;
    match out {
        Ok(mut result) => match result.stdout_to_vec().await {
            Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
            Err(e) => format!("(unreadable: {e})"),
        },
        Err(e) => format!("(unreadable: {e})"),
    }
}

fn stack_failure(e: StackError) -> ScenarioFailure {
    ScenarioFailure::error(Phase::Steps, e.to_string())
}

fn pg_failure(e: PgError) -> ScenarioFailure {
    ScenarioFailure::postgres(Phase::Steps, &e, None)
}
