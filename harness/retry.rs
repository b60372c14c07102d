//! The one retry policy: every wait in the harness (readiness, job state, Kafka expectations,
//! slot checks) polls through [`Retry::run`], so timeouts behave and read the same everywhere.
//!
//! Only idempotent checks are retried; DDL, inserts and submissions run once. When the deadline
//! passes, the error carries the last real failure, not a bare "deadline exceeded".

use std::future::Future;
use std::time::{Duration, Instant};

/// What one attempt says when it did not succeed.
#[derive(Debug)]
pub enum Attempt<E> {
    /// Not yet: try again after the backoff (the error is kept to explain a timeout).
    Retry(E),
    /// Final: stop now and return this error.
    Fatal(E),
}

/// Backoff and deadline as a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    /// How long all attempts together may take.
    pub timeout: Duration,
    /// The pause after the first failed attempt.
    pub initial_backoff: Duration,
    /// Each pause is the previous one times this factor ...
    pub factor: f64,
    /// ... up to this.
    pub max_backoff: Duration,
}

impl Retry {
    /// The default polling policy: 50 ms, doubling to at most 1 s.
    pub fn with_timeout(timeout: Duration) -> Self {
        Retry {
            timeout,
            initial_backoff: Duration::from_millis(50),
            factor: 2.0,
            max_backoff: Duration::from_secs(1),
        }
    }

    pub fn max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self.initial_backoff = self.initial_backoff.min(max_backoff);
        self
    }

    /// Runs `attempt` until it succeeds, fails fatally or the timeout passes. At least one attempt
    /// is always made, and the last attempt never starts after the deadline.
    pub async fn run<T, E, F, Fut>(&self, mut attempt: F) -> Result<T, RetryError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Attempt<E>>>,
    {
        let started = Instant::now();
        let deadline = started + self.timeout;
        let mut backoff = self.initial_backoff;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(Attempt::Fatal(error)) => {
                    return Err(RetryError::Fatal { error, attempts, elapsed: started.elapsed() })
                }
                Err(Attempt::Retry(error)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(RetryError::TimedOut {
                            last: error,
                            attempts,
                            elapsed: started.elapsed(),
                        });
                    }
                    tokio::time::sleep(backoff.min(deadline - now)).await;
                    backoff = backoff.mul_f64(self.factor).min(self.max_backoff);
                }
            }
        }
    }
}

/// Why [`Retry::run`] gave up.
#[derive(Debug, thiserror::Error)]
pub enum RetryError<E> {
    #[error("{error}")]
    Fatal { error: E, attempts: u32, elapsed: Duration },
    #[error("still failing after {:.1}s ({attempts} attempts): {last}", elapsed.as_secs_f64())]
    TimedOut { last: E, attempts: u32, elapsed: Duration },
}

impl<E> RetryError<E> {
    /// The underlying error: the fatal one, or the last one before the timeout.
    pub fn into_inner(self) -> E {
        match self {
            RetryError::Fatal { error, .. } => error,
            RetryError::TimedOut { last, .. } => last,
        }
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self, RetryError::TimedOut { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test(start_paused = true)]
    async fn retries_until_success() {
        let calls = Cell::new(0);
        let out: Result<u32, RetryError<String>> = Retry::with_timeout(Duration::from_secs(5))
            .run(|| {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    if n < 3 {
                        Err(Attempt::Retry(format!("n={n}")))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(out.unwrap(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_reports_the_last_real_error() {
        let calls = Cell::new(0);
        let out: Result<(), RetryError<String>> = Retry::with_timeout(Duration::from_secs(2))
            .run(|| {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { Err(Attempt::Retry(format!("mismatch #{n}"))) }
            })
            .await;
        let err = out.unwrap_err();
        assert!(err.is_timeout());
        let text = err.to_string();
        assert!(text.contains(&format!("mismatch #{}", calls.get())), "{text}");
        assert!(calls.get() > 3, "backoff should allow several attempts in 2s");
    }

    #[tokio::test(start_paused = true)]
    async fn fatal_stops_at_once() {
        let calls = Cell::new(0);
        let out: Result<(), RetryError<&str>> = Retry::with_timeout(Duration::from_secs(60))
            .run(|| {
                calls.set(calls.get() + 1);
                async { Err(Attempt::Fatal("no such table")) }
            })
            .await;
        assert_eq!(calls.get(), 1);
        assert!(!out.unwrap_err().is_timeout());
    }
}
