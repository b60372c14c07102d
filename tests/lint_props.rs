//! The linter never panics, whatever it is fed, and every finding points inside its region.

use cdc_harness::diagnostics::{SourceFile, Span};
use cdc_harness::sql::lint::lint;
use proptest::prelude::*;

const VALID: &str = "CREATE TEMPORARY TABLE IF NOT EXISTS `src` (
  id INT,
  data STRING,
  amount DECIMAL(10, 2),
  tags ARRAY<STRING>,
  attrs MAP<STRING, ROW<a INT, b STRING>>,
  op_ts TIMESTAMP_LTZ(3) METADATA FROM 'op_ts' VIRTUAL,
  total AS amount * 2,
  WATERMARK FOR op_ts AS op_ts - INTERVAL '5' SECOND,
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'postgres-cdc',
  'hostname' = 'pg', 'port' = '5432', 'username' = 'u', 'password' = 'p',
  'database-name' = 'd', 'schema-name' = 'public', 'table-name' = 't',
  'slot.name' = 's', 'decoding.plugin.name' = 'pgoutput'
);
CREATE TABLE snk (id INT, data STRING, PRIMARY KEY (id) NOT ENFORCED) WITH (
  'connector' = 'upsert-kafka', 'topic' = 'o', 'properties.bootstrap.servers' = 'k:9092',
  'key.format' = 'json', 'value.format' = 'json'
);
SET 'pipeline.name' = 'x';
INSERT INTO snk SELECT id, CAST(data AS STRING) AS data FROM `src` WHERE id > 0;
";

const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "'",
    "`",
    "\"",
    ",",
    ";",
    "--",
    "/*",
    "*/",
    "<",
    ">",
    "=",
    ".",
    "*",
    "\n",
    "é",
    "PRIMARY KEY",
    "NOT ENFORCED",
    "WITH (",
    "CREATE TABLE x",
    "INSERT INTO",
    "SELECT *",
    "WATERMARK FOR",
    "METADATA FROM",
    "ROW<",
    "AS",
    "'connector' = 'kafka'",
    "'<placeholder>'",
    "EXECUTE STATEMENT SET BEGIN",
    "END;",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..20).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(a, f)| Mutation::Insert(a, f)),
        (any::<usize>(), 0usize..60).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, m: &Mutation) {
    match *m {
        Mutation::Delete(a, n) => {
            let start = boundary(text, a);
            let end = boundary(text, (start + n).min(text.len()));
            text.replace_range(start..end.max(start), "");
        }
        Mutation::Insert(a, f) => {
            let at = boundary(text, a);
            text.insert_str(at, FRAGMENTS[f]);
        }
        Mutation::Duplicate(a, n) => {
            let start = boundary(text, a);
            let end = boundary(text, (start + n).min(text.len())).max(start);
            let piece = text[start..end].to_string();
            text.insert_str(end, &piece);
        }
        Mutation::Truncate(a) => {
            let at = boundary(text, a);
            text.truncate(at);
        }
    }
}

fn check(text: &str, region: Span) {
    let src = SourceFile::new("p.sql", text);
    let findings = lint(&src, region);
    let (lo, hi) = (region.start.min(text.len()), region.end.min(text.len()));
    for f in &findings {
        assert!(f.span.start <= f.span.end, "{f:?}");
        // Findings stay inside the region (char-boundary clamping may move the start back by
        // at most one character).
        assert!(f.span.start + 3 >= lo && f.span.end <= hi.max(lo), "{f:?} outside {lo}..{hi}");
        let _ = f.to_json(&src);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check(&text, Span::new(0, text.len()));
    }

    #[test]
    fn sql_like_text_never_panics(text in "[ -~\n]{0,300}") {
        check(&text, Span::new(0, text.len()));
    }

    #[test]
    fn mutated_ddl_never_panics(mutations in proptest::collection::vec(mutation(), 1..8)) {
        let mut text = VALID.to_string();
        for m in &mutations {
            apply(&mut text, m);
        }
        check(&text, Span::new(0, text.len()));
    }

    #[test]
    fn any_region_never_panics(a in any::<usize>(), b in any::<usize>()) {
        let text = format!("é{VALID}ü");
        let (start, end) = (a % (text.len() + 8), b % (text.len() + 8));
        check(&text, Span::new(start.min(end), start.max(end)));
    }
}

#[test]
fn rendering_mutated_ddl_never_panics() {
    // Rendering goes through miette; a deterministic sample keeps this test fast.
    let mut text = VALID.to_string();
    for i in 0..40 {
        apply(&mut text, &Mutation::Insert(i * 97, i % FRAGMENTS.len()));
        let src = SourceFile::new("p.sql", text.as_str());
        for f in lint(&src, Span::new(0, text.len())) {
            assert!(!f.render(&src, false).is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// A finding past column 65,535 (miette cannot draw it) renders too: `lint`, `sql` and `run`
    /// must not panic on a 70 KB line with an error at its end.
    #[test]
    fn findings_on_lines_of_any_length_render(pad in 66_000usize..80_000) {
        for fragment in FRAGMENTS {
            // One line: the padding, the DDL, an unfinished statement at the far end, then a
            // fragment (after it, so that a `--` cannot comment the error away).
            let text = format!("{}{} CREATE TABLE broken (id INT {fragment}", " ".repeat(pad), VALID.replace('\n', " "));
            let src = SourceFile::new("long.sql", text.as_str());
            let findings = lint(&src, Span::new(0, text.len()));
            prop_assert!(!findings.is_empty(), "{fragment:?}");
            for f in findings.iter().filter(|f| f.span.start > 65_535) {
                prop_assert!(!f.render(&src, false).is_empty());
            }
            prop_assert!(findings.iter().any(|f| f.span.start > 65_535), "{fragment:?}: {findings:?}");
        }
    }
}
