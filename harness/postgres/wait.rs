//! `wait` steps: poll a SQL condition through the one retry helper, or pause.

use super::client::PgClient;
use super::error::PgError;
use crate::retry::{Attempt, Retry, RetryError};
use std::time::Duration;
use tokio_postgres::SimpleQueryMessage;

/// A `wait` step.
#[derive(Debug, Clone, PartialEq)]
pub enum Wait {
    /// Poll `query` until it holds (see [`wait_until`]) or `timeout` passes.
    Condition { query: String, timeout: Duration },
    /// Just pause.
    Duration(Duration),
}

impl Wait {
    pub async fn run(&self, pg: &PgClient) -> Result<(), PgError> {
        match self {
            Wait::Condition { query, timeout } => {
                wait_until(pg, query, Retry::with_timeout(*timeout)).await
            }
            Wait::Duration(pause) => {
                tokio::time::sleep(*pause).await;
                Ok(())
            }
        }
    }
}

/// Polls `query` until its first value holds: `true`, or an integer above zero (a
/// `count(*)`). No row or NULL does not hold yet. Any other value is an error at once, as is
/// an SQL error, except "no such table" (the table may be created by what we wait for). On
/// timeout the error carries the last result.
pub async fn wait_until(pg: &PgClient, query: &str, retry: Retry) -> Result<(), PgError> {
    let outcome = retry
        .run(|| async {
            match first_value(pg, query).await {
                Ok(value) => match holds(query, value.as_deref()) {
                    Ok(true) => Ok(()),
                    Ok(false) => {
                        Err(Attempt::Retry(Miss::NotYet(value.unwrap_or_else(|| "no row".into()))))
                    }
                    Err(bad) => Err(Attempt::Fatal(Miss::Failed(bad))),
                },
                Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
                    Err(Attempt::Retry(Miss::NotYet(super::error::describe(&e))))
                }
                Err(e) => Err(Attempt::Fatal(Miss::Failed(
                    pg.error(format!("wait condition `{query}`"), e),
                ))),
            }
        })
        .await;
    match outcome {
        Ok(()) => Ok(()),
        Err(RetryError::Fatal { error: Miss::Failed(e), .. })
        | Err(RetryError::TimedOut { last: Miss::Failed(e), .. }) => Err(e),
        Err(RetryError::TimedOut { last: Miss::NotYet(last), attempts, elapsed })
        | Err(RetryError::Fatal { error: Miss::NotYet(last), attempts, elapsed }) => {
            Err(PgError::ConditionTimedOut {
                server: pg.server().to_string(),
                query: query.to_string(),
                last,
                attempts,
                elapsed,
            })
        }
    }
}

/// Why one poll did not succeed.
#[derive(Debug)]
enum Miss {
    /// The condition's last value (or "no such table" error), kept for the timeout message.
    NotYet(String),
    Failed(PgError),
}

/// The first column of the first row as text; `Some("NULL")` for a NULL, `None` for no row.
async fn first_value(pg: &PgClient, query: &str) -> Result<Option<String>, tokio_postgres::Error> {
    for message in pg.raw().simple_query(query).await? {
        if let SimpleQueryMessage::Row(row) = message {
            return Ok(Some(row.get(0).unwrap_or("NULL").to_string()));
        }
    }
    Ok(None)
}

/// Reads a condition's value; only a wrongly written condition is an error.
fn holds(query: &str, value: Option<&str>) -> Result<bool, PgError> {
    match value {
        None | Some("NULL") | Some("f") | Some("false") => Ok(false),
        Some("t") | Some("true") => Ok(true),
        Some(other) => match other.parse::<i64>() {
            Ok(n) => Ok(n > 0),
            Err(_) => Err(PgError::BadCondition { query: query.to_string(), got: other.into() }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_and_counts_are_conditions() {
        assert!(holds("q", Some("t")).unwrap());
        assert!(holds("q", Some("3")).unwrap());
        assert!(!holds("q", Some("0")).unwrap());
        assert!(!holds("q", Some("f")).unwrap());
        assert!(!holds("q", Some("NULL")).unwrap());
        assert!(!holds("q", None).unwrap());
        assert!(matches!(holds("q", Some("abc")), Err(PgError::BadCondition { .. })));
    }
}
