//! The one Docker endpoint every client uses: the `docker` CLI (image work), bollard (networks,
//! inventory, logs) and testcontainers (containers). Each has its own idea of where the engine
//! is — the CLI follows the active `docker context`, bollard reads only `DOCKER_HOST`,
//! testcontainers has fallbacks of its own — so on Docker Desktop, Colima or Rancher Desktop
//! images and containers could land in two engines. It is resolved once, as the CLI would, and
//! exported as `DOCKER_HOST` so that all three agree.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the engine is, and why there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerEndpoint {
    /// `unix:///var/run/docker.sock`, `tcp://host:2376`, ...
    pub host: String,
    /// `DOCKER_HOST`, `docker context colima`, or `the default socket`.
    pub from: String,
}

impl std::fmt::Display for DockerEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (from {})", crate::secret::redact(&self.host), self.from)
    }
}

static ENDPOINT: OnceLock<DockerEndpoint> = OnceLock::new();

/// Where every client looks when nothing says otherwise.
pub(super) const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The endpoint, resolved on first use and exported as `DOCKER_HOST` for testcontainers, bollard
/// and the `docker` CLI (children inherit it). The CLI calls this before it starts any thread.
pub fn docker_endpoint() -> &'static DockerEndpoint {
    ENDPOINT.get_or_init(|| {
        let endpoint = resolve(&|name| std::env::var(name).ok(), home().as_deref());
        // Exported only where a client would otherwise pick another engine (a context, a
        // desktop socket, an empty DOCKER_HOST): changing the environment is only sound while
        // no other thread reads it, which holds for the CLI, not for a test binary.
        let current = std::env::var("DOCKER_HOST").ok();
        let needed = match current.as_deref() {
            Some(host) => host != endpoint.host,
            None => endpoint.host != DEFAULT_HOST,
        };
        if needed {
            std::env::set_var("DOCKER_HOST", &endpoint.host);
        }
        tracing::debug!("Docker engine: {endpoint}");
        endpoint
    })
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

/// As the `docker` CLI resolves it: a non-empty `DOCKER_HOST`; else the context named by
/// `DOCKER_CONTEXT` or by `currentContext` in `$DOCKER_CONFIG/config.json` (`~/.docker`); else
/// the first socket present of the usual places (Linux, rootless, Docker Desktop).
pub fn resolve(env: &dyn Fn(&str) -> Option<String>, home: Option<&Path>) -> DockerEndpoint {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(host) = set("DOCKER_HOST") {
        return DockerEndpoint { host, from: "DOCKER_HOST".into() };
    }
    let config_dir =
        set("DOCKER_CONFIG").map(PathBuf::from).or_else(|| home.map(|h| h.join(".docker")));
    if let Some(dir) = &config_dir {
        let context = set("DOCKER_CONTEXT").or_else(|| current_context(dir));
        if let Some(name) = context.filter(|n| n != "default") {
            if let Some(host) = context_host(dir, &name) {
                return DockerEndpoint { host, from: format!("docker context {name}") };
            }
        }
    }
    let mut sockets = vec![PathBuf::from(DEFAULT_HOST.trim_start_matches("unix://"))];
    if let Some(runtime) = set("XDG_RUNTIME_DIR") {
        sockets.push(Path::new(&runtime).join("docker.sock"));
        sockets.push(Path::new(&runtime).join(".docker/run/docker.sock"));
    }
    if let Some(home) = home {
        sockets.push(home.join(".docker/run/docker.sock"));
        sockets.push(home.join(".docker/desktop/docker.sock"));
        sockets.push(home.join(".colima/default/docker.sock"));
        sockets.push(home.join(".rd/docker.sock"));
    }
    let socket = sockets.iter().find(|s| s.exists()).unwrap_or(&sockets[0]);
    DockerEndpoint {
        host: format!("unix://{}", socket.display()),
        from: "the default socket".into(),
    }
}

fn current_context(config_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(config_dir.join("config.json")).ok()?;
    let config: serde_json::Value = serde_json::from_str(&text).ok()?;
    config["currentContext"].as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// A context's docker endpoint, from `contexts/meta/<sha256 of its name>/meta.json`.
fn context_host(config_dir: &Path, name: &str) -> Option<String> {
    let digest = Sha256::digest(name.as_bytes());
    let id: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let meta = config_dir.join("contexts/meta").join(id).join("meta.json");
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(meta).ok()?).ok()?;
    meta["Endpoints"]["docker"]["Host"].as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| vars.get(name).cloned()
    }

    fn context(dir: &Path, name: &str, host: &str) {
        let id: String =
            Sha256::digest(name.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        let meta = dir.join("contexts/meta").join(id);
        std::fs::create_dir_all(&meta).unwrap();
        let json = serde_json::json!({"Name": name, "Endpoints": {"docker": {"Host": host}}});
        std::fs::write(meta.join("meta.json"), json.to_string()).unwrap();
    }

    #[test]
    fn docker_host_wins_and_empty_counts_as_unset() {
        let home = tempfile::tempdir().unwrap();
        let set = resolve(&with(&[("DOCKER_HOST", "tcp://10.0.0.1:2375")]), Some(home.path()));
        assert_eq!(set.host, "tcp://10.0.0.1:2375");
        assert_eq!(set.from, "DOCKER_HOST");
        let empty = resolve(&with(&[("DOCKER_HOST", "")]), Some(home.path()));
        assert_eq!(empty.from, "the default socket");
        assert!(empty.host.starts_with("unix:///"), "{empty:?}");
    }

    #[test]
    fn the_current_context_is_followed_as_the_cli_does() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".docker");
        std::fs::create_dir_all(&dir).unwrap();
        context(&dir, "colima", "unix:///Users/me/.colima/default/docker.sock");
        std::fs::write(dir.join("config.json"), r#"{"currentContext": "colima"}"#).unwrap();
        let found = resolve(&with(&[]), Some(home.path()));
        assert_eq!(found.host, "unix:///Users/me/.colima/default/docker.sock");
        assert_eq!(found.from, "docker context colima");

        // DOCKER_CONTEXT overrides the config file; `default` means the default socket.
        context(&dir, "desktop-linux", "unix:///home/me/.docker/desktop/docker.sock");
        let env = with(&[("DOCKER_CONTEXT", "desktop-linux")]);
        assert_eq!(resolve(&env, Some(home.path())).from, "docker context desktop-linux");
        let env = with(&[("DOCKER_CONTEXT", "default")]);
        assert_eq!(resolve(&env, Some(home.path())).from, "the default socket");

        // DOCKER_CONFIG moves the whole folder.
        let elsewhere = tempfile::tempdir().unwrap();
        context(elsewhere.path(), "rancher", "unix:///home/me/.rd/docker.sock");
        std::fs::write(elsewhere.path().join("config.json"), r#"{"currentContext":"rancher"}"#)
            .unwrap();
        let env = with(&[("DOCKER_CONFIG", elsewhere.path().to_str().unwrap())]);
        assert_eq!(resolve(&env, Some(home.path())).from, "docker context rancher");
    }

    #[test]
    fn a_desktop_socket_is_found_when_the_linux_one_is_missing() {
        if Path::new("/var/run/docker.sock").exists() {
            // The Linux socket comes first; only its absence can show the fallback.
            let home = tempfile::tempdir().unwrap();
            let found = resolve(&with(&[]), Some(home.path()));
            assert_eq!(found.host, "unix:///var/run/docker.sock");
            return;
        }
        let home = tempfile::tempdir().unwrap();
        let desktop = home.path().join(".docker/desktop");
        std::fs::create_dir_all(&desktop).unwrap();
        std::fs::write(desktop.join("docker.sock"), "").unwrap();
        let found = resolve(&with(&[]), Some(home.path()));
        assert_eq!(found.host, format!("unix://{}", desktop.join("docker.sock").display()));
    }
}
