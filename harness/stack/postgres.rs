//! PostgreSQL with logical replication on, a superuser and a non-superuser replication role.

use super::docker::{free_port, new_password, ContainerSpec, Run};
use super::endpoints::{Credentials, PostgresEndpoint};
use super::error::StackError;
use super::images::ImageRef;
use super::progress::Progress;
use super::ready::until_ready;
use super::service::ServiceHandle;
use crate::secret::Secret;
use std::time::{Duration, Instant};

pub const SERVICE: &str = "postgres";
pub const PORT: u16 = 5432;
pub const DATABASE: &str = "harness";
pub const SUPERUSER: &str = "postgres";
pub const REPLICATION_USER: &str = "replicator";

/// Server settings: logical decoding, and room for the slots and senders of concurrent
/// scenarios plus the slot lab's leaked-slot experiments.
const SETTINGS: [&str; 3] = ["wal_level=logical", "max_replication_slots=20", "max_wal_senders=20"];

pub(crate) async fn start(
    run: &Run,
    image: &ImageRef,
    timeout: Duration,
    progress: &Progress,
) -> Result<(ServiceHandle, PostgresEndpoint), StackError> {
    let requested = Instant::now();
    let superuser_password = new_password();
    let host_port = free_port()?;
    let mut cmd = vec!["postgres".to_string()];
    for setting in SETTINGS {
        cmd.extend(["-c".to_string(), setting.to_string()]);
    }
    let handle = ContainerSpec::new(SERVICE, image)
        .env("POSTGRES_USER", SUPERUSER)
        .env("POSTGRES_PASSWORD", &superuser_password)
        .env("POSTGRES_DB", DATABASE)
        // A throwaway cluster need not survive an OS crash: skipping initdb's final fsync saves
        // seconds on a busy disk (measured: 5 s of an 8 s init).
        .env("POSTGRES_INITDB_ARGS", "--no-sync")
        .cmd(cmd)
        .publish(PORT, host_port)
        .start(run)
        .await?;
    let endpoint = PostgresEndpoint {
        host: "127.0.0.1".into(),
        port: host_port,
        network_host: handle.container_name().to_string(),
        network_port: PORT,
        database: DATABASE.into(),
        superuser: Credentials {
            user: SUPERUSER.into(),
            password: Secret::new(superuser_password),
        },
        replication: Credentials {
            user: REPLICATION_USER.into(),
            password: Secret::new(new_password()),
        },
    };
    let client = wait_ready(&handle, &endpoint, timeout).await?;
    create_replication_role(&client, &endpoint).await?;
    progress.ready(SERVICE, requested);
    Ok((handle, endpoint))
}

/// Waits until the superuser can run a query over TCP from the host (the image's init phase
/// listens on a Unix socket only, so a TCP answer means the final server is up).
pub(crate) async fn wait_ready(
    handle: &ServiceHandle,
    endpoint: &PostgresEndpoint,
    timeout: Duration,
) -> Result<tokio_postgres::Client, StackError> {
    until_ready(SERVICE, &[handle], timeout, || async {
        let (client, connection) = endpoint
            .host_config(&endpoint.superuser)
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        client.simple_query("SELECT 1").await.map_err(|e| e.to_string())?;
        Ok(client)
    })
    .await
}

async fn create_replication_role(
    client: &tokio_postgres::Client,
    endpoint: &PostgresEndpoint,
) -> Result<(), StackError> {
    let role = &endpoint.replication;
    // The password is hex (see `new_password`), so it is safe between quotes. PostgreSQL 15 no
    // longer lets every role create in `public`, hence the grants.
    let sql = format!(
        "CREATE ROLE {user} WITH LOGIN REPLICATION PASSWORD '{password}';
         GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {db} TO {user};
         GRANT USAGE, CREATE ON SCHEMA public TO {user};",
        user = role.user,
        password = role.password.expose(),
        db = endpoint.database,
    );
    client.batch_execute(&sql).await.map_err(|e| {
        StackError::setup(SERVICE, format!("creating the replication role {}: {e}", role.user))
    })
}
