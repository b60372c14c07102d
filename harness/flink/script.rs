//! A SQL script cut into the statements the SQL Gateway runs one by one. (The SQL-runner jar
//! does the same inside the JobManager: SET/DDL in order, then every INSERT in one statement set.)

/// The statements to send the gateway: everything but INSERTs in order, then the INSERTs as
/// one `EXECUTE STATEMENT SET` (or alone when there is one). Statement sets already written as
/// `EXECUTE STATEMENT SET BEGIN ... END` or `BEGIN STATEMENT SET; ... END;` are kept whole.
pub(crate) fn plan_statements(script: &str) -> Vec<String> {
    let mut plan = Vec::new();
    let mut inserts = Vec::new();
    let mut open_set: Option<Vec<String>> = None;
    for statement in split_statements(script) {
        let words = leading_words(&statement, 3);
        let starts = |w: &[&str]| {
            words.len() >= w.len() && w.iter().zip(&words).all(|(a, b)| b.eq_ignore_ascii_case(a))
        };
        if let Some(set) = open_set.as_mut() {
            if starts(&["END"]) && words.len() == 1 {
                inserts.append(set);
                open_set = None;
            } else {
                set.push(statement);
            }
        } else if starts(&["BEGIN", "STATEMENT", "SET"]) {
            open_set = Some(Vec::new());
        } else if starts(&["INSERT"]) {
            inserts.push(statement);
        } else {
            plan.push(statement);
        }
    }
    inserts.extend(open_set.unwrap_or_default());
    match inserts.len() {
        0 => {}
        1 => plan.push(inserts.remove(0)),
        _ => plan.push(format!("EXECUTE STATEMENT SET\nBEGIN\n{};\nEND", inserts.join(";\n"))),
    }
    plan
}

/// Splits a script on `;` outside quotes and comments. `EXECUTE STATEMENT SET BEGIN ... END`
/// stays one statement. Empty statements and comment-only statements are dropped.
fn split_statements(script: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let bytes = script.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == q {
                        // A doubled quote is an escaped quote.
                        if bytes.get(i + 1) == Some(&q) {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b';' => {
                pieces.push(&script[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    pieces.push(&script[start.min(script.len())..]);

    let mut statements: Vec<String> = Vec::new();
    let mut open_execute_set = false;
    for piece in pieces {
        if leading_words(piece, 1).is_empty() {
            continue;
        }
        let words = leading_words(piece, 3);
        let piece = piece.trim().to_string();
        if open_execute_set {
            let last = statements.last_mut().expect("an open statement set");
            last.push_str(";\n");
            last.push_str(&piece);
            open_execute_set = !(words.len() == 1 && words[0].eq_ignore_ascii_case("END"));
        } else {
            open_execute_set = words.len() == 3
                && words
                    .iter()
                    .zip(["EXECUTE", "STATEMENT", "SET"])
                    .all(|(a, b)| a.eq_ignore_ascii_case(b));
            statements.push(piece);
        }
    }
    statements
}

/// The first `n` words of a statement, skipping comments.
fn leading_words(statement: &str, n: usize) -> Vec<&str> {
    let mut words = Vec::new();
    let mut rest = statement;
    while words.len() < n {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else if rest.is_empty() {
            break;
        } else {
            let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            if end == 0 {
                break;
            }
            words.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_split_on_semicolons_outside_quotes_and_comments() {
        let script = "SET 'pipeline.name' = 'a;b';\n-- a comment; still a comment\nCREATE TABLE t (x STRING) WITH ('k' = 'it''s;');\n/* block; */ INSERT INTO k SELECT * FROM t;\n  ;\n-- trailing comment only\n";
        let parts = split_statements(script);
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
    fn written_statement_sets_stay_whole() {
        let plan = plan_statements(
            "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END;",
        );
        assert_eq!(
            plan,
            vec![
                "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND"
            ]
        );
        let plan = plan_statements(
            "BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND;",
        );
        assert_eq!(plan, vec!["EXECUTE STATEMENT SET\nBEGIN\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND"]);
    }
}
