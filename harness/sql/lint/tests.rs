use super::*;
use crate::diagnostics::Severity;

fn run(text: &str) -> (SourceFile, Vec<Finding>) {
    run_with(text, &LintConfig::default())
}

fn run_with(text: &str, config: &LintConfig) -> (SourceFile, Vec<Finding>) {
    let src = SourceFile::new("t.sql", text);
    let findings = lint_with(&src, Span::new(0, text.len()), config);
    (src, findings)
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code).collect()
}

fn find<'a>(findings: &'a [Finding], code: &str) -> &'a Finding {
    findings.iter().find(|f| f.code == code).unwrap_or_else(|| panic!("no {code} in {findings:#?}"))
}

const PG_OK: &str = "CREATE TABLE src (
  id INT,
  data STRING,
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'postgres-cdc',
  'hostname' = 'pg',
  'port' = '5432',
  'username' = 'flink',
  'password' = 'hunter2secret',
  'database-name' = 'shop',
  'schema-name' = 'public',
  'table-name' = 'orders',
  'slot.name' = 'flink_orders',
  'decoding.plugin.name' = 'pgoutput'
);";

const UPSERT_OK: &str = "CREATE TABLE snk (
  id INT,
  data STRING,
  PRIMARY KEY (id) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = 'orders',
  'properties.bootstrap.servers' = 'kafka:9092',
  'key.format' = 'json',
  'value.format' = 'json'
);";

/// `PG_OK` with one option replaced (or added when `from` is empty).
fn pg_with(from: &str, to: &str) -> String {
    if from.is_empty() {
        PG_OK.replace("  'connector'", &format!("  {to},\n  'connector'"))
    } else {
        assert!(PG_OK.contains(from), "{from}");
        PG_OK.replace(from, to)
    }
}

#[test]
fn clean_tables_have_no_findings() {
    for text in [PG_OK, UPSERT_OK] {
        let (_, f) = run(text);
        assert!(f.is_empty(), "{f:#?}");
    }
    let (_, f) = run(&format!("{PG_OK}\n{UPSERT_OK}\nINSERT INTO snk SELECT * FROM src;"));
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn aiven_connector_names_map_to_upstream() {
    for (aiven, upstream) in [("cdc-postgres", "postgres-cdc"), ("JDBC", "jdbc")] {
        assert_eq!(upstream_name(aiven), Some(upstream));
        assert_eq!(aiven_name(upstream), Some(aiven));
        let (src, f) = run(&format!("CREATE TABLE t (id INT) WITH ('connector' = '{aiven}');"));
        let finding = find(&f, "connector/aiven-name");
        assert_eq!(finding.severity, Severity::Error);
        assert!(finding.message.contains(upstream), "{}", finding.message);
        assert!(finding.help.as_ref().unwrap().contains("upstream form"));
        assert_eq!(src.slice(finding.span), format!("'{aiven}'"));
        // The options are then checked against the upstream connector.
        assert!(codes(&f).contains(&"option/missing-required"), "{f:#?}");
    }
    assert_eq!(aiven_name("kafka"), None);
    let lenient = LintConfig { accept_aiven_names: true, ..LintConfig::default() };
    let (_, f) = run_with("CREATE TABLE t (id INT) WITH ('connector' = 'JDBC', 'url' = 'jdbc:postgresql://h/db', 'table-name' = 't');", &lenient);
    assert_eq!(codes(&f), vec!["connector/aiven-name"]);
    assert_eq!(f[0].severity, Severity::Warning);
}

#[test]
fn unknown_and_missing_connectors() {
    let (_, f) = run("CREATE TABLE t (id INT) WITH ('connector' = 'postgres-cdcc');");
    assert!(find(&f, "connector/unknown").help.as_ref().unwrap().contains("'postgres-cdc'"));
    let (_, f) = run("CREATE TABLE t (id INT) WITH ('connector' = 'Kafka', 'topic' = 'x', 'properties.bootstrap.servers' = 'k:9092', 'format' = 'json', 'bogus' = '1');");
    assert!(find(&f, "connector/unknown").help.as_ref().unwrap().contains("'kafka'"));
    // A difference in case is sure enough to check the options too.
    assert!(codes(&f).contains(&"option/unknown"), "{f:#?}");
    let (_, f) =
        run("CREATE TABLE t (id INT) WITH ('connector' = 'datagen', 'rows-per-second' = '1');");
    assert!(f.is_empty(), "built-in connectors are not flagged: {f:#?}");
    let (_, f) = run("CREATE TABLE t (id INT) WITH ('format' = 'json');");
    assert_eq!(codes(&f), vec!["connector/missing"]);
    let (_, f) = run("CREATE TABLE t (id INT);");
    assert_eq!(codes(&f), vec!["connector/missing"]);
}

#[test]
fn unknown_option_suggests_the_closest_key() {
    let (src, f) = run(&pg_with("'slot.name'", "'slot-name'"));
    let unknown = find(&f, "option/unknown");
    assert_eq!(src.slice(unknown.span), "'slot-name'");
    assert_eq!(unknown.help.as_deref(), Some("did you mean 'slot.name'?"));
    // The docs' `connect.pool.size` is not what the factory reads.
    let (_, f) = run(&pg_with("", "'connect.pool.size' = '5'"));
    assert_eq!(
        find(&f, "option/unknown").help.as_deref(),
        Some("did you mean 'connection.pool.size'?")
    );
}

#[test]
fn passthrough_prefixes_are_accepted() {
    let (_, f) = run(&pg_with("", "'debezium.snapshot.mode' = 'never'"));
    assert!(f.is_empty(), "{f:#?}");
    let kafka = UPSERT_OK.replace(
        "'topic' = 'orders',",
        "'topic' = 'orders', 'properties.security.protocol' = 'SSL',",
    );
    let (_, f) = run(&kafka);
    assert!(f.is_empty(), "{f:#?}");
    // JDBC validates every key: no pass-through.
    let (_, f) = run("CREATE TABLE t (id INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://h/db', 'table-name' = 't', 'properties.ssl' = 'true');");
    assert_eq!(codes(&f), vec!["option/unknown"]);
}

#[test]
fn missing_required_options_are_listed_at_once() {
    let (src, f) = run("CREATE TABLE t (id INT) WITH ('connector' = 'postgres-cdc', 'hostname' = 'h', 'decoding.plugin.name' = 'pgoutput');");
    let missing = find(&f, "option/missing-required");
    for key in ["username", "password", "database-name", "schema-name", "table-name", "slot.name"] {
        assert!(missing.message.contains(&format!("'{key}'")), "{}", missing.message);
    }
    assert!(src.slice(missing.span).starts_with("WITH ("));
    assert_eq!(codes(&f).iter().filter(|c| **c == "option/missing-required").count(), 1);
}

#[test]
fn typed_values_are_checked() {
    for (from, to, expected) in [
        ("'port' = '5432'", "'port' = '54x2'", "an integer"),
        ("'port' = '5432'", "'scan.incremental.snapshot.enabled' = 'yes'", "a boolean"),
        ("'port' = '5432'", "'heartbeat.interval.ms' = '30 sekunden'", "a duration"),
        ("'port' = '5432'", "'scan.startup.mode' = 'earliest'", "one of the accepted values"),
        (
            "'port' = '5432'",
            "'chunk-key.even-distribution.factor.upper-bound' = 'high'",
            "a number",
        ),
    ] {
        let (_, f) = run(&pg_with(from, to));
        let t = find(&f, "option/type");
        assert!(t.message.contains(expected), "{to}: {}", t.message);
    }
    for ok in [
        "'heartbeat.interval.ms' = '10 s'",
        "'scan.incremental.snapshot.enabled' = 'true'",
        "'changelog-mode' = 'UPSERT'",
    ] {
        let (_, f) = run(&pg_with("", ok));
        assert!(f.is_empty(), "{ok}: {f:#?}");
    }
    let (_, f) = run(&pg_with("", "'scan.startup.mode' = 'latest-ofset'"));
    assert!(find(&f, "option/type")
        .help
        .as_ref()
        .unwrap()
        .starts_with("did you mean 'latest-offset'?"));
    // int width and minimum
    let (_, f) = run(&pg_with("", "'scan.snapshot.fetch.size' = '0'"));
    assert!(find(&f, "option/type").message.contains("at least 1"));
}

#[test]
fn placeholders_are_reported_without_echoing_secrets() {
    let (src, f) = run(&pg_with("'hostname' = 'pg'", "'hostname' = '<external-db-host>'")
        .replace("'hunter2secret'", "'<db_password>'"));
    let placeholders: Vec<&Finding> = f.iter().filter(|f| f.code == "option/placeholder").collect();
    assert_eq!(placeholders.len(), 2, "{f:#?}");
    assert!(placeholders[0].message.contains("<external-db-host>"));
    assert_eq!(src.slice(placeholders[0].span), "'<external-db-host>'");
    assert!(!placeholders[1].message.contains("db_password"), "{}", placeholders[1].message);
    assert_eq!(placeholder("jdbc:postgresql://<host>:5432/<db>"), Some("<host>"));
    assert_eq!(placeholder("a < b > c"), Some("< b >"));
    assert_eq!(placeholder("<>"), None);
}

#[test]
fn password_values_never_appear_in_findings() {
    let secret = "S3cr3t'pw<x>";
    let text = format!(
        "CREATE TABLE t (id INT PRIMARY KEY) WITH ('connector' = 'JDBC', 'url' = 'jdbc:postgresql://h/db?password={s}', 'table-name' = 't',\n 'password' = '{s}' 'username' = 'u', 'password' = '{s}', 'properties.sasl.jaas.config' = '{s}');",
        s = secret.replace('\'', "''")
    );
    let (src, f) = run(&text);
    assert!(!f.is_empty());
    for finding in &f {
        let rendered = format!("{} {} {:?}", finding.message, finding.label, finding.help);
        assert!(!rendered.contains("S3cr3t"), "{rendered}");
        let json = finding.to_json(&src).to_string();
        assert!(!json.contains("S3cr3t"), "{json}");
    }
    // A password of the wrong type is reported without its value (type checks see secrets too).
    let (_, f) = run(&pg_with("'port' = '5432'", "'port' = 'hunter2secret'"));
    assert!(
        find(&f, "option/type").message.contains("hunter2secret"),
        "non-secret values are shown"
    );
}

#[test]
fn duplicate_options_warn() {
    let (_, f) = run(&pg_with("", "'slot.name' = 'other_slot'"));
    let d = find(&f, "option/duplicate");
    assert_eq!(d.severity, Severity::Warning);
}

#[test]
fn option_groups() {
    // username without password (JDBC wants both or neither)
    let (_, f) = run("CREATE TABLE t (id INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://h/db', 'table-name' = 't', 'username' = 'u');");
    assert!(find(&f, "option/all-or-none").message.contains("'password' is missing"));
    // topic and topic-pattern together
    let (_, f) =
        run(&UPSERT_OK
            .replace("'topic' = 'orders',", "'topic' = 'orders', 'topic-pattern' = 'o.*',"));
    assert_eq!(codes(&f), vec!["option/conflict"]);
    // kafka needs a format; key.format needs key.fields; exactly-once needs a prefix
    let kafka = "CREATE TABLE k (id INT) WITH ('connector' = 'kafka', 'topic' = 't', 'properties.bootstrap.servers' = 'k:9092'";
    let (_, f) = run(&format!("{kafka});"));
    assert!(find(&f, "option/missing-required").message.contains("'format' or 'value.format'"));
    let (_, f) = run(&format!("{kafka}, 'format' = 'json', 'key.format' = 'json');"));
    assert!(find(&f, "option/missing-required").message.contains("requires 'key.fields'"));
    let (_, f) =
        run(&format!("{kafka}, 'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once');"));
    assert!(find(&f, "option/missing-required").message.contains("'sink.transactional-id-prefix'"));
}

#[test]
fn format_options_follow_the_chosen_formats() {
    let kafka = "CREATE TABLE k (id INT) WITH ('connector' = 'kafka', 'topic' = 't', 'properties.bootstrap.servers' = 'k:9092'";
    let (_, f) = run(&format!("{kafka}, 'format' = 'json', 'json.ignore-parse-errors' = 'true', 'json.timestamp-format.standard' = 'ISO-8601');"));
    assert!(f.is_empty(), "{f:#?}");
    let (_, f) = run(&format!("{kafka}, 'format' = 'json', 'json.ignore-parse-error' = 'true');"));
    assert_eq!(
        find(&f, "option/unknown").help.as_deref(),
        Some("did you mean 'json.ignore-parse-errors'?")
    );
    let (_, f) =
        run(&format!("{kafka}, 'format' = 'json', 'json.fail-on-missing-field' = 'maybe');"));
    assert_eq!(codes(&f), vec!["option/type"]);
    let (_, f) = run(&format!("{kafka}, 'format' = 'csv', 'json.ignore-parse-errors' = 'true');"));
    assert!(
        find(&f, "option/unknown")
            .help
            .as_ref()
            .unwrap()
            .contains("only when the table's format is 'json'"),
        "{f:#?}"
    );
    let (_, f) = run(&format!("{kafka}, 'key.format' = 'json', 'key.fields' = 'id', 'key.json.ignore-parse-errors' = 'true', 'value.format' = 'debezium-json', 'value.debezium-json.schema-include' = 'false');"));
    assert!(f.is_empty(), "{f:#?}");
    let (_, f) = run(&format!("{kafka}, 'format' = 'jsn');"));
    assert_eq!(find(&f, "format/unknown").severity, Severity::Error);
    let (_, f) =
        run(&format!("{kafka}, 'format' = 'my-custom-format', 'my-custom-format.x' = '1');"));
    assert_eq!(codes(&f), vec!["format/unknown"]);
    assert_eq!(f[0].severity, Severity::Warning);
}

#[test]
fn slot_names_must_be_valid_postgres_identifiers() {
    for bad in ["Flink-Slot", "", "a".repeat(64).as_str(), "slot.1"] {
        let (_, f) =
            run(&pg_with("'slot.name' = 'flink_orders'", &format!("'slot.name' = '{bad}'")));
        let s = find(&f, "postgres/slot-name");
        assert!(s.help.as_ref().unwrap().contains("[a-z0-9_]{1,63}"), "{bad}");
    }
    let (_, f) = run(&pg_with("'slot.name' = 'flink_orders'", "'slot.name' = 'Flink-Slot'"));
    assert!(find(&f, "postgres/slot-name").help.as_ref().unwrap().contains("'flink_slot'"));
    let (_, f) = run(&pg_with(
        "'slot.name' = 'flink_orders'",
        "'slot.name' = 'a_63_chars_slot_name_is_fine_0123456789_0123456789_012345678901'",
    ));
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn decoding_plugin_rules() {
    let (_, f) = run(&pg_with("  'decoding.plugin.name' = 'pgoutput'\n", "")
        .replace("'flink_orders',", "'flink_orders'"));
    let w = find(&f, "postgres/decoding-plugin");
    assert_eq!(w.severity, Severity::Warning);
    assert!(w.message.contains("decoderbufs") && w.help.as_ref().unwrap().contains("pgoutput"));
    let (_, f) = run(&pg_with("'pgoutput'", "'your_decoding_plugin'"));
    assert_eq!(codes(&f), vec!["postgres/decoding-plugin"]);
    assert_eq!(f[0].severity, Severity::Error);
    let (_, f) = run(&pg_with("'pgoutput'", "'wal2json'"));
    assert_eq!(f[0].severity, Severity::Warning);
    let (_, f) = run(&pg_with("'pgoutput'", "'PGOUTPUT'"));
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn cdc_startup_and_snapshot_rules() {
    let (_, f) = run(&pg_with("", "'scan.startup.mode' = 'latest-offset'"));
    assert_eq!(codes(&f), vec!["postgres/startup-mode"]);
    let ok = pg_with(
        "",
        "'scan.startup.mode' = 'latest-offset', 'scan.incremental.snapshot.enabled' = 'true'",
    );
    assert!(run(&ok).1.is_empty());
    let no_pk = ok.replace(",\n  PRIMARY KEY (id) NOT ENFORCED", "");
    assert_eq!(codes(&run(&no_pk).1), vec!["postgres/snapshot-key"]);
    let (_, f) = run(&pg_with("'table-name' = 'orders'", "'table-name' = 'public.orders'"));
    assert_eq!(
        find(&f, "postgres/table-name").help.as_deref(),
        Some("write 'table-name' = 'orders'")
    );
}

#[test]
fn jdbc_url_rules() {
    let table = |url: &str| {
        format!("CREATE TABLE t (id INT) WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 't');")
    };
    for ok in [
        "jdbc:postgresql://pg:5432/shop",
        "jdbc:postgresql://pg/shop?sslmode=require",
        "jdbc:mysql://db:3306/x",
    ] {
        assert!(run(&table(ok)).1.is_empty(), "{ok}");
    }
    for bad in [
        "jdbc:postgres://pg:5432/shop",
        "postgresql://pg:5432/shop",
        "jdbc:postgresql://pg:5432",
        "jdbc:postgresql://pg:port/shop",
        "pg:5432/shop",
    ] {
        let (_, f) = run(&table(bad));
        assert_eq!(codes(&f), vec!["jdbc/url"], "{bad}");
        assert!(!f[0].message.contains(bad), "the URL is not echoed");
    }
    // A URL with placeholders is reported as such, not as malformed.
    assert_eq!(
        codes(&run(&table("jdbc:postgresql://<host>:5432/<db>")).1),
        vec!["option/placeholder"]
    );
}

#[test]
fn jdbc_version_specific_options() {
    let text = "CREATE TABLE t (id INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://h/db', 'table-name' = 't', 'filter.handling.policy' = 'never');";
    assert!(run(text).1.is_empty());
    let v31 = LintConfig { jdbc_major: 3, jdbc_minor: Some(1), ..LintConfig::default() };
    assert_eq!(codes(&run_with(text, &v31).1), vec!["option/version"]);
    let v33 = LintConfig { jdbc_major: 3, jdbc_minor: Some(3), ..LintConfig::default() };
    assert!(run_with(text, &v33).1.is_empty());
    let (_, f) = run("CREATE TABLE t (id INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://h/db', 'table-name' = 't', 'lookup.cache.ttl' = '10s', 'lookup.cache.max-rows' = '100');");
    assert_eq!(codes(&f), vec!["option/deprecated", "option/deprecated"]);
}

#[test]
fn primary_key_rules() {
    let (src, f) = run(&PG_OK.replace("PRIMARY KEY (id) NOT ENFORCED", "PRIMARY KEY (id)"));
    let pk = find(&f, "table/pk-not-enforced");
    assert_eq!(src.slice(pk.span), "PRIMARY KEY (id)");
    assert_eq!(pk.help.as_deref(), Some("write `PRIMARY KEY (id) NOT ENFORCED`"));
    let (_, f) = run(&PG_OK
        .replace("  id INT,", "  id INT PRIMARY KEY,")
        .replace(",\n  PRIMARY KEY (id) NOT ENFORCED", ""));
    assert_eq!(
        find(&f, "table/pk-not-enforced").help.as_deref(),
        Some("write `id ... PRIMARY KEY NOT ENFORCED`")
    );
    let (_, f) = run(&PG_OK.replace("PRIMARY KEY (id)", "PRIMARY KEY (idd)"));
    assert_eq!(codes(&f), vec!["table/pk-unknown-column"]);
    let (_, f) = run(&UPSERT_OK.replace(",\n  PRIMARY KEY (id) NOT ENFORCED", ""));
    assert_eq!(codes(&f), vec!["table/upsert-without-pk"]);
    let (_, f) = run(&PG_OK
        .replace("  data STRING,", "  data STRING,\n  m STRING METADATA FROM 'op_ts' VIRTUAL,")
        .replace("KEY (id)", "KEY (m)"));
    assert_eq!(codes(&f), vec!["table/pk-not-physical"]);
}

#[test]
fn column_rules() {
    let (_, f) = run(&PG_OK.replace(
        "  data STRING,",
        "  value STRING,\n  `timestamp` TIMESTAMP(3),\n  data STRING,\n  data INT,",
    ));
    assert_eq!(codes(&f), vec!["table/reserved-word", "table/duplicate-column"]);
    assert_eq!(f[0].help.as_deref(), Some("quote it with backquotes: `value`"));
}

#[test]
fn kafka_key_fields_must_be_columns() {
    let text = "CREATE TABLE k (id INT, v STRING) WITH ('connector' = 'kafka', 'topic' = 't', 'properties.bootstrap.servers' = 'k:9092', 'key.format' = 'json', 'key.fields' = 'id;idx', 'value.format' = 'json');";
    let (_, f) = run(text);
    assert_eq!(codes(&f), vec!["kafka/key-fields"]);
    assert!(f[0].message.contains("'idx'"));
}

#[test]
fn tables_created_twice() {
    let (_, f) = run(&format!("{UPSERT_OK}\n{UPSERT_OK}"));
    assert_eq!(codes(&f), vec!["table/duplicate"]);
}

#[test]
fn updating_source_into_append_only_kafka_sink() {
    let sink = "CREATE TABLE snk (id INT, data STRING) WITH ('connector' = 'kafka', 'topic' = 'o', 'properties.bootstrap.servers' = 'k:9092', 'format' = 'json');";
    let (src, f) = run(&format!("{PG_OK}\n{sink}\nINSERT INTO snk SELECT id, data FROM src;"));
    let p = find(&f, "pipeline/updating-into-append-only");
    assert_eq!(src.slice(p.span), "snk");
    assert!(p.message.contains("'json' format"), "{}", p.message);
    assert!(
        p.help.as_ref().unwrap().contains("upsert-kafka")
            && p.help.as_ref().unwrap().contains("debezium-json")
    );
    assert_eq!(codes(&f), vec!["pipeline/updating-into-append-only"]);
    // debezium-json carries the changelog; upsert-kafka is fine (clean test above)
    let cdc_sink = sink.replace("'format' = 'json'", "'format' = 'debezium-json'");
    assert!(run(&format!("{PG_OK}\n{cdc_sink}\nINSERT INTO snk SELECT id, data FROM src;"))
        .1
        .is_empty());
    // append-only reading of the CDC source
    let append = pg_with("", "'scan.read-changelog-as-append-only.enabled' = 'true'");
    assert!(run(&format!("{append}\n{sink}\nINSERT INTO snk SELECT id, data FROM src;"))
        .1
        .is_empty());
}

#[test]
fn updating_source_into_jdbc_sink_needs_a_primary_key() {
    let sink = "CREATE TABLE snk (id INT, data STRING) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://h/db', 'table-name' = 't');";
    let (_, f) = run(&format!("{PG_OK}\n{sink}\nINSERT INTO snk SELECT * FROM src;"));
    assert!(find(&f, "pipeline/updating-into-append-only")
        .help
        .as_ref()
        .unwrap()
        .contains("PRIMARY KEY"));
    let keyed = sink.replace("data STRING)", "data STRING, PRIMARY KEY (id) NOT ENFORCED)");
    assert!(run(&format!("{PG_OK}\n{keyed}\nINSERT INTO snk SELECT * FROM src;")).1.is_empty());
}

#[test]
fn insert_column_count_and_types() {
    let (src, f) = run(&format!("{PG_OK}\n{UPSERT_OK}\nINSERT INTO snk SELECT id FROM src;"));
    let c = find(&f, "insert/column-count");
    assert_eq!(src.slice(c.span), "id");
    assert!(
        c.message.contains("yields 1 column,") && c.message.contains("takes 2"),
        "{}",
        c.message
    );
    let (_, f) = run(&format!("{PG_OK}\n{UPSERT_OK}\nINSERT INTO snk SELECT *, 1 FROM src;"));
    assert_eq!(codes(&f), vec!["insert/column-count"]);
    let (_, f) =
        run(&format!("{PG_OK}\n{UPSERT_OK}\nINSERT INTO snk (id) SELECT id, data FROM src;"));
    assert_eq!(codes(&f), vec!["insert/column-count"]);
    let (_, f) =
        run(&format!("{PG_OK}\n{UPSERT_OK}\nINSERT INTO snk (id, nope) SELECT id, data FROM src;"));
    assert_eq!(codes(&f), vec!["insert/unknown-column"]);
    // Types: swapped columns, a widening (fine), a cast that fixes it.
    let (src_file, f) =
        run(&format!("{PG_OK}\n{UPSERT_OK}\nINSERT INTO snk SELECT data, id FROM src;"));
    let mismatches: Vec<&str> = f
        .iter()
        .filter(|f| f.code == "insert/type-mismatch")
        .map(|f| src_file.slice(f.span))
        .collect();
    assert_eq!(mismatches, vec!["data", "id"]);
    let wide = UPSERT_OK.replace("id INT", "id BIGINT");
    assert!(run(&format!("{PG_OK}\n{wide}\nINSERT INTO snk SELECT * FROM src;")).1.is_empty());
    let narrow = PG_OK.replace("id INT", "id BIGINT");
    assert_eq!(
        codes(&run(&format!("{narrow}\n{UPSERT_OK}\nINSERT INTO snk SELECT * FROM src;")).1),
        vec!["insert/type-mismatch"]
    );
    assert!(run(&format!(
        "{narrow}\n{UPSERT_OK}\nINSERT INTO snk SELECT CAST(id AS INT), data FROM src;"
    ))
    .1
    .is_empty());
    // Tables not declared in the script are not guessed at.
    assert!(run("INSERT INTO elsewhere SELECT * FROM nowhere;").1.is_empty());
}

#[test]
fn insert_into_a_cdc_table() {
    let (_, f) = run(&format!("{PG_OK}\n{UPSERT_OK}\nINSERT INTO src SELECT * FROM snk;"));
    assert!(codes(&f).contains(&"insert/into-source"), "{f:#?}");
}

#[test]
fn last_statement_without_semicolon() {
    let text = PG_OK.trim_end_matches(';');
    let (src, f) = run(text);
    assert_eq!(codes(&f), vec!["syntax/unterminated-statement"]);
    assert_eq!(f[0].severity, Severity::Warning);
    assert_eq!(src.line_col(f[0].span.start).line, 16);
    let lenient = LintConfig { require_final_semicolon: false, ..LintConfig::default() };
    assert!(run_with(text, &lenient).1.is_empty());
}

#[test]
fn syntax_findings_come_through() {
    let (_, f) =
        run(&PG_OK.replace("'slot.name' = 'flink_orders',", "'slot.name' = 'flink_orders'"));
    assert_eq!(codes(&f), vec!["syntax/missing-comma"]);
}
