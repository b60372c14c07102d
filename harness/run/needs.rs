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

/// Steps not run yet (savepoints; issue 5): the scenario fails rather than skipping them.
pub fn unsupported_step(kind: &StepKind) -> Option<&'static str> {
    match kind {
        StepKind::Job(action) => match action {
            crate::scenario::JobAction::Start => None,
            crate::scenario::JobAction::Cancel => None,
            _ => Some("job (savepoints)"),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;
    use crate::stack::images::{FlinkImage, ImageRef, ImageSource, KafkaFlavour};

    fn images(connectors: Vec<FlinkConnector>) -> Images {
        let image = |name: &str| ImageRef { name: name.into(), tag: "t".into() };
        Images {
            source: ImageSource::Local,
            reason: "test".into(),
            postgres: image("pg"),
            kafka: image("tansu"),
            kafka_flavour: KafkaFlavour::Tansu,
            flink: FlinkImage {
                image: image("flink"),
                version: "2.0.1".into(),
                sql_gateway: false,
                connectors,
                sql_runner_jar: "/opt/sql-runner.jar".into(),
            },
        }
    }

    fn scenario() -> Scenario {
        let text = "name = \"c\"\n[postgres]\nsetup = \"CREATE TABLE public.t (id INT PRIMARY KEY);\"\n\
                    [source]\nconnector = \"cdc\"\ntable = \"public.t\"\n\
                    [sink]\nconnector = \"upsert-kafka\"\ntopic = \"t\"\n[[expect]]\nmode = \"count\"\ncount = 1\n";
        crate::scenario::parse(SourceFile::new("c.toml", text)).unwrap()
    }

    #[test]
    fn cdc_on_images_without_the_connector_names_it_and_the_registry_images() {
        let local = images(vec![FlinkConnector::Jdbc, FlinkConnector::Kafka]);
        let why = missing_piece(&scenario(), Some(SourceConnector::Cdc), &local).unwrap();
        assert!(
            why.contains("postgres-cdc connector") && why.contains("--images registry"),
            "{why}"
        );
        assert_eq!(missing_piece(&scenario(), Some(SourceConnector::Jdbc), &local), None);
        let registry =
            images(vec![FlinkConnector::PostgresCdc, FlinkConnector::Jdbc, FlinkConnector::Kafka]);
        assert_eq!(missing_piece(&scenario(), Some(SourceConnector::Cdc), &registry), None);
    }
}
