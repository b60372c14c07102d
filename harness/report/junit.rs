//! JUnit XML for CI: one `<testsuite>` per invocation, one `<testcase>` per scenario. A
//! failure's `message` is `<phase>: <root cause>`, its `type` the phase; `<system-out>` holds
//! the details (diff, Flink exception) cut to [`MAX_SYSTEM_OUT`]; phase timings and artefact
//! paths are testcase properties.

use super::model::{Outcome, RunReport};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// CI systems choke on multi-megabyte outputs; the full text is in the artefacts.
pub const MAX_SYSTEM_OUT: usize = 64 * 1024;

pub const SUITE_NAME: &str = "cdc-harness";

pub fn to_junit(report: &RunReport) -> Report {
    let mut suite = TestSuite::new(SUITE_NAME);
    suite.set_timestamp(report.started_at).set_time(report.duration);
    suite.add_property(("run-id", report.run_id.as_str()));
    if let Some(dir) = &report.artefact_dir {
        suite.add_property(("artefacts", dir.display().to_string().as_str()));
    }
    for scenario in &report.scenarios {
        let status = match &scenario.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed { failure } | Outcome::Error { failure } => {
                let kind = match scenario.outcome {
                    Outcome::Failed { .. } => NonSuccessKind::Failure,
                    _ => NonSuccessKind::Error,
                };
                let mut status = TestCaseStatus::non_success(kind);
                status
                    .set_message(format!("{}: {}", failure.phase, failure.root_cause))
                    .set_type(failure.phase.as_str());
                status
            }
            Outcome::Skipped { reason } => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(reason.as_str());
                status
            }
            // An error of its own type: a CI report tells it from a skip and from a failure.
            Outcome::Interrupted { reason } => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_message(reason.as_str()).set_type("interrupted");
                status
            }
        };
        let mut case = TestCase::new(scenario.name.as_str(), status);
        case.set_classname(classname(&scenario.file)).set_time(scenario.duration);
        if let Some(details) = scenario.outcome.failure().and_then(|f| f.details.as_deref()) {
            case.set_system_out(excerpt(details, MAX_SYSTEM_OUT));
        }
        for timing in &scenario.phases {
            let seconds = format!("{:.3}", timing.duration.as_secs_f64());
            case.add_property((format!("phase.{}", timing.phase).as_str(), seconds.as_str()));
        }
        for path in &scenario.artefacts {
            case.add_property(("artefact", path.display().to_string().as_str()));
        }
        suite.add_test_case(case);
    }
    let mut junit = Report::new(SUITE_NAME);
    junit.set_timestamp(report.started_at).set_time(report.duration);
    junit.add_test_suite(suite);
    junit
}

/// The scenario file without its extension: CI tools split class names on `.`.
fn classname(file: &std::path::Path) -> String {
    file.with_extension("").display().to_string()
}

/// The start of `text`, cut at a line boundary, with a note saying how much was left out.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = text[..cut].rfind('\n').map_or(cut, |n| n + 1);
    format!(
        "{}… ({} more bytes; the full text is in the artefacts)\n",
        &text[..cut],
        text.len() - cut
    )
}
