//! Finding received records by key or by value without scanning: hash indexes on canonical
//! text. An expected value whose match cannot be predicted from its text (timestamps, `$any`,
//! decimals that may be strings, JSON that may sit in a string) falls back to a scan.
//!
//! Buckets are chains through one array rather than a vector per text: 200k distinct keys
//! would otherwise be 200k small allocations.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::Hash;

use super::ExpectedRecord;
use super::ExpectedValue;
use crate::kafka::{Change, Datum};

/// Identifies rows: the key fields of the row when configured, else the Kafka key.
pub(crate) struct Keys<'a> {
    pub fields: &'a [String],
    /// The same, sorted, as canonical text wants them.
    sorted: Vec<&'a String>,
}

impl<'a> Keys<'a> {
    pub fn new(fields: &'a [String]) -> Keys<'a> {
        let mut sorted: Vec<&String> = fields.iter().collect();
        sorted.sort();
        Keys { fields, sorted }
    }

    pub fn of_change(&self, change: &Change) -> Option<Datum> {
        match (&change.row, self.fields.is_empty()) {
            (Some(row), false) => Some(Datum::Object(
                self.fields
                    .iter()
                    .map(|f| (f.clone(), row.get(f).cloned().unwrap_or(Datum::Null)))
                    .collect(),
            )),
            _ => change.key.clone(),
        }
    }

    /// The canonical text of [`Keys::of_change`], without building the key.
    pub fn canonical_of_change(&self, change: &Change) -> Option<String> {
        match (&change.row, self.fields.is_empty()) {
            (Some(row), false) => {
                let mut out = String::from("{");
                for (i, f) in self.sorted.iter().enumerate() {
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

    /// How to look up the records `record` may match by key: its key's canonical text (or
    /// that of its key fields' values), or a scan when that text cannot be predicted.
    pub fn probe_record(&self, record: &ExpectedRecord) -> Probe {
        if let Some(key) = &record.key {
            return Probe::of(key);
        }
        if self.fields.is_empty() {
            return Probe::Absent;
        }
        let Some(value) = &record.value else { return Probe::Absent };
        let mut text = String::from("{");
        let mut exact = true;
        for (i, f) in self.sorted.iter().enumerate() {
            let field = value.field(f).unwrap_or(&ExpectedValue::Null);
            if i > 0 {
                text.push(',');
            }
            crate::kafka::datum::write_json_string(f, &mut text);
            text.push(':');
            match field.canonical() {
                Some(canonical) => text.push_str(&canonical),
                None => return Probe::Scan,
            }
            exact &= decisive(field, false);
        }
        text.push('}');
        Probe::Text { text, exact }
    }

    pub fn of_record<'r>(&self, record: &'r ExpectedRecord) -> Option<Cow<'r, ExpectedValue>> {
        if let Some(key) = &record.key {
            return Some(Cow::Borrowed(key));
        }
        if self.fields.is_empty() {
            return None;
        }
        let value = record.value.as_ref()?;
        Some(Cow::Owned(ExpectedValue::Object(
            self.fields
                .iter()
                .map(|f| (f.clone(), value.field(f).cloned().unwrap_or(ExpectedValue::Null)))
                .collect(),
        )))
    }
}

/// Whether a hash miss on `value`'s canonical text proves no received value matches it.
pub(crate) fn decisive(value: &ExpectedValue, top: bool) -> bool {
    match value {
        ExpectedValue::Null | ExpectedValue::Bool(_) | ExpectedValue::Number { .. } => true,
        ExpectedValue::String(_) | ExpectedValue::Bytes { .. } => true,
        // Below the top, an object or array may also match a string holding JSON.
        ExpectedValue::Array(items) => top && items.iter().all(|v| decisive(v, false)),
        ExpectedValue::Object(fields) => top && fields.iter().all(|(_, v)| decisive(v, false)),
        ExpectedValue::Decimal { .. } | ExpectedValue::Temporal(_) => false,
        ExpectedValue::Json(_) | ExpectedValue::Any => false,
    }
}

/// How an expected value is looked up in an [`Index`].
pub(crate) enum Probe {
    /// Items without a text (records without a key).
    Absent,
    /// Items with this text; `exact`: a hit matches and a miss proves there is no match.
    Text { text: String, exact: bool },
    /// Every item, with the full rules.
    Scan,
}

impl Probe {
    pub fn of(value: &ExpectedValue) -> Probe {
        match value.canonical() {
            Some(text) => Probe::Text { text, exact: decisive(value, true) },
            None => Probe::Scan,
        }
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, Probe::Absent | Probe::Text { exact: true, .. })
    }
}

/// Items grouped by a hashable text, each group in item order, without a vector per group.
struct Chains<K> {
    /// First and last item of each text.
    ends: HashMap<K, (usize, usize)>,
    /// The next item with the same text (`usize::MAX`: none).
    next: Vec<usize>,
}

impl<K: Hash + Eq> Chains<K> {
    fn new(texts: impl Iterator<Item = Option<K>>) -> Chains<K> {
        let (lower, _) = texts.size_hint();
        let mut chains =
            Chains { ends: HashMap::with_capacity(lower), next: Vec::with_capacity(lower) };
        for (i, text) in texts.enumerate() {
            chains.next.push(usize::MAX);
            let Some(text) = text else { continue };
            match chains.ends.get_mut(&text) {
                Some((_, last)) => {
                    chains.next[*last] = i;
                    *last = i;
                }
                None => {
                    chains.ends.insert(text, (i, i));
                }
            }
        }
        chains
    }

    fn len(&self) -> usize {
        self.next.len()
    }

    fn items<Q>(&self, text: &Q) -> impl Iterator<Item = usize> + '_
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let first = self.ends.get(text).map_or(usize::MAX, |(first, _)| *first);
        std::iter::successors((first != usize::MAX).then_some(first), |&i| {
            (self.next[i] != usize::MAX).then_some(self.next[i])
        })
    }
}

/// Received items indexed by a canonical text (their key or their row). Which items are
/// already claimed is kept by the caller, so several indexes can share it.
pub(crate) struct Index {
    chains: Chains<String>,
    /// Items without a text, in order.
    absent: Vec<usize>,
}

impl Index {
    pub fn new(texts: impl Iterator<Item = Option<String>>) -> Index {
        let texts: Vec<Option<String>> = texts.collect();
        let absent =
            texts.iter().enumerate().filter(|(_, t)| t.is_none()).map(|(i, _)| i).collect();
        Index { chains: Chains::new(texts.into_iter()), absent }
    }

    /// The first unclaimed item accepted by `accept`: looked up by the probe's text, then
    /// (unless that miss is decisive) by scanning.
    pub fn find(
        &self,
        used: &[bool],
        probe: &Probe,
        accept: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let ok = |&i: &usize| !used[i] && accept(i);
        let scan = || (0..self.chains.len()).find(ok);
        match probe {
            Probe::Absent => self.absent.iter().copied().find(ok),
            Probe::Scan => scan(),
            Probe::Text { text, exact } => match self.chains.items(text.as_str()).find(ok) {
                None if !exact => scan(),
                hit => hit,
            },
        }
    }

    /// The unclaimed items with the probe's text (for near misses).
    pub fn candidates(&self, used: &[bool], probe: &Probe) -> Vec<usize> {
        match probe {
            Probe::Text { text, .. } => {
                self.chains.items(text.as_str()).filter(|&i| !used[i]).collect()
            }
            Probe::Absent | Probe::Scan => Vec::new(),
        }
    }
}

/// Received rows indexed for lookups by value. An expected row is looked up by the canonical
/// text of its decisive top-level fields (all of them when the whole row is decisive), so rows
/// with a timestamp or a jsonb column are still found by hash; one index per set of fields,
/// built on first use.
pub(crate) struct RowIndex<'a> {
    rows: Vec<Option<&'a Datum>>,
    by_fields: HashMap<Vec<String>, Chains<String>>,
}

impl<'a> RowIndex<'a> {
    pub fn new(rows: Vec<Option<&'a Datum>>) -> RowIndex<'a> {
        RowIndex { rows, by_fields: HashMap::new() }
    }

    pub fn find(
        &mut self,
        used: &[bool],
        expected: &ExpectedValue,
        accept: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let Some((fields, text)) = probe(expected) else {
            return (0..self.rows.len()).find(|&i| !used[i] && accept(i));
        };
        let rows = &self.rows;
        let chains = self.by_fields.entry(fields).or_insert_with_key(|fields| {
            Chains::new(rows.iter().map(|row| row.and_then(|r| project(r, fields))))
        });
        // The probe's fields are decisive: no hit, no match.
        chains.items(text.as_str()).find(|&i| !used[i] && accept(i))
    }
}

/// Positions grouped by a group number, each group in position order: two arrays instead of a
/// vector per group.
pub(crate) struct Groups {
    starts: Vec<usize>,
    members: Vec<usize>,
}

impl Groups {
    pub fn new(group_of: &[usize], groups: usize) -> Groups {
        let mut starts = vec![0usize; groups + 1];
        for &g in group_of {
            starts[g + 1] += 1;
        }
        for g in 0..groups {
            starts[g + 1] += starts[g];
        }
        let mut fill = starts.clone();
        let mut members = vec![0usize; group_of.len()];
        for (i, &g) in group_of.iter().enumerate() {
            members[fill[g]] = i;
            fill[g] += 1;
        }
        Groups { starts, members }
    }

    pub fn get(&self, g: usize) -> &[usize] {
        &self.members[self.starts[g]..self.starts[g + 1]]
    }
}

/// The decisive top-level fields of an expected object (sorted) and their canonical text.
fn probe(expected: &ExpectedValue) -> Option<(Vec<String>, String)> {
    let ExpectedValue::Object(fields) = expected else { return None };
    let mut decisive_fields: Vec<&(String, ExpectedValue)> =
        fields.iter().filter(|(_, v)| decisive(v, false)).collect();
    if decisive_fields.is_empty() {
        return None;
    }
    decisive_fields.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::new();
    for (name, value) in &decisive_fields {
        crate::kafka::datum::write_json_string(name, &mut text);
        text.push(':');
        text.push_str(&value.canonical()?);
        text.push(',');
    }
    Some((decisive_fields.into_iter().map(|(name, _)| name.clone()).collect(), text))
}

/// The same text for a received row, or `None` when it lacks one of the fields.
fn project(row: &Datum, fields: &[String]) -> Option<String> {
    let mut text = String::new();
    for name in fields {
        crate::kafka::datum::write_json_string(name, &mut text);
        text.push(':');
        row.get(name)?.write_canonical(&mut text);
        text.push(',');
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expect::compare;

    fn value(json: serde_json::Value) -> ExpectedValue {
        ExpectedValue::from_json(&json).unwrap()
    }

    #[test]
    fn chains_keep_item_order_and_skip_missing_texts() {
        let chains = Chains::new(
            ["a", "b", "a", "c", "a"].map(|t| Some(t.to_owned())).into_iter().chain([None]),
        );
        assert_eq!(chains.items("a").collect::<Vec<_>>(), [0, 2, 4]);
        assert_eq!(chains.items("c").collect::<Vec<_>>(), [3]);
        assert_eq!(chains.items("z").count(), 0);
        assert_eq!(chains.len(), 6);
    }

    #[test]
    fn groups_in_position_order() {
        let groups = Groups::new(&[1, 0, 1, 2, 1], 4);
        assert_eq!(
            (groups.get(0), groups.get(1), groups.get(2), groups.get(3)),
            (&[1][..], &[0, 2, 4][..], &[3][..], &[][..])
        );
    }

    #[test]
    fn index_probes() {
        let index =
            Index::new(["x", "y", "x"].map(|t| Some(t.to_owned())).into_iter().chain([None]));
        let used = [true, false, false, false];
        let text = |t: &str, exact| Probe::Text { text: t.into(), exact };
        assert_eq!(index.find(&used, &text("x", true), |_| true), Some(2));
        assert_eq!(index.find(&used, &text("q", true), |_| true), None);
        assert_eq!(
            index.find(&used, &text("q", false), |i| i == 1),
            Some(1),
            "an inexact miss scans"
        );
        assert_eq!(index.find(&used, &Probe::Absent, |_| true), Some(3));
        assert_eq!(index.candidates(&used, &text("x", true)), [2]);
    }

    #[test]
    fn rows_with_undecidable_columns_are_found_by_their_decisive_ones() {
        let rows: Vec<Datum> = (0..3)
            .map(|i| {
                Datum::parse_str(&format!(
                    r#"{{"id":{i},"ts":"2024-01-01 10:00:0{i}","doc":"{{\"n\":{i}}}"}}"#
                ))
                .unwrap()
            })
            .collect();
        let mut index = RowIndex::new(rows.iter().map(Some).collect());
        let used = vec![false; 3];
        let expected = value(
            serde_json::json!({"id": 2, "ts": {"$timestamp": "2024-01-01T10:00:02"}, "doc": {"n": 2}}),
        );
        assert_eq!(probe(&expected).unwrap().0, vec!["id".to_owned()]);
        let found = index.find(&used, &expected, |i| compare(&expected, &rows[i]).is_ok());
        assert_eq!(found, Some(2));
        let wrong_doc = value(serde_json::json!({"id": 2, "ts": {"$any": true}, "doc": {"n": 3}}));
        assert_eq!(index.find(&used, &wrong_doc, |i| compare(&wrong_doc, &rows[i]).is_ok()), None);
        let absent =
            value(serde_json::json!({"id": 7, "ts": {"$any": true}, "doc": {"$any": true}}));
        assert_eq!(
            index.find(&used, &absent, |_| true),
            None,
            "a miss on decisive fields is final"
        );
        let all_wild = value(
            serde_json::json!({"id": {"$any": true}, "ts": {"$any": true}, "doc": {"$any": true}}),
        );
        assert_eq!(probe(&all_wild), None);
        assert_eq!(
            index.find(&[true, false, false], &all_wild, |_| true),
            Some(1),
            "scans, skipping used rows"
        );
    }
}
