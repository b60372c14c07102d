//! What a scenario needs from the images, checked before the stack starts.

use crate::scenario::{Scenario, SourceConnector, StepKind};
use crate::stack::images::{FlinkConnector, FlinkVersion, ImageSource, Images};

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
        // Flink reads Debezium's topic with the kafka connector, checked below.
        Some(SourceConnector::Debezium) | None => None,
    };
    if connector == Some(SourceConnector::Debezium) && images.connect.is_none() {
        return Some(format!(
            "scenario `{}` needs Kafka Connect with Debezium's PostgreSQL connector, which the \
             stack was started without",
            scenario.name
        ));
    }
    if let Some((_, name)) = needed.filter(|(c, _)| !has(*c)) {
        return Some(format!(
            "scenario `{}` needs the {name}, which the {} images ({flink}) lack: {}",
            scenario.name,
            images.source,
            remedy(images)
        ));
    }
    if !has(FlinkConnector::Kafka) {
        return Some(format!(
            "scenario `{}` needs the kafka connector, which the {} images ({flink}) lack: {}",
            scenario.name,
            images.source,
            remedy(images)
        ));
    }
    None
}

/// A command line that has every connector: the registry's default line.
fn remedy(images: &Images) -> String {
    let line = FlinkVersion::default_for(ImageSource::Registry);
    match images.source {
        ImageSource::Registry => format!(
            "run it with `--images registry --flink {line}` (the line Aiven runs in production; \
             its image carries every connector)"
        ),
        _ => format!(
            "run it with `--images registry` where Docker Hub and Maven Central answer (Flink \
             {line} by default there: the official image plus every connector's jar)"
        ),
    }
}

/// Steps that act on the harness's own containers (restarts, pausing the broker, a second slot
/// reader run inside the PostgreSQL container): not possible against a `--target`.
pub fn needs_containers(kind: &StepKind) -> Option<&'static str> {
    use crate::scenario::Fault;
    match kind {
        StepKind::Fault(fault) => match fault {
            Fault::RestartTaskManager => Some("fault = \"restart-taskmanager\""),
            Fault::RestartJobManager => Some("fault = \"restart-jobmanager\""),
            Fault::RestartPostgres => Some("fault = \"restart-postgres\""),
            Fault::OccupySlot => Some("fault = \"occupy-slot\""),
            Fault::PauseBroker => Some("fault = \"pause-broker\""),
            Fault::UnpauseBroker => Some("fault = \"unpause-broker\""),
            Fault::TerminateWalsender
            | Fault::ReleaseSlot
            | Fault::DropSlot
            | Fault::GenerateWal { .. } => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;
    use crate::stack::images::{FlinkImage, ImageRef, KafkaFlavour};

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
            connect: None,
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

    #[test]
    fn on_a_registry_line_without_the_connector_the_hint_names_another_line() {
        let mut flink_2_0 = images(vec![FlinkConnector::Jdbc, FlinkConnector::Kafka]);
        flink_2_0.source = ImageSource::Registry;
        let why = missing_piece(&scenario(), Some(SourceConnector::Cdc), &flink_2_0).unwrap();
        assert!(why.contains("`--images registry --flink 1.20`"), "{why}");
    }
}
