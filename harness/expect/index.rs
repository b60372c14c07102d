//! Finding received records by key or by value without scanning: hash indexes on canonical
//! text. An expected value whose match cannot be predicted from its text (timestamps, `$any`,
//! decimals that may be strings, JSON that may sit in a string) falls back to a scan.

use std::borrow::Cow;
use std::collections::HashMap;

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

/// Received items indexed by a canonical text (their key or their row). Which items are
/// already claimed is kept by the caller, so several indexes can share it.
pub(crate) struct Index {
    by_text: HashMap<Option<String>, Vec<usize>>,
    len: usize,
}

impl Index {
    pub fn new(texts: impl Iterator<Item = Option<String>>) -> Index {
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
    pub fn find(
        &self,
        used: &[bool],
        expected: Option<&ExpectedValue>,
        accept: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let scan = || (0..self.len).find(|&i| !used[i] && accept(i));
        let (text, decisive_miss) = match expected {
            None => (None, true),
            Some(v) => match v.canonical() {
                Some(text) => (Some(text), decisive(v, true)),
                None => return scan(),
            },
        };
        let hit = self
            .by_text
            .get(&text)
            .and_then(|ids| ids.iter().copied().find(|&i| !used[i] && accept(i)));
        if hit.is_some() || decisive_miss {
            return hit;
        }
        scan()
    }

    /// The unclaimed items whose text is the one `expected` predicts (for near misses).
    pub fn candidates(&self, used: &[bool], expected: &ExpectedValue) -> Vec<usize> {
        expected
            .canonical()
            .and_then(|t| self.by_text.get(&Some(t)))
            .map(|ids| ids.iter().copied().filter(|&i| !used[i]).collect())
            .unwrap_or_default()
    }
}

/// Received rows indexed for lookups by value. An expected row is looked up by the canonical
/// text of its decisive top-level fields (all of them when the whole row is decisive), so rows
/// with a timestamp or a jsonb column are still found by hash; one index per set of fields,
/// built on first use.
pub(crate) struct RowIndex<'a> {
    rows: Vec<Option<&'a Datum>>,
    by_fields: HashMap<Vec<String>, HashMap<String, Vec<usize>>>,
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
        let index = self.by_fields.entry(fields).or_insert_with_key(|fields| {
            let mut index: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, row) in rows.iter().enumerate() {
                if let Some(text) = row.and_then(|r| project(r, fields)) {
                    index.entry(text).or_default().push(i);
                }
            }
            index
        });
        // The probe's fields are decisive: no hit, no match.
        index.get(&text)?.iter().copied().find(|&i| !used[i] && accept(i))
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
