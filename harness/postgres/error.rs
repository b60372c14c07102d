//! The one error type of the PostgreSQL layer. Messages name the server (`host:port/database`)
//! and never the password.

use std::fmt;
use std::time::Duration;

/// What the PostgreSQL server said about a failed statement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerError {
    /// SQLSTATE, e.g. `42P01`.
    pub code: String,
    pub severity: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based character position in the statement text, when the server gave one.
    pub position: Option<u32>,
    /// The PL/pgSQL or internal-query context, when any.
    pub context: Option<String>,
}

impl ServerError {
    pub(crate) fn from_db(db: &tokio_postgres::error::DbError) -> Self {
        let position = match db.position() {
            Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p),
            _ => None,
        };
        ServerError {
            code: db.code().code().to_string(),
            severity: db.severity().to_string(),
            message: db.message().to_string(),
            detail: db.detail().map(str::to_string),
            hint: db.hint().map(str::to_string),
            position,
            context: db.where_().map(str::to_string),
        }
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.severity, self.code, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "\n  DETAIL: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  HINT: {hint}")?;
        }
        if let Some(context) = &self.context {
            write!(f, "\n  CONTEXT: {context}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "cannot connect to PostgreSQL at {addr} (user {user}, database {database}): {}",
        describe(source)
    )]
    Connect { addr: String, user: String, database: String, source: tokio_postgres::Error },

    #[error("invalid PostgreSQL URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// A statement the harness issued failed.
    #[error("PostgreSQL at {server}: {what} failed: {}", describe(source))]
    Sql { server: String, what: String, source: tokio_postgres::Error },

    /// A statement of user SQL (setup or step) failed; `line` is 1-based within the SQL text.
    #[error(
        "PostgreSQL at {server}: statement {statement} (line {line} of the SQL) failed: {error}"
    )]
    Script { server: String, line: usize, statement: usize, error: Box<ServerError> },

    #[error("PostgreSQL at {server}: condition `{query}` still not true after {:.1}s ({attempts} attempts); last result: {last}", elapsed.as_secs_f64())]
    ConditionTimedOut {
        server: String,
        query: String,
        last: String,
        attempts: u32,
        elapsed: Duration,
    },

    #[error("wait condition `{query}` must return one boolean or integer value, got {got}")]
    BadCondition { query: String, got: String },

    #[error("invalid {what} `{name}`: {reason}")]
    InvalidName { what: &'static str, name: String, reason: String },

    #[error("invalid bulk change on {table}: {reason}")]
    BadBulkChange { table: String, reason: String },

    #[error(
        "bulk {op} on {table} affected {affected} rows, expected {expected} (ids {first}..={last})"
    )]
    BulkShort {
        table: String,
        op: &'static str,
        expected: u64,
        affected: u64,
        first: i64,
        last: i64,
    },

    #[error("replication slot `{slot}` is in use by process {pid}; stop its reader or drop it with terminate")]
    SlotActive { slot: String, pid: i32 },

    #[error("replication slot `{slot}` stayed active after terminating process {pid}")]
    SlotStillActive { slot: String, pid: i32 },
}

impl PgError {
    /// The server's own error, when the failure came from PostgreSQL.
    pub fn server_error(&self) -> Option<ServerError> {
        match self {
            PgError::Script { error, .. } => Some((**error).clone()),
            PgError::Sql { source, .. } | PgError::Connect { source, .. } => {
                source.as_db_error().map(ServerError::from_db)
            }
            _ => None,
        }
    }

    /// SQLSTATE of the server's error, when there is one.
    pub fn code(&self) -> Option<String> {
        self.server_error().map(|e| e.code)
    }
}

/// tokio-postgres' Display omits the cause ("db error", "error connecting to server"): spell out
/// the server's error or the I/O cause.
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return ServerError::from_db(db).to_string();
    }
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
