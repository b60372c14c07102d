//! `cdc-harness lint` on scenario files: the scenario's own errors, the SQL written in the file
//! (positions in the TOML file) and the SQL the harness generates are all linted.

use std::process::Command;

fn lint(path: &str) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
        .args(["lint", "--format", "json", path])
        .output()
        .expect("run cdc-harness");
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), json)
}

fn codes(findings: &serde_json::Value, severity: &str) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == severity)
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn seed_guide_scenarios_pass_with_warnings_for_what_the_harness_rewrites() {
    for file in ["scenarios/seed-guide-cdc.toml", "scenarios/seed-guide-jdbc.toml"] {
        let (code, findings) = lint(file);
        assert_eq!(code, 0, "{file}: {findings}");
        let warnings = codes(&findings, "warning");
        assert!(warnings.contains(&"connector/aiven-name".to_string()), "{file}: {warnings:?}");
        assert!(warnings.contains(&"option/placeholder".to_string()), "{file}: {warnings:?}");
        assert!(codes(&findings, "error").is_empty());
        // Findings point into the scenario file itself.
        assert!(findings.as_array().unwrap().iter().all(|f| f["file"] == file), "{findings}");
    }
}

#[test]
fn missing_comma_in_verbatim_sql_is_an_error_at_the_toml_position() {
    let (code, findings) = lint("tests/fixtures/scenarios/seed-cdc-missing-comma.toml");
    assert_eq!(code, 1);
    let comma = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "syntax/missing-comma")
        .unwrap_or_else(|| panic!("no missing-comma finding: {findings}"));
    assert_eq!((comma["line"].as_u64(), comma["column"].as_u64()), (Some(19), Some(51)));
}

#[test]
fn structured_options_are_checked_in_the_generated_sql() {
    let (code, findings) = lint("tests/fixtures/lint/structured-bad-option.toml");
    assert_eq!(code, 1, "{findings}");
    let errors = codes(&findings, "error");
    assert!(errors.contains(&"postgres/slot-name".to_string()), "{errors:?}");
    assert!(
        errors.contains(&"option/type".to_string()) || errors.contains(&"option/enum".to_string()),
        "{errors:?}"
    );
    // A CDC source into an append-only json sink fails at planning.
    assert!(errors.contains(&"pipeline/updating-into-append-only".to_string()), "{errors:?}");
}

#[test]
fn an_invalid_scenario_reports_its_own_errors() {
    let dir = std::env::temp_dir().join(format!("cdc-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "name = \"x\"\nsoruce = 1\n").unwrap();
    let (code, findings) = lint(path.to_str().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 1);
    let unknown = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "scenario/unknown-field")
        .unwrap_or_else(|| panic!("{findings}"));
    assert_eq!(unknown["line"], 2);
    assert!(unknown["help"].as_str().unwrap().contains("did you mean `source`"), "{unknown}");
}
