//! A SQL script cut into the statements the SQL Gateway runs one by one, the way the SQL-runner
//! jar runs them inside the JobManager: SET/DDL in order, then every INSERT in one statement set.
//! The cutting is the `sql` layer's parser (quotes, comments and statement sets handled there).

use crate::diagnostics::{SourceFile, Span};
use crate::sql::ddl::{self, Statement};

/// The statements to send the gateway: everything but INSERTs in order, then the INSERTs as
/// one `EXECUTE STATEMENT SET` (or alone when there is one). The markers of statement sets the
/// script wrote itself (`EXECUTE STATEMENT SET BEGIN ... END`, `BEGIN STATEMENT SET; ... END;`)
/// are dropped: their INSERTs join the one set.
pub(crate) fn plan_statements(script: &str) -> Vec<String> {
    let source = SourceFile::new("script", script);
    let parsed = ddl::parse(&source, Span::new(0, script.len()));
    let mut plan = Vec::new();
    let mut inserts = Vec::new();
    for statement in &parsed.statements {
        let text = source.slice(statement.span()).trim().trim_end_matches(';').trim_end();
        match statement {
            Statement::Insert(_) => inserts.push(text.to_string()),
            _ if is_statement_set_marker(text) => {}
            _ => plan.push(text.to_string()),
        }
    }
    match inserts.len() {
        0 => {}
        1 => plan.push(inserts.remove(0)),
        _ => plan.push(format!("EXECUTE STATEMENT SET\nBEGIN\n{};\nEND", inserts.join(";\n"))),
    }
    plan
}

fn is_statement_set_marker(text: &str) -> bool {
    let words: Vec<String> = text.split_whitespace().map(str::to_ascii_uppercase).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        words.as_slice(),
        ["END"] | ["BEGIN", "STATEMENT", "SET"] | ["EXECUTE", "STATEMENT", "SET", "BEGIN"]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_split_on_semicolons_outside_quotes_and_comments() {
        let script = "SET 'pipeline.name' = 'a;b';\n-- a comment; still a comment\nCREATE TABLE t (x STRING) WITH ('k' = 'it''s;');\n/* block; */ INSERT INTO k SELECT * FROM t;\n  ;\n-- trailing comment only\n";
        let parts = plan_statements(script);
        assert_eq!(parts.len(), 3, "{parts:#?}");
        assert_eq!(parts[0], "SET 'pipeline.name' = 'a;b'");
        assert!(parts[1].ends_with("('k' = 'it''s;')"), "{}", parts[1]);
        assert!(parts[2].ends_with("INSERT INTO k SELECT * FROM t"), "{}", parts[2]);
    }

    #[test]
    fn inserts_become_one_statement_set_after_the_ddl() {
        let plan = plan_statements("CREATE TABLE a (x INT);\nINSERT INTO k1 SELECT * FROM a;\nCREATE TABLE b (x INT);\nINSERT INTO k2 SELECT * FROM b;");
        assert_eq!(plan.len(), 3, "{plan:#?}");
        assert!(plan[0].starts_with("CREATE TABLE a") && plan[1].starts_with("CREATE TABLE b"));
        assert_eq!(plan[2], "EXECUTE STATEMENT SET\nBEGIN\nINSERT INTO k1 SELECT * FROM a;\nINSERT INTO k2 SELECT * FROM b;\nEND");
        let single = plan_statements("CREATE TABLE a (x INT); insert into k SELECT 1");
        assert_eq!(single, vec!["CREATE TABLE a (x INT)", "insert into k SELECT 1"]);
    }

    #[test]
    fn written_statement_sets_join_the_one_set() {
        let set =
            "EXECUTE STATEMENT SET\nBEGIN\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND";
        for script in [
            "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END;",
            "BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND;",
            "CREATE TABLE t (x INT);\nexecute statement set begin\n  INSERT INTO a SELECT 1;\n  INSERT INTO b SELECT 2;\nend;",
        ] {
            let plan = plan_statements(script);
            assert_eq!(plan.last().map(String::as_str), Some(set), "{script}: {plan:#?}");
        }
    }
}
