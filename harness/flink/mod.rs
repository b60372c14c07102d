//! Clients that talk to Flink: the JobManager REST API (jobs, exceptions, checkpoints,
//! savepoints, jars), the SQL Gateway REST API (v2-v4), and [`Submitter`], the one way the run
//! engine hands a SQL script to a cluster (`submit = auto|gateway|jar`).
//!
//! Every call fails with [`FlinkError`], which names the endpoint, the HTTP status and Flink's
//! root cause; every wait polls through [`crate::retry::Retry`].

mod error;
mod gateway;
mod jar;
mod jobmanager;
mod rest;
mod script;
mod submit;

pub use error::{root_cause, FlinkError};
pub use gateway::{
    ApiVersion, Column, Heartbeat, OperationStatus, Row, Session, SqlGateway, StatementResult,
};
pub use jar::{JarFile, JarRun};
pub use jobmanager::{
    CheckpointCounts, CheckpointInfo, CheckpointStats, ClusterOverview, JobDetails, JobException,
    JobManager, JobState, JobSummary, LatestCheckpoints, RestoredCheckpoint, SavepointStatus,
    TaskManagerInfo, VertexInfo,
};
pub use rest::DEFAULT_REQUEST_TIMEOUT;
pub use submit::{
    FlinkEndpoints, JarSource, SqlRunner, SubmitMode, SubmitOptions, SubmittedJob, Submitter,
};
