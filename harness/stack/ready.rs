//! Readiness: poll a service's own probe (SQL, metadata, REST) through the one retry helper,
//! and fail at once — with its exit code and last log lines — when a container it depends on
//! stops, instead of waiting for the timeout.

use super::error::StackError;
use super::service::ServiceHandle;
use crate::retry::{Attempt, Retry, RetryError};
use std::future::Future;
use std::time::Duration;

/// Polls often: ready times are what the stack benchmark measures.
const MAX_BACKOFF: Duration = Duration::from_millis(250);

/// Runs `probe` until it succeeds. Between failed probes, every container in `watched` must
/// still be running. `service` names the service in a timeout error.
pub(crate) async fn until_ready<T, F, Fut>(
    service: &str,
    watched: &[&ServiceHandle],
    timeout: Duration,
    mut probe: F,
) -> Result<T, StackError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let outcome = Retry::with_timeout(timeout)
        .max_backoff(MAX_BACKOFF)
        .run(|| {
            let attempt = probe();
            async move {
                match attempt.await {
                    Ok(value) => Ok(value),
                    Err(not_yet) => {
                        for handle in watched {
                            handle.ensure_running().await.map_err(Attempt::Fatal)?;
                        }
                        Err(Attempt::Retry(not_yet_error(service, not_yet)))
                    }
                }
            }
        })
        .await;
    match outcome {
        Ok(value) => Ok(value),
        Err(RetryError::Fatal { error, .. }) => Err(error),
        Err(RetryError::TimedOut { last, elapsed, .. }) => Err(match last {
            StackError::NotReady { service, last, .. } => {
                StackError::NotReady { service, waited: elapsed, last }
            }
            other => other,
        }),
    }
}

fn not_yet_error(service: &str, last: String) -> StackError {
    StackError::NotReady { service: service.to_string(), waited: Duration::ZERO, last }
}
