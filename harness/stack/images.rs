//! The one place that knows image names, versions and checksums, and how to get each image:
//! pulled/derived from Docker Hub + Maven Central (`registry`) or built from Debian + PyPI
//! (`local`). The rest of the stack never names an image.
//!
//! CONTRACT (skeleton): the types below are what the stack code builds on; `ensure` is filled in
//! by the images work.

use std::fmt;

/// Where images come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageSource {
    /// `registry` when Docker Hub answers, `local` otherwise.
    #[default]
    Auto,
    /// Official images from Docker Hub, connector jars from Maven Central.
    Registry,
    /// Built here from Debian + PyPI + crates.
    Local,
}

/// The Flink line to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
pub enum FlinkVersion {
    #[value(name = "1.20")]
    V1_20,
    #[value(name = "2.0")]
    V2_0,
    #[value(name = "2.2")]
    V2_2,
}

impl fmt::Display for FlinkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlinkVersion::V1_20 => "1.20",
            FlinkVersion::V2_0 => "2.0",
            FlinkVersion::V2_2 => "2.2",
        })
    }
}

/// A Docker image reference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageRef {
    pub name: String,
    pub tag: String,
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.tag)
    }
}

/// Which broker implementation an image runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KafkaFlavour {
    /// Apache Kafka in KRaft mode (`apache/kafka`).
    Kafka,
    /// tansu, a Kafka-protocol broker (stand-in where Apache Kafka cannot be had).
    Tansu,
}

/// A Flink connector an image carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlinkConnector {
    PostgresCdc,
    Jdbc,
    Kafka,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FlinkImage {
    pub image: ImageRef,
    /// The exact Flink version, e.g. `2.0.1`.
    pub version: String,
    /// Whether the image can run `bin/sql-gateway.sh` (official images can, local ones cannot).
    pub sql_gateway: bool,
    pub connectors: Vec<FlinkConnector>,
    /// Path inside the image of the SQL-runner jar used when there is no gateway.
    pub sql_runner_jar: String,
}

/// Every image one stack needs, resolved and present in the local Docker engine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Images {
    /// `registry` or `local`, never `auto`.
    pub source: ImageSource,
    /// Why that source was chosen (shown to users for `auto`).
    pub reason: String,
    pub postgres: ImageRef,
    pub kafka: ImageRef,
    pub kafka_flavour: KafkaFlavour,
    pub flink: FlinkImage,
}
