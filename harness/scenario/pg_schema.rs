//! The columns and primary key of a table created by the scenario's PostgreSQL setup SQL, for
//! `columns` left out of a structured source when no live catalog is at hand (`cdc-harness sql`).
//!
//! This reads PostgreSQL's CREATE TABLE only as far as needed: the column names, their types as
//! written, NOT NULL, and PRIMARY KEY (column or table constraint). Everything else is skipped.

use super::model::TableName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgTable {
    pub columns: Vec<PgColumn>,
    pub primary_key: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgColumn {
    pub name: String,
    /// As written, such as `numeric(10, 2)` or `timestamp with time zone`.
    pub pg_type: String,
    pub not_null: bool,
    /// Byte offset of the column name within the setup SQL (0 when read from the catalog).
    pub offset: usize,
}

/// The last CREATE TABLE of `table` in `sql` (a later one replaces an earlier one after a DROP).
pub fn find_table(sql: &str, table: &TableName) -> Option<PgTable> {
    let tokens = lex(sql);
    let mut found = None;
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].is_word("create") {
            if let Some((t, next)) = create_table(sql, &tokens, i, table) {
                found = Some(t);
                i = next;
                continue;
            }
        }
        i += 1;
    }
    found
}

fn create_table(
    sql: &str,
    tokens: &[Token],
    start: usize,
    wanted: &TableName,
) -> Option<(PgTable, usize)> {
    let mut i = start + 1;
    while tokens.get(i).is_some_and(|t| {
        ["temp", "temporary", "unlogged", "global", "local"].iter().any(|w| t.is_word(w))
    }) {
        i += 1;
    }
    if !tokens.get(i)?.is_word("table") {
        return None;
    }
    i += 1;
    if tokens.get(i)?.is_word("if") {
        i += 3; // IF NOT EXISTS
    }
    let mut name = vec![tokens.get(i)?.ident()?];
    i += 1;
    while tokens.get(i).is_some_and(|t| t.text == ".") {
        name.push(tokens.get(i + 1)?.ident()?);
        i += 2;
    }
    let (schema, table) = match name.as_slice() {
        [t] => ("public".to_string(), t.clone()),
        [.., s, t] => (s.clone(), t.clone()),
        [] => return None,
    };
    if schema != wanted.schema.to_ascii_lowercase() || table != wanted.table.to_ascii_lowercase() {
        return None;
    }
    if tokens.get(i)?.text != "(" {
        return None;
    }
    let (elements, end) = split_elements(tokens, i + 1)?;
    let mut out = PgTable { columns: Vec::new(), primary_key: Vec::new() };
    for element in elements {
        element_into(sql, element, &mut out);
    }
    Some((out, end))
}

/// The comma-separated elements between the parentheses, and the index after the `)`.
fn split_elements(tokens: &[Token], mut i: usize) -> Option<(Vec<&[Token]>, usize)> {
    let mut elements = Vec::new();
    let mut depth = 0;
    let mut begin = i;
    while let Some(t) = tokens.get(i) {
        match t.text.as_str() {
            "(" => depth += 1,
            ")" if depth == 0 => {
                elements.push(&tokens[begin..i]);
                return Some((elements, i + 1));
            }
            ")" => depth -= 1,
            "," if depth == 0 => {
                elements.push(&tokens[begin..i]);
                begin = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

const COLUMN_CONSTRAINTS: &[&str] = &[
    "constraint",
    "not",
    "null",
    "default",
    "primary",
    "unique",
    "check",
    "references",
    "generated",
    "collate",
];

fn element_into(sql: &str, element: &[Token], out: &mut PgTable) {
    let Some(first) = element.first() else { return };
    if first.is_word("primary") {
        out.primary_key = parenthesized_names(element);
        return;
    }
    if first.is_word("constraint") {
        if element.iter().any(|t| t.is_word("primary")) {
            out.primary_key = parenthesized_names(element);
        }
        return;
    }
    if ["unique", "check", "foreign", "exclude", "like"].iter().any(|w| first.is_word(w)) {
        return;
    }
    let Some(name) = first.ident() else { return };
    let mut depth = 0;
    let type_end = element[1..]
        .iter()
        .position(|t| {
            depth += (t.text == "(") as i32 - (t.text == ")") as i32;
            depth == 0 && COLUMN_CONSTRAINTS.iter().any(|w| t.is_word(w))
        })
        .map(|p| p + 1)
        .unwrap_or(element.len());
    let Some(type_tokens) = element.get(1..type_end).filter(|t| !t.is_empty()) else { return };
    let pg_type = sql[type_tokens[0].start..type_tokens[type_tokens.len() - 1].end].to_string();
    let rest = &element[type_end..];
    let not_null = rest.windows(2).any(|w| w[0].is_word("not") && w[1].is_word("null"));
    if rest.windows(2).any(|w| w[0].is_word("primary") && w[1].is_word("key")) {
        out.primary_key = vec![name.clone()];
    }
    out.columns.push(PgColumn { name, pg_type, not_null, offset: first.start });
}

fn parenthesized_names(element: &[Token]) -> Vec<String> {
    let Some(open) = element.iter().position(|t| t.text == "(") else { return Vec::new() };
    element[open + 1..].iter().take_while(|t| t.text != ")").filter_map(|t| t.ident()).collect()
}

#[derive(Debug)]
struct Token {
    text: String,
    quoted: bool,
    start: usize,
    end: usize,
}

impl Token {
    fn is_word(&self, word: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(word)
    }

    /// An identifier: unquoted ones fold to lower case, as PostgreSQL folds them.
    fn ident(&self) -> Option<String> {
        let first = self.text.chars().next()?;
        if self.quoted {
            Some(self.text.clone())
        } else if first.is_alphabetic() || first == '_' {
            Some(self.text.to_ascii_lowercase())
        } else {
            None
        }
    }
}

/// Words, "quoted identifiers", punctuation; strings, dollar-quoted bodies and comments skipped.
fn lex(sql: &str) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let rest = &sql[i..];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if rest.starts_with("--") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map(|e| e + 2).unwrap_or(rest.len());
        } else if c == b'\'' {
            i += skip_quoted(rest, b'\'');
        } else if c == b'"' {
            let len = skip_quoted(rest, b'"');
            let text = rest[1..len.saturating_sub(1).max(1)].replace("\"\"", "\"");
            tokens.push(Token { text, quoted: true, start: i, end: i + len });
            i += len;
        } else if c == b'$' && dollar_tag(rest).is_some() {
            let tag = dollar_tag(rest).unwrap_or_default();
            let body_end =
                rest[tag.len()..].find(tag).map(|e| e + 2 * tag.len()).unwrap_or(rest.len());
            i += body_end;
        } else if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
            let len = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '$'))
                .unwrap_or(rest.len());
            tokens.push(Token {
                text: rest[..len].to_string(),
                quoted: false,
                start: i,
                end: i + len,
            });
            i += len;
        } else {
            let len = rest.chars().next().map(char::len_utf8).unwrap_or(1);
            tokens.push(Token {
                text: rest[..len].to_string(),
                quoted: false,
                start: i,
                end: i + len,
            });
            i += len;
        }
    }
    tokens
}

/// Length of a quoted run starting at `text[0]`, doubled quotes included.
fn skip_quoted(text: &str, quote: u8) -> usize {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// `$tag$` or `$$` at the start of `text`.
fn dollar_tag(text: &str) -> Option<&str> {
    let end = text[1..].find('$')? + 2;
    let tag = &text[..end];
    tag[1..end - 1].chars().all(|c| c.is_alphanumeric() || c == '_').then_some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Span;

    fn name(schema: &str, table: &str) -> TableName {
        TableName { schema: schema.into(), table: table.into(), span: Span::default() }
    }

    #[test]
    fn columns_types_and_primary_keys() {
        let sql = r#"
            -- CREATE TABLE decoy (x int);
            CREATE TABLE IF NOT EXISTS public.orders (
                id INT PRIMARY KEY,
                "Item" varchar(20) NOT NULL DEFAULT 'a,b',
                price numeric(10, 2) CHECK (price > 0),
                at timestamp(3) with time zone,
                note text COLLATE "C"
            );
            CREATE TABLE other (id int);
        "#;
        let t = find_table(sql, &name("public", "orders")).unwrap();
        let cols: Vec<_> =
            t.columns.iter().map(|c| (c.name.as_str(), c.pg_type.as_str(), c.not_null)).collect();
        assert_eq!(
            cols,
            vec![
                ("id", "INT", false),
                ("Item", "varchar(20)", true),
                ("price", "numeric(10, 2)", false),
                ("at", "timestamp(3) with time zone", false),
                ("note", "text", false),
            ]
        );
        assert_eq!(t.primary_key, vec!["id"]);
        assert_eq!(&sql[t.columns[0].offset..t.columns[0].offset + 2], "id");
    }

    #[test]
    fn table_constraints_and_unqualified_names() {
        let sql = "create table t (a int, b text, constraint t_pk primary key (a, b)); \
                   DO $$ BEGIN CREATE TABLE t (z int); END $$;";
        let t = find_table(sql, &name("public", "t")).unwrap();
        assert_eq!(t.columns.len(), 2);
        assert_eq!(t.primary_key, vec!["a", "b"]);
        assert!(find_table(sql, &name("other", "t")).is_none());
    }
}
