//! A scenario's own database: created at the start, dropped at the end with everything in it.

use super::cleanup::Cleanup;
use super::client::{PgClient, PgConfig};
use super::error::PgError;
use super::{quote_ident, slots, Dropped};
use std::time::Duration;

/// Creates `name` (see [`super::IsolatedNames`]) and records it for cleanup; returns the
/// config to connect to it.
pub async fn create_database(
    admin: &PgClient,
    name: &str,
    cleanup: &mut Cleanup,
) -> Result<PgConfig, PgError> {
    admin
        .raw()
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(name)))
        .await
        .map_err(|e| admin.error(format!("creating database `{name}`"), e))?;
    cleanup.own_database(name);
    Ok(admin.config().with_database(name))
}

/// Drops a database the harness created. Its sessions are terminated and its logical slots
/// dropped first (a slot keeps a database from being dropped, and a slot in a database the
/// harness created can only be the scenario's).
pub async fn drop_database(
    admin: &PgClient,
    name: &str,
    timeout: Duration,
) -> Result<Dropped, PgError> {
    if !admin.exists("database", "SELECT 1 FROM pg_database WHERE datname = $1", name).await? {
        return Ok(Dropped::Absent);
    }
    for slot in slots::list_slots(admin).await? {
        if slot.database.as_deref() == Some(name) {
            slots::drop_slot(admin, &slot.name, true, timeout).await?;
        }
    }
    admin
        .raw()
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&name],
        )
        .await
        .map_err(|e| admin.error(format!("terminating sessions of database `{name}`"), e))?;
    // FORCE (PostgreSQL 13+) also ends sessions that connected after the terminate above.
    let force = if admin.server_version_num().await? >= 130000 { " WITH (FORCE)" } else { "" };
    admin
        .raw()
        .batch_execute(&format!("DROP DATABASE IF EXISTS {}{force}", quote_ident(name)))
        .await
        .map_err(|e| admin.error(format!("dropping database `{name}`"), e))?;
    Ok(Dropped::Dropped)
}
