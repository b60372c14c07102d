//! `[[expect]]`: each expectation checked against the sink topic, read from its beginning.

use crate::expect::verify;
use crate::kafka::{ReaderConfig, SinkReader};
use crate::report::{ArtefactKind, Phase};
use crate::run::context::ScenarioContext;
use crate::run::ScenarioFailure;
use std::time::Duration;

/// The quiet period once the job has FINISHED (a JDBC scan): its Kafka sink flushed before the
/// job could finish, so nothing more can come; this only reads what the broker already holds
/// (and an expectation that does not hold once it is read to its end fails at once).
const SETTLED_QUIET_PERIOD: Duration = Duration::from_millis(500);

pub async fn check_all(
    cx: &mut ScenarioContext<'_>,
    bootstrap: &str,
) -> Result<(), ScenarioFailure> {
    let planned = cx.planned;
    let topic = &planned.names.topic;
    let settled = cx.job.as_ref().is_some_and(|job| job.bounded);
    let mut reader = SinkReader::open(ReaderConfig::new(bootstrap, topic))
        .await
        .map_err(|e| ScenarioFailure::error(Phase::Expect, e.to_string()))?;
    for (i, expectation) in planned.expectations.iter().enumerate() {
        let mut expectation = expectation.clone();
        if settled {
            expectation.quiet_period = expectation.quiet_period.min(SETTLED_QUIET_PERIOD);
            expectation.complete = true;
        }
        if i > 0 {
            reader.rewind().map_err(|e| ScenarioFailure::error(Phase::Expect, e.to_string()))?;
        }
        let verdict = verify(&mut reader, planned.format, &expectation)
            .await
            .map_err(|e| ScenarioFailure::error(Phase::Expect, e.to_string()))?;
        if let Some(artefacts) = &mut cx.artefacts {
            if let Err(e) = artefacts.write_records(&verdict.received) {
                tracing::warn!("records.jsonl: {e}");
            }
        }
        if !verdict.passed {
            let span = planned.scenario.expectations[i].span;
            let at = planned.scenario.file.location(span);
            let diff = verdict.render();
            cx.save(ArtefactKind::Diff, &diff);
            return Err(ScenarioFailure::failed(
                Phase::Expect,
                format!("expectation {} ({at}): {}", i + 1, verdict.summary()),
            )
            .with_details(diff));
        }
        tracing::info!(scenario = %planned.scenario.name, "{}", verdict.summary());
    }
    Ok(())
}
