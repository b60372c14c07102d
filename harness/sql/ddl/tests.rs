use super::*;

fn parse_all(text: &str) -> (SourceFile, ParsedScript) {
    let src = SourceFile::new("t.sql", text);
    let parsed = parse(&src, Span::new(0, text.len()));
    (src, parsed)
}

fn codes(p: &ParsedScript) -> Vec<&'static str> {
    p.findings.iter().map(|f| f.code).collect()
}

fn only_table(p: &ParsedScript) -> &CreateTable {
    let tables: Vec<_> = p.tables().collect();
    assert_eq!(tables.len(), 1, "{:?}", p.statements);
    tables[0]
}

const FULL: &str = "CREATE TEMPORARY TABLE IF NOT EXISTS cat.db.`orders` (
  `id` BIGINT NOT NULL,
  amount DECIMAL(10,2),
  tags ARRAY<STRING>,
  attrs MAP<STRING, INT>,
  addr ROW<street STRING, zip INT>,
  op_ts TIMESTAMP_LTZ(3) METADATA FROM 'op_ts' VIRTUAL,
  part INT METADATA,
  total AS amount * 2 COMMENT 'doubled',
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
  PRIMARY KEY (`id`) NOT ENFORCED
) COMMENT 'orders' WITH (
  'connector' = 'postgres-cdc',
  'password' = 'it''s'
);";

#[test]
fn parses_a_full_flink_table() {
    let (src, p) = parse_all(FULL);
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    let t = only_table(&p);
    assert!(t.temporary && t.if_not_exists && t.terminated);
    assert_eq!(t.name.display(), "cat.db.orders");
    assert_eq!(src.slice(t.name.span), "cat.db.`orders`");
    let cols: Vec<(&str, &str)> =
        t.columns.iter().map(|c| (c.name.value.as_str(), c.data_type.text.as_str())).collect();
    assert_eq!(
        cols,
        vec![
            ("id", "BIGINT"),
            ("amount", "DECIMAL(10, 2)"),
            ("tags", "ARRAY<STRING>"),
            ("attrs", "MAP<STRING, INT>"),
            ("addr", "ROW<street STRING, zip INT>"),
            ("op_ts", "TIMESTAMP_LTZ(3)"),
            ("part", "INT"),
            ("total", ""),
            ("ts", "TIMESTAMP(3)"),
        ]
    );
    assert!(t.columns[0].not_null && t.columns[0].name.quoted);
    assert_eq!(
        t.columns[5].kind,
        ColumnKind::Metadata { key: Some("op_ts".into()), is_virtual: true }
    );
    assert_eq!(t.columns[6].kind, ColumnKind::Metadata { key: None, is_virtual: false });
    match &t.columns[7].kind {
        ColumnKind::Computed { expr } => assert_eq!(src.slice(*expr), "amount * 2"),
        other => panic!("{other:?}"),
    }
    assert_eq!(src.slice(t.watermark.unwrap()), "WATERMARK FOR ts AS ts - INTERVAL '5' SECOND");
    let pk = t.primary_key.as_ref().unwrap();
    assert!(pk.not_enforced && !pk.inline);
    assert_eq!(pk.columns[0].value, "id");
    assert_eq!(src.slice(pk.span), "PRIMARY KEY (`id`) NOT ENFORCED");
    assert_eq!(t.connector().unwrap().value, "postgres-cdc");
    let pw = t.option("password").unwrap();
    assert_eq!(pw.value, "it's");
    assert_eq!(src.slice(pw.value_span), "'it''s'");
    assert_eq!(src.slice(pw.key_span), "'password'");
    assert!(src.slice(t.with_span.unwrap()).starts_with("WITH ("));
    assert!(src.slice(t.span).ends_with(");"));
    assert_eq!(t.writable_columns().count(), 7);
}

#[test]
fn spans_are_absolute_within_a_region() {
    let text = "prefix = \"\"\"\nCREATE TABLE t (id INT) WITH ('connector' = 'jdbc')\n\"\"\"\n";
    let src = SourceFile::new("s.toml", text);
    let start = text.find("CREATE").unwrap();
    let end = text.rfind(')').unwrap() + 1;
    let p = parse(&src, Span::new(start, end));
    let t = only_table(&p);
    assert_eq!(src.slice(t.connector().unwrap().value_span), "'jdbc'");
    assert_eq!(src.line_col(t.name.span.start).line, 2);
    assert!(!t.terminated);
}

#[test]
fn missing_comma_between_options_points_after_the_value() {
    let text = "CREATE TABLE t (id INT) WITH (\n  'a' = 'b'\n  'c' = 'd'\n);";
    let (src, p) = parse_all(text);
    assert_eq!(codes(&p), vec!["syntax/missing-comma"]);
    let f = &p.findings[0];
    assert_eq!(src.location(f.span), "t.sql:2:12");
    // Both options are still there for the linter.
    let t = only_table(&p);
    assert_eq!(t.options.len(), 2);
    assert_eq!(t.option("c").unwrap().value, "d");
}

#[test]
fn missing_comma_between_columns() {
    let (_, p) = parse_all("CREATE TABLE t (id INT\n data STRING) WITH ('connector' = 'x');");
    assert_eq!(codes(&p), vec!["syntax/missing-comma"]);
    assert_eq!(only_table(&p).columns.len(), 2);
}

#[test]
fn trailing_commas_are_reported_in_both_lists() {
    let (_, p) = parse_all("CREATE TABLE t (id INT,) WITH ('connector' = 'x',);");
    assert_eq!(codes(&p), vec!["syntax/trailing-comma", "syntax/trailing-comma"]);
    assert_eq!(only_table(&p).options.len(), 1);
}

#[test]
fn unclosed_parenthesis_is_reported_once_and_options_still_parse() {
    let (src, p) = parse_all("CREATE TABLE t (id INT, data STRING\nWITH ('connector' = 'jdbc');");
    assert_eq!(codes(&p), vec!["syntax/unbalanced-parens"]);
    assert_eq!(src.location(p.findings[0].span), "t.sql:1:16");
    let t = only_table(&p);
    assert_eq!(t.columns.len(), 2);
    assert_eq!(t.connector().unwrap().value, "jdbc");
}

#[test]
fn unclosed_with_list_at_end_of_statement() {
    let (_, p) = parse_all("CREATE TABLE t (id INT) WITH ('connector' = 'jdbc';");
    assert_eq!(codes(&p), vec!["syntax/unbalanced-parens"]);
    assert_eq!(only_table(&p).options.len(), 1);
}

#[test]
fn stray_closing_parenthesis() {
    let (_, p) = parse_all("CREATE TABLE t (id INT)) WITH ('connector' = 'jdbc');");
    assert_eq!(codes(&p), vec!["syntax/unbalanced-parens"]);
    assert_eq!(only_table(&p).options.len(), 1);
}

#[test]
fn unclosed_quote_recovers_on_the_next_line() {
    let (_, p) =
        parse_all("CREATE TABLE t (id INT) WITH (\n 'connector' = 'jdbc,\n 'url' = 'x'\n);");
    assert!(codes(&p).contains(&"syntax/unbalanced-quote"), "{:?}", p.findings);
    let t = only_table(&p);
    assert_eq!(t.option("url").unwrap().value, "x");
}

#[test]
fn unquoted_option_key_or_value() {
    let (_, p) = parse_all("CREATE TABLE t (id INT) WITH (connector = 'jdbc', 'port' = 5432);");
    assert_eq!(codes(&p), vec!["syntax/option-not-quoted", "syntax/option-not-quoted"]);
    let t = only_table(&p);
    assert_eq!(t.connector().unwrap().value, "jdbc");
    assert_eq!(t.option("port").unwrap().value, "5432");
}

#[test]
fn missing_equals_is_reported_and_the_list_continues() {
    let (_, p) = parse_all("CREATE TABLE t (id INT) WITH ('connector' 'jdbc', 'url' = 'u');");
    assert_eq!(codes(&p), vec!["syntax/unexpected-token"]);
    assert_eq!(only_table(&p).option("url").unwrap().value, "u");
}

#[test]
fn statements_without_semicolon_between_them() {
    let (src, p) = parse_all("CREATE TABLE a (id INT) WITH ('connector' = 'x')\nCREATE TABLE b (id INT) WITH ('connector' = 'y')");
    assert_eq!(codes(&p), vec!["syntax/unterminated-statement"]);
    assert_eq!(src.location(p.findings[0].span), "t.sql:1:49");
    let tables: Vec<_> = p.tables().collect();
    assert_eq!(tables.len(), 2);
    assert!(!tables[0].terminated && !tables[1].terminated);
}

#[test]
fn inline_primary_key_with_and_without_not_enforced() {
    let (_, p) =
        parse_all("CREATE TABLE t (id INT PRIMARY KEY, data VARCHAR) WITH ('connector' = 'x');");
    let pk = only_table(&p).primary_key.clone().unwrap();
    assert!(pk.inline && !pk.not_enforced);
    assert_eq!(pk.columns[0].value, "id");
    let (_, p) =
        parse_all("CREATE TABLE t (id INT CONSTRAINT pk PRIMARY KEY NOT ENFORCED NOT NULL);");
    let t = only_table(&p);
    assert!(t.primary_key.as_ref().unwrap().not_enforced);
    assert!(t.columns[0].not_null);
}

#[test]
fn two_primary_keys() {
    let (_, p) = parse_all(
        "CREATE TABLE t (id INT PRIMARY KEY NOT ENFORCED, PRIMARY KEY (id) NOT ENFORCED);",
    );
    assert_eq!(codes(&p), vec!["table/multiple-primary-keys"]);
}

#[test]
fn insert_select_with_columns_aliases_and_casts() {
    let (src, p) = parse_all(
        "INSERT INTO sink (a, b, c)\nSELECT s.id, CAST(x AS DECIMAL(10, 2)) AS amount, upper(data) d FROM src s WHERE id > 1;",
    );
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    let i = p.inserts().next().unwrap();
    assert_eq!(i.target.display(), "sink");
    assert_eq!(i.columns.as_ref().unwrap().len(), 3);
    let sel = i.select.as_ref().unwrap();
    assert_eq!(sel.from.as_ref().unwrap().display(), "src");
    assert!(sel.from_is_simple);
    assert_eq!(sel.items.len(), 3);
    match &sel.items[0] {
        SelectItem::Expr { column: Some(c), alias: None, .. } => assert_eq!(c.display(), "s.id"),
        other => panic!("{other:?}"),
    }
    match &sel.items[1] {
        SelectItem::Expr { cast: Some(t), alias: Some(a), column: None, .. } => {
            assert_eq!(t.text, "DECIMAL(10, 2)");
            assert_eq!(a.value, "amount");
        }
        other => panic!("{other:?}"),
    }
    match &sel.items[2] {
        SelectItem::Expr { alias: Some(a), column: None, span, .. } => {
            assert_eq!(a.value, "d");
            assert_eq!(src.slice(*span), "upper(data) d");
        }
        other => panic!("{other:?}"),
    }
    assert!(i.terminated);
}

#[test]
fn insert_select_star_and_joins() {
    let (_, p) = parse_all("INSERT INTO sink SELECT * FROM src;\nINSERT INTO s2 SELECT a.* FROM a JOIN b ON a.id = b.id;");
    let inserts: Vec<_> = p.inserts().collect();
    let first = inserts[0].select.as_ref().unwrap();
    assert!(matches!(first.items[0], SelectItem::Wildcard { qualifier: None, .. }));
    assert!(first.from_is_simple);
    let second = inserts[1].select.as_ref().unwrap();
    assert!(
        matches!(&second.items[0], SelectItem::Wildcard { qualifier: Some(q), .. } if q.display() == "a")
    );
    assert!(!second.from_is_simple);
}

#[test]
fn set_statements_and_statement_sets() {
    let (_, p) = parse_all(
        "SET 'pipeline.name' = 'x';\nSET execution.runtime-mode = streaming;\nEXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT * FROM b;\nEND;\nCREATE VIEW v AS SELECT 1;",
    );
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    match &p.statements[0] {
        Statement::Set(s) => assert_eq!((s.key.as_str(), s.value.as_str()), ("pipeline.name", "x")),
        other => panic!("{other:?}"),
    }
    match &p.statements[1] {
        Statement::Set(s) => {
            assert_eq!((s.key.as_str(), s.value.as_str()), ("execution.runtime-mode", "streaming"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.inserts().count(), 1);
    assert_eq!(p.statements.len(), 6);
}

#[test]
fn create_table_like_and_as_select() {
    let (_, p) = parse_all("CREATE TABLE a WITH ('connector' = 'kafka') LIKE b (EXCLUDING ALL);\nCREATE TABLE c WITH ('connector' = 'kafka') AS SELECT * FROM d;");
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    let tables: Vec<_> = p.tables().collect();
    assert_eq!(tables[0].like.as_ref().unwrap().display(), "b");
    assert!(tables[1].as_select);
}

#[test]
fn garbage_never_panics_and_is_reported() {
    for text in [
        "",
        ";;;",
        "(((",
        ")))",
        "'",
        "`",
        "CREATE TABLE",
        "CREATE TABLE t (",
        "INSERT INTO",
        "CREATE TABLE t (a ROW<",
        "SELECT",
        "WITH ('a' = ",
        "\"x",
        "/*",
        "CREATE TABLE t (a INT) WITH ('a' = 'b' 'c')",
    ] {
        let (_, p) = parse_all(text);
        if !text.trim_matches(';').is_empty() && !text.starts_with("SELECT") {
            assert!(!p.findings.is_empty(), "no finding for {text:?}");
        }
    }
}

#[test]
fn seed_guide_cdc_example() {
    let text = "CREATE TABLE external_pg_cdc_source (
  id INT PRIMARY KEY,
  data VARCHAR
) WITH (
  'connector' = 'cdc-postgres',
  'hostname' = '<external-db-host>',
  'decoding.plugin.name' = 'your_decoding_plugin'
  'slot.name' = '<your_slot_name>'
);";
    let (src, p) = parse_all(text);
    assert_eq!(codes(&p), vec!["syntax/missing-comma"]);
    assert_eq!(src.location(p.findings[0].span), "t.sql:7:50");
    let t = only_table(&p);
    assert_eq!(t.options.len(), 4);
    assert!(t.primary_key.as_ref().unwrap().inline);
}

#[test]
fn double_quoted_options_are_reported_and_still_read() {
    let (_, p) = parse_all("CREATE TABLE t (id INT) WITH (\"connector\" = \"jdbc\");");
    assert_eq!(codes(&p), vec!["syntax/double-quotes", "syntax/double-quotes"]);
    assert_eq!(only_table(&p).connector().unwrap().value, "jdbc");
}
