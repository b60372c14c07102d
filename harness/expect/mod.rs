//! Comparing what arrived in Kafka with what a scenario expects.
//!
//! [`verify`] reads a [`RecordSource`](crate::kafka::RecordSource) until the [`Expectation`]
//! holds or its timeout passes, then for a quiet period to catch extra records, and returns a
//! [`Verdict`] with a readable diff: `- missing record #i`, `+ extra record`, per key.
//!
//! Modes ([`Mode`]): the exact changelog per key, the final state (the table rebuilt from the
//! changelog), contains (extras allowed), count. Values compare by type (`compare.rs`).

mod align;
mod check;
mod compare;
mod decimal;
mod diff;
mod index;
mod temporal;
mod value;
mod verify;

use std::collections::BTreeMap;
use std::time::Duration;

pub use compare::{compare, Mismatch};
pub use decimal::Decimal;
pub use diff::{DiffEntry, Verdict};
pub use value::ExpectedValue;
pub use verify::verify;

pub use crate::kafka::Op;

/// What must arrive in the sink topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub mode: Mode,
    /// The expected records (changelog, contains) or rows (final state); unused by count.
    pub records: Vec<ExpectedRecord>,
    /// Row fields that identify a row when records carry no Kafka key (a `kafka` sink without
    /// a key format). Empty: the Kafka key identifies rows.
    pub key_fields: Vec<String>,
    /// At-least-once delivery: a record may arrive again (a replay after a failure). A repeat
    /// of a record received in its place is then not an extra record; counts count distinct
    /// records.
    pub allow_duplicates: bool,
    /// How long to wait for the expectation to hold.
    pub timeout: Duration,
    /// How long to keep reading after it holds, to catch extra records.
    pub quiet_period: Duration,
    /// The topic already holds every record it will ever get (the job that writes it has
    /// FINISHED): once it is read to its end, a verdict is final at once instead of at the
    /// timeout.
    pub complete: bool,
}

impl Expectation {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
    pub const DEFAULT_QUIET_PERIOD: Duration = Duration::from_secs(2);

    pub fn new(mode: Mode, records: Vec<ExpectedRecord>) -> Expectation {
        Expectation {
            mode,
            records,
            key_fields: Vec::new(),
            allow_duplicates: false,
            timeout: Expectation::DEFAULT_TIMEOUT,
            quiet_period: Expectation::DEFAULT_QUIET_PERIOD,
            complete: false,
        }
    }

    /// Checks what can be checked before reading anything.
    pub fn validate(&self) -> Result<(), ExpectError> {
        let invalid = |message: String| Err(ExpectError::Invalid(message));
        if let Mode::Count(count) = &self.mode {
            if count.total.is_none() && count.per_op.is_empty() {
                return invalid("count mode needs a total or a count per op".into());
            }
        }
        for (i, record) in self.records.iter().enumerate() {
            if record.key.is_some() {
                continue;
            }
            let Some(value) = &record.value else {
                return invalid(format!("record #{}: a deletion (no value) needs a key", i + 1));
            };
            if let Some(missing) = self.key_fields.iter().find(|f| value.field(f).is_none()) {
                return invalid(format!("record #{}: no key field `{missing}` in {value}", i + 1));
            }
        }
        Ok(())
    }
}

/// How received changes are compared with the expected records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Exactly these records: per key in this order (order across keys is free), nothing else.
    Changelog,
    /// The table rebuilt from the changelog (upserts, deletes and tombstones applied by key)
    /// holds exactly these rows, in any order.
    FinalState,
    /// Every expected record arrived (any order); other records are allowed.
    Contains,
    /// Exactly this many changes, in total and/or per op.
    Count(Count),
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Changelog => "changelog",
            Mode::FinalState => "final-state",
            Mode::Contains => "contains",
            Mode::Count(_) => "count",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Count {
    pub total: Option<usize>,
    pub per_op: BTreeMap<Op, usize>,
}

/// One expected record (changelog, contains) or row (final state).
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedRecord {
    /// The Kafka key (or the key fields' values); `None`: any key, or derived from
    /// `key_fields`.
    pub key: Option<ExpectedValue>,
    /// `None`: any op.
    pub op: Option<Op>,
    /// The row; `None`: the key is deleted (a tombstone in upsert-kafka; in final state, the
    /// key must be absent).
    pub value: Option<ExpectedValue>,
}

impl ExpectedRecord {
    pub fn row(value: ExpectedValue) -> ExpectedRecord {
        ExpectedRecord { key: None, op: None, value: Some(value) }
    }
}

/// Errors of the expectation layer.
#[derive(Debug, thiserror::Error)]
pub enum ExpectError {
    #[error("invalid expected value{}: {message}", if path.is_empty() { String::new() } else { format!(" at {path}") })]
    InvalidValue { path: String, message: String },
    #[error("invalid expectation: {0}")]
    Invalid(String),
    #[error(transparent)]
    Kafka(#[from] crate::kafka::KafkaError),
}

impl ExpectError {
    /// Prefixes the path of an invalid value with the field it sits in.
    pub(crate) fn at(self, field: &str) -> ExpectError {
        match self {
            ExpectError::InvalidValue { path, message } => ExpectError::InvalidValue {
                path: if path.is_empty() { field.to_owned() } else { format!("{field}.{path}") },
                message,
            },
            other => other,
        }
    }
}
