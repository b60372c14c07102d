//! Ready times: each service reports when it is ready; the times are logged (tracing), kept for
//! `bench stack`, and shown on one indicatif line listing what is still awaited.

use indicatif::ProgressBar;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When one service became ready.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceReady {
    pub service: String,
    /// From its own container start to ready: what the service alone costs.
    pub own: Duration,
    /// From the start of the stack (after images) to ready.
    pub at: Duration,
}

/// How long a stack took to come up.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    /// Resolving (building or pulling) the images; zero when they were given.
    pub images: Duration,
    /// What was done to each image and how long it took.
    pub image_outcomes: Vec<super::images::Outcome>,
    /// From the start of the stack (after images) until every service was ready.
    pub stack_ready: Duration,
    pub services: Vec<ServiceReady>,
}

impl Timings {
    /// The slowest service on its own.
    pub fn slowest(&self) -> Option<&ServiceReady> {
        self.services.iter().max_by_key(|s| s.own)
    }
}

pub(crate) struct Progress {
    started: Instant,
    bar: ProgressBar,
    state: Mutex<(Vec<String>, Vec<ServiceReady>)>,
}

impl Progress {
    pub fn new(awaited: Vec<String>, visible: bool) -> Self {
        let bar = crate::terminal::progress_line("{spinner} [{elapsed}] {msg}", visible);
        let progress =
            Progress { started: Instant::now(), bar, state: Mutex::new((awaited, Vec::new())) };
        progress.redraw();
        progress
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// `own_start`: when this service's container was requested.
    pub fn ready(&self, service: &str, own_start: Instant) {
        let ready = ServiceReady {
            service: service.to_string(),
            own: own_start.elapsed(),
            at: self.started.elapsed(),
        };
        tracing::info!(service, own = ?ready.own, at = ?ready.at, "ready");
        {
            let mut state = self.state.lock().expect("progress lock");
            state.0.retain(|s| s != service);
            state.1.push(ready);
        }
        self.redraw();
    }

    fn redraw(&self) {
        let state = self.state.lock().expect("progress lock");
        self.bar.set_message(format!("waiting for {}", state.0.join(", ")));
    }

    pub fn finish(self) -> Vec<ServiceReady> {
        self.bar.finish_and_clear();
        self.state.into_inner().expect("progress lock").1
    }
}
