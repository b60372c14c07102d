//! The Flink session cluster: a JobManager, N TaskManagers and, where the image has one, the SQL
//! Gateway. Both image sources take the official image's interface (`jobmanager`,
//! `taskmanager`, `FLINK_PROPERTIES`), so nothing here depends on where the image came from.

use super::docker::{free_port, ContainerSpec, Run};
use super::endpoints::FlinkEndpoint;
use super::error::StackError;
use super::flink_state;
use super::images::FlinkImage;
use super::progress::Progress;
use super::ready::until_ready;
use super::service::ServiceHandle;
use futures::future::try_join_all;
use std::time::{Duration, Instant};

pub const JOBMANAGER: &str = "flink-jobmanager";
pub const GATEWAY: &str = "flink-sql-gateway";
pub const REST_PORT: u16 = 8081;
pub const GATEWAY_PORT: u16 = 8083;
/// The readiness entry for "every TaskManager registered with free slots".
pub const TASKMANAGERS: &str = "flink-taskmanagers";

/// JVM options for the JobManager and TaskManagers: start-up is what the harness waits for and
/// the jobs it runs are small. C1 only and the serial collector cut the JobManager + TaskManager
/// start from 16 s to 10 s and their CPU from 13.5 s to 8.5 s (measured on 2 busy cores).
/// Passed as `FLINK_ENV_JAVA_OPTS_JM`/`_TM`, which the official scripts append to Flink's own
/// options (`FLINK_ENV_JAVA_OPTS` would replace them, losing the Java 17 `--add-opens`).
const JAVA_OPTS: &str = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

pub fn taskmanager(index: u32) -> String {
    format!("flink-taskmanager-{index}")
}

/// The cluster's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterShape {
    pub taskmanagers: u32,
    pub slots_per_taskmanager: u32,
}

/// The running cluster's containers.
pub(crate) struct Cluster {
    pub jobmanager: ServiceHandle,
    pub taskmanagers: Vec<ServiceHandle>,
    pub gateway: Option<ServiceHandle>,
}

/// `FLINK_PROPERTIES` lines (the official entrypoint strips whitespace inside values, hence
/// `1000ms`). Memory sizes follow the measured needs (JobManager ~550 MiB, TaskManager ~400 MiB
/// resident) with headroom for jobs. Checkpoints and savepoints go to the run's state volume.
fn properties(jobmanager: &str, shape: ClusterShape) -> String {
    let lines = [
        format!("jobmanager.rpc.address: {jobmanager}"),
        "jobmanager.bind-host: 0.0.0.0".into(),
        "taskmanager.bind-host: 0.0.0.0".into(),
        format!("rest.address: {jobmanager}"),
        "rest.bind-address: 0.0.0.0".into(),
        format!("rest.port: {REST_PORT}"),
        format!("taskmanager.numberOfTaskSlots: {}", shape.slots_per_taskmanager),
        "parallelism.default: 1".into(),
        "jobmanager.memory.process.size: 1024m".into(),
        "taskmanager.memory.process.size: 1280m".into(),
        // A TaskManager that starts before the JobManager answers retries after this delay
        // (default 10 s): registration in ~6 s instead of ~19 s.
        "cluster.registration.error-delay: 1000ms".into(),
    ];
    lines.into_iter().chain(flink_state::properties()).collect::<Vec<_>>().join("\n")
}

pub(crate) async fn start(
    run: &Run,
    image: &FlinkImage,
    shape: ClusterShape,
    timeout: Duration,
    progress: &Progress,
) -> Result<(Cluster, FlinkEndpoint), StackError> {
    let jm_name = run.container_name(JOBMANAGER);
    let props = properties(&jm_name, shape);
    let (rest_port, gateway_port) = (free_port()?, free_port()?);
    let requested = Instant::now();
    let state = flink_state::create_volume(run).await?;
    let jobmanager = ContainerSpec::new(JOBMANAGER, &image.image)
        .cmd(["jobmanager"])
        .volume(&state, flink_state::MOUNT_PATH)
        .env("FLINK_ENV_JAVA_OPTS_JM", JAVA_OPTS)
        .env("JOB_MANAGER_RPC_ADDRESS", &jm_name)
        .env("FLINK_PROPERTIES", &props)
        .publish(REST_PORT, rest_port)
        .start(run)
        .await?;
    // TaskManagers retry until the JobManager answers, so they need only its container.
    let taskmanagers = try_join_all((1..=shape.taskmanagers).map(|i| {
        ContainerSpec::new(taskmanager(i), &image.image)
            .cmd(["taskmanager"])
            .volume(&state, flink_state::MOUNT_PATH)
            .env("FLINK_ENV_JAVA_OPTS_TM", JAVA_OPTS)
            .env("JOB_MANAGER_RPC_ADDRESS", &jm_name)
            .env("FLINK_PROPERTIES", &props)
            .start(run)
    }));
    let gateway = async {
        if !image.sql_gateway {
            return Ok(None);
        }
        let gw_name = run.container_name(GATEWAY);
        ContainerSpec::new(GATEWAY, &image.image)
            .cmd([
                "bin/sql-gateway.sh".to_string(),
                "start-foreground".into(),
                format!("-Dsql-gateway.endpoint.rest.address={gw_name}"),
                "-Dsql-gateway.endpoint.rest.bind-address=0.0.0.0".into(),
                format!("-Dsql-gateway.endpoint.rest.port={GATEWAY_PORT}"),
                format!("-Drest.address={jm_name}"),
                format!("-Drest.port={REST_PORT}"),
                format!("-Djobmanager.rpc.address={jm_name}"),
            ])
            .env("JOB_MANAGER_RPC_ADDRESS", &jm_name)
            .env("FLINK_PROPERTIES", &props)
            .publish(GATEWAY_PORT, gateway_port)
            .start(run)
            .await
            .map(Some)
    };
    let (taskmanagers, gateway) = futures::try_join!(taskmanagers, gateway)?;

    let rest_url = format!("http://127.0.0.1:{rest_port}");
    let gateway_url = gateway.as_ref().map(|_| format!("http://127.0.0.1:{gateway_port}"));
    let http = crate::http::client(Duration::from_secs(5))
        .map_err(|e| StackError::setup(JOBMANAGER, e))?;

    let cluster_ready = async {
        let mut watched = vec![&jobmanager];
        watched.extend(taskmanagers.iter());
        until_ready(JOBMANAGER, &[&jobmanager], timeout, || overview(&http, &rest_url)).await?;
        progress.ready(JOBMANAGER, requested);
        wait_taskmanagers(&http, &rest_url, &watched, shape, timeout).await?;
        progress.ready(TASKMANAGERS, requested);
        Ok::<_, StackError>(())
    };
    let gateway_ready = async {
        if let (Some(gw), Some(url)) = (&gateway, &gateway_url) {
            let info = format!("{url}/v1/info");
            until_ready(GATEWAY, &[gw, &jobmanager], timeout, || get_json(&http, &info)).await?;
            progress.ready(GATEWAY, requested);
        }
        Ok::<_, StackError>(())
    };
    futures::try_join!(cluster_ready, gateway_ready)?;

    let endpoint = FlinkEndpoint {
        version: image.version.clone(),
        rest_url,
        rest_url_network: format!("http://{jm_name}:{REST_PORT}"),
        gateway_url,
        gateway_url_network: gateway
            .as_ref()
            .map(|g| format!("http://{}:{GATEWAY_PORT}", g.container_name())),
        sql_runner_jar: image.sql_runner_jar.clone(),
        taskmanagers: shape.taskmanagers,
        task_slots: shape.taskmanagers * shape.slots_per_taskmanager,
    };
    Ok((Cluster { jobmanager, taskmanagers, gateway }, endpoint))
}

/// Ready when `/overview` shows every TaskManager and a free slot; fails at once if the
/// JobManager or a TaskManager container stops. Also used after fault steps restart one.
pub(crate) async fn wait_taskmanagers(
    http: &reqwest::Client,
    rest_url: &str,
    watched: &[&ServiceHandle],
    shape: ClusterShape,
    timeout: Duration,
) -> Result<(), StackError> {
    until_ready(TASKMANAGERS, watched, timeout, || async {
        let overview = overview(http, rest_url).await?;
        let field =
            |name: &str| overview.get(name).and_then(serde_json::Value::as_u64).unwrap_or(0);
        let (registered, free) = (field("taskmanagers"), field("slots-available"));
        if registered >= u64::from(shape.taskmanagers) && free > 0 {
            Ok(())
        } else {
            Err(format!(
                "{registered} of {} TaskManagers registered, {free} free slots",
                shape.taskmanagers
            ))
        }
    })
    .await
}

async fn overview(http: &reqwest::Client, rest_url: &str) -> Result<serde_json::Value, String> {
    get_json(http, &format!("{rest_url}/overview")).await
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<serde_json::Value, String> {
    let response = http.get(url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {status}"));
    }
    response.json().await.map_err(|e| format!("GET {url}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_have_no_spaces_inside_values() {
        let props = properties(
            "cdc-x-flink-jobmanager",
            ClusterShape { taskmanagers: 2, slots_per_taskmanager: 4 },
        );
        for line in props.lines() {
            let (_, value) = line.split_once(": ").expect("key: value");
            assert!(!value.contains(' '), "{line}");
        }
        assert!(props.contains("jobmanager.rpc.address: cdc-x-flink-jobmanager"));
        assert!(props.contains("taskmanager.numberOfTaskSlots: 4"));
        assert!(props.contains(
            "execution.checkpointing.savepoint-dir: file:///cdc-harness/flink-state/savepoints"
        ));
    }
}
