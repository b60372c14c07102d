//! Scenario files: parsed and validated, with positions, before anything connects.
