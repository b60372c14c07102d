//! Aligning a key's expected records with its received records (changelog mode).

use super::check::record_mismatch;
use super::diff::DiffEntry;
use super::ExpectedRecord;
use crate::kafka::Change;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A received record in its expected place.
    Same(usize),
    Missing(usize),
    Extra(usize),
}

/// Aligns expected ids with received ids: a longest common subsequence under `matches`
/// (small groups), or position by position (very long ones, where the table would not fit).
pub(crate) fn align(
    expected: &[usize],
    received: &[usize],
    matches: impl Fn(usize, usize) -> bool,
) -> Vec<Step> {
    let (n, m) = (expected.len(), received.len());
    if n == m && expected.iter().zip(received).all(|(&e, &r)| matches(e, r)) {
        return Vec::new();
    }
    const MAX_TABLE: usize = 4_000_000;
    if (n + 1) * (m + 1) > MAX_TABLE {
        let mut steps = Vec::new();
        for i in 0..n.max(m) {
            match (expected.get(i), received.get(i)) {
                (Some(&e), Some(&r)) if matches(e, r) => steps.push(Step::Same(r)),
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
        if i < n
            && j < m
            && matches(expected[i], received[j])
            && lcs[i * width + j] == lcs[(i + 1) * width + j + 1] + 1
        {
            steps.push(Step::Same(received[j]));
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

/// Removes extra records that repeat a record received in its place (at-least-once delivery
/// replays records after a failure).
pub(crate) fn drop_duplicates(steps: &mut Vec<Step>, changes: &[Change]) {
    let matched: Vec<usize> =
        steps.iter().filter_map(|s| if let Step::Same(r) = s { Some(*r) } else { None }).collect();
    steps.retain(|step| match step {
        Step::Extra(r) => !matched.iter().any(|&m| same_change(&changes[m], &changes[*r])),
        _ => true,
    });
    if steps.iter().all(|s| matches!(s, Step::Same(_))) {
        steps.clear();
    }
}

/// The same op and row (the key is the caller's concern).
fn same_change(a: &Change, b: &Change) -> bool {
    a.op == b.op && a.row == b.row
}

/// Turns alignment steps into diff entries; a missing and an extra record between the same
/// matched neighbours are shown together as one record that differs.
pub(crate) fn steps_to_entries(
    steps: Vec<Step>,
    key: Option<&str>,
    records: &[ExpectedRecord],
    changes: &[Change],
) -> Vec<DiffEntry> {
    let mut entries = Vec::new();
    let mut run: Vec<Step> = Vec::new();
    let flush = |run: &mut Vec<Step>, entries: &mut Vec<DiffEntry>| {
        let missing: Vec<usize> = run
            .iter()
            .filter_map(|s| if let Step::Missing(e) = s { Some(*e) } else { None })
            .collect();
        let extra: Vec<usize> = run
            .iter()
            .filter_map(|s| if let Step::Extra(r) = s { Some(*r) } else { None })
            .collect();
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
            entries.push(DiffEntry::Extra {
                key: key.map(str::to_owned),
                received: changes[r].to_string(),
                note: None,
            });
        }
        run.clear();
    };
    for step in steps {
        if let Step::Same(_) = step {
            flush(&mut run, &mut entries);
        } else {
            run.push(step);
        }
    }
    flush(&mut run, &mut entries);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_finds_the_longest_common_run() {
        let steps = align(&[1, 2, 3], &[1, 9, 3], |e, r| e == r);
        assert_eq!(steps, vec![Step::Same(1), Step::Extra(9), Step::Missing(2), Step::Same(3)]);
        assert_eq!(align(&[1, 2], &[1, 2], |e, r| e == r), vec![]);
        assert_eq!(align(&[], &[5], |e, r| e == r), vec![Step::Extra(5)]);
    }

    #[test]
    fn very_long_sequences_align_by_position() {
        let expected: Vec<usize> = (0..3000).collect();
        let mut received = expected.clone();
        received[10] = 99_999;
        let steps = align(&expected, &received, |e, r| e == r);
        assert_eq!(steps.iter().filter(|s| !matches!(s, Step::Same(_))).count(), 2);
        assert!(steps.contains(&Step::Missing(10)) && steps.contains(&Step::Extra(99_999)));
    }
}
