//! Replication slots: list them with the WAL they hold back, create and drop them.
//!
//! Columns used exist on PostgreSQL 13 to 17 (`wal_status` and `safe_wal_size` came in 13; on
//! older servers they read as NULL).

use super::client::PgClient;
use super::error::PgError;
use super::Dropped;
use crate::retry::{Attempt, Retry};
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SlotInfo {
    pub name: String,
    /// Output plugin of a logical slot (`pgoutput`, `decoderbufs`, ...).
    pub plugin: Option<String>,
    /// `logical` or `physical`.
    pub slot_type: String,
    /// The database of a logical slot.
    pub database: Option<String>,
    pub temporary: bool,
    pub active: bool,
    /// The walsender (or backend) holding the slot.
    pub active_pid: Option<i32>,
    pub restart_lsn: Option<String>,
    pub confirmed_flush_lsn: Option<String>,
    /// WAL kept for this slot: current WAL position minus `restart_lsn`.
    pub retained_wal_bytes: Option<i64>,
    /// `reserved`, `extended`, `unreserved` or `lost`.
    pub wal_status: Option<String>,
    /// Bytes that can still be written before the slot is in danger of losing WAL.
    pub safe_wal_size: Option<i64>,
}

const LIST_SLOTS: &str = "\
SELECT slot_name::text, plugin::text, slot_type, database::text, temporary, active, active_pid,
       restart_lsn::text, confirmed_flush_lsn::text,
       pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()
                            ELSE pg_current_wal_lsn() END, restart_lsn)::int8,
       {wal_status}, {safe_wal_size}
FROM pg_replication_slots";

async fn query_slots(
    pg: &PgClient,
    filter: &str,
    name: Option<&str>,
) -> Result<Vec<SlotInfo>, PgError> {
    let modern = pg.server_version_num().await? >= 130000;
    let sql = LIST_SLOTS
        .replace("{wal_status}", if modern { "wal_status" } else { "NULL::text" })
        .replace("{safe_wal_size}", if modern { "safe_wal_size" } else { "NULL::int8" })
        + filter;
    let rows = match name {
        Some(name) => pg.raw().query(sql.as_str(), &[&name]).await,
        None => pg.raw().query(sql.as_str(), &[]).await,
    }
    .map_err(|e| pg.error("listing replication slots", e))?;
    Ok(rows.iter().map(slot_from_row).collect())
}

fn slot_from_row(row: &Row) -> SlotInfo {
    SlotInfo {
        name: row.get(0),
        plugin: row.get(1),
        slot_type: row.get(2),
        database: row.get(3),
        temporary: row.get(4),
        active: row.get(5),
        active_pid: row.get(6),
        restart_lsn: row.get(7),
        confirmed_flush_lsn: row.get(8),
        retained_wal_bytes: row.get(9),
        wal_status: row.get(10),
        safe_wal_size: row.get(11),
    }
}

/// Every slot on the server (slots are server-wide), by name.
pub async fn list_slots(pg: &PgClient) -> Result<Vec<SlotInfo>, PgError> {
    query_slots(pg, " ORDER BY slot_name", None).await
}

pub async fn find_slot(pg: &PgClient, name: &str) -> Result<Option<SlotInfo>, PgError> {
    Ok(query_slots(pg, " WHERE slot_name = $1", Some(name)).await?.pop())
}

/// PostgreSQL's rule (`ReplicationSlotValidateName`): 1 to 63 of `[a-z0-9_]`.
/// The walsender replicating from slot `name`: `None` when none holds it. Its `state` (`startup`,
/// `catchup`, `streaming`, ...) shows only to superusers and `pg_read_all_stats` (`None` for
/// others).
pub async fn walsender_state(pg: &PgClient, name: &str) -> Result<Option<Walsender>, PgError> {
    let row = pg
        .raw()
        .query_opt(
            "SELECT r.application_name::text, r.state::text FROM pg_replication_slots s
             JOIN pg_stat_replication r ON r.pid = s.active_pid
             WHERE s.slot_name = $1",
            &[&name],
        )
        .await
        .map_err(|e| pg.error(format!("reading the walsender of slot `{name}`"), e))?;
    Ok(row.map(|r| Walsender { application_name: r.get(0), state: r.get(1) }))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walsender {
    pub application_name: Option<String>,
    pub state: Option<String>,
}

impl Walsender {
    /// Replicating and caught up (or, where the state is hidden, replicating at all).
    pub fn streaming(&self) -> bool {
        self.state.as_deref().is_none_or(|s| s == "streaming")
    }
}

pub fn validate_slot_name(name: &str) -> Result<(), PgError> {
    let invalid = |reason: &str| PgError::InvalidName {
        what: "replication slot name",
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if name.len() > super::MAX_IDENTIFIER_LEN {
        return Err(invalid("it is longer than 63 characters"));
    }
    if let Some(c) =
        name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(invalid(&format!(
            "`{c}` is not allowed: slot names may contain only lower-case letters, digits and `_`"
        )));
    }
    Ok(())
}

/// Creates a logical slot in the connected database; returns its consistent point (LSN).
/// Waits for transactions running anywhere on the server to finish, as PostgreSQL must.
pub async fn create_logical_slot(
    pg: &PgClient,
    name: &str,
    plugin: &str,
) -> Result<String, PgError> {
    validate_slot_name(name)?;
    let row = pg
        .raw()
        .query_one(
            "SELECT lsn::text FROM pg_create_logical_replication_slot($1, $2)",
            &[&name, &plugin],
        )
        .await
        .map_err(|e| pg.error(format!("creating logical replication slot `{name}`"), e))?;
    Ok(row.get(0))
}

/// Drops a slot. An active slot is refused unless `terminate_active`, in which case its
/// process (the walsender of a reader) is terminated first and the slot polled until it is
/// released, within `timeout`. A slot that is already gone is [`Dropped::Absent`].
pub async fn drop_slot(
    pg: &PgClient,
    name: &str,
    terminate_active: bool,
    timeout: Duration,
) -> Result<Dropped, PgError> {
    let Some(slot) = find_slot(pg, name).await? else { return Ok(Dropped::Absent) };
    if let (true, Some(pid)) = (slot.active, slot.active_pid) {
        if !terminate_active {
            return Err(PgError::SlotActive { slot: name.to_string(), pid });
        }
        pg.raw()
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .await
            .map_err(|e| pg.error(format!("terminating process {pid} holding slot `{name}`"), e))?;
        let released = Retry::with_timeout(timeout)
            .run(|| async {
                match find_slot(pg, name).await {
                    Ok(Some(s)) if s.active => Err(Attempt::Retry(PgError::SlotStillActive {
                        slot: name.to_string(),
                        pid: s.active_pid.unwrap_or(pid),
                    })),
                    Ok(found) => Ok(found.is_some()),
                    Err(e) => Err(Attempt::Fatal(e)),
                }
            })
            .await
            .map_err(|e| e.into_inner())?;
        if !released {
            // A temporary slot goes away with the process that held it.
            return Ok(Dropped::Absent);
        }
    }
    match pg.raw().execute("SELECT pg_drop_replication_slot($1)", &[&name]).await {
        Ok(_) => Ok(Dropped::Dropped),
        Err(e) if e.code() == Some(&SqlState::UNDEFINED_OBJECT) => Ok(Dropped::Absent),
        Err(e) => Err(pg.error(format!("dropping replication slot `{name}`"), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_names_follow_postgres_rules() {
        assert!(validate_slot_name("flink_orders_1").is_ok());
        let err = validate_slot_name("Flink-Orders").unwrap_err().to_string();
        assert!(err.contains("`F` is not allowed"), "{err}");
        assert!(validate_slot_name("").is_err());
        assert!(validate_slot_name(&"a".repeat(64)).is_err());
        assert!(validate_slot_name(&"a".repeat(63)).is_ok());
    }
}
