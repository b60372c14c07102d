//! Ctrl-C and SIGTERM: the default action ends the process at once, which would leave the
//! containers behind (async clean-up in Drop never runs then); these helpers turn them into a
//! value the caller handles, so that the stack is removed first.

use super::error::StackError;
use std::future::Future;

/// Runs `work` until it finishes or the process is interrupted (Ctrl-C, or SIGTERM on Unix). On
/// interruption, `work` is dropped — and with it any `Stack` (or start in progress) it holds,
/// which removes their containers unless `keep` — and [`StackError::Interrupted`] is returned.
pub async fn until_ctrl_c<F: Future>(work: F) -> Result<F::Output, StackError> {
    tokio::select! {
        output = work => Ok(output),
        _ = interrupt() => Err(StackError::Interrupted),
    }
}

/// Resolves on Ctrl-C or SIGTERM. Once called, these signals no longer end the process by
/// themselves: the caller decides (that is what lets it remove containers first).
pub async fn interrupt() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => drop(tokio::signal::ctrl_c().await),
        }
    }
    #[cfg(not(unix))]
    drop(tokio::signal::ctrl_c().await);
}
