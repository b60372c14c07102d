//! The scenarios shipped in scenarios/ load into what the run engine expects of them.

use cdc_harness::scenario::{
    self, ExpectMode, RecordValue, Scenario, Sink, SinkKind, Source, StepKind,
};
use cdc_harness::sql::generate::{generate, Dialect, Target};
use std::path::PathBuf;

fn load(name: &str) -> Scenario {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"));
    scenario::load(&path).unwrap_or_else(|e| panic!("{}", e.render(false)))
}

fn bounded(name: &str) -> bool {
    let s = load(name);
    generate(&s, &Target::preview(&s), Dialect::Flink, None).unwrap().source_is_bounded()
}

#[test]
fn jdbc_scenarios_are_bounded_and_cdc_ones_stream() {
    for name in ["jdbc-kafka-json", "jdbc-upsert-kafka", "jdbc-types", "seed-guide-jdbc"] {
        assert!(bounded(name), "{name}");
    }
    for name in [
        "cdc-upsert-kafka",
        "cdc-debezium-full",
        "cdc-debezium-default",
        "cdc-types",
        "cdc-bulk-inserts",
        "seed-guide-cdc",
    ] {
        assert!(!bounded(name), "{name}");
    }
}

#[test]
fn the_seed_scenarios_are_verbatim_and_map_byte_for_byte() {
    for name in ["seed-guide-cdc", "seed-guide-jdbc"] {
        let s = load(name);
        let Source::Verbatim(sql) = &s.source else { panic!("{name} is not verbatim") };
        let region = sql.region.expect("a ''' string maps to the file");
        assert_eq!(s.file.slice(region), sql.text);
        assert!(sql.text.trim_start().starts_with("CREATE TABLE"), "{name}");
        assert_eq!(s.embedded_flink_sql().len(), 1, "{name}: the sink is structured");
    }
}

#[test]
fn cdc_upsert_expects_snapshot_update_delete_and_insert_per_key() {
    let s = load("cdc-upsert-kafka");
    assert!(matches!(&s.sink, Sink::Structured(k) if k.kind == SinkKind::UpsertKafkaJson));
    let changelog = &s.expectations[0];
    assert_eq!(changelog.mode, ExpectMode::Changelog);
    let tombstones = changelog.records.iter().filter(|r| r.value == RecordValue::Tombstone).count();
    assert_eq!((changelog.records.len(), tombstones), (5, 1));
    assert_eq!(s.expectations[1].mode, ExpectMode::FinalState);
    assert!(matches!(&s.steps[0].kind, StepKind::Sql(q) if q.text.contains("DELETE")));
}

#[test]
fn debezium_scenarios_expect_flinks_delete_then_create_for_an_update() {
    for name in ["cdc-debezium-full", "cdc-debezium-default"] {
        let s = load(name);
        let e = &s.expectations[0];
        assert_eq!(e.group_by, vec!["id".to_string()]);
        let ops: Vec<&str> = e
            .records
            .iter()
            .map(|r| match &r.value {
                RecordValue::Change { op, .. } => op.code(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ops, vec!["c", "d", "c", "c", "d"], "{name}");
    }
}

#[test]
fn bulk_generator_makes_a_thousand_single_row_transactions() {
    let s = load("cdc-bulk-inserts");
    let StepKind::Generate(g) = &s.steps[0].kind else { panic!() };
    let tx: Vec<String> = g.transactions().collect();
    assert_eq!(tx.len(), 1000);
    assert_eq!(tx[999], "INSERT INTO public.events VALUES (1000, 'created', 'event number 1000')");
    assert_eq!(s.expectations[0].count, Some(1000));
    assert_eq!(s.expectations[0].timeout, std::time::Duration::from_secs(180));
}

#[test]
fn big_integers_and_nulls_survive_into_the_expected_json() {
    let s = load("jdbc-types");
    let RecordValue::Json(row) = &s.expectations[0].records[0].value else { panic!() };
    assert_eq!(row["big"].as_i64(), Some(9_007_199_254_740_993));
    assert_eq!(row["payload"], serde_json::json!({ "$hex": "00ff10" }));
    assert_eq!(row["at_zoned"], serde_json::json!({ "$timestamp": "2024-02-29T12:45:01Z" }));
    let RecordValue::Json(nulls) = &s.expectations[0].records[1].value else { panic!() };
    let nulls = nulls.as_object().unwrap();
    assert_eq!(nulls.len(), 11);
    assert!(nulls
        .iter()
        .filter(|(k, _)| *k != "id")
        .all(|(_, v)| *v == serde_json::json!({ "$null": true })));
}

/// Every known-bug scenario loads, plans (isolated names, expectations), is a CDC scenario
/// (postgres-cdc, or Debezium on Kafka Connect), and says in its header which upstream problem it
/// reproduces and what a run shows where it runs.
#[test]
fn known_bug_scenarios_plan_as_cdc_and_cite_their_upstream_problem() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/known-bugs");
    let planned = cdc_harness::run::plan(&[dir], "kb-test", false)
        .unwrap_or_else(|e| panic!("{}", e.rendered));
    assert_eq!(planned.len(), 11);
    for p in &planned {
        let text = std::fs::read_to_string(&p.path).unwrap();
        let header: String =
            text.lines().take_while(|l| l.starts_with('#')).collect::<Vec<_>>().join("\n");
        let (connector, runs_where) = match p.connector {
            Some(scenario::SourceConnector::Debezium) => {
                (scenario::SourceConnector::Debezium, "Local images:")
            }
            _ => (scenario::SourceConnector::Cdc, "--images registry:"),
        };
        assert!(header.contains(runs_where), "{}: what a run shows", p.path.display());
        // `owner/repository #123`: an upstream issue or pull request.
        let cites = header.match_indices(" #").any(|(at, _)| {
            header[at + 2..].starts_with(|c: char| c.is_ascii_digit())
                && header[..at].rsplit(' ').next().is_some_and(|repo| repo.contains('/'))
        });
        assert!(cites, "{}: cites its upstream issue", p.path.display());
        assert_eq!(p.connector, Some(connector), "{}", p.path.display());
        assert!(p.scenario.name.starts_with("known-"), "{}", p.scenario.name);
    }
}
