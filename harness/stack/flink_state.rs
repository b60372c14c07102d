//! Where the Flink cluster keeps checkpoints and savepoints: one Docker volume per run, mounted at
//! the same path in the JobManager and every TaskManager, because a savepoint or checkpoint is
//! written by the TaskManagers and the JobManager together and read back by whichever restores it.
//!
//! The volume is a size-capped tmpfs with mode 1777: a plain local volume's root belongs to root,
//! and Flink runs as the unprivileged `flink` user in both images. It carries the run's labels,
//! so the run's reaper (`stop`, a failed start, `down`) removes it after the containers, and its
//! content goes with the last container using it: a stack leaves no state behind.

use super::docker::Run;
use super::error::StackError;
use std::collections::HashMap;
use testcontainers::bollard::models::VolumeCreateRequest;

/// The mount point inside every Flink container.
pub const MOUNT_PATH: &str = "/cdc-harness/flink-state";

/// Checkpoints and savepoints of a session cluster's jobs are small (a source position, a sink's
/// pending transactions); the cap keeps a runaway job from eating the host's memory.
const SIZE: &str = "256m";

/// `cdc-<run id>-flink-state`.
pub(crate) fn volume_name(run: &Run) -> String {
    run.container_name("flink-state")
}

pub(crate) async fn create_volume(run: &Run) -> Result<String, StackError> {
    let name = volume_name(run);
    let request = VolumeCreateRequest {
        name: Some(name.clone()),
        driver: Some("local".into()),
        driver_opts: Some(HashMap::from([
            ("type".to_string(), "tmpfs".to_string()),
            ("device".to_string(), "tmpfs".to_string()),
            ("o".to_string(), format!("size={SIZE},mode=1777")),
        ])),
        labels: Some(run.labels()),
        ..Default::default()
    };
    run.docker
        .create_volume(request)
        .await
        .map_err(|e| StackError::setup(super::flink::JOBMANAGER, format!("volume {name}: {e}")))?;
    Ok(name)
}

/// `FLINK_PROPERTIES` lines, in the names of FLIP-406 (Flink 1.20 and later, every line the
/// harness runs; `state.checkpoints.dir` and `state.savepoints.dir` are their deprecated
/// aliases). Checkpoints outlive a cancelled job
/// (`RETAIN_ON_CANCELLATION`), which is what `job = "resume-from-checkpoint"` restores. No
/// checkpoint interval is set here: a job checkpoints only when its script says so
/// (`SET 'execution.checkpointing.interval'`, which CDC scenarios get by default).
pub(crate) fn properties() -> [String; 3] {
    [
        format!("execution.checkpointing.dir: file://{MOUNT_PATH}/checkpoints"),
        format!("execution.checkpointing.savepoint-dir: file://{MOUNT_PATH}/savepoints"),
        "execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION".into(),
    ]
}
