//! Connecting: a config with the password kept in a [`Secret`], and a client that names its
//! server in every error.

use super::error::PgError;
use crate::secret::Secret;
use std::fmt;
use std::time::Duration;
use tokio_postgres::config::Host;

/// Where and as whom to connect. `Display` shows a URL with the password redacted.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PgConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    pub database: String,
    pub connect_timeout: Duration,
}

impl PgConfig {
    pub fn new(
        host: impl Into<String>,
        port: u16,
        user: impl Into<String>,
        password: Secret,
        database: impl Into<String>,
    ) -> Self {
        PgConfig {
            host: host.into(),
            port,
            user: user.into(),
            password,
            database: database.into(),
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// Parses `postgres://user:password@host:port/database` (or the key=value form). TLS is not
    /// supported yet, so `sslmode=require` and stricter are rejected rather than ignored.
    pub fn from_url(url: &str) -> Result<Self, PgError> {
        let invalid =
            |reason: String| PgError::InvalidUrl { url: crate::secret::redact(url), reason };
        let parsed: tokio_postgres::Config =
            url.parse().map_err(|e: tokio_postgres::Error| invalid(super::error::describe(&e)))?;
        if parsed.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
            return Err(invalid("TLS (sslmode=require) is not supported yet".into()));
        }
        let host = match parsed.get_hosts() {
            [Host::Tcp(host)] => host.clone(),
            [] => "localhost".to_string(),
            [_] => return Err(invalid("Unix sockets are not supported, give a TCP host".into())),
            _ => return Err(invalid("give exactly one host".into())),
        };
        let port = match parsed.get_ports() {
            [] => 5432,
            [port] => *port,
            _ => return Err(invalid("give exactly one port".into())),
        };
        let user = parsed.get_user().ok_or_else(|| invalid("no user".into()))?.to_string();
        let password = parsed
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        let database = parsed.get_dbname().unwrap_or(&user).to_string();
        let mut config = PgConfig::new(host, port, user, Secret::new(password), database);
        if let Some(timeout) = parsed.get_connect_timeout() {
            config.connect_timeout = *timeout;
        }
        Ok(config)
    }

    /// The same server and credentials, another database (the scenario's isolated one).
    pub fn with_database(&self, database: impl Into<String>) -> Self {
        PgConfig { database: database.into(), ..self.clone() }
    }

    /// `host:port`, for messages.
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn server_label(&self) -> String {
        format!("{}/{}", self.addr(), self.database)
    }
}

impl fmt::Display for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "postgres://{}:{}@{}/{}", self.user, self.password, self.addr(), self.database)
    }
}

/// A connection to one database. The connection task lives as long as the client.
pub struct PgClient {
    client: tokio_postgres::Client,
    config: PgConfig,
    server: String,
}

impl PgClient {
    pub async fn connect(config: &PgConfig) -> Result<PgClient, PgError> {
        let mut pg = tokio_postgres::Config::new();
        pg.host(&config.host)
            .port(config.port)
            .user(&config.user)
            .password(config.password.expose())
            .dbname(&config.database)
            .application_name("cdc-harness")
            .connect_timeout(config.connect_timeout);
        let (client, connection) =
            pg.connect(tokio_postgres::NoTls).await.map_err(|source| PgError::Connect {
                addr: config.addr(),
                user: config.user.clone(),
                database: config.database.clone(),
                source,
            })?;
        let server = config.server_label();
        let label = server.clone();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("PostgreSQL connection to {label} ended: {e}");
            }
        });
        Ok(PgClient { client, config: config.clone(), server })
    }

    /// The underlying client, for queries this module does not wrap.
    pub fn raw(&self) -> &tokio_postgres::Client {
        &self.client
    }

    pub fn config(&self) -> &PgConfig {
        &self.config
    }

    /// `host:port/database`, as errors name it.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Wraps a driver error with this server's name and what was being done.
    pub fn error(&self, what: impl Into<String>, source: tokio_postgres::Error) -> PgError {
        PgError::Sql { server: self.server.clone(), what: what.into(), source }
    }

    /// Whether `query` (taking the name as `$1`) finds the `what` called `name`.
    pub(crate) async fn exists(
        &self,
        what: &str,
        query: &str,
        name: &str,
    ) -> Result<bool, PgError> {
        let row = self.client.query_opt(query, &[&name]).await;
        Ok(row.map_err(|e| self.error(format!("looking up {what} `{name}`"), e))?.is_some())
    }

    /// `server_version_num`, e.g. 150018: decides which catalog columns and syntax exist.
    pub async fn server_version_num(&self) -> Result<i32, PgError> {
        let row = self
            .client
            .query_one("SELECT current_setting('server_version_num')::int4", &[])
            .await
            .map_err(|e| self.error("reading the server version", e))?;
        Ok(row.get(0))
    }

    /// The process id of this connection's backend.
    pub async fn backend_pid(&self) -> Result<i32, PgError> {
        let row = self
            .client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .map_err(|e| self.error("reading the backend pid", e))?;
        Ok(row.get(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_is_parsed_and_displayed_without_password() {
        let c = PgConfig::from_url("postgres://app:s3cret@db.local:6543/shop").unwrap();
        assert_eq!((c.host.as_str(), c.port, c.user.as_str()), ("db.local", 6543, "app"));
        assert_eq!((c.password.expose(), c.database.as_str()), ("s3cret", "shop"));
        assert_eq!(c.to_string(), "postgres://app:******@db.local:6543/shop");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(c.with_database("s_x").database, "s_x");
    }

    #[test]
    fn database_defaults_to_user_and_tls_is_refused() {
        let c = PgConfig::from_url("postgres://app@h").unwrap();
        assert_eq!((c.port, c.database.as_str()), (5432, "app"));
        let err = PgConfig::from_url("postgres://app:pw@h/db?sslmode=require").unwrap_err();
        assert!(err.to_string().contains("TLS"), "{err}");
        assert!(!err.to_string().contains("pw@"), "{err}");
    }
}
