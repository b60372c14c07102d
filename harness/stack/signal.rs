//! Ctrl-C and SIGTERM: the default action ends the process at once, which would leave the
//! containers behind (async clean-up in Drop never runs then); these helpers turn them into a
//! value the caller handles, so that the stack is removed first.

use super::error::StackError;
use std::future::Future;

/// The signal that interrupted a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Signal {
    /// SIGINT: Ctrl-C in a terminal.
    Interrupt,
    /// SIGTERM: what CI systems send when a job runs out of time.
    Terminate,
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "SIGINT (Ctrl-C)",
            Signal::Terminate => "SIGTERM",
        })
    }
}

/// Runs `work` until it finishes or the process is interrupted (Ctrl-C, or SIGTERM on Unix). On
/// interruption, `work` is dropped — and with it any `Stack` (or start in progress) it holds,
/// which removes their containers unless `keep` — and [`StackError::Interrupted`] is returned.
pub async fn until_interrupted<F: Future>(work: F) -> Result<F::Output, StackError> {
    tokio::select! {
        output = work => Ok(output),
        signal = interrupt() => Err(StackError::Interrupted(signal)),
    }
}

/// Resolves on Ctrl-C or SIGTERM, saying which. Once called, these signals no longer end the
/// process by themselves: the caller decides (that is what lets it remove containers first).
pub async fn interrupt() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => Signal::Interrupt,
                _ = term.recv() => Signal::Terminate,
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                Signal::Interrupt
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}
