//! The verdict and its readable diff (testdrive style: missing record #i, extra record).

use std::fmt::{self, Write as _};
use std::time::Duration;

use super::compare::{clip, Mismatch};
use super::ExpectedRecord;
use crate::kafka::Change;

/// One difference between what was expected and what arrived.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiffEntry {
    /// An expected record (or row) that nothing received matched.
    Missing {
        /// The key it belongs to, when records are keyed.
        key: Option<String>,
        /// Index into the expectation's records (shown 1-based).
        record: usize,
        expected: String,
        /// The received record closest to it (same key), and how it differs.
        closest: Option<(String, Mismatch)>,
    },
    /// A received record (or final row) nothing expected.
    Extra { key: Option<String>, received: String, note: Option<String> },
    /// An expected record whose place (or key) a different record took.
    Differs {
        key: Option<String>,
        record: usize,
        expected: String,
        received: String,
        mismatch: Option<Mismatch>,
    },
    /// Count mode: how many of something arrived.
    Count { of: String, expected: usize, received: usize },
}

impl DiffEntry {
    pub(crate) fn missing(
        key: Option<&str>,
        record: usize,
        expected: &ExpectedRecord,
        closest: Option<(String, Mismatch)>,
    ) -> DiffEntry {
        DiffEntry::Missing {
            key: key.map(str::to_owned),
            record,
            expected: DiffEntry::describe(expected),
            closest,
        }
    }

    /// `insert key={"id":1} {"id":1,"name":"a"}`, or `key={"id":1} deleted`.
    pub(crate) fn describe(record: &ExpectedRecord) -> String {
        let mut out = String::new();
        if let Some(op) = record.op {
            let _ = write!(out, "{op} ");
        }
        if let Some(key) = &record.key {
            let _ = write!(out, "key={key} ");
        }
        match &record.value {
            Some(value) => out.push_str(&value.to_string()),
            None => out.push_str("(deleted)"),
        }
        clip(out)
    }

    fn key(&self) -> Option<&str> {
        match self {
            DiffEntry::Missing { key, .. }
            | DiffEntry::Extra { key, .. }
            | DiffEntry::Differs { key, .. } => key.as_deref(),
            DiffEntry::Count { .. } => None,
        }
    }
}

/// The outcome of checking one expectation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verdict {
    pub passed: bool,
    pub topic: String,
    /// `changelog`, `final-state`, `contains` or `count`.
    pub mode: &'static str,
    pub expected_records: usize,
    /// Empty when passed.
    pub diff: Vec<DiffEntry>,
    /// Every change decoded, in arrival order (for the report's artefacts).
    pub received: Vec<Change>,
    #[serde(serialize_with = "seconds")]
    pub waited: Duration,
    /// Whether the expectation never held before the timeout.
    pub timed_out: bool,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Received records listed in full up to this many; beyond, the first and last ones.
const LISTED: usize = 40;
const LISTED_HEAD: usize = 30;

impl Verdict {
    /// One line: PASS/FAIL, topic, mode, counts, time.
    pub fn summary(&self) -> String {
        let noun = if self.mode == "final-state" { "row" } else { "record" };
        let expected = if self.mode == "count" {
            String::new()
        } else {
            format!("{} expected, ", plural(self.expected_records, noun))
        };
        format!(
            "{} topic {} ({}): {expected}{} received in {:.1}s{}",
            if self.passed { "PASS" } else { "FAIL" },
            self.topic,
            self.mode,
            plural(self.received.len(), "record"),
            self.waited.as_secs_f64(),
            if self.timed_out { " (timed out waiting for the expectation)" } else { "" },
        )
    }

    /// The summary, the diff grouped by key, and the records received.
    pub fn render(&self) -> String {
        let mut out = self.summary();
        out.push('\n');
        let noun = if self.mode == "final-state" { "row" } else { "record" };
        let keyed = self.diff.iter().any(|e| e.key().is_some());
        let mut labels: Vec<Option<&str>> = Vec::new();
        for entry in &self.diff {
            if !labels.contains(&entry.key()) {
                labels.push(entry.key());
            }
        }
        for label in labels {
            let indent = if keyed {
                let _ = writeln!(out, "key {}:", label.unwrap_or("(none)"));
                "  "
            } else {
                ""
            };
            for entry in self.diff.iter().filter(|e| e.key() == label) {
                render_entry(&mut out, entry, noun, indent);
            }
        }
        if !self.passed {
            let _ = writeln!(out, "received {}:", plural(self.received.len(), "record"));
            let n = self.received.len();
            for (i, change) in self.received.iter().enumerate() {
                if n > LISTED && i == LISTED_HEAD {
                    let _ = writeln!(out, "  … {} more …", n - LISTED);
                }
                if n <= LISTED || i < LISTED_HEAD || i >= n - (LISTED - LISTED_HEAD) {
                    let _ = writeln!(out, "  {}", clip(change.to_string()));
                }
            }
        }
        out
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn render_entry(out: &mut String, entry: &DiffEntry, noun: &str, indent: &str) {
    let detail = |out: &mut String, m: &Mismatch| {
        let _ = writeln!(out, "{indent}      {m}");
    };
    match entry {
        DiffEntry::Missing { record, expected, closest, .. } => {
            let _ = writeln!(out, "{indent}- missing {noun} #{}: {expected}", record + 1);
            if let Some((received, mismatch)) = closest {
                let _ = writeln!(out, "{indent}      closest received: {received}");
                detail(out, mismatch);
            }
        }
        DiffEntry::Extra { received, note, .. } => {
            let _ = write!(out, "{indent}+ extra {noun}: {received}");
            if let Some(note) = note {
                let _ = write!(out, " ({note})");
            }
            out.push('\n');
        }
        DiffEntry::Differs { record, expected, received, mismatch, .. } => {
            let _ = writeln!(out, "{indent}- expected {noun} #{}: {expected}", record + 1);
            let _ = writeln!(out, "{indent}+ received instead: {received}");
            if let Some(m) = mismatch {
                detail(out, m);
            }
        }
        DiffEntry::Count { of, expected, received } => {
            let _ = writeln!(
                out,
                "{indent}- expected {expected} {of}\n{indent}+ received {received} {of}"
            );
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}
