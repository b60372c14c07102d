//! One service started on its own (for `bench stack`): the yardstick for how much starting the
//! services together costs compared with the slowest of them alone.

use super::cleanup::{reap, RunGuard, Scope};
use super::docker::{self, Run};
use super::error::StackError;
use super::flink::{self, ClusterShape};
use super::images::Images;
use super::progress::Progress;
use super::{kafka, network, postgres};
use std::time::{Duration, Instant};

/// A service that can be started alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solo {
    Postgres,
    Kafka,
    /// JobManager, TaskManagers and gateway: ready as in a full stack.
    Flink,
}

impl Solo {
    pub const ALL: [Solo; 3] = [Solo::Postgres, Solo::Kafka, Solo::Flink];

    pub fn name(self) -> &'static str {
        match self {
            Solo::Postgres => postgres::SERVICE,
            Solo::Kafka => kafka::SERVICE,
            Solo::Flink => "flink",
        }
    }
}

/// Starts `solo` alone on a network of its own, returns the time from the first container
/// request to ready, and removes it.
pub async fn time_alone(
    images: &Images,
    solo: Solo,
    shape: ClusterShape,
    timeout: Duration,
) -> Result<Duration, StackError> {
    let run = Run::new(docker::new_run_id())?;
    let mut guard = RunGuard::new(&run);
    network::create(&run).await?;
    let progress = Progress::new(Vec::new(), false);
    let started = Instant::now();
    match solo {
        Solo::Postgres => drop(postgres::start(&run, &images.postgres, timeout, &progress).await?),
        Solo::Kafka => {
            drop(kafka::start(&run, &images.kafka, images.kafka_flavour, timeout, &progress).await?)
        }
        Solo::Flink => drop(flink::start(&run, &images.flink, shape, timeout, &progress).await?),
    }
    let elapsed = started.elapsed();
    progress.finish();
    reap(&run.docker, &Scope::Run(run.id.clone())).await?;
    guard.disarm();
    Ok(elapsed)
}
