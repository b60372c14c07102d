//! `cdc-harness sql` as users run it: exit codes, locations, and no password on screen.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sql(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
        .current_dir(root())
        .arg("sql")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn seed_cdc_example_reports_the_missing_comma_at_its_toml_line() {
    let out = sql(&["tests/fixtures/scenarios/seed-cdc-missing-comma.toml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("tests/fixtures/scenarios/seed-cdc-missing-comma.toml:19:51"),
        "{stderr}"
    );
    assert!(stderr.contains("[syntax/missing-comma]"), "{stderr}");
    // Line 19 of the file is the option after which the comma is missing.
    let line = std::fs::read_to_string(
        root().join("tests/fixtures/scenarios/seed-cdc-missing-comma.toml"),
    )
    .unwrap()
    .lines()
    .nth(18)
    .unwrap()
    .to_string();
    assert!(line.trim_end().ends_with("'decoding.plugin.name' = 'your_decoding_plugin'"), "{line}");
    assert!(out.stdout.is_empty(), "no SQL is printed for a broken scenario");
}

#[test]
fn escaped_strings_report_positions_relative_to_the_string_and_say_so() {
    let out = sql(&["tests/fixtures/scenarios/escaped-sql-error.toml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("escaped-sql-error.toml [source.sql]:4:23"), "{stderr}");
    assert!(stderr.contains("relative to the string"), "{stderr}");
}

#[test]
fn no_password_is_printed_without_show_secrets() {
    let fixture = "tests/fixtures/scenarios/verbatim-with-secrets.toml";
    for dialect in ["flink", "aiven"] {
        let out = sql(&[fixture, "--dialect", dialect]);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{all}");
        for secret in ["hunter2-real", "trust-me-real", "key-me-real", "'password' = 'harness'"] {
            assert!(!all.contains(secret), "{secret} printed:\n{all}");
        }
        assert!(all.contains("'password' = '******'"), "{all}");
    }
    let shown = text(&sql(&[fixture, "--show-secrets"]).stdout);
    assert!(shown.contains("'password' = 'harness'"), "{shown}");
    assert!(shown.contains("'password' 'hunter2-real' -> 'harness'"), "{shown}");
}

#[test]
fn shipped_scenarios_print_only_redacted_passwords() {
    let files = ["scenarios", "scenarios/known-bugs"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(root().join(dir)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"));
    for path in files {
        let out = sql(&[path.to_str().unwrap()]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}: {}", path.display(), text(&out.stderr));
        for line in stdout.lines().filter(|l| l.contains("'password'")) {
            assert!(
                line.contains("'******'") && !line.contains("'harness'"),
                "{}: {line}",
                path.display()
            );
        }
    }
}

#[test]
fn invalid_scenarios_exit_2_with_every_location() {
    let dir = std::env::temp_dir().join(format!("cdc-harness-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "name = \"bad\"\n[source]\nconector = \"cdc\"\n[sink]\nconnector = \"kafak\"\n",
    )
    .unwrap();
    let out = sql(&[file.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{}:3:1", file.display())), "{stderr}");
    assert!(stderr.contains(&format!("{}:5:13", file.display())), "{stderr}");
    assert!(stderr.contains("did you mean `kafka`?"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = sql(&["no/such/scenario.toml"]);
    assert_eq!(out.status.code(), Some(2), "as for `run` and `lint`");
    assert!(
        text(&out.stderr).contains("cannot read scenario no/such/scenario.toml"),
        "{}",
        text(&out.stderr)
    );
    assert!(!Path::new("no").exists());
}

/// What `run` would refuse in the SQL is an error of `sql` too: the SQL is still printed (it is
/// what was asked for), the finding goes to stderr at the scenario's line, and the exit code is 1.
#[test]
fn a_misspelt_option_is_printed_but_exits_1_with_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("typo.toml");
    let text_in =
        std::fs::read_to_string(root().join("scenarios/jdbc-kafka-json.toml")).unwrap().replace(
            "table = \"public.products\"\n",
            "table = \"public.products\"\noptions = { \"scan.fetch-sise\" = \"100\" }\n",
        );
    let line = text_in.lines().position(|l| l.contains("fetch-sise")).unwrap() + 1;
    std::fs::write(&file, text_in).unwrap();
    let out = sql(&[file.to_str().unwrap()]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stdout.contains("'scan.fetch-sise' = '100'"), "the SQL is printed: {stdout}");
    assert!(stderr.contains(&format!("typo.toml:{line}:")), "{stderr}");
    assert!(stderr.contains("did you mean 'scan.fetch-size'?"), "{stderr}");
}
