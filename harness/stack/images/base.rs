//! The Debian bookworm base of the local images: `debian:bookworm-slim` when a registry answers,
//! otherwise a root file system made with `debootstrap --variant=minbase` and `docker import`ed.

use super::build::{self, Action, Options, Progress};
use super::catalog::{Build, DEBIAN_PULL, DEBIAN_SUITE};
use super::{cache_dir, docker, ImageError};
use crate::stack::engine::{apt_install, find_program, is_debian, is_root};
use std::time::Duration;

/// How long a registry may stay silent before the base is made with debootstrap instead.
const REGISTRY_ANSWER: Duration = Duration::from_secs(10);
const DEBOOTSTRAP_TIMEOUT: Duration = Duration::from_secs(1800);

pub async fn make(
    base: &Build,
    options: Options,
    progress: &Progress,
) -> Result<Action, ImageError> {
    let image = base.image().to_string();
    match build::pull_if_reachable(DEBIAN_PULL, REGISTRY_ANSWER, progress).await {
        Ok(()) => {
            // A FROM-only build: the pulled image, tagged and labelled as the harness's base.
            let files =
                vec![("Dockerfile".to_string(), format!("FROM {DEBIAN_PULL}\n").into_bytes())];
            let context = build::write_context(base, &files).await?;
            let result = build::docker_build(base, &context, options, progress).await;
            let _ = tokio::fs::remove_dir_all(&context).await;
            result.map(|()| Action::Pulled)
        }
        Err(why) => {
            tracing::info!(
                "{DEBIAN_PULL} cannot be pulled ({why}); making {image} with debootstrap"
            );
            debootstrap(base, progress).await.map(|()| Action::Imported)
        }
    }
}

async fn debootstrap(base: &Build, progress: &Progress) -> Result<(), ImageError> {
    let image = base.image().to_string();
    let fail = |detail: String| ImageError::Base { image: image.clone(), detail };
    if !is_root() {
        return Err(fail(format!(
            "no registry answers and debootstrap needs root; run once as root (e.g. `sudo \
             cdc-harness images build --images local`) or make {DEBIAN_PULL} pullable"
        )));
    }
    if find_program("debootstrap").is_none() {
        if !is_debian() {
            return Err(fail("debootstrap is not installed and this is not Debian".to_string()));
        }
        progress.log("debootstrap is missing; installing it with apt-get".to_string());
        progress.stage(&image, "apt-get install debootstrap");
        apt_install(&["debootstrap"]).await?;
    }

    let root = cache_dir().join("build").join(format!("debootstrap-{}", std::process::id()));
    let _ = tokio::fs::remove_dir_all(&root).await;
    let root_arg = root.to_string_lossy().into_owned();
    progress.log(format!("{image}: debootstrap --variant=minbase {DEBIAN_SUITE} (about a minute)"));
    let result = async {
        docker::stream(
            "debootstrap",
            &["--variant=minbase", DEBIAN_SUITE, &root_arg],
            None,
            DEBOOTSTRAP_TIMEOUT,
            |line| progress.stage(&image, line.trim()),
        )
        .await
        .map_err(|err| fail(err.to_string()))?;
        // Package caches are dead weight in an image (apt-get update runs in every Dockerfile).
        for dir in ["var/cache/apt/archives", "var/lib/apt/lists"] {
            clear_files(&root.join(dir)).await;
        }
        progress.stage(&image, "docker import");
        let mut args: Vec<String> = vec![
            "-c".into(),
            r#"set -o pipefail; root="$1"; shift; tar -C "$root" -c . | docker import "$@""#.into(),
            "import".into(),
            root_arg.clone(),
        ];
        for label in build::labels(base) {
            args.push("--change".into());
            args.push(format!("LABEL {label}"));
        }
        args.extend(["--change".into(), r#"CMD ["bash"]"#.into(), "-".into(), image.clone()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        docker::stream("bash", &args, None, DEBOOTSTRAP_TIMEOUT, |_| {})
            .await
            .map_err(|err| fail(err.to_string()))
    }
    .await;
    let _ = tokio::fs::remove_dir_all(&root).await;
    result
}

/// Removes the regular files directly in `dir` (keeping the directory and its subdirectories).
async fn clear_files(dir: &std::path::Path) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        if entry.file_type().await.map(|t| t.is_file()).unwrap_or(false) {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}
