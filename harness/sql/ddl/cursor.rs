//! Token navigation shared by the statement and type parsers.

use super::lexer::{Token, TokenKind};
use crate::diagnostics::{Finding, Span};

/// A syntax error was recorded; the caller skips to a recovery point.
#[derive(Debug)]
pub(super) struct Abort;

pub(super) type PResult<T> = Result<T, Abort>;

/// Words that start a statement when they open a line: where recovery resumes even inside an
/// unclosed parenthesis (none of them can start a line inside a Flink table definition).
const LINE_START_RECOVERY: &[&str] = &["CREATE", "INSERT", "EXECUTE"];

pub(super) struct Cursor<'a> {
    /// The whole source file's text: token spans index into it.
    pub src: &'a str,
    pub toks: Vec<Token>,
    pub pos: usize,
    pub findings: Vec<Finding>,
    /// Absolute end of the parsed region, where "end of input" findings point.
    pub end: usize,
}

impl<'a> Cursor<'a> {
    pub fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    pub fn peek_at(&self, n: usize) -> Option<&Token> {
        self.toks.get(self.pos + n)
    }

    pub fn text(&self, t: &Token) -> &'a str {
        &self.src[t.span.start..t.span.end]
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub fn bump(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).copied();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    /// The span of the previous token (or an empty span at the region's end).
    pub fn prev_span(&self) -> Span {
        match self.pos.checked_sub(1).and_then(|i| self.toks.get(i)) {
            Some(t) => t.span,
            None => self.here(),
        }
    }

    /// The span of the current token, or an empty span at the end of input.
    pub fn here(&self) -> Span {
        self.peek().map_or(Span::new(self.end, self.end), |t| t.span)
    }

    pub fn is_kw(&self, t: &Token, kw: &str) -> bool {
        t.kind == TokenKind::Word && self.text(t).eq_ignore_ascii_case(kw)
    }

    pub fn at_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| self.is_kw(t, kw))
    }

    pub fn at_kw_n(&self, n: usize, kw: &str) -> bool {
        self.peek_at(n).is_some_and(|t| self.is_kw(t, kw))
    }

    pub fn eat_kw(&mut self, kw: &str) -> Option<Span> {
        if self.at_kw(kw) {
            self.bump().map(|t| t.span)
        } else {
            None
        }
    }

    /// Eats the keywords in order, all or nothing.
    pub fn eat_kws(&mut self, kws: &[&str]) -> Option<Span> {
        if kws.iter().enumerate().all(|(i, kw)| self.at_kw_n(i, kw)) {
            let start = self.here();
            self.pos += kws.len();
            Some(start.join(self.prev_span()))
        } else {
            None
        }
    }

    pub fn is_punct(&self, t: &Token, p: &str) -> bool {
        t.kind == TokenKind::Punct && self.text(t) == p
    }

    pub fn at_punct(&self, p: &str) -> bool {
        self.peek().is_some_and(|t| self.is_punct(t, p))
    }

    pub fn at_punct_n(&self, n: usize, p: &str) -> bool {
        self.peek_at(n).is_some_and(|t| self.is_punct(t, p))
    }

    pub fn eat_punct(&mut self, p: &str) -> Option<Span> {
        if self.at_punct(p) {
            self.bump().map(|t| t.span)
        } else {
            None
        }
    }

    pub fn at_kind(&self, kind: TokenKind) -> bool {
        self.peek().is_some_and(|t| t.kind == kind)
    }

    /// Whether the current token starts a new statement on a new line: the parser stops lists
    /// and expressions there, so a missing `)` or `;` does not swallow the next statement.
    pub fn at_recovery_point(&self) -> bool {
        self.peek()
            .is_some_and(|t| t.line_start && LINE_START_RECOVERY.iter().any(|kw| self.is_kw(t, kw)))
    }

    /// End of a statement: `;`, end of input or a recovery point.
    pub fn at_statement_end(&self) -> bool {
        self.at_end() || self.at_punct(";") || self.at_recovery_point()
    }

    /// Records "expected X, found Y" at the current token.
    pub fn unexpected(&mut self, expected: &str) -> Abort {
        let span = self.here();
        let found = match self.peek() {
            Some(t) => describe(self.text(t)),
            None => "end of input".to_string(),
        };
        self.findings.push(
            Finding::error(
                "syntax/unexpected-token",
                span,
                format!("expected {expected}, found {found}"),
            )
            .with_label(format!("expected {expected}")),
        );
        Abort
    }

    pub fn expect_punct(&mut self, p: &str) -> PResult<Span> {
        match self.eat_punct(p) {
            Some(s) => Ok(s),
            None => Err(self.unexpected(&format!("`{p}`"))),
        }
    }

    pub fn expect_kw(&mut self, kw: &str) -> PResult<Span> {
        match self.eat_kw(kw) {
            Some(s) => Ok(s),
            None => Err(self.unexpected(&format!("`{kw}`"))),
        }
    }

    /// Skips tokens up to (not including) a `,` or `)` at this nesting level, a statement end, or
    /// one of the stop words at this level; returns the span skipped (empty when nothing was).
    pub fn skip_expr(&mut self, stop_words: &[&str]) -> Span {
        let start = self.here();
        let first = self.pos;
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            if self.at_statement_end() {
                break;
            }
            let text = self.text(t);
            if t.kind == TokenKind::Punct {
                match text {
                    "(" | "[" => depth += 1,
                    ")" | "]" if depth == 0 => break,
                    ")" | "]" => depth -= 1,
                    "," if depth == 0 => break,
                    _ => {}
                }
            } else if depth == 0 && stop_words.iter().any(|w| self.is_kw(t, w)) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == first {
            Span::new(start.start, start.start)
        } else {
            start.join(self.prev_span())
        }
    }

    /// Skips to the end of the statement (not consuming the `;`).
    pub fn skip_statement(&mut self) {
        while !self.at_statement_end() {
            self.pos += 1;
        }
    }
}

/// A token as shown in "found ..." messages, cut short. String literals are not shown: one may
/// be a password.
pub(super) fn describe(text: &str) -> String {
    if text.starts_with('\'') {
        return "a string literal".to_string();
    }
    let mut shown: String = text.chars().take(30).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("`{shown}`")
}
