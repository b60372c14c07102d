//! cdc-harness: proves a PostgreSQL -> Apache Flink -> Kafka pipeline works before anyone ships it.
//!
//! Data flows one way: [`scenario`] (parse, validate) -> [`sql`] (generate, lint) -> [`stack`]
//! (containers) -> [`flink`] / [`postgres`] / [`kafka`] / [`connect`] (clients) -> [`expect`]
//! (compare) -> [`report`].

pub mod cli;
pub mod connect;
pub mod diagnostics;
pub mod expect;
pub mod flink;
pub mod http;
pub mod kafka;
pub mod postgres;
pub mod report;
pub mod retry;
pub mod run;
pub mod scenario;
pub mod secret;
pub mod sql;
pub mod stack;
pub mod terminal;
