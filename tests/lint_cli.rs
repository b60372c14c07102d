//! `cdc-harness lint` as users run it: output formats and exit codes.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sql").join(name)
}

fn lint(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
        .arg("lint")
        .args(args)
        .output()
        .expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn errors_exit_1_with_rustc_like_output_and_summary() {
    let file = fixture("seed-cdc-source.sql");
    let (code, stdout, _) = lint(&[file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stdout.contains("seed-cdc-source.sql:15:50"), "{stdout}");
    assert!(stdout.contains("[syntax/missing-comma]"), "{stdout}");
    assert!(stdout.contains("'your_decoding_plugin'"), "{stdout}");
    let summary = stdout.lines().last().unwrap();
    assert!(summary.ends_with("errors, 0 warnings"), "{summary}");
    // Not a terminal: no colour codes.
    assert!(!stdout.contains('\u{1b}'));
}

#[test]
fn json_output_is_an_array_of_findings() {
    let file = fixture("seed-jdbc-sink.sql");
    let (code, stdout, _) = lint(&[file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    let findings = v.as_array().unwrap();
    assert!(findings.iter().any(|f| f["code"] == "connector/aiven-name" && f["line"] == 7));
    assert!(findings.iter().all(|f| f["file"].as_str().unwrap().ends_with("seed-jdbc-sink.sql")));
    assert!(!stdout.contains("db_password"));
}

#[test]
fn warnings_only_exit_0() {
    let dir = std::env::temp_dir().join(format!("cdc-harness-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("warn.sql");
    std::fs::write(&file, "CREATE TABLE t (id INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://h/db', 'table-name' = 't')").unwrap();
    let (code, stdout, _) = lint(&[file.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.ends_with("0 errors, 1 warning\n"), "{stdout}");
    let (code, stdout, _) = lint(&[file.to_str().unwrap(), "--aiven"]);
    assert_eq!(code, 0, "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unreadable_file_exits_2_naming_it() {
    let (code, stdout, stderr) = lint(&["/nonexistent/dir/missing.sql"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("/nonexistent/dir/missing.sql"), "{stderr}");
}
