//! `[[expect]]`: the mode's fields, and records shaped the way the sink's format writes them.

use super::{span, Cx};
use crate::diagnostics::Span;
use crate::scenario::model::{
    ChangeOp, ExpectMode, Expectation, ExpectedRecord, RecordValue, SinkKind, Timeouts,
};
use crate::scenario::raw::{RawExpect, RawRecord};
use serde_json::Value;
use toml::Spanned as S;

pub fn expectation(
    cx: &mut Cx,
    raw: &S<RawExpect>,
    sink: Option<SinkKind>,
    timeouts: &Timeouts,
) -> Option<Expectation> {
    let e = raw.get_ref();
    let before = cx.findings.len();
    let mode = cx.choice(
        &e.mode,
        "mode",
        &[
            ("changelog", ExpectMode::Changelog),
            ("final-state", ExpectMode::FinalState),
            ("contains", ExpectMode::Contains),
            ("count", ExpectMode::Count),
        ],
        &[
            ("exact", "write `changelog` (exact records per key, in order)"),
            ("final", "write `final-state`"),
            ("final_state", "write `final-state`"),
        ],
    );
    let timeout = cx.duration(&e.timeout, "timeout").unwrap_or(timeouts.expect);
    let quiet_period =
        cx.duration(&e.quiet_period, "quiet_period").unwrap_or(timeouts.quiet_period);
    let mode = mode?;
    let mut records = Vec::new();
    if mode == ExpectMode::Count {
        if let Some(r) = &e.records {
            cx.error(
                "scenario/field-not-allowed",
                span(r),
                "`records` does not apply to `mode = \"count\"`",
                "count mode only counts; use `changelog`, `final-state` or `contains` to check records",
            );
        }
        if e.count.is_none() {
            cx.missing(span(raw), "count", "count = 3");
        }
    } else {
        if let Some(c) = &e.count {
            cx.error(
                "scenario/field-not-allowed",
                span(c),
                format!("`count` does not apply to `mode = \"{}\"`", e.mode.get_ref()),
                "add a separate [[expect]] with `mode = \"count\"`",
            );
        }
        match &e.records {
            Some(list) => {
                for r in list.get_ref() {
                    if let Some(record) = record(cx, r, mode, sink) {
                        records.push(record);
                    }
                }
            }
            None => cx.missing(
                span(raw),
                "records",
                "records = [ { key = { id = 1 }, value = { id = 1 } } ]",
            ),
        }
    }
    if let Some(g) = &e.group_by {
        if mode != ExpectMode::Changelog {
            cx.error(
                "scenario/field-not-allowed",
                span(g),
                "`group_by` applies to `mode = \"changelog\"` only",
                "remove it: other modes do not look at order",
            );
        } else if sink == Some(SinkKind::UpsertKafkaJson) {
            cx.error(
                "scenario/field-not-allowed",
                span(g),
                "upsert-kafka records are grouped by their Kafka key already",
                "remove `group_by`",
            );
        }
    }
    if cx.findings.len() > before {
        return None;
    }
    Some(Expectation {
        mode,
        group_by: e.group_by.as_ref().map(|g| g.get_ref().clone()).unwrap_or_default(),
        records,
        count: e.count.as_ref().map(|c| *c.get_ref()),
        allow_duplicates: e.allow_duplicates.as_ref().is_some_and(|b| *b.get_ref()),
        timeout,
        quiet_period,
        span: span(raw),
    })
}

fn record(
    cx: &mut Cx,
    raw: &S<RawRecord>,
    mode: ExpectMode,
    sink: Option<SinkKind>,
) -> Option<ExpectedRecord> {
    let r = raw.get_ref();
    let at = span(raw);
    let before = cx.findings.len();
    let key = r.key.as_ref().and_then(|k| json(cx, k));
    let tombstone = r.tombstone.as_ref().filter(|t| *t.get_ref());
    let value = if let Some(t) = tombstone {
        for (field, present) in [("value", r.value.is_some()), ("op", r.op.is_some())] {
            if present {
                cx.error(
                    "scenario/conflicting-fields",
                    span(t),
                    format!("a tombstone has no `{field}`"),
                    "keep `key` and `tombstone = true`",
                );
            }
        }
        if mode == ExpectMode::FinalState {
            cx.error(
                "scenario/field-not-allowed",
                span(t),
                "final-state lists the rows left at the end; a deleted row is simply not listed",
                "remove this record, or use `mode = \"changelog\"` to expect the tombstone itself",
            );
        }
        if matches!(sink, Some(SinkKind::KafkaJson | SinkKind::KafkaDebeziumJson)) {
            cx.error(
                "scenario/wrong-format",
                span(t),
                "only upsert-kafka writes tombstones",
                "debezium-json writes a delete as `op = \"d\"` with `before`",
            );
        }
        if r.key.is_none() {
            cx.error(
                "scenario/missing-field",
                span(t),
                "a tombstone needs the `key` it deletes",
                "add `key = { id = 1 }`",
            );
        }
        Some(RecordValue::Tombstone)
    } else if let Some(op) = &r.op {
        change(cx, raw, op, mode, sink)
    } else if let Some(v) = &r.value {
        if sink == Some(SinkKind::KafkaDebeziumJson) && mode != ExpectMode::FinalState {
            cx.error(
                "scenario/wrong-format",
                span(v),
                "a debezium-json sink writes envelopes: write `op` with `before`/`after` instead of `value`",
                "for example: { op = \"c\", after = { id = 1, name = \"a\" } }",
            );
        }
        json(cx, v).map(RecordValue::Json)
    } else {
        cx.error(
            "scenario/missing-field",
            at,
            "a record needs `value`, `tombstone = true`, or `op` with `before`/`after`",
            "for example: { key = { id = 1 }, value = { id = 1, name = \"a\" } }",
        );
        None
    };
    if let Some(k) = &r.key {
        if matches!(sink, Some(SinkKind::KafkaJson | SinkKind::KafkaDebeziumJson)) {
            cx.error(
                "scenario/wrong-format",
                span(k),
                "the kafka sink writes records without a key",
                "remove `key`; only upsert-kafka writes keys",
            );
        }
    } else if sink == Some(SinkKind::UpsertKafkaJson) && tombstone.is_none() {
        cx.error(
            "scenario/missing-field",
            at,
            "upsert-kafka records have a key: add `key`",
            "for example: key = { id = 1 }",
        );
    }
    if cx.findings.len() > before {
        return None;
    }
    Some(ExpectedRecord { key, value: value?, span: at })
}

fn change(
    cx: &mut Cx,
    raw: &S<RawRecord>,
    op: &S<String>,
    mode: ExpectMode,
    sink: Option<SinkKind>,
) -> Option<RecordValue> {
    let r = raw.get_ref();
    if let Some(v) = &r.value {
        cx.error(
            "scenario/conflicting-fields",
            span(v),
            "a record has either `value` or `op`",
            "debezium-json records use `op`, `before` and `after`",
        );
    }
    if mode == ExpectMode::FinalState {
        cx.error(
            "scenario/field-not-allowed",
            span(op),
            "final-state lists rows: write `value = { ... }` for each row left at the end",
            "use `mode = \"changelog\"` to check the envelopes themselves",
        );
    }
    if matches!(sink, Some(SinkKind::KafkaJson | SinkKind::UpsertKafkaJson)) {
        cx.error(
            "scenario/wrong-format",
            span(op),
            "`op` belongs to debezium-json records",
            "write `value = { ... }` for a json sink",
        );
    }
    let flink_update = "Flink's debezium-json writes an update as two records: { op = \"d\", before = ... } then { op = \"c\", after = ... }";
    let op_value = cx.choice(
        op,
        "op",
        &[
            ("c", ChangeOp::Create),
            ("d", ChangeOp::Delete),
            ("u", ChangeOp::Update),
            ("r", ChangeOp::Read),
        ],
        &[
            ("create", "write `c`"),
            ("insert", "write `c`"),
            ("delete", "write `d`"),
            ("update", flink_update),
        ],
    )?;
    let require =
        |cx: &mut Cx, field: &str, v: &Option<S<toml::Value>>, wanted: bool| match (v, wanted) {
            (Some(v), false) => cx.error(
                "scenario/field-not-allowed",
                span(v),
                format!("Flink writes `{field}` as null in an `op = \"{}\"` record", op.get_ref()),
                format!("remove `{field}`"),
            ),
            (None, true) => cx.error(
                "scenario/missing-field",
                span(op),
                format!("an `op = \"{}\"` record needs `{field}`", op.get_ref()),
                format!("add `{field} = {{ ... }}`"),
            ),
            _ => {}
        };
    match op_value {
        ChangeOp::Create => {
            require(cx, "before", &r.before, false);
            require(cx, "after", &r.after, true);
        }
        ChangeOp::Delete => {
            require(cx, "before", &r.before, true);
            require(cx, "after", &r.after, false);
        }
        ChangeOp::Update | ChangeOp::Read => cx.error(
            "scenario/never-written",
            span(op),
            format!("Flink's debezium-json encoder never writes `op = \"{}\"`", op.get_ref()),
            if op_value == ChangeOp::Update {
                flink_update
            } else {
                "snapshot rows arrive as `op = \"c\"`"
            },
        ),
    }
    let before = r.before.as_ref().and_then(|v| json(cx, v));
    let after = r.after.as_ref().and_then(|v| json(cx, v));
    Some(RecordValue::Change { op: op_value, before, after })
}

/// TOML to JSON for the model. A TOML date-time becomes `{ "$timestamp" = "..." }`, the JSON form
/// the verifier reads as a date/time to compare by instant; `nan` and `inf` have no JSON form.
fn json(cx: &mut Cx, value: &S<toml::Value>) -> Option<Value> {
    match to_json(value.get_ref()) {
        Ok(v) => Some(v),
        Err(what) => {
            cx.error(
                "scenario/not-json",
                Span::from(value.span()),
                format!("{what} cannot be compared with JSON"),
                "Flink's JSON writes only finite numbers",
            );
            None
        }
    }
}

fn to_json(value: &toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .ok_or_else(|| format!("the float {f}"))?,
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::json!({ "$timestamp": d.to_string() }),
        toml::Value::Array(items) => {
            Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(t) => Value::Object(
            t.iter().map(|(k, v)| Ok((k.clone(), to_json(v)?))).collect::<Result<_, String>>()?,
        ),
    })
}
