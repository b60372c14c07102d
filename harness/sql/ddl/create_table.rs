//! `CREATE TABLE`: columns (physical, computed, metadata), primary keys, watermarks and the
//! WITH option list, recovering inside each list.

use super::ast::*;
use super::cursor::{Abort, Cursor, PResult};
use super::lexer::{unquote, TokenKind};
use crate::diagnostics::{Finding, Span};

impl Cursor<'_> {
    pub(super) fn create_table(&mut self, start: Span, temporary: bool) -> PResult<CreateTable> {
        let if_not_exists = self.eat_kws(&["IF", "NOT", "EXISTS"]).is_some();
        let name = self.object_name("a table name")?;
        let mut table = CreateTable {
            span: start,
            name,
            if_not_exists,
            temporary,
            columns: Vec::new(),
            primary_key: None,
            watermark: None,
            options: Vec::new(),
            with_span: None,
            terminated: false,
            like: None,
            as_select: false,
        };
        if self.at_punct("(") {
            self.table_elements(&mut table);
        }
        loop {
            if self.eat_kw("COMMENT").is_some() {
                if self.at_kind(TokenKind::Str) {
                    self.pos += 1;
                }
            } else if self.at_kw("PARTITIONED") || self.at_kw("DISTRIBUTED") {
                self.skip_expr(&["WITH", "LIKE", "AS", "PARTITIONED", "DISTRIBUTED"]);
            } else if self.at_kw("WITH") && self.at_punct_n(1, "(") {
                let with = self.here();
                self.pos += 1;
                self.options(&mut table);
                table.with_span = Some(with.join(self.prev_span()));
            } else if self.eat_kw("LIKE").is_some() {
                table.like = Some(self.object_name("a table name")?);
                if self.at_punct("(") {
                    self.pos += 1;
                    self.skip_expr(&[]);
                    self.expect_punct(")")?;
                }
            } else if self.eat_kw("AS").is_some() {
                table.as_select = true;
                self.skip_statement();
            } else if self.eat_punct(")").is_some() {
                // A stray `)`: the balance check reports it; the options after it still count.
            } else {
                break;
            }
        }
        table.span = start.join(self.prev_span());
        Ok(table)
    }

    /// `( column, ..., PRIMARY KEY (...), WATERMARK FOR ... )`.
    fn table_elements(&mut self, table: &mut CreateTable) {
        self.pos += 1; // `(`
        let mut last_comma: Option<Span> = None;
        loop {
            if self.eat_punct(")").is_some() {
                if let Some(comma) = last_comma {
                    self.trailing_comma(comma, "column list");
                }
                return;
            }
            // A missing `)` is reported by the parenthesis balance check.
            if self.at_statement_end() || (self.at_kw("WITH") && self.at_punct_n(1, "(")) {
                return;
            }
            let before = self.pos;
            if self.table_element(table).is_err() {
                self.skip_expr(&[]);
            }
            if let Some(comma) = self.eat_punct(",") {
                last_comma = Some(comma);
                continue;
            }
            last_comma = None;
            if self.at_punct(")") || self.at_statement_end() || self.at_kw("WITH") {
                continue;
            }
            if matches!(self.peek().map(|t| t.kind), Some(TokenKind::Word | TokenKind::QuotedIdent))
            {
                self.missing_comma(self.prev_span(), "between two column definitions");
            } else {
                let _ = self.unexpected("`,` or `)`");
                self.pos += 1;
                self.skip_expr(&[]);
            }
            if self.pos == before {
                self.pos += 1;
            }
        }
    }

    fn table_element(&mut self, table: &mut CreateTable) -> PResult<()> {
        let start = self.here();
        if self.at_kw("PRIMARY") || (self.at_kw("CONSTRAINT") && !self.at_punct_n(1, ",")) {
            let pk = self.primary_key(start, None)?;
            self.set_primary_key(table, pk);
            return Ok(());
        }
        if self.at_kw("WATERMARK") && self.at_kw_n(1, "FOR") {
            self.pos += 2;
            self.ident("a column name")?;
            self.expect_kw("AS")?;
            let expr = self.skip_expr(&[]);
            if expr.is_empty() {
                return Err(self.unexpected("a watermark expression"));
            }
            table.watermark = Some(start.join(expr));
            return Ok(());
        }
        let name = self.ident("a column name")?;
        if self.eat_kw("AS").is_some() {
            let expr = self.skip_expr(&["COMMENT"]);
            if expr.is_empty() {
                return Err(self.unexpected("an expression"));
            }
            self.column_comment();
            table.columns.push(ColumnDef {
                data_type: DataType { text: String::new(), span: name.span },
                kind: ColumnKind::Computed { expr },
                not_null: false,
                span: start.join(self.prev_span()),
                name,
            });
            return Ok(());
        }
        let data_type = self.data_type()?;
        let mut column =
            ColumnDef { name, data_type, kind: ColumnKind::Physical, not_null: false, span: start };
        loop {
            let here = self.here();
            if self.eat_kw("METADATA").is_some() {
                let key = if self.eat_kw("FROM").is_some() {
                    match self.peek() {
                        Some(t) if t.kind == TokenKind::Str => {
                            let t = *t;
                            self.pos += 1;
                            Some(unquote(self.text(&t)))
                        }
                        _ => return Err(self.unexpected("a metadata key string")),
                    }
                } else {
                    None
                };
                let is_virtual = self.eat_kw("VIRTUAL").is_some();
                column.kind = ColumnKind::Metadata { key, is_virtual };
            } else if self.at_kw("PRIMARY") || self.at_kw("CONSTRAINT") {
                let pk = self.primary_key(here, Some(&column.name))?;
                self.set_primary_key(table, pk);
            } else if self.eat_kws(&["NOT", "NULL"]).is_some() {
                column.not_null = true;
            } else if self.eat_kw("NULL").is_some() {
                column.not_null = false;
            } else if !self.column_comment() {
                break;
            }
        }
        column.span = start.join(self.prev_span());
        table.columns.push(column);
        Ok(())
    }

    fn column_comment(&mut self) -> bool {
        if self.at_kw("COMMENT") && self.peek_at(1).is_some_and(|t| t.kind == TokenKind::Str) {
            self.pos += 2;
            true
        } else {
            false
        }
    }

    /// `[CONSTRAINT name] PRIMARY KEY [(cols)] [NOT ENFORCED]`; the column list is absent when
    /// the key is written on a column (`inline_column`).
    fn primary_key(&mut self, start: Span, inline_column: Option<&Ident>) -> PResult<PrimaryKey> {
        if self.eat_kw("CONSTRAINT").is_some() {
            self.ident("a constraint name")?;
        }
        self.expect_kw("PRIMARY")?;
        self.expect_kw("KEY")?;
        let columns = match inline_column {
            Some(c) => vec![c.clone()],
            None => {
                self.expect_punct("(")?;
                let mut cols = vec![self.ident("a column name")?];
                while self.eat_punct(",").is_some() {
                    cols.push(self.ident("a column name")?);
                }
                self.expect_punct(")")?;
                cols
            }
        };
        let not_enforced = self.eat_kws(&["NOT", "ENFORCED"]).is_some();
        Ok(PrimaryKey {
            columns,
            not_enforced,
            span: start.join(self.prev_span()),
            inline: inline_column.is_some(),
        })
    }

    fn set_primary_key(&mut self, table: &mut CreateTable, pk: PrimaryKey) {
        if table.primary_key.is_some() {
            self.findings.push(
                Finding::error(
                    "table/multiple-primary-keys",
                    pk.span,
                    "a table can have only one primary key",
                )
                .with_help("declare the key once, e.g. `PRIMARY KEY (a, b) NOT ENFORCED`"),
            );
        } else {
            table.primary_key = Some(pk);
        }
    }

    /// `( 'key' = 'value', ... )` after `WITH`.
    fn options(&mut self, table: &mut CreateTable) {
        self.in_options = true;
        self.option_list(table);
        self.in_options = false;
    }

    fn option_list(&mut self, table: &mut CreateTable) {
        self.pos += 1; // `(`
        let mut last_comma: Option<Span> = None;
        loop {
            if self.eat_punct(")").is_some() {
                if let Some(comma) = last_comma {
                    self.trailing_comma(comma, "option list");
                }
                return;
            }
            if self.at_statement_end() {
                return; // the balance check reports the missing `)`
            }
            let before = self.pos;
            match self.option() {
                Ok(o) => table.options.push(o),
                Err(Abort) => {
                    self.skip_expr(&[]);
                }
            }
            if let Some(comma) = self.eat_punct(",") {
                last_comma = Some(comma);
                continue;
            }
            last_comma = None;
            if self.at_punct(")") || self.at_statement_end() {
                continue;
            }
            if self.at_kind(TokenKind::Str) {
                // Adjacent string literals are a missing comma: `'a' = 'b' 'c' = 'd'`.
                self.missing_comma(self.prev_span(), "between two options");
            } else {
                let _ = self.unexpected("`,` or `)`");
                self.pos += 1;
                self.skip_expr(&[]);
            }
            if self.pos == before {
                self.pos += 1;
            }
        }
    }

    fn option(&mut self) -> PResult<TableOption> {
        let (key, key_span) = self.option_literal("key")?;
        if self.eat_punct("=").is_none() {
            return Err(self.unexpected("`=` between the option key and its value"));
        }
        let (value, value_span) = self.option_literal("value")?;
        Ok(TableOption { key, key_span, value, value_span })
    }

    /// An option key or value: a string literal. Unquoted words and numbers are accepted with a
    /// finding, so the linter still checks the option.
    fn option_literal(&mut self, what: &str) -> PResult<(String, Span)> {
        let Some(t) = self.peek().copied() else {
            return Err(self.unexpected(&format!("an option {what}")));
        };
        match t.kind {
            TokenKind::DoubleQuoted => {
                // The lexer reported the quotes; the option is still worth checking.
                self.pos += 1;
                Ok((unquote(self.text(&t)), t.span))
            }
            TokenKind::Str => {
                self.pos += 1;
                let value = unquote(self.text(&t));
                if !t.unterminated && value.contains('\n') {
                    self.findings.push(
                        Finding::error(
                            "syntax/unbalanced-quote",
                            t.span,
                            format!("this option {what} spans several lines: a quote is probably missing"),
                        )
                        .with_label("string literal runs across a line break")
                        .with_help("check the quotes around this option"),
                    );
                }
                Ok((value, t.span))
            }
            TokenKind::Word | TokenKind::Number | TokenKind::QuotedIdent => {
                // A dotted key such as scan.startup.mode written without quotes.
                let start = t.span;
                self.pos += 1;
                while self.at_punct(".")
                    && self
                        .peek_at(1)
                        .is_some_and(|n| matches!(n.kind, TokenKind::Word | TokenKind::Number))
                {
                    self.pos += 2;
                }
                let span = start.join(self.prev_span());
                let text = self.src[span.start..span.end].to_string();
                let shown = if what == "key" { format!(" `{text}`") } else { String::new() };
                self.findings.push(
                    Finding::error(
                        "syntax/option-not-quoted",
                        span,
                        format!("option {what}{shown} must be a string literal in single quotes"),
                    )
                    .with_label("not quoted")
                    .with_help(format!("write the {what} in single quotes")),
                );
                Ok((text, span))
            }
            _ => Err(self.unexpected(&format!("an option {what} in single quotes"))),
        }
    }

    fn trailing_comma(&mut self, comma: Span, list: &str) {
        self.findings.push(
            Finding::error(
                "syntax/trailing-comma",
                comma,
                format!("trailing comma before the `)` closing the {list}"),
            )
            .with_label("remove this comma")
            .with_help("Flink rejects a comma after the last item of a list"),
        );
    }

    fn missing_comma(&mut self, after: Span, between: &str) {
        self.findings.push(
            Finding::error(
                "syntax/missing-comma",
                Span::new(after.end, after.end),
                format!("missing comma {between}"),
            )
            .with_label("expected `,` here")
            .with_help("separate the items with `,`"),
        );
    }
}
