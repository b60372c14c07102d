//! The seed guide's two example tables, linted: every bug the guide ships must be reported at
//! the right place.

use cdc_harness::diagnostics::{Finding, Severity, SourceFile, Span};
use cdc_harness::sql::lint::lint;

fn lint_fixture(name: &str) -> (SourceFile, Vec<Finding>) {
    let path = format!("{}/tests/fixtures/sql/{name}", env!("CARGO_MANIFEST_DIR"));
    let src = SourceFile::read(std::path::Path::new(&path)).expect("fixture exists");
    let findings = lint(&src, Span::new(0, src.text().len()));
    (src, findings)
}

fn at<'a>(src: &SourceFile, findings: &'a [Finding], code: &str) -> Vec<(String, &'a Finding)> {
    findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| {
            let lc = src.line_col(f.span.start);
            (format!("{}:{}", lc.line, lc.column), f)
        })
        .collect()
}

#[test]
fn cdc_example() {
    let (src, f) = lint_fixture("seed-cdc-source.sql");
    // The missing comma after 'your_decoding_plugin' (line 15 of the fixture, right after the
    // closing quote).
    let comma = at(&src, &f, "syntax/missing-comma");
    assert_eq!(comma.len(), 1, "{f:#?}");
    assert_eq!(comma[0].0, "15:50");
    // The Aiven connector name, mapped to upstream.
    let name = at(&src, &f, "connector/aiven-name");
    assert_eq!(name[0].0, "7:17");
    assert!(name[0].1.message.contains("'postgres-cdc'"));
    // Placeholders: host, database, table, user, password, slot.
    let placeholders = at(&src, &f, "option/placeholder");
    let lines: Vec<&str> = placeholders.iter().map(|(l, _)| l.split(':').next().unwrap()).collect();
    assert_eq!(lines, vec!["8", "10", "12", "13", "14", "16"]);
    assert!(placeholders.iter().all(|(_, p)| !p.message.contains("db_password")));
    // The decoding plugin is no plugin at all.
    let plugin = at(&src, &f, "postgres/decoding-plugin");
    assert_eq!(plugin.len(), 1);
    assert_eq!(plugin[0].0, "15:28");
    assert_eq!(plugin[0].1.severity, Severity::Error);
    assert!(plugin[0].1.help.as_ref().unwrap().contains("pgoutput"));
    // And the inline primary key lacks NOT ENFORCED.
    assert_eq!(at(&src, &f, "table/pk-not-enforced")[0].0, "4:10");
}

#[test]
fn jdbc_example() {
    let (src, f) = lint_fixture("seed-jdbc-sink.sql");
    let name = at(&src, &f, "connector/aiven-name");
    assert_eq!(name.len(), 1);
    assert!(name[0].1.message.contains("'jdbc'"));
    assert_eq!(at(&src, &f, "table/pk-not-enforced")[0].0, "4:11");
    let placeholders = at(&src, &f, "option/placeholder");
    assert_eq!(placeholders[0].0, "8:12", "the url's placeholders: {f:#?}");
    assert!(placeholders[0].1.message.contains("<external-db-host>"));
    assert_eq!(placeholders.len(), 4, "url, table-name, username, password");
    // No syntax error in this one.
    assert!(f.iter().all(|f| !f.code.starts_with("syntax/")), "{f:#?}");
}
