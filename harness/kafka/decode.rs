//! Records to changes, by the Flink sink format.

use std::fmt::Write as _;

use super::{Change, Datum, Op, ReceivedRecord, SinkFormat};

/// A record that does not decode as its format says, with where it is and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode the {part} of the record at {topic} partition {partition} offset {offset} as {format}: {reason}; it begins {preview}")]
pub struct DecodeError {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// `key` or `value`.
    pub part: &'static str,
    pub format: SinkFormat,
    pub reason: String,
    /// The first bytes as lossy UTF-8 and as hex.
    pub preview: String,
}

/// Appends the changes one record stands for to `out`: usually one; two for a Debezium `u`
/// message (`update_before` + `update_after`); none for a debezium-json tombstone (Debezium
/// writes one after each delete for compaction; Flink skips them too).
pub fn decode(
    format: SinkFormat,
    topic: &str,
    record: &ReceivedRecord,
    out: &mut Vec<Change>,
) -> Result<(), DecodeError> {
    let fail = |part: &'static str, reason: String| {
        let bytes = if part == "key" { record.key.as_deref() } else { record.value.as_deref() };
        DecodeError {
            topic: topic.to_owned(),
            partition: record.partition,
            offset: record.offset,
            part,
            format,
            reason,
            preview: preview(bytes.unwrap_or_default()),
        }
    };
    let key = match record.key.as_deref() {
        None | Some([]) => None,
        Some(bytes) => {
            Some(Datum::parse(bytes).map_err(|e| fail("key", format!("not JSON ({e})")))?)
        }
    };
    let value = match record.value.as_deref() {
        None => None,
        Some(bytes) => {
            Some(Datum::parse(bytes).map_err(|e| fail("value", format!("not JSON ({e})")))?)
        }
    };
    let change = |key: Option<Datum>, op: Op, row: Option<Datum>| Change {
        key,
        op,
        row,
        partition: record.partition,
        offset: record.offset,
        timestamp: record.timestamp,
    };
    match format {
        SinkFormat::Json => {
            let op = if value.is_some() { Op::Insert } else { Op::Delete };
            out.push(change(key, op, value));
        }
        SinkFormat::UpsertKafka => {
            if key.is_none() {
                return Err(fail("key", "an upsert-kafka record must have a key".into()));
            }
            let op = if value.is_some() { Op::Upsert } else { Op::Delete };
            out.push(change(key, op, value));
        }
        SinkFormat::DebeziumJson => {
            let Some(mut envelope) = value else { return Ok(()) };
            if envelope.get("schema").is_some() {
                // 'debezium-json.schema-include' = 'true' wraps the envelope.
                if let Some(payload) = envelope.take("payload") {
                    envelope = payload;
                }
            }
            let op = match envelope.get("op") {
                Some(Datum::String(op)) => op.clone(),
                Some(other) => {
                    return Err(fail("value", format!("\"op\" is {other}, not a string")))
                }
                None => {
                    return Err(fail("value", "no \"op\" field (is this debezium-json?)".into()))
                }
            };
            let before = envelope.take("before").filter(|row| !row.is_null());
            let after = envelope.take("after").filter(|row| !row.is_null());
            let needs = |row: Option<Datum>, name: &str| {
                row.ok_or_else(|| fail("value", format!("op \"{op}\" without \"{name}\"")))
            };
            match op.as_str() {
                "c" | "r" => out.push(change(key, Op::Insert, Some(needs(after, "after")?))),
                "u" => {
                    // A real Debezium update; `before` is null under REPLICA IDENTITY DEFAULT.
                    let after = needs(after, "after")?;
                    if let Some(before) = before {
                        out.push(change(key.clone(), Op::UpdateBefore, Some(before)));
                    }
                    out.push(change(key, Op::UpdateAfter, Some(after)));
                }
                "d" => out.push(change(key, Op::Delete, before)),
                other => {
                    return Err(fail(
                        "value",
                        format!("unknown op \"{other}\" (expected c, r, u or d)"),
                    ))
                }
            }
        }
    }
    Ok(())
}

fn preview(bytes: &[u8]) -> String {
    const SHOWN: usize = 48;
    let head = &bytes[..bytes.len().min(SHOWN)];
    let more = if bytes.len() > SHOWN { "…" } else { "" };
    let mut hex = String::with_capacity(head.len() * 3);
    for (i, b) in head.iter().enumerate() {
        let _ = write!(hex, "{}{b:02x}", if i > 0 { " " } else { "" });
    }
    format!("{:?}{more} (hex {hex}{more}, {} bytes)", String::from_utf8_lossy(head), bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::recorded::parse_recording;

    fn fixture(name: &str) -> Vec<ReceivedRecord> {
        let path = format!("{}/tests/fixtures/kafka/{name}", env!("CARGO_MANIFEST_DIR"));
        parse_recording(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn decode_all(format: SinkFormat, records: &[ReceivedRecord]) -> Vec<Change> {
        let mut out = Vec::new();
        for r in records {
            decode(format, "t", r, &mut out).unwrap();
        }
        out
    }

    fn summary(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| {
                let key = c.key.as_ref().map(|k| k.to_string()).unwrap_or_default();
                let id = c
                    .row
                    .as_ref()
                    .and_then(|r| r.get("id"))
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                format!("{key}{}{id}", c.op)
            })
            .collect()
    }

    #[test]
    fn flink_json_rows_are_inserts() {
        let changes = decode_all(SinkFormat::Json, &fixture("json.tsv"));
        assert_eq!(summary(&changes), ["insert1", "insert2", "insert3"]);
        let row = changes[0].row.as_ref().unwrap();
        assert_eq!(row.get("price"), Some(&Datum::Number("10.50".into())));
        assert_eq!(row.get("note"), Some(&Datum::Null));
        assert_eq!(changes[2].partition, 1);
    }

    #[test]
    fn flink_debezium_json_writes_updates_as_delete_then_insert() {
        let changes = decode_all(SinkFormat::DebeziumJson, &fixture("debezium-json.tsv"));
        assert_eq!(
            summary(&changes),
            [
                r#"{"id":1}insert1"#,
                r#"{"id":2}insert2"#,
                r#"{"id":1}delete1"#,
                r#"{"id":1}insert1"#,
                r#"{"id":2}delete2"#
            ]
        );
        let before = changes[2].row.as_ref().unwrap();
        assert_eq!(before.get("name"), Some(&Datum::String("alice".into())));
        assert_eq!(
            changes[3].row.as_ref().unwrap().get("name"),
            Some(&Datum::String("alicia".into()))
        );
    }

    #[test]
    fn debezium_schema_include_and_real_debezium_updates() {
        let changes = decode_all(SinkFormat::DebeziumJson, &fixture("debezium-json-schema.tsv"));
        assert_eq!(summary(&changes), ["insert1", "update_before1", "update_after1", "insert7"]);
        // A Debezium tombstone after the delete (last line) decodes to nothing.
        assert_eq!(changes.len(), 4);
    }

    #[test]
    fn upsert_kafka_values_and_tombstones() {
        let changes = decode_all(SinkFormat::UpsertKafka, &fixture("upsert-kafka.tsv"));
        assert_eq!(
            summary(&changes),
            [r#"{"id":1}upsert1"#, r#"{"id":2}upsert2"#, r#"{"id":1}upsert1"#, r#"{"id":2}delete"#]
        );
        assert_eq!(changes[3].row, None);
        assert_eq!((changes[3].partition, changes[3].offset), (1, 1));
    }

    #[test]
    fn undecodable_bytes_name_the_record() {
        let record = ReceivedRecord {
            partition: 2,
            offset: 41,
            key: None,
            value: Some(b"\x00\x01binary\xff".to_vec()),
            timestamp: None,
            headers: vec![],
        };
        let err = decode(SinkFormat::Json, "orders", &record, &mut Vec::new()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("value of the record at orders partition 2 offset 41 as json"),
            "{text}"
        );
        assert!(text.contains("hex 00 01 62 69 6e 61 72 79 ff"), "{text}");
        assert!(text.contains("binary"), "{text}");
    }

    #[test]
    fn format_errors_are_explained() {
        let rec = |key: Option<&str>, value: &str| ReceivedRecord {
            partition: 0,
            offset: 0,
            key: key.map(|k| k.as_bytes().to_vec()),
            value: Some(value.as_bytes().to_vec()),
            timestamp: None,
            headers: vec![],
        };
        let err = |format, r: ReceivedRecord| {
            decode(format, "t", &r, &mut Vec::new()).unwrap_err().reason
        };
        assert!(err(SinkFormat::DebeziumJson, rec(None, r#"{"id":1}"#)).contains("no \"op\" field"));
        assert!(err(SinkFormat::DebeziumJson, rec(None, r#"{"op":"x","after":{}}"#))
            .contains("unknown op \"x\""));
        assert!(err(SinkFormat::DebeziumJson, rec(None, r#"{"op":"c","after":null}"#))
            .contains("without \"after\""));
        assert!(err(SinkFormat::UpsertKafka, rec(None, r#"{"id":1}"#)).contains("must have a key"));
        let e = decode(SinkFormat::UpsertKafka, "t", &rec(Some("id=1"), "{}"), &mut Vec::new())
            .unwrap_err();
        assert_eq!(e.part, "key");
    }
}
