//! A parser for the Flink SQL that connector DDL is written in: `CREATE TABLE` (columns,
//! computed and metadata columns, `PRIMARY KEY ... NOT ENFORCED`, `WATERMARK`, `WITH` options),
//! `INSERT INTO ... SELECT` and `SET`, with exact byte spans and error recovery.
//!
//! Why not the `sqlparser` crate: (0.59, checked with its generic, Hive, BigQuery and MySQL
//! dialects) it rejects `WATERMARK FOR`, `METADATA FROM ... VIRTUAL`, computed columns
//! (`c AS expr`) and `ROW<...>` types, stops at the first error of a file, reports positions as
//! line/column rather than byte ranges, and (MySQL dialect) silently concatenates two adjacent
//! string literals, hiding the missing comma between two options that a linter must report.

mod ast;
mod create_table;
mod cursor;
mod lexer;
mod parser;
mod query;
mod types;

pub use ast::*;

use crate::diagnostics::{Finding, SourceFile, Span};
use cursor::Cursor;
use lexer::{Token, TokenKind};

/// What the parser made of a region: the statements it recognised and its syntax findings.
#[derive(Debug, Clone, Default)]
pub struct ParsedScript {
    pub statements: Vec<Statement>,
    pub findings: Vec<Finding>,
}

impl ParsedScript {
    pub fn tables(&self) -> impl Iterator<Item = &CreateTable> {
        self.statements.iter().filter_map(|s| match s {
            Statement::CreateTable(t) => Some(t),
            _ => None,
        })
    }

    pub fn inserts(&self) -> impl Iterator<Item = &Insert> {
        self.statements.iter().filter_map(|s| match s {
            Statement::Insert(i) => Some(i),
            _ => None,
        })
    }

    /// The last table declared with this name (compared case-sensitively on the last part, as
    /// Flink resolves names in the current catalog and database).
    pub fn table(&self, name: &ObjectName) -> Option<&CreateTable> {
        self.tables().filter(|t| t.name.base() == name.base()).last()
    }
}

/// Parses `source.slice(region)`. Never panics; every span is absolute in `source`.
pub fn parse(source: &SourceFile, region: Span) -> ParsedScript {
    let text = source.slice(region);
    // `slice` clamps the region to the text and to character boundaries: recover where it starts.
    let base = text.as_ptr() as usize - source.text().as_ptr() as usize;
    let mut findings = Vec::new();
    let toks = lexer::tokenize(text, base, &mut findings);
    let balance = check_parentheses(source.text(), &toks);
    let mut cursor = Cursor {
        src: source.text(),
        toks,
        pos: 0,
        findings,
        end: base + text.len(),
        in_options: false,
    };
    let statements = cursor.script();
    let mut findings = cursor.findings;
    // An unbalanced parenthesis also surprises the parser at the same token: say it once.
    findings.retain(|f| {
        f.code != "syntax/unexpected-token" || !balance.iter().any(|b| b.span.start == f.span.start)
    });
    findings.extend(balance);
    findings.sort_by_key(|f| (f.span.start, f.span.end));
    ParsedScript { statements, findings }
}

/// Reports each `(` never closed and each `)` never opened, per statement (a `;` or a line
/// starting with `CREATE`/`INSERT`/`EXECUTE` ends one, as in the parser).
fn check_parentheses(src: &str, toks: &[Token]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut open: Vec<Span> = Vec::new();
    let unclosed = |open: &mut Vec<Span>, findings: &mut Vec<Finding>| {
        for span in open.drain(..) {
            findings.push(
                Finding::error("syntax/unbalanced-parens", span, "this `(` is never closed")
                    .with_label("unclosed parenthesis")
                    .with_help("add the missing `)`"),
            );
        }
    };
    for t in toks {
        let text = &src[t.span.start..t.span.end];
        let is_word = |kw: &str| t.kind == TokenKind::Word && text.eq_ignore_ascii_case(kw);
        let statement_start =
            t.line_start && (is_word("CREATE") || is_word("INSERT") || is_word("EXECUTE"));
        if statement_start || (t.kind == TokenKind::Punct && text == ";") {
            unclosed(&mut open, &mut findings);
            continue;
        }
        if t.kind != TokenKind::Punct {
            continue;
        }
        match text {
            "(" => open.push(t.span),
            ")" if open.pop().is_none() => findings.push(
                Finding::error("syntax/unbalanced-parens", t.span, "this `)` closes nothing")
                    .with_label("unmatched parenthesis")
                    .with_help("remove it, or add the `(` it was meant to close"),
            ),
            _ => {}
        }
    }
    unclosed(&mut open, &mut findings);
    findings
}

#[cfg(test)]
mod tests;
