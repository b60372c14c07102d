//! `cdc-harness run`: every scenario end to end against one stack.
//!
//! [`plan`] reads and checks every scenario before anything starts (parse, expectations,
//! isolated names, what the chosen images can run). [`Suite`] holds what scenarios share (the
//! stack's endpoints, the Flink submitter, the artefact folder); [`scenario::run`] takes one
//! scenario through its phases, each timed and bounded, and always through teardown.

mod action;
pub mod bench;
mod context;
mod convert;
mod failure;
mod needs;
mod plan;
mod scenario;
mod services;
pub mod slot_bench;
mod suite;
mod teardown;

pub use convert::{convert_expectation, sink_format};
pub use failure::ScenarioFailure;
pub use needs::{missing_piece, needs_containers};
pub use plan::{plan, PlanError, Planned};
pub use services::Services;
pub use suite::{run_on, run_suite, Interruption, RunOptions, Suite};
