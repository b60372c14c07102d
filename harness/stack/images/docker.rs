//! The `docker` CLI, run through tokio: short commands with a deadline, and long ones (build,
//! pull, import) whose output is streamed line by line and whose tail explains a failure.

use std::collections::VecDeque;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

/// How many output lines a failure keeps.
const TAIL_LINES: usize = 40;

/// Why a docker command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("cannot run `{command}`: {source}")]
    Spawn { command: String, source: std::io::Error },
    #[error("`{command}` did not finish within {}s", timeout.as_secs())]
    Timeout { command: String, timeout: Duration },
    #[error("`{command}` failed ({status}): {output}")]
    Failed { command: String, status: ExitStatus, output: String, step: Option<String> },
}

impl CommandError {
    /// The last build step seen before the failure, if the command was a build.
    pub fn step(&self) -> Option<&str> {
        match self {
            CommandError::Failed { step, .. } => step.as_deref(),
            _ => None,
        }
    }
}

fn describe(program: &str, args: &[&str]) -> String {
    let mut text = program.to_string();
    for arg in args.iter().take(3) {
        text.push(' ');
        text.push_str(arg);
    }
    if args.len() > 3 {
        text.push_str(" ...");
    }
    text
}

/// Runs `docker args...` to completion within `timeout`; returns its stdout.
pub async fn output(args: &[&str], timeout: Duration) -> Result<String, CommandError> {
    run_program("docker", args, timeout).await
}

/// Runs any program to completion within `timeout`; returns its stdout.
pub async fn run_program(
    program: &str,
    args: &[&str],
    timeout: Duration,
) -> Result<String, CommandError> {
    let command = describe(program, args);
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| CommandError::Spawn { command: command.clone(), source })?;
    let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => return Err(CommandError::Timeout { command, timeout }),
        Ok(result) => {
            result.map_err(|source| CommandError::Spawn { command: command.clone(), source })?
        }
    };
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let mut text = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if text.is_empty() {
            text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        }
        Err(CommandError::Failed { command, status: out.status, output: text, step: None })
    }
}

/// Whether the engine has this image.
pub async fn image_exists(reference: &str) -> Result<bool, CommandError> {
    match output(&["image", "inspect", "--format", "{{.Id}}", reference], Duration::from_secs(30))
        .await
    {
        Ok(_) => Ok(true),
        Err(CommandError::Failed { output, .. }) if output.contains("No such image") => Ok(false),
        Err(err) => Err(err),
    }
}

/// The engine's CPU architecture as Docker names it (`amd64`, `arm64`).
pub async fn engine_arch() -> Result<String, CommandError> {
    let out = output(&["version", "--format", "{{.Server.Arch}}"], Duration::from_secs(20)).await?;
    Ok(out.trim().to_string())
}

/// A line of a streamed command, and whether it names a new build step.
pub fn build_step(line: &str) -> Option<&str> {
    let line = line.trim();
    // Legacy builder: "Step 3/12 : RUN ..."; BuildKit: "#7 [fetch 2/4] RUN ...".
    if line.starts_with("Step ") && line.contains(" : ") {
        return Some(line);
    }
    if line.starts_with('#') && line.contains(" [") && !line.contains(" [internal]") {
        let after = line.split_once(' ').map(|(_, rest)| rest).unwrap_or(line);
        if after.starts_with('[') {
            return Some(after);
        }
    }
    None
}

/// Runs a long command (`program args...`), feeding each output line to `on_line`. On failure
/// the error carries the last lines and the last build step.
pub async fn stream(
    program: &str,
    args: &[&str],
    dir: Option<&Path>,
    timeout: Duration,
    mut on_line: impl FnMut(&str),
) -> Result<(), CommandError> {
    let command = describe(program, args);
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let mut child =
        cmd.spawn().map_err(|source| CommandError::Spawn { command: command.clone(), source })?;
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    forward_lines(child.stdout.take(), tx.clone());
    forward_lines(child.stderr.take(), tx);

    let mut tail: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES);
    let mut step: Option<String> = None;
    let work = async {
        while let Some(line) = rx.recv().await {
            if let Some(s) = build_step(&line) {
                step = Some(s.to_string());
            }
            on_line(&line);
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
        child.wait().await
    };
    let status = match tokio::time::timeout(timeout, work).await {
        Err(_) => return Err(CommandError::Timeout { command, timeout }),
        Ok(status) => {
            status.map_err(|source| CommandError::Spawn { command: command.clone(), source })?
        }
    };
    if status.success() {
        Ok(())
    } else {
        let output = tail.into_iter().collect::<Vec<_>>().join("\n");
        Err(CommandError::Failed { command, status, output, step })
    }
}

fn forward_lines<R: AsyncRead + Unpin + Send + 'static>(
    reader: Option<R>,
    tx: mpsc::UnboundedSender<String>,
) {
    let Some(reader) = reader else { return };
    tokio::spawn(async move {
        let mut lines = BufReader::new(reader).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
}

/// One harness image as `docker image ls --format '{{json .}}'` describes it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedImage {
    pub repository: String,
    pub tag: String,
    pub size: String,
    pub created_at: String,
}

/// Images carrying `label` (`key` or `key=value`).
pub async fn list_labelled(label: &str) -> Result<Vec<ListedImage>, CommandError> {
    let filter = format!("label={label}");
    let out = output(
        &["image", "ls", "--filter", &filter, "--format", "{{json .}}"],
        Duration::from_secs(30),
    )
    .await?;
    Ok(out.lines().filter_map(|line| serde_json::from_str(line).ok()).collect())
}

/// The images a reference names (none when absent).
pub async fn list_reference(reference: &str) -> Result<Vec<ListedImage>, CommandError> {
    let out =
        output(&["image", "ls", "--format", "{{json .}}", reference], Duration::from_secs(30))
            .await?;
    Ok(out.lines().filter_map(|line| serde_json::from_str(line).ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_build_steps_of_both_builders() {
        assert_eq!(
            build_step("Step 12/31 : RUN set -eux; cd /fetch"),
            Some("Step 12/31 : RUN set -eux; cd /fetch")
        );
        assert_eq!(
            build_step("#7 [fetch 2/4] RUN apt-get update"),
            Some("[fetch 2/4] RUN apt-get update")
        );
        assert_eq!(build_step("#1 [internal] load build definition"), None);
        assert_eq!(build_step(" ---> Running in 57da93fe9f94"), None);
        assert_eq!(build_step("#7 0.312 Get:1 http://x bookworm InRelease"), None);
    }

    #[test]
    fn parses_image_listings() {
        let line = r#"{"Containers":"N/A","CreatedAt":"2026-11-21 11:30:00 +0000 UTC","CreatedSince":"1 hour ago","Digest":"<none>","ID":"e90c35b53191","Repository":"cdc-harness/flink","SharedSize":"N/A","Size":"902MB","Tag":"2.0.1-0123456789ab","UniqueSize":"N/A","VirtualSize":"902MB"}"#;
        let image: ListedImage = serde_json::from_str(line).unwrap();
        assert_eq!(image.repository, "cdc-harness/flink");
        assert_eq!(image.size, "902MB");
    }

    #[tokio::test]
    async fn a_failing_stream_reports_its_last_lines() {
        let err = stream(
            "sh",
            &["-c", "echo 'Step 1/2 : RUN true'; echo boom >&2; exit 3"],
            None,
            Duration::from_secs(10),
            |_| {},
        )
        .await
        .unwrap_err();
        assert_eq!(err.step(), Some("Step 1/2 : RUN true"));
        assert!(err.to_string().contains("boom"), "{err}");
    }

    #[tokio::test]
    async fn a_slow_command_times_out() {
        let err = run_program("sleep", &["5"], Duration::from_millis(100)).await.unwrap_err();
        assert!(matches!(err, CommandError::Timeout { .. }), "{err}");
    }
}
