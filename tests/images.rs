//! The image set against a real Docker engine: the local set builds (slow the first time, then
//! cached) and is present; concurrent callers build once; impossible requests say what is
//! missing. Registry tests need Docker Hub and Maven Central.

use cdc_harness::stack::images::{
    self, Action, FlinkConnector, FlinkVersion, ImageError, ImageSource, KafkaFlavour,
    SQL_RUNNER_JAR,
};
use std::process::Command;
use tokio::sync::Mutex;

/// Tests here remove and rebuild images: one at a time.
static SERIAL: Mutex<()> = Mutex::const_new(());

fn present(image: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false)
}

fn label(image: &str, key: &str) -> String {
    let format = format!("{{{{index .Config.Labels \"{key}\"}}}}");
    let out = Command::new("docker")
        .args(["image", "inspect", "--format", &format, image])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn the_local_set_builds_and_is_present() {
    let _serial = SERIAL.lock().await;
    let images = images::ensure(ImageSource::Local, FlinkVersion::V2_0, false).await.unwrap();

    assert_eq!(images.source, ImageSource::Local);
    assert_eq!(images.kafka_flavour, KafkaFlavour::Tansu);
    assert_eq!(images.flink.version, "2.0.1");
    assert!(!images.flink.sql_gateway, "no gateway jar is obtainable locally");
    assert_eq!(images.flink.connectors, vec![FlinkConnector::Jdbc, FlinkConnector::Kafka]);
    assert_eq!(images.flink.sql_runner_jar, SQL_RUNNER_JAR);
    for image in [&images.postgres, &images.kafka, &images.flink.image] {
        let name = image.to_string();
        assert!(name.starts_with("cdc-harness/"), "{name}");
        assert!(present(&name), "{name} is not in the engine");
        assert_eq!(label(&name, "cdc-harness.managed"), "true", "{name}");
        assert_eq!(label(&name, "cdc-harness.source"), "local", "{name}");
    }

    // The jar the stack uploads when there is no gateway is really in the image; parallel
    // callers may copy it out at the same time.
    let cached = images::sql_runner_jar_on_host(&images.flink).await.unwrap();
    std::fs::remove_file(&cached).unwrap();
    let (a, b) = tokio::join!(
        images::sql_runner_jar_on_host(&images.flink),
        images::sql_runner_jar_on_host(&images.flink)
    );
    assert_eq!(a.unwrap(), cached);
    assert_eq!(b.unwrap(), cached);
    let bytes = std::fs::read(&cached).unwrap();
    assert!(bytes.starts_with(b"PK"), "{} is not a jar", cached.display());

    // A second call finds everything present.
    let again =
        images::ensure_reporting(ImageSource::Local, FlinkVersion::V2_0, false).await.unwrap();
    assert_eq!(again.images, images);
    assert!(again.outcomes.iter().all(|o| o.action == Action::Present), "{:?}", again.outcomes);

    let listed = images::list().await.unwrap();
    for image in [&images.postgres, &images.kafka, &images.flink.image] {
        assert!(
            listed.iter().any(|p| &p.image == image && p.source == "local"),
            "{image} not listed"
        );
    }
}

#[tokio::test]
async fn the_connect_image_is_built_on_request_with_one_jetty() {
    let _serial = SERIAL.lock().await;
    let without = images::ensure(ImageSource::Local, FlinkVersion::V2_0, false).await.unwrap();
    assert_eq!(without.connect, None, "Kafka Connect only when asked for");
    let images = images::ensure(ImageSource::Local, FlinkVersion::V2_0, true).await.unwrap();
    let connect = images.connect.expect("the Kafka Connect image").to_string();
    assert!(connect.starts_with("cdc-harness/connect:3.0.7.Final-"), "{connect}");
    assert!(present(&connect));
    assert_eq!(label(&connect, "cdc-harness.source"), "local");
    // The wheel's Jetty is mixed (9.4.12 servlet beside 9.4.56 server): Kafka Connect's REST API
    // then answers HTTP 500. The image takes the server side from Debian's libjetty9-java.
    let out = std::process::Command::new("docker")
        .args(["run", "--rm", "--entrypoint", "ls", &connect, "/opt/connect/libs"])
        .output()
        .unwrap();
    let jars = String::from_utf8_lossy(&out.stdout);
    assert!(jars.contains("debezium-connector-postgres-3.0.7.Final.jar"), "{jars}");
    assert!(jars.contains("jetty-servlet-debian.jar"), "{jars}");
    assert!(!jars.contains("jetty-servlet-9.4.12"), "{jars}");
    assert!(!jars.contains("debezium-connector-mysql"), "{jars}");
}

#[tokio::test]
async fn concurrent_callers_build_a_missing_image_once() {
    let _serial = SERIAL.lock().await;
    let images = images::ensure(ImageSource::Local, FlinkVersion::V2_0, false).await.unwrap();
    // tansu is the quickest image to rebuild. `--force` only untags it when a running stack (of
    // another test or a user's `up`) still uses it: that container keeps running.
    let tansu = images.kafka.to_string();
    let removed = Command::new("docker").args(["image", "rm", "--force", &tansu]).output().unwrap();
    assert!(
        removed.status.success(),
        "removing {tansu}: {}",
        String::from_utf8_lossy(&removed.stderr)
    );

    let (first, second) = tokio::join!(
        images::ensure_reporting(ImageSource::Local, FlinkVersion::V2_0, false),
        images::ensure_reporting(ImageSource::Local, FlinkVersion::V2_0, false),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.images, second.images);
    let actions: Vec<Action> = [&first, &second]
        .iter()
        .flat_map(|e| e.outcomes.iter().filter(|o| o.image == images.kafka).map(|o| o.action))
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == Action::Built).count(), 1, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == Action::Present).count(), 1, "{actions:?}");
    assert!(present(&tansu));
}

#[tokio::test]
async fn flink_lines_without_a_local_runtime_are_refused_by_name() {
    for flink in [FlinkVersion::V1_20, FlinkVersion::V2_2] {
        let err = images::ensure(ImageSource::Local, flink, false).await.unwrap_err();
        assert!(matches!(err, ImageError::NotBuildableLocally { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains(&format!("Flink {flink}")), "{text}");
        assert!(text.contains("apache-flink-libraries==2.0.1"), "{text}");
        assert!(text.contains("--images registry"), "{text}");
    }
}

#[tokio::test]
async fn auto_says_which_source_and_why() {
    let _serial = SERIAL.lock().await;
    let images = images::ensure(ImageSource::Auto, FlinkVersion::V2_0, false).await.unwrap();
    assert_ne!(images.source, ImageSource::Auto);
    match images.source {
        ImageSource::Local => {
            assert!(images.reason.contains("Docker Hub does not answer"), "{}", images.reason)
        }
        _ => assert!(
            images.reason.contains("Docker Hub answers") || images.reason.contains("present"),
            "{}",
            images.reason
        ),
    }
}

#[tokio::test]
async fn the_bench_hook_times_a_cached_ensure() {
    let _serial = SERIAL.lock().await;
    let bench =
        images::bench_builds(ImageSource::Local, FlinkVersion::V2_0, false, false).await.unwrap();
    assert_eq!(bench.source, ImageSource::Local);
    assert!(bench.cold.is_none(), "no cold run was asked for");
    assert_eq!(bench.cached.outcomes.len(), 4, "base, PostgreSQL, tansu, Flink");
    assert!(bench.cached.outcomes.iter().all(|o| o.action == Action::Present));
}

#[tokio::test]
#[ignore = "needs registry access (Docker Hub and Maven Central)"]
async fn the_registry_sets_pull_and_derive() {
    let _serial = SERIAL.lock().await;
    for (flink, version, cdc) in [
        (FlinkVersion::V1_20, "1.20.3", true),
        (FlinkVersion::V2_0, "2.0.1", false),
        (FlinkVersion::V2_2, "2.2.1", true),
    ] {
        let images = images::ensure(ImageSource::Registry, flink, false).await.unwrap();
        assert_eq!(images.source, ImageSource::Registry);
        assert_eq!(images.kafka_flavour, KafkaFlavour::Kafka);
        assert!(images.flink.sql_gateway);
        assert_eq!(images.flink.version, version);
        assert_eq!(images.flink.connectors.contains(&FlinkConnector::PostgresCdc), cdc);
        for image in [&images.postgres, &images.kafka, &images.flink.image] {
            assert!(present(&image.to_string()), "{image}");
        }
        let jar = images::sql_runner_jar_on_host(&images.flink).await.unwrap();
        assert!(std::fs::read(jar).unwrap().starts_with(b"PK"));
    }
    let with_connect =
        images::ensure(ImageSource::Registry, FlinkVersion::V1_20, true).await.unwrap();
    let connect = with_connect.connect.expect("Debezium's Kafka Connect image").to_string();
    assert_eq!(connect, "quay.io/debezium/connect:3.0.7.Final");
    assert!(present(&connect));
}

#[test]
fn an_engine_that_does_not_answer_gets_instructions_not_an_install() {
    // A remote engine is the user's business: the harness explains instead of installing one.
    let out = Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
        .args(["images", "list"])
        .env("DOCKER_HOST", "unix:///nonexistent/cdc-harness-test.sock")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no Docker engine answers"), "{stderr}");
    assert!(stderr.contains("docker.io"), "{stderr}");
}
