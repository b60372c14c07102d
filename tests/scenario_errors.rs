//! Every class of scenario error, with the line and column it must point at.

use cdc_harness::diagnostics::SourceFile;
use cdc_harness::scenario::{self, ScenarioError};

/// A valid scenario to break one piece at a time.
const BASE: &str = r#"name = "t"

[source]
connector = "cdc"
table = "public.orders"
columns = ["id INT", "item STRING"]
primary_key = ["id"]

[sink]
connector = "upsert-kafka"
topic = "orders"

[[expect]]
mode = "count"
count = 1
"#;

/// (code, line, column, message, help) of every finding.
fn findings(text: &str) -> Vec<(String, usize, usize, String, String)> {
    let file = SourceFile::new("t.toml", text);
    match scenario::parse(file) {
        Ok(_) => Vec::new(),
        Err(ScenarioError::Invalid { file, findings }) => findings
            .iter()
            .map(|f| {
                let lc = file.line_col(f.span.start);
                (
                    f.code.to_string(),
                    lc.line,
                    lc.column,
                    f.message.clone(),
                    f.help.clone().unwrap_or_default(),
                )
            })
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

/// The single finding of `text`, asserted to have `code` at `line:column`.
fn one(text: &str, code: &str, line: usize, column: usize) -> (String, String) {
    let all = findings(text);
    assert_eq!(all.len(), 1, "expected one finding, got {all:#?}");
    let (c, l, col, message, help) = all.into_iter().next().unwrap();
    assert_eq!((c.as_str(), l, col), (code, line, column), "{message} / {help}");
    (message, help)
}

#[test]
fn the_base_scenario_is_valid() {
    assert!(findings(BASE).is_empty());
}

#[test]
fn toml_syntax_errors_point_at_the_broken_spot() {
    let text = BASE.replace("topic = \"orders\"", "topic = \"orders");
    let all = findings(&text);
    assert!(!all.is_empty());
    assert!(all.iter().all(|f| f.0 == "scenario/toml-syntax"), "{all:#?}");
    assert_eq!((all[0].1, all[0].2), (11, 16));
}

#[test]
fn unknown_field_suggests_the_closest_one() {
    let text = BASE.replace("primary_key = [", "primary_keys = [");
    let (message, help) = one(&text, "scenario/unknown-field", 7, 1);
    assert!(message.contains("`primary_keys` in [source]"), "{message}");
    assert!(help.contains("did you mean `primary_key`?"), "{help}");
}

#[test]
fn unknown_top_level_section_suggests_the_closest_one() {
    let text = BASE.replace("[[expect]]", "[[expects]]");
    let all = findings(&text);
    let unknown = all.iter().find(|f| f.0 == "scenario/unknown-field").expect("unknown field");
    assert_eq!((unknown.1, unknown.2), (13, 3));
    assert!(unknown.4.contains("did you mean `expect`?"), "{}", unknown.4);
}

#[test]
fn wrong_type_names_the_expected_type() {
    let text = BASE.replace("count = 1", "count = \"one\"");
    let (message, help) = one(&text, "scenario/wrong-type", 15, 9);
    assert!(message.contains("expected a whole number"), "{message}");
    assert!(help.contains("without quotes"), "{help}");
}

#[test]
fn missing_required_fields_are_named() {
    let text = BASE.replace("topic = \"orders\"\n", "");
    let (message, _) = one(&text, "scenario/missing-field", 9, 1);
    assert!(message.contains("`topic`"), "{message}");

    let text = BASE.replace("name = \"t\"\n", "");
    let (message, _) = one(&text, "scenario/missing-field", 1, 1);
    assert!(message.contains("`name`"), "{message}");
}

#[test]
fn bad_durations_explain_the_syntax() {
    let text = format!("{BASE}timeout = \"5 minutes\"\n");
    let (message, help) = one(&text, "scenario/bad-duration", 16, 11);
    assert!(message.contains("unknown unit `minutes`"), "{message}");
    assert!(help.contains("`30s`"), "{help}");
}

#[test]
fn structured_and_verbatim_source_cannot_be_combined() {
    let text = BASE.replace(
        "[source]\n",
        "[source]\nsql = '''CREATE TABLE t (id INT) WITH ('connector' = 'jdbc');'''\n",
    );
    let (message, help) = one(&text, "scenario/both-forms", 5, 13);
    assert!(message.contains("`connector`, `table`, `columns`, `primary_key`"), "{message}");
    assert!(help.contains("keep either `sql`"), "{help}");
}

#[test]
fn primary_key_must_name_a_declared_column() {
    let text = BASE.replace("primary_key = [\"id\"]", "primary_key = [\"idd\"]");
    let (message, help) = one(&text, "scenario/unknown-column", 7, 16);
    assert!(message.contains("`idd`"), "{message}");
    assert!(help.contains("did you mean `id`?"), "{help}");
}

#[test]
fn unknown_values_suggest_and_explain_aiven_names() {
    let text = BASE.replace("connector = \"cdc\"", "connector = \"cdc-postgres\"");
    let (_, help) = one(&text, "scenario/unknown-value", 4, 13);
    assert!(help.contains("write `cdc`"), "{help}");

    let text = BASE.replace("mode = \"count\"", "mode = \"cuont\"");
    let (_, help) = one(&text, "scenario/unknown-value", 14, 8);
    assert!(help.contains("did you mean `count`?"), "{help}");
}

#[test]
fn a_step_does_exactly_one_thing() {
    let text = format!("{BASE}\n[[steps]]\nsql = \"SELECT 1\"\nwait = \"1s\"\n");
    one(&text, "scenario/step-with-two-actions", 19, 8);

    let text = format!("{BASE}\n[[steps]]\nname = \"nothing\"\n");
    one(&text, "scenario/step-without-action", 17, 1);
}

#[test]
fn step_fields_must_fit_the_action() {
    let text = format!("{BASE}\n[[steps]]\nsql = \"SELECT 1\"\ncount = 3\n");
    let (message, help) = one(&text, "scenario/field-not-allowed", 19, 9);
    assert!(message.contains("`count` does not apply to a `sql` step"), "{message}");
    assert!(help.contains("`name`, `timeout`"), "{help}");

    let text = format!("{BASE}\n[[steps]]\ngenerate = \"update\"\ntable = \"t\"\ncount = 3\nwhere = \"id = {{n}}\"\n");
    let (message, _) = one(&text, "scenario/missing-field", 17, 1);
    assert!(message.contains("`set`"), "{message}");
}

#[test]
fn future_steps_parse_into_typed_variants() {
    let text = format!(
        "{BASE}\n[[steps]]\nfault = \"generate-wal\"\nsize = \"16MB\"\n\n[[steps]]\njob = \"stop-with-savepoint\"\n\n\
         [[steps]]\nverify_slot = \"inactive\"\nmax_retained_wal = \"64MB\"\ntimeout = \"10s\"\n"
    );
    let s = scenario::parse(SourceFile::new("t.toml", text))
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    use scenario::{Fault, JobAction, SlotState, StepKind};
    assert!(
        matches!(s.steps[0].kind, StepKind::Fault(Fault::GenerateWal { bytes }) if bytes == 16 << 20)
    );
    assert!(matches!(s.steps[1].kind, StepKind::Job(JobAction::StopWithSavepoint)));
    match &s.steps[2].kind {
        StepKind::VerifySlot(check) => {
            assert_eq!(check.state, SlotState::Inactive);
            assert_eq!(check.max_retained_wal_bytes, Some(64 << 20));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.steps[2].timeout, std::time::Duration::from_secs(10));
}

#[test]
fn debezium_records_follow_what_flink_writes() {
    let base = BASE.replace(
        "connector = \"upsert-kafka\"",
        "connector = \"kafka\"\nformat = \"debezium-json\"",
    );
    let text = base.replace(
        "mode = \"count\"\ncount = 1",
        "mode = \"changelog\"\nrecords = [\n  { op = \"u\", before = { id = 1 }, after = { id = 1 } },\n]",
    );
    let (message, help) = one(&text, "scenario/never-written", 17, 10);
    assert!(message.contains("never writes `op = \"u\"`"), "{message}");
    assert!(help.contains("two records"), "{help}");

    let text = base.replace(
        "mode = \"count\"\ncount = 1",
        "mode = \"changelog\"\nrecords = [{ op = \"d\", after = { id = 1 } }]",
    );
    let all = findings(&text);
    let codes: Vec<_> = all.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(codes, vec!["scenario/missing-field", "scenario/field-not-allowed"], "{all:#?}");
}

#[test]
fn tombstones_belong_to_upsert_changelogs() {
    let text = BASE.replace(
        "mode = \"count\"\ncount = 1",
        "mode = \"final-state\"\nrecords = [{ key = { id = 1 }, tombstone = true }]",
    );
    let (message, _) = one(&text, "scenario/field-not-allowed", 15, 44);
    assert!(message.contains("final-state"), "{message}");
}

#[test]
fn unquoted_dates_become_timestamp_markers_for_the_verifier() {
    let text = BASE.replace(
        "mode = \"count\"\ncount = 1",
        "mode = \"contains\"\nrecords = [{ key = { id = 1 }, value = { id = 1, at = 2024-01-31 12:00:00, n = { \"$null\" = true } } }]",
    );
    let s = scenario::parse(SourceFile::new("t.toml", text))
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let scenario::RecordValue::Json(value) = &s.expectations[0].records[0].value else { panic!() };
    assert_eq!(value["at"], serde_json::json!({ "$timestamp": "2024-01-31T12:00:00" }));
    assert_eq!(value["n"], serde_json::json!({ "$null": true }));
}

#[test]
fn non_finite_numbers_are_refused() {
    let text = BASE.replace(
        "mode = \"count\"\ncount = 1",
        "mode = \"contains\"\nrecords = [{ key = { id = 1 }, value = { id = 1, x = nan } }]",
    );
    let (message, _) = one(&text, "scenario/not-json", 15, 40);
    assert!(message.contains("NaN"), "{message}");
}

#[test]
fn endpoint_options_are_the_harness_s_business() {
    let text = BASE.replace(
        "primary_key = [\"id\"]",
        "primary_key = [\"id\"]\noptions = { 'slot.name' = 's', 'hostname' = 'db' }",
    );
    let (message, _) = one(&text, "scenario/managed-option", 8, 32);
    assert!(message.contains("'hostname'"), "{message}");
}

#[test]
fn upsert_kafka_needs_a_key_somewhere() {
    let text = BASE.replace("primary_key = [\"id\"]\n", "");
    one(&text, "scenario/upsert-needs-key", 9, 13);
}

#[test]
fn a_scenario_must_check_something() {
    let text = BASE.replace("[[expect]]\nmode = \"count\"\ncount = 1\n", "");
    one(&text, "scenario/no-expectation", 1, 1);
}

#[test]
fn all_errors_are_reported_at_once() {
    let text = BASE
        .replace("connector = \"cdc\"", "conector = \"cdc\"")
        .replace("topic = \"orders\"", "topic = \"orders\"\nformat = \"json\"")
        .replace("mode = \"count\"", "mode = \"cuont\"")
        + "\n[[steps]]\nwait = \"2 days\"\n\n[timeouts]\nexpect = \"soon\"\n";
    let all = findings(&text);
    let got: Vec<(&str, usize)> = all.iter().map(|f| (f.0.as_str(), f.1)).collect();
    assert_eq!(
        got,
        vec![
            ("scenario/unknown-field", 4),
            ("scenario/field-not-allowed", 12),
            ("scenario/unknown-value", 15),
            ("scenario/bad-duration", 19),
            ("scenario/bad-duration", 22),
        ],
        "{all:#?}"
    );
}

#[test]
fn rendering_names_file_line_and_column() {
    let text = BASE.replace("primary_key = [", "primary_keys = [");
    let err = scenario::parse(SourceFile::new("scenarios/t.toml", text)).unwrap_err();
    let out = err.render(false);
    assert!(out.starts_with("error scenarios/t.toml:7:1"), "{out}");
    assert!(out.contains("1 error(s) in scenario"), "{out}");
}

#[test]
fn a_slot_on_a_fault_step_is_refused_not_ignored() {
    // Slot faults act on the scenario's own slot; a `slot` there would be silently dropped.
    let text = format!("{BASE}\n[[steps]]\nfault = \"drop-slot\"\nslot = \"other\"\n");
    let all = findings(&text);
    assert_eq!(all.len(), 1, "{all:#?}");
    let (code, line, _, message, _) = &all[0];
    assert_eq!((code.as_str(), *line), ("scenario/field-not-allowed", 19), "{message}");
    assert!(message.contains("slot"), "{message}");
}
