//! `INSERT INTO ... SELECT` (as far as the linter compares it with the tables) and `SET`.

use super::ast::*;
use super::cursor::{Cursor, PResult};
use super::lexer::{unquote, TokenKind};
use crate::diagnostics::Span;

impl Cursor<'_> {
    pub(super) fn insert(&mut self, start: Span) -> PResult<Insert> {
        self.expect_kw("INSERT")?;
        let overwrite = if self.eat_kw("OVERWRITE").is_some() {
            true
        } else {
            self.expect_kw("INTO")?;
            false
        };
        let target = self.object_name("a table name")?;
        if self.at_kw("PARTITION") {
            self.pos += 1;
            self.expect_punct("(")?;
            self.skip_expr(&[]);
            self.expect_punct(")")?;
        }
        let mut columns = None;
        let query_in_parens = ["SELECT", "WITH", "VALUES"].iter().any(|k| self.at_kw_n(1, k));
        if self.at_punct("(") && !query_in_parens {
            self.pos += 1;
            let mut cols = vec![self.ident("a column name")?];
            while self.eat_punct(",").is_some() {
                cols.push(self.ident("a column name")?);
            }
            self.expect_punct(")")?;
            columns = Some(cols);
        }
        let select = if self.at_kw("SELECT") { Some(self.select()?) } else { None };
        self.skip_statement();
        Ok(Insert {
            span: start.join(self.prev_span()),
            target,
            columns,
            select,
            overwrite,
            terminated: false,
        })
    }

    fn select(&mut self) -> PResult<Select> {
        let start = self.expect_kw("SELECT")?;
        if self.eat_kw("DISTINCT").is_none() {
            self.eat_kw("ALL");
        }
        let mut items = Vec::new();
        loop {
            items.push(self.select_item()?);
            if self.eat_punct(",").is_none() {
                break;
            }
        }
        let mut from = None;
        let mut from_is_simple = false;
        if self.eat_kw("FROM").is_some()
            && (self.at_kind(TokenKind::Word) || self.at_kind(TokenKind::QuotedIdent))
        {
            from = Some(self.object_name("a table name")?);
            // An alias, then anything but a clause keyword means a join or a list.
            if self.eat_kw("AS").is_some() || self.at_alias() {
                self.pos += 1;
            }
            from_is_simple = self.at_statement_end()
                || self.at_punct(")")
                || ["WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "WINDOW", "UNION", "QUALIFY"]
                    .iter()
                    .any(|k| self.at_kw(k));
        }
        self.skip_statement();
        Ok(Select { span: start.join(self.prev_span()), items, from, from_is_simple })
    }

    /// Whether the current token is an implicit alias (a word that is not a clause keyword).
    fn at_alias(&self) -> bool {
        const CLAUSES: &[&str] = &[
            "WHERE",
            "GROUP",
            "HAVING",
            "ORDER",
            "LIMIT",
            "WINDOW",
            "UNION",
            "JOIN",
            "LEFT",
            "RIGHT",
            "FULL",
            "INNER",
            "CROSS",
            "ON",
            "FROM",
            "AS",
            "QUALIFY",
            "END",
            "FOR",
            "NATURAL",
            "OFFSET",
            "FETCH",
            "EXCEPT",
            "INTERSECT",
            "MINUS",
            "LATERAL",
        ];
        self.peek().is_some_and(|t| {
            t.kind == TokenKind::QuotedIdent
                || (t.kind == TokenKind::Word && !CLAUSES.iter().any(|k| self.is_kw(t, k)))
        })
    }

    fn select_item(&mut self) -> PResult<SelectItem> {
        let start = self.here();
        if let Some(star) = self.eat_punct("*") {
            return Ok(SelectItem::Wildcard { qualifier: None, span: star });
        }
        // `t.*`
        let save = (self.pos, self.findings.len());
        if let Ok(q) = self.object_name("a name") {
            if self.at_punct(".") && self.at_punct_n(1, "*") {
                self.pos += 2;
                return Ok(SelectItem::Wildcard {
                    qualifier: Some(q),
                    span: start.join(self.prev_span()),
                });
            }
        }
        self.pos = save.0;
        self.findings.truncate(save.1);
        let first = self.pos;
        let expr = self.skip_expr(&["FROM", "AS"]);
        if expr.is_empty() {
            return Err(self.unexpected("a select expression"));
        }
        let expr_end = self.pos;
        let mut alias = None;
        if self.eat_kw("AS").is_some() {
            alias = Some(self.ident("an alias")?);
        } else if expr_end - first >= 2 && {
            let last = self.toks[expr_end - 1];
            let before = self.toks[expr_end - 2];
            matches!(last.kind, TokenKind::Word | TokenKind::QuotedIdent)
                && !(before.kind == TokenKind::Punct && self.text(&before) != ")")
                && !["END", "NULL", "TRUE", "FALSE"].iter().any(|k| self.is_kw(&last, k))
        } {
            let t = self.toks[expr_end - 1];
            alias = Some(Ident {
                value: if t.kind == TokenKind::QuotedIdent {
                    unquote(self.text(&t))
                } else {
                    self.text(&t).to_string()
                },
                span: t.span,
                quoted: t.kind == TokenKind::QuotedIdent,
            });
        }
        let expr_tokens_end =
            if alias.is_some() && self.pos == expr_end { expr_end - 1 } else { expr_end };
        let (column, cast) = self.classify_expr(first, expr_tokens_end);
        Ok(SelectItem::Expr { span: start.join(self.prev_span()), column, cast, alias })
    }

    /// Recognises a bare column reference or a `CAST(... AS type)` in tokens `[from, to)`.
    fn classify_expr(&mut self, from: usize, to: usize) -> (Option<ObjectName>, Option<DataType>) {
        let save = (self.pos, self.findings.len());
        let mut column = None;
        let mut cast = None;
        self.pos = from;
        if let Ok(name) = self.object_name("") {
            if self.pos == to {
                column = Some(name);
            }
        }
        self.pos = from;
        if (self.at_kw("CAST") || self.at_kw("TRY_CAST")) && self.at_punct_n(1, "(") {
            self.pos += 2;
            self.skip_expr(&["AS"]);
            if self.eat_kw("AS").is_some() {
                if let Ok(t) = self.data_type() {
                    if self.eat_punct(")").is_some() && self.pos == to {
                        cast = Some(t);
                    }
                }
            }
        }
        self.pos = save.0;
        self.findings.truncate(save.1);
        (column, cast)
    }

    /// `SET 'key' = 'value'` (or unquoted, as the SQL client also accepts); `SET` alone lists.
    pub(super) fn set(&mut self, start: Span) -> SetStatement {
        self.pos += 1;
        let mut key = String::new();
        let mut value = String::new();
        let mut in_value = false;
        while !self.at_statement_end() {
            let t = self.bump().expect("not at end");
            if !in_value && self.is_punct(&t, "=") {
                in_value = true;
                continue;
            }
            let text = if t.kind == TokenKind::Str {
                unquote(self.text(&t))
            } else {
                self.text(&t).to_string()
            };
            if in_value {
                value.push_str(&text)
            } else {
                key.push_str(&text)
            }
        }
        SetStatement { key, value, span: start.join(self.prev_span()) }
    }
}
