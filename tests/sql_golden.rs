//! Golden files for the SQL of every shipped scenario, in both dialects.
//! `UPDATE_GOLDEN=1 cargo test --test sql_golden` rewrites them; review the diff before committing.

use cdc_harness::scenario;
use cdc_harness::sql::generate::{generate, Dialect, Target};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// scenarios/*.toml and scenarios/known-bugs/*.toml.
fn shipped_scenarios() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = ["scenarios", "scenarios/known-bugs"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(root().join(dir)).expect("the folder exists"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
}

/// `tests/golden/<stem>.<dialect>.sql`; known-bug scenarios get a `known-bugs-` prefix.
fn golden_path(scenario: &Path, dialect: &str) -> PathBuf {
    let stem = scenario.file_stem().unwrap().to_string_lossy();
    let folder = scenario.parent().and_then(|p| p.file_name()).unwrap_or_default();
    let prefix = if folder == "known-bugs" { "known-bugs-" } else { "" };
    root().join("tests/golden").join(format!("{prefix}{stem}.{dialect}.sql"))
}

#[test]
fn generated_sql_matches_the_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let mut expected_files = Vec::new();
    for path in shipped_scenarios() {
        let scenario = scenario::load(&path).unwrap_or_else(|e| panic!("{}", e.render(false)));
        let target = Target::preview(&scenario);
        for (dialect, name) in [(Dialect::Flink, "flink"), (Dialect::Aiven, "aiven")] {
            let sql = generate(&scenario, &target, dialect, None)
                .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.render(false)))
                .render(false);
            let golden = golden_path(&path, name);
            expected_files.push(golden.clone());
            if update {
                std::fs::write(&golden, &sql).unwrap();
                continue;
            }
            match std::fs::read_to_string(&golden) {
                Ok(want) if want == sql => {}
                Ok(want) => {
                    failures.push(format!("{} differs:\n{}", golden.display(), diff(&want, &sql)))
                }
                Err(_) => failures
                    .push(format!("{} is missing (run with UPDATE_GOLDEN=1)", golden.display())),
            }
        }
    }
    // A golden file whose scenario is gone would otherwise rot unnoticed.
    for entry in std::fs::read_dir(root().join("tests/golden")).unwrap() {
        let path = entry.unwrap().path();
        if !expected_files.contains(&path) {
            failures.push(format!("{} has no scenario in scenarios/", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The first differing lines, enough to see what changed.
fn diff(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let mut out = Vec::new();
    for i in 0..w.len().max(g.len()) {
        let (a, b) = (w.get(i).copied(), g.get(i).copied());
        if a != b {
            out.push(format!(
                "line {}:\n  - {}\n  + {}",
                i + 1,
                a.unwrap_or("<none>"),
                b.unwrap_or("<none>")
            ));
        }
        if out.len() == 5 {
            break;
        }
    }
    out.join("\n")
}

#[test]
fn the_golden_files_name_upstream_connectors_only_in_the_flink_dialect() {
    // The property the dialect exists for, checked on the committed files themselves.
    for path in shipped_scenarios() {
        let flink = std::fs::read_to_string(golden_path(&path, "flink")).unwrap_or_default();
        let aiven = std::fs::read_to_string(golden_path(&path, "aiven")).unwrap_or_default();
        assert!(!flink.contains("'connector' = 'cdc-postgres'"), "{}", path.display());
        assert!(!flink.contains("'connector' = 'JDBC'"), "{}", path.display());
        assert!(!aiven.contains("'connector' = 'postgres-cdc'"), "{}", path.display());
        assert!(!aiven.contains("'connector' = 'jdbc'"), "{}", path.display());
    }
}
