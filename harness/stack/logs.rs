//! Container logs: the tail shown in an error, and every container's full log saved into the
//! run's artefact folder (`<artefacts>/logs/<container name>.log`) when a start fails or on
//! request.

use super::cleanup::{list_containers, Scope};
use futures::StreamExt;
use std::path::{Path, PathBuf};
use testcontainers::bollard::query_parameters::LogsOptionsBuilder;
use testcontainers::bollard::Docker;

/// stdout and stderr interleaved as Docker recorded them; `tail` = "all" or a line count.
async fn read(
    docker: &Docker,
    id: &str,
    tail: &str,
) -> Result<String, testcontainers::bollard::errors::Error> {
    let options = LogsOptionsBuilder::new().stdout(true).stderr(true).tail(tail).build();
    let mut stream = docker.logs(id, Some(options));
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk?.into_bytes()));
    }
    Ok(text)
}

pub(crate) async fn tail(
    docker: &Docker,
    id: &str,
    lines: usize,
) -> Result<String, testcontainers::bollard::errors::Error> {
    Ok(read(docker, id, &lines.to_string()).await?.trim_end().to_string())
}

/// Writes the log of every container of `run_id` (running or not) into `<dir>/logs/`.
/// Returns the folder; a container whose log cannot be read gets a file saying why.
pub(crate) async fn save_run_logs(
    docker: &Docker,
    run_id: &str,
    dir: &Path,
) -> std::io::Result<PathBuf> {
    let folder = dir.join("logs");
    tokio::fs::create_dir_all(&folder).await?;
    let containers = list_containers(docker, &Scope::Run(run_id.to_string()))
        .await
        .map_err(std::io::Error::other)?;
    for container in containers {
        let text = match read(docker, &container.id, "all").await {
            Ok(text) => text,
            Err(e) => format!("(could not read the log of {}: {e})\n", container.name),
        };
        tokio::fs::write(folder.join(format!("{}.log", container.name)), text).await?;
    }
    Ok(folder)
}
