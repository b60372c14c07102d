//! No secret is ever printed: inputs holding a distinctive secret in every form a secret takes
//! (Flink options and their misspellings, URL userinfo and `password=`/`sslpassword=` query
//! parameters, key=value DSNs, SQL `PASSWORD '…'` literals, JSON connector configurations, JAAS
//! configurations) go through `lint`, `sql` (both dialects), `preflight`, a failing `run` with
//! `--json`, `--junit` and artefacts (PostgreSQL's saved container log included), and a `run`
//! refused at plan time. Every output and every file written is searched: no hit.

mod run_support;

use run_support::{files_under, scratch, STACK};
use std::path::PathBuf;
use std::process::{Command, Output};

/// Every planted value contains this.
const PLANTED: &str = "PLANTED";

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn fixture(name: &str) -> String {
    format!("tests/fixtures/secrets/{name}")
}

/// Fails naming the command when its output shows a planted secret.
fn assert_clean(what: &str, out: &Output) -> String {
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains(PLANTED), "{what} shows a secret:\n{text}");
    text
}

#[test]
fn lint_sql_and_preflight_never_show_a_secret() {
    for format in ["human", "json"] {
        let out = harness(&["lint", &fixture("tables.sql"), "--format", format]);
        let text = assert_clean(&format!("lint tables.sql --format {format}"), &out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains("passwd"), "the misspelt key is still named: {text}");
        let out = harness(&["lint", &fixture("connector.json"), "--format", format]);
        let text = assert_clean(&format!("lint connector.json --format {format}"), &out);
        assert!(text.contains("database.passwd"), "{text}");
        let out = harness(&["lint", &fixture("verbatim.toml"), "--format", format]);
        assert_clean(&format!("lint verbatim.toml --format {format}"), &out);
    }
    for dialect in ["flink", "aiven"] {
        let out = harness(&["sql", &fixture("verbatim.toml"), "--dialect", dialect]);
        let text = assert_clean(&format!("sql --dialect {dialect}"), &out);
        assert!(text.contains("'passwd' = '******'"), "{text}");
    }
    // A key=value DSN with the password; unreachable, and with a setting the harness refuses.
    for dsn in [
        "host=127.0.0.1 port=1 user=app password=PLANTED-dsn dbname=app connect_timeout=2",
        "host=127.0.0.1 port=1 user=app password='PLANTED dsn' dbname=app sslmode=require",
        "postgres://app:PLANTED-url@127.0.0.1:1/app?sslmode=require",
    ] {
        let out = harness(&["preflight", "--pg", dsn, "--table", "public.orders"]);
        let text = assert_clean("preflight --pg", &out);
        assert_eq!(out.status.code(), Some(2), "{text}");
    }
}

#[test]
fn a_run_refused_at_plan_time_shows_no_secret() {
    for file in ["verbatim.toml", "structured.toml"] {
        let out = harness(&["run", "--images", "local", &fixture(file)]);
        let text = assert_clean(&format!("run {file} (refused)"), &out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("nothing was started"), "{text}");
    }
    // Its snippet shows the TOML line, the value masked.
    let out = harness(&["lint", &fixture("structured.toml")]);
    let text = assert_clean("lint structured.toml", &out);
    assert!(text.contains(r#"options = { "passwd" = "************" }"#), "{text}");
}

#[test]
fn a_failing_run_writes_no_secret_in_any_report_artefact_or_container_log() {
    let _one_stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("secrets", "failing-run");
    // Only this run's files: earlier runs left theirs here.
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    let (json, junit, artefacts) =
        (dir.join("report.json"), dir.join("report.xml"), dir.join("artefacts"));
    let out = harness(&[
        "run",
        "--images",
        "local",
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--artefacts",
        artefacts.to_str().unwrap(),
        &fixture("failing-run.toml"),
    ]);
    let text = assert_clean("run (failing)", &out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let written = files_under(&dir);
    let logs: Vec<&PathBuf> =
        written.iter().filter(|p| p.to_string_lossy().ends_with("-postgres.log")).collect();
    assert_eq!(logs.len(), 1, "PostgreSQL's container log is saved: {written:?}");
    let log = std::fs::read_to_string(logs[0]).unwrap();
    assert!(log.contains("ALTER ROLE planted_app"), "the failing statement is logged: {log}");
    assert!(written.iter().any(|p| p.ends_with("postgres.sql")), "{written:?}");
    for file in &written {
        let content = std::fs::read_to_string(file).unwrap_or_default();
        assert!(!content.contains(PLANTED), "{} shows a secret", file.display());
    }
}
