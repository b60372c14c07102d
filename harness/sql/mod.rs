//! Flink SQL: parsing connector DDL with positions, linting it, generating it from scenarios.

pub mod catalog;
pub mod ddl;
pub mod debezium;
pub mod generate;
pub mod lint;
pub mod rewrite;
pub mod types;
