//! Flink data types: `INT`, `DECIMAL(10, 2)`, `TIMESTAMP(3) WITH LOCAL TIME ZONE`,
//! `ROW<a INT, b STRING>`, `ARRAY<INT NOT NULL>`, `MAP<STRING, INT>`, `INT ARRAY`, ...

use super::ast::DataType;
use super::cursor::{Cursor, PResult};
use super::lexer::{unquote, TokenKind};

/// Words that continue a type name after the given first word (`DOUBLE PRECISION`,
/// `INTERVAL DAY TO SECOND(3)`); only these, so that a column name after a missing comma is
/// not taken for part of a type.
fn continuation_words(head: &str) -> &'static [&'static str] {
    match head {
        "INTERVAL" => &["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "TO"],
        "CHAR" | "CHARACTER" => &["VARYING"],
        "DOUBLE" => &["PRECISION"],
        _ => &[],
    }
}

impl Cursor<'_> {
    /// A type, with ` NOT NULL` appended to its text when nested types say so.
    pub(super) fn nested_type(&mut self) -> PResult<DataType> {
        let mut t = self.data_type()?;
        if let Some(s) = self.eat_kws(&["NOT", "NULL"]) {
            t.text.push_str(" NOT NULL");
            t.span = t.span.join(s);
        } else if let Some(s) = self.eat_kw("NULL") {
            t.span = t.span.join(s);
        }
        Ok(t)
    }

    /// A type without its nullability (a column's `NOT NULL` is kept apart).
    pub(super) fn data_type(&mut self) -> PResult<DataType> {
        let head = match self.peek() {
            Some(t) if t.kind == TokenKind::Word => *t,
            _ => return Err(self.unexpected("a data type")),
        };
        self.pos += 1;
        let name = self.text(&head).to_ascii_uppercase();
        let mut text = name.clone();
        let generic_open = self.at_punct("<") || (name == "ROW" && self.at_punct("("));
        if generic_open && matches!(name.as_str(), "ROW" | "ARRAY" | "MULTISET" | "MAP") {
            let close = if self.at_punct("<") { ">" } else { ")" };
            self.pos += 1;
            text.push('<');
            match name.as_str() {
                "ROW" => self.row_fields(&mut text, close)?,
                "MAP" => {
                    text.push_str(&self.nested_type()?.text);
                    self.expect_punct(",")?;
                    text.push_str(", ");
                    text.push_str(&self.nested_type()?.text);
                }
                _ => text.push_str(&self.nested_type()?.text),
            }
            self.expect_punct(close)?;
            text.push('>');
        } else {
            let continuation = continuation_words(&name);
            loop {
                if self.at_punct("(") {
                    text.push_str(&self.type_params()?);
                }
                match self.peek() {
                    Some(t) if continuation.iter().any(|w| self.is_kw(t, w)) => {
                        text.push(' ');
                        text.push_str(&self.text(t).to_ascii_uppercase());
                        self.pos += 1;
                    }
                    _ => break,
                }
            }
            for zone in [
                &["WITH", "LOCAL", "TIME", "ZONE"][..],
                &["WITH", "TIME", "ZONE"],
                &["WITHOUT", "TIME", "ZONE"],
            ] {
                if self.eat_kws(zone).is_some() {
                    text.push(' ');
                    text.push_str(&zone.join(" "));
                    break;
                }
            }
        }
        // Postfix collection types: `INT ARRAY`, `STRING MULTISET`.
        while (self.at_kw("ARRAY") || self.at_kw("MULTISET")) && !self.at_punct_n(1, "<") {
            let t = self.bump().expect("checked above");
            text.push(' ');
            text.push_str(&self.text(&t).to_ascii_uppercase());
        }
        Ok(DataType { text, span: head.span.join(self.prev_span()) })
    }

    /// `(10, 2)` or `('class', 'snapshot')` normalised to `(10, 2)`.
    fn type_params(&mut self) -> PResult<String> {
        self.expect_punct("(")?;
        let mut params = Vec::new();
        loop {
            match self.peek() {
                Some(t) if matches!(t.kind, TokenKind::Number | TokenKind::Str) => {
                    params.push(self.text(t).to_string());
                    self.pos += 1;
                }
                _ => return Err(self.unexpected("a type parameter")),
            }
            if self.eat_punct(")").is_some() {
                return Ok(format!("({})", params.join(", ")));
            }
            self.expect_punct(",")?;
        }
    }

    /// `a INT, b STRING 'comment'` up to the closing `>` (or `)` for `ROW(...)`).
    fn row_fields(&mut self, text: &mut String, close: &str) -> PResult<()> {
        let mut first = true;
        while !self.at_punct(close) {
            if !first {
                self.expect_punct(",")?;
                text.push_str(", ");
            }
            first = false;
            let field = self.ident("a field name")?;
            if field.quoted {
                text.push('`');
                text.push_str(&field.value.replace('`', "``"));
                text.push('`');
            } else {
                text.push_str(&field.value);
            }
            text.push(' ');
            text.push_str(&self.nested_type()?.text);
            // A field may carry a description: `a INT 'the id'`.
            if self.at_kind(TokenKind::Str) {
                let t = self.bump().expect("checked above");
                text.push(' ');
                text.push_str(&format!("'{}'", unquote(self.text(&t)).replace('\'', "''")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn parse_type(text: &str) -> (String, usize) {
        let mut findings = Vec::new();
        let toks = tokenize(text, 0, &mut findings);
        let mut c = Cursor { src: text, toks, pos: 0, findings, end: text.len() };
        let t = c.nested_type().expect("type parses");
        assert!(c.findings.is_empty(), "{:?}", c.findings);
        (t.text, t.span.end)
    }

    #[test]
    fn normalises_flink_types() {
        for (input, expected) in [
            ("int", "INT"),
            ("decimal(10,2)", "DECIMAL(10, 2)"),
            ("Timestamp_LTZ(3)", "TIMESTAMP_LTZ(3)"),
            ("TIMESTAMP(3) with local time zone", "TIMESTAMP(3) WITH LOCAL TIME ZONE"),
            ("double precision", "DOUBLE PRECISION"),
            ("INTERVAL DAY(2) TO SECOND(3)", "INTERVAL DAY(2) TO SECOND(3)"),
            ("row<a int, `b c` string 'desc'>", "ROW<a INT, `b c` STRING 'desc'>"),
            ("ROW(a INT)", "ROW<a INT>"),
            ("MAP<STRING, ARRAY<INT NOT NULL>>", "MAP<STRING, ARRAY<INT NOT NULL>>"),
            ("int array", "INT ARRAY"),
            ("RAW('java.lang.Object', 'abc')", "RAW('java.lang.Object', 'abc')"),
        ] {
            assert_eq!(parse_type(input).0, expected, "{input}");
        }
    }

    #[test]
    fn stops_before_column_modifiers() {
        let (text, end) = parse_type("VARCHAR(10) PRIMARY KEY");
        assert_eq!(text, "VARCHAR(10)");
        assert_eq!(end, 11);
    }
}
