//! Evaluating each mode over the changes received so far.
//!
//! Records and rows are found through hash indexes (`index.rs`), so checking 200k changes stays
//! linear. Matching is greedy: each expected record claims the first received one it matches.

use std::collections::HashMap;

use super::align::{align, drop_duplicates, steps_to_entries};
use super::compare::{compare, Mismatch};
use super::diff::DiffEntry;
use super::index::{Groups, Index, Keys, Probe, RowIndex};
use super::{Count, Expectation, ExpectedRecord, ExpectedValue, Mode};
use crate::kafka::{Change, Datum, Op};

pub(crate) struct Evaluation {
    pub holds: bool,
    /// It can never hold, whatever arrives later: a changelog already has a record it should
    /// not, or a count is already exceeded (records only accumulate).
    pub hopeless: bool,
    pub entries: Vec<DiffEntry>,
}

/// False when the expectation cannot hold yet (too few changes), so a poll can skip the work.
pub(crate) fn may_hold(expectation: &Expectation, changes: &[Change]) -> bool {
    match &expectation.mode {
        Mode::Changelog | Mode::Contains => changes.len() >= expectation.records.len(),
        Mode::Count(count) => count.total.is_none_or(|total| changes.len() >= total),
        // Each expected row comes from a change of its own.
        Mode::FinalState => {
            changes.len() >= expectation.records.iter().filter(|r| r.value.is_some()).count()
        }
    }
}

pub(crate) fn evaluate(expectation: &Expectation, changes: &[Change]) -> Evaluation {
    let entries = match &expectation.mode {
        Mode::Changelog => changelog(expectation, changes),
        Mode::FinalState => final_state(expectation, changes),
        Mode::Contains => contains(expectation, changes),
        Mode::Count(count) => count_check(count, changes, expectation.allow_duplicates),
    };
    let hopeless = match &expectation.mode {
        Mode::Changelog => entries.iter().any(|e| !matches!(e, DiffEntry::Missing { .. })),
        Mode::Count(_) => entries.iter().any(
            |e| matches!(e, DiffEntry::Count { expected, received, .. } if received > expected),
        ),
        Mode::FinalState | Mode::Contains => false,
    };
    Evaluation { holds: entries.is_empty(), hopeless, entries }
}

/// How a change differs from an expected record (op and value; keys are matched by the caller).
pub(crate) fn record_mismatch(record: &ExpectedRecord, change: &Change) -> Option<Mismatch> {
    if let Some(op) = record.op {
        if op != change.op {
            let hint = (change.op == Op::Upsert).then(|| {
                "upsert-kafka cannot tell an insert from an update: expect op `upsert`".to_owned()
            });
            return Some(Mismatch {
                path: "op".into(),
                expected: op.to_string(),
                received: change.op.to_string(),
                hint,
            });
        }
    }
    match (&record.value, &change.row) {
        (None, _) if change.op.is_retraction() => None,
        (None, row) => Some(Mismatch {
            path: String::new(),
            expected: "a deletion".into(),
            received: format!(
                "{} {}",
                change.op,
                row.as_ref().map_or("(tombstone)".to_owned(), Datum::to_string)
            ),
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

fn changelog(expectation: &Expectation, changes: &[Change]) -> Vec<DiffEntry> {
    let keys = Keys::new(&expectation.key_fields);
    let records = &expectation.records;
    // Without any keys, the whole topic is one sequence.
    let by_key = !keys.fields.is_empty() || records.iter().any(|r| r.key.is_some());

    // Received changes grouped by key, groups numbered in order of first appearance.
    let mut group_of_text: HashMap<String, usize> = HashMap::new();
    let mut keyless_group: Option<usize> = None;
    let mut first_of_group: Vec<usize> = Vec::new();
    let mut new_group = |i: usize| {
        first_of_group.push(i);
        first_of_group.len() - 1
    };
    let group_of_change: Vec<usize> = (0..changes.len())
        .map(|i| match by_key.then(|| keys.canonical_of_change(&changes[i])).flatten() {
            Some(text) => *group_of_text.entry(text).or_insert_with(|| new_group(i)),
            None => *keyless_group.get_or_insert_with(|| new_group(i)),
        })
        .collect();
    let seen = first_of_group.len();
    let received = Groups::new(&group_of_change, seen);
    let group_key = |g: usize| keys.of_change(&changes[first_of_group[g]]);
    let key_matches_group = |record: &ExpectedRecord, g: usize| {
        keys.of_record(record)
            .is_some_and(|k| group_key(g).is_some_and(|d| compare(&k, &d).is_ok()))
    };

    // Expected records join the received group of their key; unseen keys get groups after.
    let mut unseen: Vec<String> = Vec::new();
    let group_of_record: Vec<usize> = records
        .iter()
        .map(|record| {
            let probe = if by_key { keys.probe_record(record) } else { Probe::Absent };
            let found = match &probe {
                Probe::Absent => keyless_group,
                Probe::Text { text, exact } => group_of_text
                    .get(text.as_str())
                    .copied()
                    .filter(|&g| *exact || key_matches_group(record, g))
                    .or_else(|| {
                        (!exact)
                            .then(|| (0..seen).find(|&g| key_matches_group(record, g)))
                            .flatten()
                    }),
                Probe::Scan => (0..seen).find(|&g| key_matches_group(record, g)),
            };
            found.unwrap_or_else(|| {
                let label = keys.of_record(record).map_or("(no key)".to_owned(), |k| k.to_string());
                let at = unseen.iter().position(|l| *l == label).unwrap_or_else(|| {
                    unseen.push(label);
                    unseen.len() - 1
                });
                seen + at
            })
        })
        .collect();
    let expected = Groups::new(&group_of_record, seen + unseen.len());

    let mut entries = Vec::new();
    for g in 0..seen {
        let mut steps = align(expected.get(g), received.get(g), |e, r| {
            record_mismatch(&records[e], &changes[r]).is_none()
        });
        if expectation.allow_duplicates {
            drop_duplicates(&mut steps, changes);
        }
        if !steps.is_empty() {
            let label =
                by_key.then(|| group_key(g).map_or("(no key)".to_owned(), |k| k.to_string()));
            entries.extend(steps_to_entries(steps, label.as_deref(), records, changes));
        }
    }
    for (at, label) in unseen.iter().enumerate() {
        for &e in expected.get(seen + at) {
            entries.push(DiffEntry::missing(Some(label), e, &records[e], None));
        }
    }
    entries
}

fn final_state(expectation: &Expectation, changes: &[Change]) -> Vec<DiffEntry> {
    let keys = Keys::new(&expectation.key_fields);
    let mut entries = Vec::new();

    // Rebuild: keyed rows by key; rows without a key as a bag, retracted by equal value.
    let mut keyed: HashMap<String, usize> = HashMap::new();
    let mut bag: Vec<usize> = Vec::new();
    let mut retractions: Vec<usize> = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        match keys.canonical_of_change(change) {
            Some(key) if change.op.is_retraction() => {
                keyed.remove(&key);
            }
            Some(key) if change.row.is_some() => {
                keyed.insert(key, i);
            }
            Some(_) => {}
            None if change.row.is_none() => {}
            None if change.op.is_retraction() => retractions.push(i),
            None => bag.push(i),
        }
    }
    if !retractions.is_empty() {
        // Which row a retraction removes does not depend on order: equal rows are alike, and
        // across partitions a delete may be read before its insert.
        let text = |i: usize| changes[i].row.as_ref().map(Datum::canonical);
        let chains = Index::new(bag.iter().map(|&i| text(i)));
        let mut gone = vec![false; bag.len()];
        for r in retractions {
            let probe =
                Probe::Text { text: text(r).expect("retractions here have a row"), exact: true };
            match chains.find(&gone, &probe, |_| true) {
                Some(b) => gone[b] = true,
                None if expectation.allow_duplicates => {}
                None => entries.push(DiffEntry::Extra {
                    key: None,
                    received: changes[r].to_string(),
                    note: Some("retracts a row that is not there".into()),
                }),
            }
        }
        bag = bag.into_iter().zip(gone).filter(|(_, gone)| !gone).map(|(i, _)| i).collect();
    }
    let mut state: Vec<(usize, Option<String>)> = keyed
        .into_iter()
        .map(|(text, i)| (i, Some(text)))
        .chain(bag.into_iter().map(|i| (i, None)))
        .collect();
    state.sort_unstable_by_key(|(i, _)| *i);
    let rows: Vec<usize> = state.iter().map(|(i, _)| *i).collect();
    let by_key = Index::new(state.into_iter().map(|(_, text)| text));

    let row_of = |p: usize| changes[rows[p]].row.as_ref().expect("state rows have a row");
    let key_of = |p: usize| keys.of_change(&changes[rows[p]]);
    let mut by_row: Option<RowIndex> = None;
    let mut used = vec![false; rows.len()];
    for (e, record) in expectation.records.iter().enumerate() {
        let probe = keys.probe_record(record);
        let found = match &probe {
            Probe::Absent => {
                let value = record.value.as_ref().expect("validated: a deletion has a key");
                by_row
                    .get_or_insert_with(|| {
                        RowIndex::new((0..rows.len()).map(|p| Some(row_of(p))).collect())
                    })
                    .find(&used, value, |p| compare(value, row_of(p)).is_ok())
            }
            // A key found by an exact text is equal; others need the full rules.
            probe => by_key.find(&used, probe, |p| {
                probe.is_exact()
                    || keys
                        .of_record(record)
                        .is_some_and(|k| key_of(p).is_some_and(|d| compare(&k, &d).is_ok()))
            }),
        };
        let label = || keys.of_record(record).map(|k| k.to_string());
        let Some(p) = found else {
            if record.value.is_some() {
                entries.push(DiffEntry::missing(label().as_deref(), e, record, None));
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
                key: label(),
                record: e,
                expected: record
                    .value
                    .as_ref()
                    .map_or("(no row: deleted)".to_owned(), ExpectedValue::to_string),
                received: changes[rows[p]].to_string(),
                mismatch,
            });
        }
    }
    let matched: Vec<&Datum> = if expectation.allow_duplicates {
        (0..rows.len()).filter(|&p| used[p]).map(row_of).collect()
    } else {
        Vec::new()
    };
    for (p, &i) in rows.iter().enumerate() {
        // A replayed insert leaves a second copy of a row that is expected once.
        let duplicate = || matched.iter().any(|m| *m == row_of(p));
        if !used[p] && !duplicate() {
            let key = keys.of_change(&changes[i]).map(|k| k.to_string());
            entries.push(DiffEntry::Extra { key, received: changes[i].to_string(), note: None });
        }
    }
    entries
}

fn contains(expectation: &Expectation, changes: &[Change]) -> Vec<DiffEntry> {
    let keys = Keys::new(&expectation.key_fields);
    let by_key = Index::new(changes.iter().map(|c| keys.canonical_of_change(c)));
    let mut by_row: Option<RowIndex> = None;
    let mut used = vec![false; changes.len()];
    let mut entries = Vec::new();
    for (e, record) in expectation.records.iter().enumerate() {
        let probe = keys.probe_record(record);
        // A key found by an exact text is equal; others need the full rules.
        let accept = |r: usize| {
            (probe.is_exact() || key_matches(&keys, record, &changes[r]))
                && record_mismatch(record, &changes[r]).is_none()
        };
        let found = match (&probe, &record.value) {
            (Probe::Absent, None) => unreachable!("validated: a deletion has a key"),
            // No key: any key will do, look the value up.
            (Probe::Absent, Some(value)) => by_row
                .get_or_insert_with(|| {
                    RowIndex::new(changes.iter().map(|c| c.row.as_ref()).collect())
                })
                .find(&used, value, accept),
            (probe, _) => by_key.find(&used, probe, accept),
        };
        match found {
            Some(r) => used[r] = true,
            None => {
                // The latest record of the same key, when there is one, is the near miss.
                let closest = by_key.candidates(&used, &probe).pop().and_then(|r| {
                    record_mismatch(record, &changes[r]).map(|m| (changes[r].to_string(), m))
                });
                let label = keys.of_record(record).map(|k| k.to_string());
                entries.push(DiffEntry::missing(label.as_deref(), e, record, closest));
            }
        }
    }
    entries
}

fn count_check(count: &Count, changes: &[Change], distinct: bool) -> Vec<DiffEntry> {
    let mut seen = std::collections::HashSet::new();
    let identity = |c: &Change| {
        let text = |d: &Option<Datum>| d.as_ref().map_or(String::new(), Datum::canonical);
        format!("{}|{}|{}", c.op, text(&c.key), text(&c.row))
    };
    let changes: Vec<&Change> =
        changes.iter().filter(|c| !distinct || seen.insert(identity(c))).collect();
    let mut per_op: HashMap<Op, usize> = HashMap::new();
    for change in &changes {
        *per_op.entry(change.op).or_default() += 1;
    }
    let mut entries = Vec::new();
    if let Some(total) = count.total {
        if total != changes.len() {
            entries.push(DiffEntry::Count {
                of: "records".into(),
                expected: total,
                received: changes.len(),
            });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::{decode, parse_recording, SinkFormat};

    /// Changes decoded from recording lines `partition|key|value` (`-` = null).
    fn changes(format: SinkFormat, lines: &[&str]) -> Vec<Change> {
        let text: String = lines.iter().map(|l| l.replace('|', "\t") + "\n").collect();
        let mut out = Vec::new();
        for r in parse_recording(&text).unwrap() {
            decode(format, "t", &r, &mut out).unwrap();
        }
        out
    }

    fn toml(text: &str) -> ExpectedValue {
        let table: toml::Table = toml::from_str(&format!("v = {text}")).unwrap();
        ExpectedValue::from_toml(&table["v"]).unwrap()
    }

    /// An expected record from TOML snippets: key, op, value (`None` = deletion).
    fn rec(key: Option<&str>, op: Option<&str>, value: Option<&str>) -> ExpectedRecord {
        ExpectedRecord {
            key: key.map(toml),
            op: op.map(|o| o.parse().unwrap()),
            value: value.map(toml),
        }
    }

    fn run(
        mode: Mode,
        records: Vec<ExpectedRecord>,
        key_fields: &[&str],
        got: &[Change],
    ) -> Vec<DiffEntry> {
        let mut e = Expectation::new(mode, records);
        e.key_fields = key_fields.iter().map(|s| s.to_string()).collect();
        e.validate().unwrap();
        let ev = evaluate(&e, got);
        assert_eq!(ev.holds, ev.entries.is_empty());
        assert!(!(ev.holds && ev.hopeless));
        ev.entries
    }

    fn upserts() -> Vec<Change> {
        changes(
            SinkFormat::UpsertKafka,
            &[
                r#"0|{"id":1}|{"id":1,"v":"a"}"#,
                r#"1|{"id":2}|{"id":2,"v":"b"}"#,
                r#"0|{"id":1}|{"id":1,"v":"a2"}"#,
                r#"1|{"id":2}|-"#,
                r#"0|{"id":3}|{"id":3,"v":"c"}"#,
            ],
        )
    }

    #[test]
    fn changelog_order_matters_within_a_key_not_across_keys() {
        let expected = vec![
            rec(Some("{ id = 2 }"), Some("upsert"), Some(r#"{ id = 2, v = "b" }"#)),
            rec(Some("{ id = 2 }"), None, None),
            rec(Some("{ id = 3 }"), None, Some(r#"{ id = 3, v = "c" }"#)),
            rec(Some("{ id = 1 }"), None, Some(r#"{ id = 1, v = "a" }"#)),
            rec(Some("{ id = 1 }"), None, Some(r#"{ id = 1, v = "a2" }"#)),
        ];
        assert_eq!(run(Mode::Changelog, expected.clone(), &[], &upserts()), vec![]);

        let mut swapped = expected;
        swapped.swap(3, 4);
        let diff = run(Mode::Changelog, swapped, &[], &upserts());
        assert!(!diff.is_empty());
        assert!(
            diff.iter().all(|d| match d {
                DiffEntry::Missing { key, .. }
                | DiffEntry::Extra { key, .. }
                | DiffEntry::Differs { key, .. } => key.as_deref() == Some(r#"{"id":1}"#),
                DiffEntry::Count { .. } => false,
            }),
            "{diff:#?}"
        );
    }

    #[test]
    fn changelog_missing_extra_and_differing_records() {
        let got = upserts();
        // Record #5 (key 3) expected but another value arrived; key 2's tombstone not expected;
        // a key 4 record never arrived.
        let expected = vec![
            rec(Some("{ id = 1 }"), None, Some(r#"{ id = 1, v = "a" }"#)),
            rec(Some("{ id = 1 }"), None, Some(r#"{ id = 1, v = "a2" }"#)),
            rec(Some("{ id = 2 }"), None, Some(r#"{ id = 2, v = "b" }"#)),
            rec(Some("{ id = 4 }"), None, Some(r#"{ id = 4, v = "d" }"#)),
            rec(Some("{ id = 3 }"), None, Some(r#"{ id = 3, v = "C" }"#)),
        ];
        let diff = run(Mode::Changelog, expected, &[], &got);
        assert_eq!(diff.len(), 3, "{diff:#?}");
        assert!(
            matches!(&diff[0], DiffEntry::Extra { key: Some(k), received, .. } if k == r#"{"id":2}"# && received.contains("delete"))
        );
        match &diff[1] {
            DiffEntry::Differs { record: 4, mismatch: Some(m), .. } => {
                assert_eq!(m.to_string(), r#".v: expected "C", received "c""#)
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(&diff[2], DiffEntry::Missing { key: Some(k), record: 3, .. } if k == r#"{"id":4}"#)
        );
    }

    #[test]
    fn changelog_ops_are_checked() {
        let diff = run(
            Mode::Changelog,
            vec![rec(Some("{ id = 3 }"), Some("insert"), None)],
            &[],
            &upserts()[4..],
        );
        match &diff[0] {
            DiffEntry::Differs { mismatch: Some(m), .. } => {
                assert_eq!(m.path, "op");
                assert!(m.hint.as_deref().unwrap().contains("expect op `upsert`"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn changelog_without_keys_is_one_sequence() {
        let got = changes(SinkFormat::Json, &[r#"0|-|{"id":1}"#, r#"0|-|{"id":2}"#]);
        let ok =
            vec![rec(None, Some("+I"), Some("{ id = 1 }")), rec(None, None, Some("{ id = 2 }"))];
        assert_eq!(run(Mode::Changelog, ok, &[], &got), vec![]);
        let reversed =
            vec![rec(None, None, Some("{ id = 2 }")), rec(None, None, Some("{ id = 1 }"))];
        assert!(!run(Mode::Changelog, reversed, &[], &got).is_empty());
    }

    #[test]
    fn changelog_by_key_fields_for_debezium_without_kafka_keys() {
        let got = changes(
            SinkFormat::DebeziumJson,
            &[
                r#"0|-|{"before":null,"after":{"id":1,"v":"a"},"op":"c"}"#,
                r#"0|-|{"before":null,"after":{"id":2,"v":"b"},"op":"c"}"#,
                r#"0|-|{"before":{"id":1,"v":"a"},"after":null,"op":"d"}"#,
                r#"0|-|{"before":null,"after":{"id":1,"v":"a2"},"op":"c"}"#,
            ],
        );
        let expected = vec![
            rec(None, Some("insert"), Some(r#"{ id = 1, v = "a" }"#)),
            rec(None, Some("delete"), Some(r#"{ id = 1, v = "a" }"#)),
            rec(None, Some("insert"), Some(r#"{ id = 1, v = "a2" }"#)),
            rec(None, Some("insert"), Some(r#"{ id = 2, v = "b" }"#)),
        ];
        assert_eq!(run(Mode::Changelog, expected, &["id"], &got), vec![]);
    }

    #[test]
    fn final_state_applies_upserts_and_tombstones() {
        let expected = vec![
            rec(None, None, Some(r#"{ id = 3, v = "c" }"#)),
            rec(None, None, Some(r#"{ id = 1, v = "a2" }"#)),
            rec(Some("{ id = 2 }"), None, None),
        ];
        assert_eq!(run(Mode::FinalState, expected, &[], &upserts()), vec![]);
    }

    #[test]
    fn final_state_differences() {
        let expected = vec![
            rec(Some("{ id = 1 }"), None, Some(r#"{ id = 1, v = "a" }"#)),
            rec(Some("{ id = 2 }"), None, Some(r#"{ id = 2, v = "b" }"#)),
            rec(Some("{ id = 3 }"), None, None),
        ];
        let diff = run(Mode::FinalState, expected, &[], &upserts());
        assert_eq!(diff.len(), 3, "{diff:#?}");
        assert!(
            matches!(&diff[0], DiffEntry::Differs { record: 0, mismatch: Some(m), .. } if m.path == ".v")
        );
        assert!(matches!(&diff[1], DiffEntry::Missing { record: 1, .. }));
        assert!(
            matches!(&diff[2], DiffEntry::Differs { record: 2, mismatch: None, expected, .. } if expected.contains("deleted"))
        );
    }

    #[test]
    fn final_state_extra_rows() {
        let diff = run(
            Mode::FinalState,
            vec![rec(None, None, Some(r#"{ id = 1, v = "a2" }"#))],
            &[],
            &upserts(),
        );
        assert!(
            matches!(&diff[..], [DiffEntry::Extra { key: Some(k), .. }] if k == r#"{"id":3}"#),
            "{diff:#?}"
        );
    }

    #[test]
    fn final_state_without_keys_retracts_equal_rows() {
        // Flink's debezium-json with no key: an update is a d (old row) and a c (new row).
        let got = changes(
            SinkFormat::DebeziumJson,
            &[
                r#"0|-|{"before":null,"after":{"id":1,"v":"a"},"op":"c"}"#,
                r#"1|-|{"before":null,"after":{"id":1,"v":"a"},"op":"c"}"#,
                r#"0|-|{"before":{"id":1,"v":"a"},"after":null,"op":"d"}"#,
                r#"0|-|{"before":null,"after":{"id":1,"v":"b"},"op":"c"}"#,
            ],
        );
        let expected = vec![
            rec(None, None, Some(r#"{ id = 1, v = "b" }"#)),
            rec(None, None, Some(r#"{ id = 1, v = "a" }"#)),
        ];
        assert_eq!(run(Mode::FinalState, expected, &[], &got), vec![]);
        let ghost = changes(
            SinkFormat::DebeziumJson,
            &[r#"0|-|{"before":{"id":9},"after":null,"op":"d"}"#],
        );
        let diff = run(Mode::FinalState, vec![], &[], &ghost);
        assert!(
            matches!(&diff[..], [DiffEntry::Extra { note: Some(n), .. }] if n.contains("not there"))
        );
    }

    #[test]
    fn contains_allows_extras_and_needs_distinct_records() {
        let got = upserts();
        let some = vec![
            rec(Some("{ id = 1 }"), None, Some(r#"{ id = 1, v = "a2" }"#)),
            rec(Some("{ id = 2 }"), None, None),
        ];
        assert_eq!(run(Mode::Contains, some, &[], &got), vec![]);
        let twice = vec![
            rec(None, None, Some(r#"{ id = 3, v = "c" }"#)),
            rec(None, None, Some(r#"{ id = 3, v = "c" }"#)),
        ];
        let diff = run(Mode::Contains, twice, &[], &got);
        assert!(matches!(&diff[..], [DiffEntry::Missing { record: 1, .. }]), "{diff:#?}");
    }

    #[test]
    fn contains_shows_the_closest_record_of_the_key() {
        let diff = run(
            Mode::Contains,
            vec![rec(Some("{ id = 1 }"), None, Some(r#"{ id = 1, v = "zz" }"#))],
            &[],
            &upserts(),
        );
        match &diff[..] {
            [DiffEntry::Missing { closest: Some((received, m)), .. }] => {
                assert!(received.contains(r#""a2""#), "{received}");
                assert_eq!(m.path, ".v");
            }
            other => panic!("{other:#?}"),
        }
    }

    #[test]
    fn contains_with_wildcards_and_timestamps() {
        let got = changes(
            SinkFormat::Json,
            &[r#"0|-|{"id":1,"ts":"2024-01-01 10:00:00.5","price":10.50}"#],
        );
        let expected = vec![rec(
            None,
            None,
            Some(r#"{ id = 1, ts = 2024-01-01T10:00:00.500Z, price = { "$any" = true } }"#),
        )];
        assert_eq!(run(Mode::Contains, expected, &[], &got), vec![]);
    }

    #[test]
    fn count_total_and_per_op() {
        let got = upserts();
        let count = |total: Option<usize>, ops: &[(Op, usize)]| {
            Mode::Count(Count { total, per_op: ops.iter().copied().collect() })
        };
        assert_eq!(
            run(count(Some(5), &[(Op::Upsert, 4), (Op::Delete, 1)]), vec![], &[], &got),
            vec![]
        );
        let diff = run(count(Some(6), &[(Op::Delete, 2), (Op::Insert, 0)]), vec![], &[], &got);
        assert_eq!(
            diff,
            vec![
                DiffEntry::Count { of: "records".into(), expected: 6, received: 5 },
                DiffEntry::Count { of: "delete records".into(), expected: 2, received: 1 },
            ]
        );
    }

    #[test]
    fn may_hold_skips_hopeless_evaluations() {
        let e = Expectation::new(Mode::Changelog, vec![rec(None, None, Some("{ id = 1 }")); 3]);
        assert!(!may_hold(&e, &upserts()[..2]));
        assert!(may_hold(&e, &upserts()));
    }

    #[test]
    fn invalid_expectations() {
        let e = Expectation::new(Mode::FinalState, vec![rec(None, None, None)]);
        assert!(e.validate().unwrap_err().to_string().contains("needs a key"));
        let mut e = Expectation::new(Mode::Changelog, vec![rec(None, None, Some("{ name = 1 }"))]);
        e.key_fields = vec!["id".into()];
        assert!(e.validate().unwrap_err().to_string().contains("no key field `id`"));
        assert!(Expectation::new(Mode::Count(Count::default()), vec![]).validate().is_err());
    }
}

#[cfg(test)]
mod duplicate_tests {
    use super::*;
    use crate::kafka::{decode, parse_recording, SinkFormat};

    fn changes(lines: &[&str]) -> Vec<Change> {
        let text: String = lines.iter().map(|l| l.replace('|', "\t") + "\n").collect();
        let mut out = Vec::new();
        for r in parse_recording(&text).unwrap() {
            decode(SinkFormat::UpsertKafka, "t", &r, &mut out).unwrap();
        }
        out
    }

    fn upsert(id: i64, v: &str) -> ExpectedRecord {
        ExpectedRecord {
            key: Some(ExpectedValue::from_json(&serde_json::json!({"id": id})).unwrap()),
            op: None,
            value: Some(ExpectedValue::from_json(&serde_json::json!({"id": id, "v": v})).unwrap()),
        }
    }

    fn evaluate_with(
        mode: Mode,
        records: Vec<ExpectedRecord>,
        duplicates: bool,
        got: &[Change],
    ) -> Vec<DiffEntry> {
        let mut e = Expectation::new(mode, records);
        e.allow_duplicates = duplicates;
        evaluate(&e, got).entries
    }

    #[test]
    fn replayed_records_are_duplicates_only_when_allowed() {
        // a, b, c, then a replay of b and c after a failure, then d.
        let got = changes(&[
            r#"0|{"id":1}|{"id":1,"v":"a"}"#,
            r#"0|{"id":1}|{"id":1,"v":"b"}"#,
            r#"0|{"id":1}|{"id":1,"v":"c"}"#,
            r#"0|{"id":1}|{"id":1,"v":"b"}"#,
            r#"0|{"id":1}|{"id":1,"v":"c"}"#,
            r#"0|{"id":1}|{"id":1,"v":"d"}"#,
        ]);
        let expected = vec![upsert(1, "a"), upsert(1, "b"), upsert(1, "c"), upsert(1, "d")];
        assert_eq!(evaluate_with(Mode::Changelog, expected.clone(), true, &got), vec![]);
        let strict = evaluate_with(Mode::Changelog, expected, false, &got);
        assert_eq!(
            strict.iter().filter(|e| matches!(e, DiffEntry::Extra { .. })).count(),
            2,
            "{strict:#?}"
        );
        // A new value is never a duplicate.
        let got_new =
            changes(&[r#"0|{"id":1}|{"id":1,"v":"a"}"#, r#"0|{"id":1}|{"id":1,"v":"z"}"#]);
        assert_eq!(evaluate_with(Mode::Changelog, vec![upsert(1, "a")], true, &got_new).len(), 1);
    }

    #[test]
    fn counts_count_distinct_records_when_duplicates_are_allowed() {
        let got = changes(&[
            r#"0|{"id":1}|{"id":1,"v":"a"}"#,
            r#"0|{"id":1}|{"id":1,"v":"a"}"#,
            r#"0|{"id":2}|-"#,
        ]);
        let count = Mode::Count(Count { total: Some(2), per_op: Default::default() });
        assert_eq!(evaluate_with(count.clone(), vec![], true, &got), vec![]);
        assert_eq!(evaluate_with(count, vec![], false, &got).len(), 1);
    }

    #[test]
    fn a_replayed_row_without_a_key_is_not_an_extra_row_when_allowed() {
        let mut got = Vec::new();
        for r in parse_recording("0\t-\t{\"id\":1}\n0\t-\t{\"id\":1}\n").unwrap() {
            decode(SinkFormat::Json, "t", &r, &mut got).unwrap();
        }
        let rows = vec![ExpectedRecord::row(
            ExpectedValue::from_json(&serde_json::json!({"id": 1})).unwrap(),
        )];
        assert_eq!(evaluate_with(Mode::FinalState, rows.clone(), true, &got), vec![]);
        assert!(matches!(
            &evaluate_with(Mode::FinalState, rows, false, &got)[..],
            [DiffEntry::Extra { .. }]
        ));
    }
}
