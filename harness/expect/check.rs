//! Evaluating each mode over the changes received so far.
//!
//! Records and rows are found through hash indexes on canonical text (keys, rows), so checking
//! 200k changes stays linear; an expected value whose match cannot be predicted from its text
//! (timestamps, `$any`, decimals that may be strings, JSON that may sit in a string) falls back
//! to a scan. Matching is greedy: exact values claim their records first, wildcards after.

use std::borrow::Cow;
use std::collections::HashMap;

use super::compare::{compare, Mismatch};
use super::diff::DiffEntry;
use super::{Count, ExpectedRecord, ExpectedValue, Expectation, Mode};
use crate::kafka::{Change, Datum, Op};

pub(crate) struct Evaluation {
    pub holds: bool,
    pub entries: Vec<DiffEntry>,
}

/// False when the expectation cannot hold yet (too few changes), so a poll can skip the work.
pub(crate) fn may_hold(expectation: &Expectation, changes: &[Change]) -> bool {
    match &expectation.mode {
        Mode::Changelog | Mode::Contains => changes.len() >= expectation.records.len(),
        Mode::Count(count) => count.total.is_none_or(|total| changes.len() >= total),
        Mode::FinalState => true,
    }
}

pub(crate) fn evaluate(expectation: &Expectation, changes: &[Change]) -> Evaluation {
    let entries = match &expectation.mode {
        Mode::Changelog => changelog(expectation, changes),
        Mode::FinalState => final_state(expectation, changes),
        Mode::Contains => contains(expectation, changes),
        Mode::Count(count) => count_check(count, changes),
    };
    Evaluation { holds: entries.is_empty(), entries }
}

// ---------------------------------------------------------------------------------------------
// Keys

/// Identifies rows: the key fields of the row when configured, else the Kafka key.
struct Keys<'a> {
    fields: &'a [String],
}

impl<'a> Keys<'a> {
    fn of_change(&self, change: &Change) -> Option<Datum> {
        match (&change.row, self.fields.is_empty()) {
            (Some(row), false) => Some(Datum::Object(
                self.fields.iter().map(|f| (f.clone(), row.get(f).cloned().unwrap_or(Datum::Null))).collect(),
            )),
            _ => change.key.clone(),
        }
    }

    /// The canonical text of [`Keys::of_change`], without building the key.
    fn canonical_of_change(&self, change: &Change) -> Option<String> {
        match (&change.row, self.fields.is_empty()) {
            (Some(row), false) => {
                let mut sorted: Vec<&String> = self.fields.iter().collect();
                sorted.sort();
                let mut out = String::from("{");
                for (i, f) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    crate::kafka::datum::write_json_string(f, &mut out);
                    out.push(':');
                    row.get(f).unwrap_or(&Datum::Null).write_canonical(&mut out);
                }
                out.push('}');
                Some(out)
            }
            _ => change.key.as_ref().map(Datum::canonical),
        }
    }

    fn of_record<'r>(&self, record: &'r ExpectedRecord) -> Option<Cow<'r, ExpectedValue>> {
        if let Some(key) = &record.key {
            return Some(Cow::Borrowed(key));
        }
        if self.fields.is_empty() {
            return None;
        }
        let value = record.value.as_ref()?;
        Some(Cow::Owned(ExpectedValue::Object(
            self.fields.iter().map(|f| (f.clone(), value.field(f).cloned().unwrap_or(ExpectedValue::Null))).collect(),
        )))
    }
}

/// Whether a hash miss on `value`'s canonical text proves no received value matches it.
fn decisive(value: &ExpectedValue, top: bool) -> bool {
    match value {
        ExpectedValue::Null | ExpectedValue::Bool(_) | ExpectedValue::Number { .. } => true,
        ExpectedValue::String(_) | ExpectedValue::Bytes(_) => true,
        // Below the top, an object or array may also match a string holding JSON.
        ExpectedValue::Array(items) => top && items.iter().all(|v| decisive(v, false)),
        ExpectedValue::Object(fields) => top && fields.iter().all(|(_, v)| decisive(v, false)),
        ExpectedValue::Decimal { .. } | ExpectedValue::Temporal(_) => false,
        ExpectedValue::Json(_) | ExpectedValue::Any => false,
    }
}

/// Received items indexed by a canonical text (their key or their row). Which items are
/// already claimed is kept by the caller, so several indexes can share it.
struct Index {
    by_text: HashMap<Option<String>, Vec<usize>>,
    len: usize,
}

impl Index {
    fn new(texts: impl Iterator<Item = Option<String>>) -> Index {
        let mut by_text: HashMap<Option<String>, Vec<usize>> = HashMap::new();
        let mut len = 0;
        for (i, text) in texts.enumerate() {
            by_text.entry(text).or_default().push(i);
            len = i + 1;
        }
        Index { by_text, len }
    }

    /// The first unclaimed item accepted by `accept`: looked up by `expected`'s canonical text,
    /// then (unless that miss is decisive) by scanning. `None` looks up items without a text.
    fn find(&self, used: &[bool], expected: Option<&ExpectedValue>, accept: impl Fn(usize) -> bool) -> Option<usize> {
        let scan = || (0..self.len).find(|&i| !used[i] && accept(i));
        let (text, decisive_miss) = match expected {
            None => (None, true),
            Some(v) => match v.canonical() {
                Some(text) => (Some(text), decisive(v, true)),
                None => return scan(),
            },
        };
        let hit = self.by_text.get(&text).and_then(|ids| ids.iter().copied().find(|&i| !used[i] && accept(i)));
        if hit.is_some() || decisive_miss {
            return hit;
        }
        scan()
    }

    /// The unclaimed items whose text is the one `expected` predicts (for near misses).
    fn candidates(&self, used: &[bool], expected: &ExpectedValue) -> Vec<usize> {
        expected
            .canonical()
            .and_then(|t| self.by_text.get(&Some(t)))
            .map(|ids| ids.iter().copied().filter(|&i| !used[i]).collect())
            .unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// Records

/// How a change differs from an expected record (op and value; keys are matched by the caller).
pub(crate) fn record_mismatch(record: &ExpectedRecord, change: &Change) -> Option<Mismatch> {
    if let Some(op) = record.op {
        if op != change.op {
            let hint = (change.op == Op::Upsert)
                .then(|| "upsert-kafka cannot tell an insert from an update: expect op `upsert`".to_owned());
            return Some(Mismatch { path: "op".into(), expected: op.to_string(), received: change.op.to_string(), hint });
        }
    }
    match (&record.value, &change.row) {
        (None, _) if change.op.is_retraction() => None,
        (None, row) => Some(Mismatch {
            path: String::new(),
            expected: "a deletion".into(),
            received: format!("{} {}", change.op, row.as_ref().map_or("(tombstone)".to_owned(), Datum::to_string)),
            hint: None,
        }),
        (Some(value), Some(row)) => compare(value, row).err(),
        (Some(value), None) => Some(Mismatch {
            path: String::new(),
            expected: value.to_string(),
            received: "a tombstone".into(),
            hint: None,
        }),
    }
}

fn key_matches(keys: &Keys, record: &ExpectedRecord, change: &Change) -> bool {
    match keys.of_record(record) {
        None => true,
        Some(expected) => keys.of_change(change).is_some_and(|k| compare(&expected, &k).is_ok()),
    }
}

// ---------------------------------------------------------------------------------------------
// Modes

fn changelog(expectation: &Expectation, changes: &[Change]) -> Vec<DiffEntry> {
    let keys = Keys { fields: &expectation.key_fields };
    let records = &expectation.records;
    // Without any keys, the whole topic is one sequence.
    let by_key = !keys.fields.is_empty() || records.iter().any(|r| r.key.is_some());

    let mut group_of: HashMap<Option<String>, usize> = HashMap::new();
    let mut received: Vec<Vec<usize>> = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        let text = if by_key { keys.canonical_of_change(change) } else { None };
        let g = *group_of.entry(text).or_insert_with(|| {
            received.push(Vec::new());
            received.len() - 1
        });
        received[g].push(i);
    }
    let group_key = |g: usize| keys.of_change(&changes[received[g][0]]);

    // Expected records join the received group of their key (new groups for unseen keys).
    let mut expected: Vec<Vec<usize>> = vec![Vec::new(); received.len()];
    let mut unseen: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let key = if by_key { keys.of_record(record) } else { None };
        let found = match &key {
            None => group_of.get(&None).copied(),
            Some(k) => {
                let by_text = k.canonical().and_then(|t| group_of.get(&Some(t)).copied());
                by_text.filter(|&g| group_key(g).is_some_and(|d| compare(k, &d).is_ok())).or_else(|| {
                    (!decisive(k, true))
                        .then(|| (0..received.len()).find(|&g| group_key(g).is_some_and(|d| compare(k, &d).is_ok())))
                        .flatten()
                })
            }
        };
        match found {
            Some(g) => expected[g].push(i),
            None => {
                let label = key.map_or("(no key)".to_owned(), |k| k.to_string());
                match unseen.iter_mut().find(|(l, _)| *l == label) {
                    Some((_, ids)) => ids.push(i),
                    None => unseen.push((label, vec![i])),
                }
            }
        }
    }

    let mut entries = Vec::new();
    for (g, got) in received.iter().enumerate() {
        let label = by_key.then(|| group_key(g).map_or("(no key)".to_owned(), |k| k.to_string()));
        let steps = align(&expected[g], got, |e, r| record_mismatch(&records[e], &changes[r]).is_none());
        entries.extend(steps_to_entries(steps, label.as_deref(), records, changes));
    }
    for (label, ids) in unseen {
        for e in ids {
            entries.push(DiffEntry::missing(Some(&label), e, &records[e], None));
        }
    }
    entries
}

fn final_state(expectation: &Expectation, changes: &[Change]) -> Vec<DiffEntry> {
    let keys = Keys { fields: &expectation.key_fields };
    let mut entries = Vec::new();

    // Rebuild: keyed rows by key; rows without a key as a bag, retracted by equal value.
    let mut keyed: HashMap<String, usize> = HashMap::new();
    let mut bag: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, change) in changes.iter().enumerate() {
        match keys.canonical_of_change(change) {
            Some(key) => {
                if change.op.is_retraction() {
                    keyed.remove(&key);
                } else if change.row.is_some() {
                    keyed.insert(key, i);
                }
            }
            None => {
                let Some(row) = &change.row else { continue };
                let text = row.canonical();
                if change.op.is_retraction() {
                    if bag.get_mut(&text).and_then(Vec::pop).is_none() {
                        entries.push(DiffEntry::Extra {
                            key: None,
                            received: changes[i].to_string(),
                            note: Some("retracts a row that is not there".into()),
                        });
                    }
                } else {
                    bag.entry(text).or_default().push(i);
                }
            }
        }
    }
    let mut rows: Vec<usize> = keyed.into_values().chain(bag.into_values().flatten()).collect();
    rows.sort_unstable();

    let row_of = |p: usize| changes[rows[p]].row.as_ref().expect("state rows have a row");
    let key_of = |p: usize| keys.of_change(&changes[rows[p]]);
    let by_key = Index::new(rows.iter().map(|&i| keys.canonical_of_change(&changes[i])));
    let mut by_row: Option<Index> = None;
    let mut used = vec![false; rows.len()];
    for (e, record) in expectation.records.iter().enumerate() {
        let key = keys.of_record(record);
        let label = key.as_ref().map(|k| k.to_string());
        let found = match &key {
            Some(k) => by_key.find(&used, Some(k), |p| key_of(p).is_some_and(|d| compare(k, &d).is_ok())),
            None => {
                let value = record.value.as_ref().expect("validated: a deletion has a key");
                by_row
                    .get_or_insert_with(|| Index::new((0..rows.len()).map(|p| Some(row_of(p).canonical()))))
                    .find(&used, Some(value), |p| compare(value, row_of(p)).is_ok())
            }
        };
        let Some(p) = found else {
            if record.value.is_some() {
                entries.push(DiffEntry::missing(label.as_deref(), e, record, None));
            }
            continue;
        };
        used[p] = true;
        let mismatch = match &record.value {
            // A deletion: the key must be absent.
            None => Some(None),
            Some(value) => compare(value, row_of(p)).err().map(Some),
        };
        if let Some(mismatch) = mismatch {
            entries.push(DiffEntry::Differs {
                key: label,
                record: e,
                expected: record.value.as_ref().map_or("(no row: deleted)".to_owned(), ExpectedValue::to_string),
                received: changes[rows[p]].to_string(),
                mismatch,
            });
        }
    }
    for (p, &i) in rows.iter().enumerate() {
        if !used[p] {
            let key = keys.of_change(&changes[i]).map(|k| k.to_string());
            entries.push(DiffEntry::Extra { key, received: changes[i].to_string(), note: None });
        }
    }
    entries
}

fn contains(expectation: &Expectation, changes: &[Change]) -> Vec<DiffEntry> {
    let keys = Keys { fields: &expectation.key_fields };
    let by_key = Index::new(changes.iter().map(|c| keys.canonical_of_change(c)));
    let mut by_row: Option<Index> = None;
    let mut used = vec![false; changes.len()];
    let mut entries = Vec::new();
    for (e, record) in expectation.records.iter().enumerate() {
        let accept = |r: usize| key_matches(&keys, record, &changes[r]) && record_mismatch(record, &changes[r]).is_none();
        let key = keys.of_record(record);
        let found = match (&key, &record.value) {
            (Some(k), _) => by_key.find(&used, Some(k), accept),
            (None, value) => by_row
                .get_or_insert_with(|| Index::new(changes.iter().map(|c| c.row.as_ref().map(Datum::canonical))))
                .find(&used, value.as_ref(), accept),
        };
        match found {
            Some(r) => used[r] = true,
            None => {
                // The latest record of the same key, when there is one, is the near miss.
                let closest = key.as_ref().and_then(|k| by_key.candidates(&used, k).pop()).and_then(|r| {
                    record_mismatch(record, &changes[r]).map(|m| (changes[r].to_string(), m))
                });
                entries.push(DiffEntry::missing(key.map(|k| k.to_string()).as_deref(), e, record, closest));
            }
        }
    }
    entries
}

fn count_check(count: &Count, changes: &[Change]) -> Vec<DiffEntry> {
    let mut per_op: HashMap<Op, usize> = HashMap::new();
    for change in changes {
        *per_op.entry(change.op).or_default() += 1;
    }
    let mut entries = Vec::new();
    if let Some(total) = count.total {
        if total != changes.len() {
            entries.push(DiffEntry::Count { of: "records".into(), expected: total, received: changes.len() });
        }
    }
    for (&op, &expected) in &count.per_op {
        let received = per_op.get(&op).copied().unwrap_or(0);
        if received != expected {
            entries.push(DiffEntry::Count { of: format!("{op} records"), expected, received });
        }
    }
    entries
}

// ---------------------------------------------------------------------------------------------
// Sequence alignment (changelog per key)

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Same,
    Missing(usize),
    Extra(usize),
}

/// Aligns expected ids with received ids: a longest common subsequence under `matches`
/// (small groups), or position by position (very long ones, where the table would not fit).
fn align(expected: &[usize], received: &[usize], matches: impl Fn(usize, usize) -> bool) -> Vec<Step> {
    let (n, m) = (expected.len(), received.len());
    if n == m && expected.iter().zip(received).all(|(&e, &r)| matches(e, r)) {
        return Vec::new();
    }
    const MAX_TABLE: usize = 4_000_000;
    if (n + 1) * (m + 1) > MAX_TABLE {
        let mut steps = Vec::new();
        for i in 0..n.max(m) {
            match (expected.get(i), received.get(i)) {
                (Some(&e), Some(&r)) if matches(e, r) => steps.push(Step::Same),
                (e, r) => {
                    steps.extend(e.map(|&e| Step::Missing(e)));
                    steps.extend(r.map(|&r| Step::Extra(r)));
                }
            }
        }
        return steps;
    }
    // lcs[i][j]: the longest common subsequence of expected[i..] and received[j..].
    let width = m + 1;
    let mut lcs = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * width + j] = if matches(expected[i], received[j]) {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut steps = Vec::new();
    while i < n || j < m {
        if i < n && j < m && matches(expected[i], received[j]) && lcs[i * width + j] == lcs[(i + 1) * width + j + 1] + 1 {
            steps.push(Step::Same);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i * width + j + 1] >= lcs[(i + 1) * width + j]) {
            steps.push(Step::Extra(received[j]));
            j += 1;
        } else {
            steps.push(Step::Missing(expected[i]));
            i += 1;
        }
    }
    steps
}

/// Turns alignment steps into diff entries; a missing and an extra record between the same
/// matched neighbours are shown together as one record that differs.
fn steps_to_entries(steps: Vec<Step>, key: Option<&str>, records: &[ExpectedRecord], changes: &[Change]) -> Vec<DiffEntry> {
    let mut entries = Vec::new();
    let mut run: Vec<Step> = Vec::new();
    let flush = |run: &mut Vec<Step>, entries: &mut Vec<DiffEntry>| {
        let missing: Vec<usize> = run.iter().filter_map(|s| if let Step::Missing(e) = s { Some(*e) } else { None }).collect();
        let extra: Vec<usize> = run.iter().filter_map(|s| if let Step::Extra(r) = s { Some(*r) } else { None }).collect();
        for (k, &e) in missing.iter().enumerate() {
            match extra.get(k) {
                Some(&r) => entries.push(DiffEntry::Differs {
                    key: key.map(str::to_owned),
                    record: e,
                    expected: DiffEntry::describe(&records[e]),
                    received: changes[r].to_string(),
                    mismatch: record_mismatch(&records[e], &changes[r]),
                }),
                None => entries.push(DiffEntry::missing(key, e, &records[e], None)),
            }
        }
        for &r in extra.iter().skip(missing.len()) {
            entries.push(DiffEntry::Extra { key: key.map(str::to_owned), received: changes[r].to_string(), note: None });
        }
        run.clear();
    };
    for step in steps {
        if step == Step::Same {
            flush(&mut run, &mut entries);
        } else {
            run.push(step);
        }
    }
    flush(&mut run, &mut entries);
    entries
}
