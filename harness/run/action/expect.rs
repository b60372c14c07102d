//! `[[expect]]`: each expectation checked against the sink topic, read from its beginning.

use crate::expect::verify;
use crate::kafka::{ReaderConfig, SinkReader};
use crate::report::{ArtefactKind, Phase};
use crate::run::context::ScenarioContext;
use crate::run::ScenarioFailure;

pub async fn check_all(
    cx: &mut ScenarioContext<'_>,
    bootstrap: &str,
) -> Result<(), ScenarioFailure> {
    let planned = cx.planned;
    let topic = &planned.names.topic;
    let mut reader = SinkReader::open(ReaderConfig::new(bootstrap, topic))
        .await
        .map_err(|e| ScenarioFailure::error(Phase::Expect, e.to_string()))?;
    for (i, expectation) in planned.expectations.iter().enumerate() {
        if i > 0 {
            reader.rewind().map_err(|e| ScenarioFailure::error(Phase::Expect, e.to_string()))?;
        }
        let verdict = verify(&mut reader, planned.format, expectation)
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
