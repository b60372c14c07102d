//! User SQL (setup and steps): multi-statement text sent as one simple query, so it behaves as
//! it would in psql -c (one implicit transaction unless the text says BEGIN/COMMIT). A failure
//! names the statement and its 1-based line within the text, for the run engine to map onto the
//! scenario file.

use super::client::PgClient;
use super::error::{PgError, ServerError};
use futures::TryStreamExt;
use tokio_postgres::SimpleQueryMessage;

/// What a script did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptSummary {
    pub statements: usize,
    /// Rows affected or returned, summed over the statements.
    pub rows: u64,
}

pub async fn run_script(pg: &PgClient, text: &str) -> Result<ScriptSummary, PgError> {
    let mut summary = ScriptSummary { statements: 0, rows: 0 };
    let outcome = async {
        let stream = pg.raw().simple_query_raw(text).await?;
        futures::pin_mut!(stream);
        while let Some(message) = stream.try_next().await? {
            if let SimpleQueryMessage::CommandComplete(rows) = message {
                summary.statements += 1;
                summary.rows += rows;
            }
        }
        Ok::<_, tokio_postgres::Error>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(summary),
        Err(e) => Err(match e.as_db_error() {
            Some(db) => {
                let error = ServerError::from_db(db);
                let (statement, line) = locate(text, error.position, summary.statements);
                PgError::Script {
                    server: pg.server().to_string(),
                    line,
                    statement,
                    error: Box::new(error),
                }
            }
            None => pg.error("running SQL", e),
        }),
    }
}

/// The failing statement (1-based) and its line. The server's position is exact when given
/// (syntax and name errors; it counts characters over the whole text); otherwise the statement
/// after the last one that completed failed, and the line is where it starts.
fn locate(text: &str, position: Option<u32>, completed: usize) -> (usize, usize) {
    let statements = split_statements(text);
    if let Some(position) = position {
        let offset = text
            .char_indices()
            .nth(position.saturating_sub(1) as usize)
            .map_or(text.len(), |(i, _)| i);
        let index = statements.iter().position(|s| offset < s.end).unwrap_or(statements.len());
        return (index + 1, line_of(text, offset));
    }
    let line = statements.get(completed).map_or(1, |s| line_of(text, s.start));
    (completed + 1, line)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// Byte range of one statement: from its first token to its terminating `;` (or the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatementSpan {
    pub start: usize,
    pub end: usize,
}

/// Splits on `;` outside quotes, quoted identifiers, dollar quotes and comments, dropping empty
/// statements as the server does. Not understood: `BEGIN ATOMIC ... END` bodies (PostgreSQL 14+
/// SQL-standard functions), whose inner `;` split the body; only error lines are affected.
pub(crate) fn split_statements(text: &str) -> Vec<StatementSpan> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &text[i..];
        let token_start = i;
        i = if rest.starts_with("--") {
            rest.find('\n').map_or(bytes.len(), |n| i + n + 1)
        } else if rest.starts_with("/*") {
            skip_block_comment(text, i)
        } else if b.is_ascii_whitespace() {
            i + 1
        } else if b == b';' {
            if let Some(start) = start.take() {
                spans.push(StatementSpan { start, end: i + 1 });
            }
            i + 1
        } else {
            start.get_or_insert(token_start);
            if b == b'\'' {
                let escapes = i > 0
                    && matches!(bytes[i - 1], b'e' | b'E')
                    && (i < 2 || !is_ident_byte(bytes[i - 2]));
                skip_quoted(bytes, i, b'\'', escapes)
            } else if b == b'"' {
                skip_quoted(bytes, i, b'"', false)
            } else if b == b'$' && (i == 0 || !is_ident_byte(bytes[i - 1])) {
                skip_dollar_quoted(text, i)
            } else {
                i + 1
            }
        };
    }
    if let Some(start) = start {
        spans.push(StatementSpan { start, end: text.len() });
    }
    spans
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn skip_block_comment(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, from);
    while i < bytes.len() {
        if text[i..].starts_with("/*") {
            depth += 1;
            i += 2;
        } else if text[i..].starts_with("*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Past the closing quote; a doubled quote is an escaped one, and in E'' strings so is `\'`.
fn skip_quoted(bytes: &[u8], from: usize, quote: u8, backslash_escapes: bool) -> usize {
    let mut i = from + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if backslash_escapes => i += 2,
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// `$tag$ ... $tag$`; a `$` not opening a valid tag (e.g. `$1`) is an ordinary character.
fn skip_dollar_quoted(text: &str, from: usize) -> usize {
    let rest = &text[from + 1..];
    let tag_len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let valid = rest[tag_len..].starts_with('$')
        && !rest[..tag_len].starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return from + 1;
    }
    let delimiter = &text[from..from + tag_len + 2];
    let body = from + delimiter.len();
    text[body..].find(delimiter).map_or(text.len(), |n| body + n + delimiter.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split_statements(sql).iter().map(|s| &sql[s.start..s.end]).collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let sql = "CREATE TABLE t (a text); -- a; comment\n\
                   INSERT INTO t VALUES ('x;y'), (E'it\\'s;'), ($$;$$), ($f$ a;$ $f$);\n\
                   /* block; /* nested; */ */ SELECT \"a;b\" FROM t";
        assert_eq!(
            texts(sql),
            vec![
                "CREATE TABLE t (a text);",
                "INSERT INTO t VALUES ('x;y'), (E'it\\'s;'), ($$;$$), ($f$ a;$ $f$);",
                "SELECT \"a;b\" FROM t",
            ]
        );
    }

    #[test]
    fn empty_statements_and_parameters_are_not_statements() {
        assert_eq!(texts(";; SELECT $1 ;\n -- only a comment\n"), vec!["SELECT $1 ;"]);
        assert!(texts("  \n-- nothing\n").is_empty());
    }

    #[test]
    fn position_maps_to_statement_and_line_counting_characters() {
        let sql = "SELECT 'é';\nSELECT 2;\nSELECT nope FROM t;";
        // The server counts characters: 'é' is one character but two bytes.
        let chars_before = sql[..sql.find("nope").unwrap()].chars().count() as u32;
        assert_eq!(chars_before, 29);
        assert_eq!(locate(sql, Some(chars_before + 1), 0), (3, 3));
    }

    #[test]
    fn without_position_the_statement_after_the_completed_ones_failed() {
        let sql = "-- setup\nINSERT INTO t VALUES (1);\n\n  INSERT INTO t\n  VALUES (1);";
        assert_eq!(locate(sql, None, 1), (2, 4));
        assert_eq!(locate(sql, None, 0), (1, 2));
    }
}
