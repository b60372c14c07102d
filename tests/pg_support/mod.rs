//! The one place PostgreSQL tests get a server.
//!
//! - `CDC_HARNESS_TEST_PG=postgres://user:password@host:port/postgres` uses a running server
//!   (it must have `wal_level=logical` and free replication slots); tests only touch objects
//!   whose names they derive themselves, so a shared server is fine.
//! - Otherwise a container from the harness's local PostgreSQL image (built on first use by
//!   `images::ensure`, like every stack; `CDC_HARNESS_TEST_PG_IMAGE=name:tag` overrides it) is started with `-c wal_level=logical`, one per test, removed when the test
//!   ends. The image behaves like the official one (`POSTGRES_PASSWORD`, `postgres -c ...`).

#![allow(dead_code)]

use cdc_harness::postgres::{IsolatedNames, PgClient, PgConfig};
use cdc_harness::retry::{Attempt, Retry};
use cdc_harness::secret::Secret;
use cdc_harness::stack::images::{self, FlinkVersion, ImageSource};
use std::time::Duration;
use testcontainers::core::{ContainerPort, IntoContainerPort};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

const PASSWORD: &str = "harness-test-pw";

pub struct TestPg {
    /// Superuser config for the `postgres` database.
    pub admin: PgConfig,
    _container: Option<ContainerAsync<GenericImage>>,
}

impl TestPg {
    pub async fn admin_client(&self) -> PgClient {
        PgClient::connect(&self.admin).await.expect("connect as admin")
    }

    /// Runs `sh -c script` inside the server's container (exit code, stdout, stderr); the
    /// server's Unix socket is `/var/run/postgresql`, where local logins are trusted.
    pub async fn exec(&self, script: &str) -> (Option<i64>, Vec<u8>, String) {
        let container = self
            ._container
            .as_ref()
            .expect("exec needs a container of its own (start_postgres_container)");
        let mut result = container
            .exec(testcontainers::core::ExecCommand::new(["sh", "-c", script]))
            .await
            .unwrap_or_else(|e| panic!("exec in the PostgreSQL container: {e}"));
        let stdout = result.stdout_to_vec().await.unwrap_or_default();
        let stderr = result.stderr_to_vec().await.unwrap_or_default();
        let code = result.exit_code().await.ok().flatten();
        (code, stdout, String::from_utf8_lossy(&stderr).into_owned())
    }
}

pub async fn start_postgres() -> TestPg {
    start_postgres_with_wal_level("logical").await
}

/// A server with another `wal_level` (preflight's negative case) is always a container: a
/// shared `CDC_HARNESS_TEST_PG` server has the one it has.
pub async fn start_postgres_with_wal_level(wal_level: &str) -> TestPg {
    let shared = std::env::var("CDC_HARNESS_TEST_PG").ok().filter(|_| wal_level == "logical");
    if let Some(url) = shared {
        let admin = PgConfig::from_url(&url).expect("CDC_HARNESS_TEST_PG is a postgres:// URL");
        return TestPg { admin, _container: None };
    }
    start_container(wal_level).await
}

/// Always a container (never `CDC_HARNESS_TEST_PG`): for tests that run PostgreSQL's own client
/// programs (`pg_recvlogical`) next to the server with [`TestPg::exec`].
pub async fn start_postgres_container() -> TestPg {
    start_container("logical").await
}

async fn start_container(wal_level: &str) -> TestPg {
    let image = match std::env::var("CDC_HARNESS_TEST_PG_IMAGE") {
        Ok(image) => image,
        Err(_) => images::ensure(ImageSource::Local, FlinkVersion::V2_0, false)
            .await
            .expect("local images build")
            .postgres
            .to_string(),
    };
    let (name, tag) = image.rsplit_once(':').unwrap_or((image.as_str(), "latest"));
    let port: ContainerPort = 5432.tcp();
    let container = GenericImage::new(name, tag)
        .with_exposed_port(port)
        .with_env_var("POSTGRES_PASSWORD", PASSWORD)
        // A throwaway cluster need not survive an OS crash; skipping initdb's fsync saves seconds.
        .with_env_var("POSTGRES_INITDB_ARGS", "--no-sync")
        .with_cmd([
            "postgres".to_string(),
            "-c".into(),
            format!("wal_level={wal_level}"),
            "-c".into(),
            "max_replication_slots=20".into(),
        ])
        .with_startup_timeout(Duration::from_secs(60))
        .start()
        .await
        .unwrap_or_else(|e| panic!("start {image}: {e}"));
    let host_port = container.get_host_port_ipv4(port).await.expect("published port");
    let admin =
        PgConfig::new("127.0.0.1", host_port, "postgres", Secret::new(PASSWORD), "postgres");
    Retry::with_timeout(Duration::from_secs(30))
        .run(|| async { PgClient::connect(&admin).await.map(drop).map_err(Attempt::Retry) })
        .await
        .expect("PostgreSQL container accepts connections");
    TestPg { admin, _container: Some(container) }
}

/// Names unique to one test run, so tests sharing a server never collide.
pub fn unique_names(test: &str) -> IsolatedNames {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    IsolatedNames::derive(test, &format!("{}{nanos:x}", std::process::id()))
}
