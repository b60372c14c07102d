//! The scenario's expectations as the verifier's: done while planning, so a value the verifier
//! cannot read is a finding on the record's line before anything starts.

use crate::diagnostics::Finding;
use crate::expect::{self, Count, ExpectedValue, Mode, Op};
use crate::kafka::SinkFormat;
use crate::scenario::{
    ChangeOp, ExpectMode, Expectation, ExpectedRecord, RecordValue, Scenario, Sink, SinkKind,
};

/// How the verifier decodes the scenario's sink topic. A verbatim sink says so in its WITH clause.
pub fn sink_format(scenario: &Scenario) -> Option<SinkFormat> {
    match &scenario.sink {
        Sink::Structured(s) => Some(match s.kind {
            SinkKind::KafkaJson => SinkFormat::Json,
            SinkKind::KafkaDebeziumJson => SinkFormat::DebeziumJson,
            SinkKind::UpsertKafkaJson => SinkFormat::UpsertKafka,
        }),
        Sink::Verbatim(sql) => {
            let text = sql.text.to_ascii_lowercase().replace(char::is_whitespace, "");
            if text.contains("'connector'='upsert-kafka'") {
                Some(SinkFormat::UpsertKafka)
            } else if text.contains("'format'='debezium-json'")
                || text.contains("'value.format'='debezium-json'")
            {
                Some(SinkFormat::DebeziumJson)
            } else if text.contains("'format'='json'") || text.contains("'value.format'='json'") {
                Some(SinkFormat::Json)
            } else {
                None
            }
        }
    }
}

/// One scenario expectation as the verifier's; a value it cannot compare is a finding on the
/// record (or on the expectation).
pub fn convert_expectation(e: &Expectation) -> Result<expect::Expectation, Finding> {
    let mode = match e.mode {
        ExpectMode::Changelog => Mode::Changelog,
        ExpectMode::FinalState => Mode::FinalState,
        ExpectMode::Contains => Mode::Contains,
        ExpectMode::Count => {
            Mode::Count(Count { total: e.count.map(|c| c as usize), per_op: Default::default() })
        }
    };
    let records = e.records.iter().map(convert_record).collect::<Result<Vec<_>, _>>()?;
    let converted = expect::Expectation {
        mode,
        records,
        key_fields: e.group_by.clone(),
        allow_duplicates: e.allow_duplicates,
        timeout: e.timeout,
        quiet_period: e.quiet_period,
        complete: false,
    };
    converted.validate().map_err(|err| {
        Finding::error("expect/invalid", e.span, err.to_string())
            .with_label("this expectation cannot be checked")
    })?;
    Ok(converted)
}

fn convert_record(record: &ExpectedRecord) -> Result<expect::ExpectedRecord, Finding> {
    let value = |v: &serde_json::Value, field: &str| {
        ExpectedValue::from_json(v).map_err(|err| {
            Finding::error("expect/value", record.span, format!("{field}: {err}"))
                .with_label("the verifier cannot compare this value")
        })
    };
    let key = record.key.as_ref().map(|k| value(k, "key")).transpose()?;
    let (op, row) = match &record.value {
        RecordValue::Json(v) => (None, Some(value(v, "value")?)),
        RecordValue::Tombstone => (Some(Op::Delete), None),
        RecordValue::Change { op, before, after } => {
            let (op, row, field) = match op {
                ChangeOp::Create | ChangeOp::Read => (Op::Insert, after, "after"),
                ChangeOp::Update => (Op::UpdateAfter, after, "after"),
                ChangeOp::Delete => (Op::Delete, before, "before"),
            };
            let row = row.as_ref().map(|v| value(v, field)).transpose()?;
            (Some(op), row)
        }
    };
    Ok(expect::ExpectedRecord { key, op, value: row })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;

    fn scenario(text: &str) -> Scenario {
        crate::scenario::parse(SourceFile::new("t.toml", text)).expect("valid scenario")
    }

    const BASE: &str = r#"
name = "t"
[postgres]
setup = "CREATE TABLE public.t (id INT PRIMARY KEY, v TEXT);"
[source]
connector = "jdbc"
table = "public.t"
"#;

    #[test]
    fn upsert_records_keep_keys_and_tombstones() {
        let s = scenario(&format!(
            "{BASE}[sink]\nconnector = \"upsert-kafka\"\ntopic = \"t\"\n[[expect]]\nmode = \"changelog\"\n\
             records = [ {{ key = {{ id = 1 }}, value = {{ id = 1, v = \"a\" }} }}, {{ key = {{ id = 1 }}, tombstone = true }} ]\n"
        ));
        assert_eq!(sink_format(&s), Some(SinkFormat::UpsertKafka));
        let e = convert_expectation(&s.expectations[0]).unwrap();
        assert_eq!(e.mode, Mode::Changelog);
        assert!(e.records[0].key.is_some() && e.records[0].value.is_some());
        assert_eq!(e.records[1].op, Some(Op::Delete));
        assert_eq!(e.records[1].value, None);
    }

    #[test]
    fn count_and_json_rows() {
        let s = scenario(&format!(
            "{BASE}[sink]\nconnector = \"kafka\"\nformat = \"json\"\ntopic = \"t\"\n\
             [[expect]]\nmode = \"count\"\ncount = 3\n\
             [[expect]]\nmode = \"final-state\"\nrecords = [ {{ value = {{ id = 1, v = {{ \"$null\" = true }} }} }} ]\n"
        ));
        assert_eq!(sink_format(&s), Some(SinkFormat::Json));
        let count = convert_expectation(&s.expectations[0]).unwrap();
        assert_eq!(count.mode, Mode::Count(Count { total: Some(3), per_op: Default::default() }));
        let rows = convert_expectation(&s.expectations[1]).unwrap();
        assert_eq!(rows.records.len(), 1);
        assert_eq!(rows.records[0].op, None);
    }
}
