//! What a scenario needs from the images, checked before the stack starts.

use crate::scenario::{Scenario, SourceConnector, StepKind};
use crate::stack::images::{FlinkConnector, Images};

/// Why `images` cannot run a scenario whose source uses `connector`, naming the missing piece
/// and the images that have it; `None` when they can.
pub fn missing_piece(
    scenario: &Scenario,
    connector: Option<SourceConnector>,
    images: &Images,
) -> Option<String> {
    let has = |c: FlinkConnector| images.flink.connectors.contains(&c);
    let flink = &images.flink.image;
    let needed = match connector {
        Some(SourceConnector::Cdc) => Some((FlinkConnector::PostgresCdc, "postgres-cdc connector")),
        Some(SourceConnector::Jdbc) => Some((FlinkConnector::Jdbc, "jdbc connector")),
        None => None,
    };
    if let Some((_, name)) = needed.filter(|(c, _)| !has(*c)) {
        return Some(format!(
            "scenario `{}` needs the {name}, which the {} images ({flink}) lack: \
             run it with `--images registry` (the official Flink images plus connector jars from \
             Maven Central carry it)",
            scenario.name, images.source
        ));
    }
    if !has(FlinkConnector::Kafka) {
        return Some(format!(
            "scenario `{}` needs the kafka connector, which the {} images ({flink}) lack: \
             use `--images registry`",
            scenario.name, images.source
        ));
    }
    None
}

/// Steps this round does not run (issue 5): the scenario fails rather than skipping them.
pub fn unsupported_step(kind: &StepKind) -> Option<&'static str> {
    match kind {
        StepKind::Fault(_) => Some("fault"),
        StepKind::VerifySlot(_) => Some("verify_slot"),
        StepKind::Job(action) => match action {
            crate::scenario::JobAction::Start => None,
            crate::scenario::JobAction::Cancel => None,
            _ => Some("job (savepoints)"),
        },
        _ => None,
    }
}
