//! Recursive-descent parser for the statements connector DDL is made of, with recovery: a
//! syntax error inside a column or option list skips to the next `,`, one inside a statement
//! skips to the next `;`, so one file yields every finding at once. This file splits the script
//! into statements; `create_table.rs` and `query.rs` parse them.

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

    pub(super) fn object_name(&mut self, what: &str) -> PResult<ObjectName> {
        let mut parts = vec![self.ident(what)?];
        while self.at_punct(".") && !self.at_punct_n(1, "*") {
            self.pos += 1;
            parts.push(self.ident(what)?);
        }
        let span = parts[0].span.join(parts[parts.len() - 1].span);
        Ok(ObjectName { parts, span })
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
