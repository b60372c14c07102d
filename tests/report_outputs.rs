//! Reports as users and CI read them: the human summary, `--json`, `--junit`, and the artefact
//! folder with its redaction.

use cdc_harness::report::{
    render_summary, ArtefactKind, Failure, ImagesMade, Outcome, Phase, PhaseTiming, RunArtefacts,
    RunId, RunReport, ScenarioClock, ScenarioResult, MAX_SYSTEM_OUT,
};
use cdc_harness::secret::Secret;
use chrono::{TimeZone, Utc};
use quick_junit::{NonSuccessKind, TestCaseStatus};
use std::path::PathBuf;
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn timings(list: &[(Phase, u64)]) -> Vec<PhaseTiming> {
    list.iter().map(|(phase, n)| PhaseTiming { phase: *phase, duration: ms(*n) }).collect()
}

const DIFF: &str = "missing record 2: {\"id\":2,\"name\":\"b\"}\n+ extra record: {\"id\":9}";

/// One scenario of each outcome.
fn sample() -> RunReport {
    let mut report = RunReport::new(
        RunId::new("261121-111338-3f9a"),
        Utc.with_ymd_and_hms(2026, 11, 21, 11, 13, 38).unwrap(),
    );
    report.duration = ms(83_400);
    report.artefact_dir = Some(PathBuf::from("artefacts/261121-111338-3f9a"));
    report.scenarios = vec![
        ScenarioResult {
            name: "jdbc_scan".into(),
            file: "scenarios/jdbc_scan.toml".into(),
            outcome: Outcome::Passed,
            duration: ms(12_345),
            phases: timings(&[(Phase::Stack, 8_100), (Phase::Setup, 210), (Phase::Submit, 4_000)]),
            artefacts: vec![],
        },
        ScenarioResult {
            name: "cdc_upsert".into(),
            file: "scenarios/cdc_upsert.toml".into(),
            outcome: Outcome::Failed {
                failure: Failure {
                    phase: Phase::Expect,
                    root_cause: "expected 3 records, received 2".into(),
                    details: Some(DIFF.into()),
                },
            },
            duration: ms(45_100),
            phases: timings(&[
                (Phase::Setup, 300),
                (Phase::JobRunning, 5_500),
                (Phase::Expect, 30_000),
            ]),
            artefacts: vec!["artefacts/261121-111338-3f9a/cdc_upsert/records.jsonl".into()],
        },
        ScenarioResult {
            name: "types <&>".into(),
            file: "scenarios/types.toml".into(),
            outcome: Outcome::Error {
                failure: Failure {
                    phase: Phase::Submit,
                    root_cause: "ValidationException: Unsupported options found for 'jdbc'".into(),
                    details: None,
                },
            },
            duration: ms(900),
            phases: timings(&[(Phase::Submit, 850)]),
            artefacts: vec![],
        },
        ScenarioResult {
            name: "cdc_registry_only".into(),
            file: "scenarios/cdc_registry_only.toml".into(),
            outcome: Outcome::Skipped {
                reason: "needs the postgres-cdc connector (--images registry)".into(),
            },
            duration: ms(0),
            phases: vec![],
            artefacts: vec![],
        },
    ];
    report
}

#[test]
fn json_round_trips_and_reads_naturally() {
    let report = sample();
    let json = report.to_json();
    assert_eq!(RunReport::from_json(&json).unwrap(), report);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let failed = &value["scenarios"][1];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["failure"]["phase"], "expect");
    assert_eq!(failed["duration_ms"], 45_100);
    assert_eq!(
        failed["phases"][1],
        serde_json::json!({"phase": "job-running", "duration_ms": 5500})
    );
    assert_eq!(
        value["scenarios"][3]["reason"],
        "needs the postgres-cdc connector (--images registry)"
    );
    assert_eq!(value["started_at"], "2026-11-21T11:13:38Z");
    assert_eq!(value["run_id"], "261121-111338-3f9a");
}

#[test]
fn junit_has_one_suite_one_case_per_scenario_and_reads_back() {
    let report = sample();
    let xml = report.to_junit_xml().unwrap();
    // Exact fragments CI parsers look at.
    assert!(xml.contains(r#"<testsuite name="cdc-harness" tests="4" skipped="1" errors="1" failures="1" timestamp="2026-11-21T11:13:38.000+00:00" time="83.400">"#), "{xml}");
    assert!(
        xml.contains(
            r#"<testcase name="jdbc_scan" classname="scenarios/jdbc_scan" time="12.345">"#
        ),
        "{xml}"
    );
    assert!(
        xml.contains(
            r#"<failure message="expect: expected 3 records, received 2" type="expect"/>"#
        ),
        "{xml}"
    );
    assert!(xml.contains(r#"<testcase name="types &lt;&amp;&gt;""#), "{xml}");
    assert!(
        xml.contains(
            r#"<skipped message="needs the postgres-cdc connector (--images registry)"/>"#
        ),
        "{xml}"
    );

    let parsed = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(parsed.test_suites.len(), 1);
    let suite = &parsed.test_suites[0];
    assert_eq!((suite.tests, suite.failures, suite.errors), (4, 1, 1));
    let run_id = suite.properties.iter().find(|p| p.name.as_str() == "run-id").unwrap();
    assert_eq!(run_id.value.as_str(), "261121-111338-3f9a");

    let failed = &suite.test_cases[1];
    assert_eq!(failed.name.as_str(), "cdc_upsert");
    assert_eq!(failed.time, Some(ms(45_100)));
    assert_eq!(failed.system_out.as_ref().unwrap().as_str(), DIFF);
    let TestCaseStatus::NonSuccess { kind, message, ty, .. } = &failed.status else { panic!() };
    assert_eq!(*kind, NonSuccessKind::Failure);
    assert_eq!(message.as_ref().unwrap().as_str(), "expect: expected 3 records, received 2");
    assert_eq!(ty.as_ref().unwrap().as_str(), "expect");
    let phase: Vec<(&str, &str)> =
        failed.properties.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
    assert!(phase.contains(&("phase.job-running", "5.500")), "{phase:?}");
    assert!(phase.contains(&("artefact", "artefacts/261121-111338-3f9a/cdc_upsert/records.jsonl")));

    let errored = &suite.test_cases[2];
    assert_eq!(errored.name.as_str(), "types <&>");
    let TestCaseStatus::NonSuccess { kind, message, .. } = &errored.status else { panic!() };
    assert_eq!(*kind, NonSuccessKind::Error);
    assert!(message.as_ref().unwrap().as_str().starts_with("submit: ValidationException"));
    assert!(matches!(suite.test_cases[3].status, TestCaseStatus::Skipped { .. }));
}

#[test]
fn junit_system_out_is_cut_to_a_size_ci_accepts() {
    let mut report = sample();
    let long: String = (0..20_000).map(|i| format!("+ record {i}\n")).collect();
    let Outcome::Failed { failure } = &mut report.scenarios[1].outcome else { panic!() };
    failure.details = Some(long.clone());
    let parsed =
        quick_junit::Report::deserialize_from_str(&report.to_junit_xml().unwrap()).unwrap();
    let out = parsed.test_suites[0].test_cases[1].system_out.clone().unwrap().into_string();
    assert!(out.len() < MAX_SYSTEM_OUT + 200 && long.starts_with(out.lines().next().unwrap()));
    assert!(
        out.contains("more bytes; the full text is in the artefacts"),
        "{}",
        &out[out.len() - 100..]
    );
}

#[test]
fn summary_shows_a_table_with_phases_then_the_failures() {
    let summary = render_summary(&sample());
    let expected_table = "\
SCENARIO           STATUS   TOTAL  stack  setup  submit  job-running  expect
jdbc_scan          passed   12.3s   8.1s  210ms    4.0s            -       -
cdc_upsert         FAILED   45.1s      -  300ms       -         5.5s   30.0s
types <&>          ERROR    900ms      -      -   850ms            -       -
cdc_registry_only  skipped    0ms      -      -       -            -       -
";
    assert!(summary.starts_with(
        "run 261121-111338-3f9a: 4 scenarios: 1 passed, 1 failed, 1 error, 1 skipped in 1m23s\n\n"
    ), "{summary}");
    assert!(summary.contains(expected_table), "{summary}");
    assert!(summary.contains(
        "\nFAILED cdc_upsert (scenarios/cdc_upsert.toml) in expect: expected 3 records, received 2\n    missing record 2: {\"id\":2,\"name\":\"b\"}\n    + extra record: {\"id\":9}\n  artefacts: artefacts/261121-111338-3f9a/cdc_upsert\n"
    ), "{summary}");
    assert!(
        summary.contains("\nERROR types <&> (scenarios/types.toml) in submit: ValidationException"),
        "{summary}"
    );
    assert!(summary.contains("\nSKIPPED cdc_registry_only (scenarios/cdc_registry_only.toml): needs the postgres-cdc"), "{summary}");
}

#[test]
fn run_succeeds_only_when_every_scenario_passed() {
    let mut report = sample();
    assert!(!report.success());
    report.scenarios.truncate(1);
    assert!(report.success());
    report.scenarios[0].outcome = Outcome::Skipped { reason: "filtered".into() };
    assert!(!report.success());
    report.scenarios.clear();
    assert!(!report.success());
}

#[tokio::test(start_paused = true)]
async fn clock_times_each_phase_and_adds_up_repeated_ones() {
    let mut clock = ScenarioClock::start();
    clock.time(Phase::Setup, tokio::time::sleep(ms(200))).await;
    let value = clock
        .time(Phase::Steps, async {
            tokio::time::sleep(ms(50)).await;
            7
        })
        .await;
    clock.time(Phase::Steps, tokio::time::sleep(ms(30))).await;
    assert_eq!(value, 7);
    let result = clock.finish("s", "s.toml", Outcome::Passed, vec![]);
    // Paused time advances exactly; wall-clock work in between is below a millisecond.
    let steps = result.phase_duration(Phase::Steps).unwrap();
    assert!(steps >= ms(80) && steps < ms(90), "{steps:?}");
    assert_eq!(
        result.phases.iter().map(|t| t.phase).collect::<Vec<_>>(),
        vec![Phase::Setup, Phase::Steps]
    );
}

#[test]
fn artefacts_are_written_per_scenario_and_never_hold_a_password() {
    let root = tempfile::tempdir().unwrap();
    let pg_password = "pg-Pa55word!";
    let kafka_password = "kafka-s3cret";
    let run = RunArtefacts::create(
        root.path(),
        &RunId::new("r1"),
        [Secret::new(pg_password), Secret::new(kafka_password)],
    )
    .unwrap();
    let mut scenario = run.scenario("orders CDC").unwrap();
    let flink_sql = format!(
        "CREATE TABLE src (id INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://pg:5432/s_db',\n  \
         'username' = 'app', 'password' = '{pg_password}');\n\
         CREATE TABLE other (id INT) WITH ('password' = 'typed-in-the-scenario');"
    );
    scenario.write(ArtefactKind::FlinkSql, &flink_sql).unwrap();
    scenario
        .write(
            ArtefactKind::PostgresSql,
            &format!("CREATE ROLE app LOGIN PASSWORD '{pg_password}';"),
        )
        .unwrap();
    scenario
        .write_records([
            serde_json::json!({"id": 1, "note": format!("leaked {kafka_password}")}),
            serde_json::json!({"id": 2}),
        ])
        .unwrap();
    scenario
        .write(
            ArtefactKind::FlinkExceptions,
            &format!("Caused by: auth failed for postgres://app:{pg_password}@pg/db"),
        )
        .unwrap();
    let log = run
        .save_container_log(
            "jobmanager",
            format!("props: sasl.jaas.config=... password=\"{kafka_password}\";").as_bytes(),
        )
        .unwrap();
    // A second scenario with the same name gets its own folder.
    assert_eq!(run.scenario("orders CDC").unwrap().dir(), root.path().join("r1/orders_CDC-2"));

    let dir = root.path().join("r1/orders_CDC");
    assert_eq!(scenario.dir(), dir);
    assert_eq!(
        scenario.paths(),
        ["flink.sql", "postgres.sql", "records.jsonl", "flink-exceptions.txt"].map(|f| dir.join(f))
    );
    assert_eq!(log, root.path().join("r1/logs/jobmanager.log"));
    // Logs the stack wrote itself, unredacted, are taken in and redacted in place.
    let stack_log = run.logs_dir().join("cdch-abc-postgres.log");
    std::fs::write(
        &stack_log,
        format!("ERROR: x\nSTATEMENT: CREATE ROLE r PASSWORD '{pg_password}'\n"),
    )
    .unwrap();
    assert_eq!(run.adopt_logs(&run.logs_dir()).unwrap(), vec![stack_log.clone(), log.clone()]);
    let records = std::fs::read_to_string(dir.join("records.jsonl")).unwrap();
    assert_eq!(records, "{\"id\":1,\"note\":\"leaked ******\"}\n{\"id\":2}\n");
    let sql = std::fs::read_to_string(dir.join("flink.sql")).unwrap();
    assert!(
        sql.contains("'password' = '******');")
            && sql.contains("'url' = 'jdbc:postgresql://pg:5432/s_db'"),
        "{sql}"
    );

    // Nothing anywhere holds a password, and no temporary file was left behind.
    let mut files = 0;
    for entry in walk(root.path()) {
        let text = std::fs::read_to_string(&entry).unwrap();
        for secret in [pg_password, kafka_password, "typed-in-the-scenario"] {
            assert!(!text.contains(secret), "{} holds {secret}: {text}", entry.display());
        }
        assert!(!entry.file_name().unwrap().to_string_lossy().ends_with(".tmp"));
        files += 1;
    }
    assert_eq!(files, 6);
}

#[test]
fn json_and_junit_files_are_written_whole() {
    let root = tempfile::tempdir().unwrap();
    let report = sample();
    report.write_json(&root.path().join("report.json")).unwrap();
    report.write_junit(&root.path().join("junit.xml")).unwrap();
    let json = std::fs::read_to_string(root.path().join("report.json")).unwrap();
    assert_eq!(RunReport::from_json(&json).unwrap(), report);
    let xml = std::fs::read_to_string(root.path().join("junit.xml")).unwrap();
    assert_eq!(quick_junit::Report::deserialize_from_str(&xml).unwrap().tests, 4);
    let err = report.write_json(&root.path().join("missing/report.json")).unwrap_err();
    assert!(err.to_string().contains("missing/report.json"), "{err}");
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

/// A first run spends minutes making images before the stack starts: the summary says so, and
/// the JSON carries it, so the scenario table's seconds do not pass for the whole run.
#[test]
fn image_building_time_is_in_the_summary_and_the_json() {
    let mut report = sample();
    assert!(!render_summary(&report).contains("images:"), "nothing built, nothing said");
    report.images_made = Some(ImagesMade { count: 4, duration: ms(290_000) });
    let summary = render_summary(&report);
    assert!(summary.contains("images: 4 built or pulled in 4m50s"), "{summary}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["images_made"]["count"], 4);
    assert_eq!(json["images_made"]["duration_ms"], 290_000);
}
