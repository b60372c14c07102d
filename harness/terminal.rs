//! Progress lines and log lines share stderr. Every progress line is drawn through one
//! indicatif `MultiProgress`, and every log line is written with the progress lines lifted, so a
//! log line lands above them instead of inside one (`…registry-1.docke2026-12-04T… INFO …`).
//! Neither is drawn when stderr is not a terminal.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::sync::LazyLock;
use std::time::Duration;

static LINES: LazyLock<MultiProgress> = LazyLock::new(MultiProgress::new);

/// A spinner line with `template` (indicatif's syntax), drawn below log lines, or hidden.
pub fn progress_line(template: &str, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = LINES.add(ProgressBar::new_spinner());
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Runs `write` with the progress lines lifted, so that what it writes to stderr stays above
/// them.
pub fn above_progress<R>(write: impl FnOnce() -> R) -> R {
    LINES.suspend(write)
}
