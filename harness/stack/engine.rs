//! The Docker engine everything runs on. On a fresh Debian machine where we are root, a missing
//! engine is installed (`docker.io`) and started; anywhere else the user gets instructions.

use super::images::cache_dir;
use super::images::docker::{self, CommandError};
use crate::retry::{Attempt, Retry};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::OnceCell;

const INSTALL_HELP: &str = "Install Docker Engine (Debian or Ubuntu: `apt-get install docker.io`; \
    elsewhere see https://docs.docker.com/engine/install/), start it, and run cdc-harness as a user \
    allowed to use it (root, or a member of the `docker` group).";

/// How long a started dockerd may take to answer.
const DOCKERD_START_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("no Docker engine answers at {endpoint} ({detail}); cdc-harness sets one up only as root on Debian, at the default socket. {INSTALL_HELP}")]
    Unavailable { endpoint: String, detail: String },
    #[error(
        "the Docker engine at {endpoint} refuses this user ({detail}); run as root or join the `docker` group"
    )]
    PermissionDenied { endpoint: String, detail: String },
    #[error("installing {packages} with apt-get failed: {source}")]
    Install { packages: String, source: CommandError },
    #[error("dockerd was started but did not answer within {}s ({detail}); its log is {}", DOCKERD_START_TIMEOUT.as_secs(), log.display())]
    StartTimeout { log: PathBuf, detail: String },
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
}

enum Probe {
    Down(String),
    Denied(String),
}

/// Makes sure a Docker engine answers, installing and starting one where we may.
pub async fn ensure_engine() -> Result<(), EngineError> {
    let endpoint = super::docker_endpoint();
    let detail = match probe().await {
        Ok(version) => {
            tracing::debug!("Docker engine {version} answers at {endpoint}");
            return Ok(());
        }
        Err(Probe::Denied(detail)) => {
            return Err(EngineError::PermissionDenied { endpoint: endpoint.to_string(), detail })
        }
        Err(Probe::Down(detail)) => detail,
    };
    // Only the local default engine is ours to set up; one elsewhere is the user's.
    let remote = endpoint.host != super::docker_host::DEFAULT_HOST;
    if remote || !(is_root() && is_debian()) {
        return Err(EngineError::Unavailable { endpoint: endpoint.to_string(), detail });
    }
    if dockerd_running() {
        tracing::info!("dockerd is running but does not answer yet ({detail}); waiting for it");
        return wait_for_engine(cache_dir().join("dockerd.log")).await;
    }
    if find_program("dockerd").is_none() || find_program("docker").is_none() {
        tracing::info!("no Docker engine answers ({detail}); installing docker.io with apt-get");
        apt_install(&["docker.io"]).await?;
    }
    start_dockerd(&detail).await
}

/// Whether the pid in /var/run/docker.pid is alive (a busy engine must not get a twin).
fn dockerd_running() -> bool {
    std::fs::read_to_string("/var/run/docker.pid")
        .ok()
        .map(|pid| Path::new("/proc").join(pid.trim()).exists())
        .unwrap_or(false)
}

async fn probe() -> Result<String, Probe> {
    match docker::output(&["version", "--format", "{{.Server.Version}}"], Duration::from_secs(15))
        .await
    {
        Ok(version) => Ok(version.trim().to_string()),
        Err(CommandError::Failed { output, .. }) if output.contains("permission denied") => {
            Err(Probe::Denied(output))
        }
        Err(CommandError::Spawn { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Err(Probe::Down("the docker command is not installed".to_string()))
        }
        Err(err) => Err(Probe::Down(err.to_string())),
    }
}

async fn start_dockerd(why: &str) -> Result<(), EngineError> {
    let log = cache_dir().join("dockerd.log");
    let io = |context: String| move |source| EngineError::Io { context, source };
    std::fs::create_dir_all(cache_dir())
        .map_err(io(format!("creating {}", cache_dir().display())))?;
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .map_err(io(format!("opening {}", log.display())))?;
    let err = out.try_clone().map_err(io(format!("opening {}", log.display())))?;
    tracing::info!(
        "no Docker engine answers ({why}); starting dockerd in the background, logging to {}",
        log.display()
    );
    // Its own process group: Ctrl-C on the harness must not stop the engine.
    use std::os::unix::process::CommandExt;
    std::process::Command::new("dockerd")
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(io("starting dockerd".to_string()))?;
    wait_for_engine(log).await
}

async fn wait_for_engine(log: PathBuf) -> Result<(), EngineError> {
    let answered = Retry::with_timeout(DOCKERD_START_TIMEOUT)
        .max_backoff(Duration::from_millis(500))
        .run(|| async {
            match probe().await {
                Ok(version) => Ok(version),
                Err(Probe::Down(detail) | Probe::Denied(detail)) => Err(Attempt::Retry(detail)),
            }
        })
        .await;
    match answered {
        Ok(version) => {
            tracing::info!("Docker engine {version} answers");
            Ok(())
        }
        Err(err) => Err(EngineError::StartTimeout { log, detail: err.into_inner() }),
    }
}

/// `apt-get install -y packages` (after one `apt-get update` per process).
pub(crate) async fn apt_install(packages: &[&str]) -> Result<(), EngineError> {
    static UPDATED: OnceCell<()> = OnceCell::const_new();
    let joined = packages.join(" ");
    let failed = |source| EngineError::Install { packages: joined.clone(), source };
    UPDATED
        .get_or_try_init(|| async {
            docker::run_program("apt-get", &["update", "-q"], Duration::from_secs(600))
                .await
                .map(|_| ())
        })
        .await
        .map_err(failed)?;
    // apt-get must not ask questions: there is no one to answer them.
    let mut args = vec!["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q"];
    args.extend_from_slice(packages);
    docker::run_program("env", &args, Duration::from_secs(1200)).await.map_err(failed)?;
    tracing::info!("installed {joined} with apt-get");
    Ok(())
}

/// Whether this process runs as root (Linux: the real uid in /proc/self/status).
pub(crate) fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().next().map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

pub(crate) fn is_debian() -> bool {
    Path::new("/etc/debian_version").exists()
}

/// The program's path on PATH, if it is there.
pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_programs_on_path() {
        assert!(find_program("sh").is_some());
        assert!(find_program("surely-no-such-program-cdc-harness").is_none());
    }

    #[test]
    fn reads_the_uid() {
        // The test runs as some user; whichever, the answer must match `id -u`.
        let id = std::process::Command::new("id").arg("-u").output().unwrap();
        let uid = String::from_utf8_lossy(&id.stdout).trim().to_string();
        assert_eq!(is_root(), uid == "0");
    }
}
