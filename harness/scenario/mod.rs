//! Scenario files: parsed and validated, with positions, before anything connects.
//!
//! `load` reads a TOML file into a [`Scenario`]; every problem (TOML syntax, unknown or mistyped
//! fields, inconsistent sections) comes back at once as [`Finding`]s with the file's line and
//! column and a hint.
//!
//! [`Finding`]: crate::diagnostics::Finding

mod error;
mod model;

pub use error::ScenarioError;
pub use model::*;
