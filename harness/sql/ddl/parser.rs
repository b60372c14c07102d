//! Recursive-descent parser for the statements connector DDL is made of, with recovery: a
//! syntax error inside a column or option list skips to the next `,`, one inside a statement
//! skips to the next `;`, so one file yields every finding at once.

use super::ast::*;
use super::cursor::{Abort, Cursor, PResult};
use super::lexer::{unquote, TokenKind};
use crate::diagnostics::{Finding, Span};

/// What a statement needs after it: a `;`, or nothing (`EXECUTE STATEMENT SET BEGIN`).
enum Terminator {
    Semicolon,
    None,
}

impl Cursor<'_> {
    pub(super) fn script(&mut self) -> Vec<Statement> {
        let mut statements = Vec::new();
        while !self.at_end() {
            if self.eat_punct(";").is_some() {
                continue;
            }
            let start = self.pos;
            let start_span = self.here();
            let (mut stmt, terminator) = match self.statement() {
                Ok(s) => s,
                Err(Abort) => {
                    self.skip_statement();
                    let span = start_span.join(self.prev_span());
                    (Statement::Other { span }, Terminator::Semicolon)
                }
            };
            if matches!(terminator, Terminator::Semicolon) {
                self.terminate(&mut stmt);
            }
            if self.pos == start {
                self.pos += 1; // cannot happen; guards against an endless loop all the same
            }
            statements.push(stmt);
        }
        statements
    }

    /// Eats the `;` after a statement, or reports what stands in its place.
    fn terminate(&mut self, stmt: &mut Statement) {
        if !self.at_statement_end() {
            let _ = self.unexpected("`;`");
            self.skip_statement();
            extend(stmt, self.prev_span());
        }
        let terminated = match self.eat_punct(";") {
            Some(semi) => {
                extend(stmt, semi);
                true
            }
            None if self.at_end() => false,
            None => {
                let last = stmt.span();
                self.findings.push(
                    Finding::error(
                        "syntax/unterminated-statement",
                        Span::new(last.end, last.end),
                        "this statement is not terminated: the next one starts here without a `;`",
                    )
                    .with_label("expected `;` here")
                    .with_help("end each statement with `;`"),
                );
                false
            }
        };
        match stmt {
            Statement::CreateTable(t) => t.terminated = terminated,
            Statement::Insert(i) => i.terminated = terminated,
            _ => {}
        }
    }

    fn statement(&mut self) -> PResult<(Statement, Terminator)> {
        let start = self.here();
        if self.at_kw("CREATE") {
            let temporary = self.at_kw_n(1, "TEMPORARY");
            let table_at = if temporary { 2 } else { 1 };
            if self.at_kw_n(table_at, "TABLE") {
                self.pos += table_at + 1;
                let table = self.create_table(start, temporary)?;
                return Ok((Statement::CreateTable(table), Terminator::Semicolon));
            }
        } else if self.at_kw("INSERT") || (self.at_kw("EXECUTE") && self.at_kw_n(1, "INSERT")) {
            self.eat_kw("EXECUTE");
            let insert = self.insert(start)?;
            return Ok((Statement::Insert(insert), Terminator::Semicolon));
        } else if self.at_kw("SET") {
            return Ok((Statement::Set(self.set(start)), Terminator::Semicolon));
        } else if let Some(s) = self.eat_kws(&["EXECUTE", "STATEMENT", "SET", "BEGIN"]) {
            return Ok((Statement::Other { span: s }, Terminator::None));
        }
        // Anything else runs to its `;` unexamined; its first token is consumed so that a
        // stray word at a recovery point still makes progress.
        self.pos += 1;
        self.skip_statement();
        Ok((Statement::Other { span: start.join(self.prev_span()) }, Terminator::Semicolon))
    }

    pub(super) fn ident(&mut self, what: &str) -> PResult<Ident> {
        match self.peek() {
            Some(t) if t.kind == TokenKind::Word => {
                let t = *t;
                self.pos += 1;
                Ok(Ident { value: self.text(&t).to_string(), span: t.span, quoted: false })
            }
            Some(t) if t.kind == TokenKind::QuotedIdent => {
                let t = *t;
                self.pos += 1;
                Ok(Ident { value: unquote(self.text(&t)), span: t.span, quoted: true })
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn object_name(&mut self, what: &str) -> PResult<ObjectName> {
        let mut parts = vec![self.ident(what)?];
        while self.at_punct(".") && !self.at_punct_n(1, "*") {
            self.pos += 1;
            parts.push(self.ident(what)?);
        }
        let span = parts[0].span.join(parts[parts.len() - 1].span);
        Ok(ObjectName { parts, span })
    }

    fn create_table(&mut self, start: Span, temporary: bool) -> PResult<CreateTable> {
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

    fn insert(&mut self, start: Span) -> PResult<Insert> {
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
    fn set(&mut self, start: Span) -> SetStatement {
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

fn extend(stmt: &mut Statement, to: Span) {
    match stmt {
        Statement::CreateTable(t) => t.span = t.span.join(to),
        Statement::Insert(i) => i.span = i.span.join(to),
        Statement::Set(s) => s.span = s.span.join(to),
        Statement::Other { span } => *span = span.join(to),
    }
}
