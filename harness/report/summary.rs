//! The human summary printed at the end of `run`: a table of scenarios with their phase
//! timings, then each failure with its phase, root cause and details.

use super::model::{Outcome, Phase, RunReport};
use std::fmt::Write;
use std::time::Duration;

/// `45ms`, `12.3s`, `2m05s`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

pub fn render_summary(report: &RunReport) -> String {
    let mut out = String::new();
    let c = report.counts();
    let _ = writeln!(
        out,
        "run {}: {} scenario{}: {} passed, {} failed, {} error{}, {} skipped{} in {}",
        report.run_id,
        report.scenarios.len(),
        if report.scenarios.len() == 1 { "" } else { "s" },
        c.passed,
        c.failed,
        c.errors,
        if c.errors == 1 { "" } else { "s" },
        c.skipped,
        if c.interrupted > 0 { format!(", {} interrupted", c.interrupted) } else { String::new() },
        format_duration(report.duration)
    );
    if let Some(signal) = &report.interrupted {
        let _ = writeln!(out, "interrupted by {signal}");
    }
    if let Some(made) = &report.images_made {
        let _ = writeln!(
            out,
            "images: {} built or pulled in {} before the stack started (once per machine)",
            made.count,
            format_duration(made.duration)
        );
    }
    if report.scenarios.is_empty() {
        return out;
    }
    out.push('\n');
    out.push_str(&table(report));
    for scenario in &report.scenarios {
        let Some(failure) = scenario.outcome.failure() else { continue };
        let _ = writeln!(
            out,
            "\n{} {} ({}) in {}: {}",
            scenario.outcome.label().to_uppercase(),
            scenario.name,
            scenario.file.display(),
            failure.phase,
            failure.root_cause
        );
        if let Some(details) = &failure.details {
            for line in details.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        if let Some(dir) = scenario.artefacts.first().and_then(|p| p.parent()) {
            let _ = writeln!(out, "  artefacts: {}", dir.display());
        }
    }
    for scenario in &report.scenarios {
        let (word, reason) = match &scenario.outcome {
            Outcome::Skipped { reason } => ("SKIPPED", reason),
            Outcome::Interrupted { reason } => ("INTERRUPTED", reason),
            _ => continue,
        };
        let _ = writeln!(out, "\n{word} {} ({}): {reason}", scenario.name, scenario.file.display());
        if word == "INTERRUPTED" {
            if let Some(dir) = scenario.artefacts.first().and_then(|p| p.parent()) {
                let _ = writeln!(out, "  artefacts: {}", dir.display());
            }
        }
    }
    if let Some(dir) = &report.artefact_dir {
        let _ = writeln!(out, "\nartefacts of this run: {}", dir.display());
    }
    out
}

/// Columns: scenario, status, total, then each phase that ran in any scenario.
fn table(report: &RunReport) -> String {
    let phases: Vec<Phase> = Phase::ALL
        .into_iter()
        .filter(|p| report.scenarios.iter().any(|s| s.phase_duration(*p).is_some()))
        .collect();
    let mut header = vec!["SCENARIO".to_string(), "STATUS".into(), "TOTAL".into()];
    header.extend(phases.iter().map(|p| p.as_str().to_string()));
    let mut rows = vec![header];
    for s in &report.scenarios {
        let mut row = vec![s.name.clone(), status_cell(&s.outcome), format_duration(s.duration)];
        row.extend(phases.iter().map(|p| s.phase_duration(*p).map_or("-".into(), format_duration)));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                // Names and statuses read left to right; durations line up on the right.
                if i < 2 {
                    format!("{cell:<w$}", w = widths[i])
                } else {
                    format!("{cell:>w$}", w = widths[i])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}

/// Failures shout so they stand out in a long table.
fn status_cell(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Passed | Outcome::Skipped { .. } => outcome.label().to_string(),
        Outcome::Failed { .. } | Outcome::Error { .. } | Outcome::Interrupted { .. } => {
            outcome.label().to_uppercase()
        }
    }
}
