//! Source text with byte spans, turned into `file:line:col` and rustc-like snippets at the edge.
//!
//! Every layer that reads user files (scenarios, SQL) keeps byte spans into a [`SourceFile`]; only
//! this module converts them into line/column numbers and renders them (through miette).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// A half-open byte range `[start, end)` into a [`SourceFile`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end: end.max(start) }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// This span moved `offset` bytes to the right (for text embedded in a larger file).
    pub fn shifted(self, offset: usize) -> Span {
        Span::new(self.start + offset, self.end + offset)
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start, s.len()).into()
    }
}

/// A 1-based line and column (column counted in characters, as editors do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// A named text: a scenario file, a SQL file, or SQL embedded in a scenario.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: Arc<str>,
    text: Arc<str>,
    line_starts: Arc<[usize]>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text: String = text.into();
        let line_starts: Vec<usize> =
            std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        SourceFile {
            name: Arc::from(name.into()),
            text: Arc::from(text),
            line_starts: Arc::from(line_starts),
        }
    }

    /// Reads a file; the name shown to users is the path as given.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Ok(SourceFile::new(path.display().to_string(), text))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text under a span (clamped to the text and to char boundaries).
    pub fn slice(&self, span: Span) -> &str {
        let start = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let end = floor_char_boundary(&self.text, span.end.min(self.text.len())).max(start);
        &self.text[start..end]
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line_index];
        let column = self.text[line_start..offset].chars().count() + 1;
        LineCol { line: line_index + 1, column }
    }

    /// `name:line:col` of a span's start, the form editors and CI logs link.
    pub fn location(&self, span: Span) -> String {
        let lc = self.line_col(span.start);
        format!("{}:{}:{}", self.name, lc.line, lc.column)
    }

    /// The source in the form miette renders snippets from.
    /// The source in the form miette renders snippets from, every secret in it masked (a
    /// snippet may span a `password` option).
    pub fn to_named_source(&self) -> miette::NamedSource<String> {
        miette::NamedSource::new(&self.name, crate::secret::Redactor::default().mask(&self.text))
    }

    /// The longest line a span touches, in bytes.
    fn widest_line(&self, span: Span) -> usize {
        let first = self.line_col(span.start).line - 1;
        let last = self.line_col(span.end).line - 1;
        (first..=last)
            .map(|i| {
                let start = self.line_starts[i];
                let end = self.line_starts.get(i + 1).copied().unwrap_or(self.text.len());
                end - start
            })
            .max()
            .unwrap_or(0)
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Lines longer than this (in bytes) are shown as an excerpt, not a snippet.
const MAX_SNIPPET_LINE: usize = 4096;
/// Bytes of context either side of a span in an excerpt.
const EXCERPT_CONTEXT: usize = 80;

/// How bad a finding is. Errors make commands exit non-zero; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in a source file, with a short hint on how to fix it.
///
/// The single diagnostic type shared by the scenario reader and the SQL linter, so both render
/// and serialise the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// A stable rule identifier such as `syntax/missing-comma` or `scenario/unknown-field`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// A label shown under the span; defaults to the message when empty.
    pub label: String,
    pub help: Option<String>,
}

impl Finding {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            label: String::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Finding { severity: Severity::Warning, ..Finding::error(code, span, message) }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Renders the finding rustc-style (`error[code]: message`, `--> file:line:col`, snippet, help).
    /// Secrets in the snippet are masked. Lines too long for a snippet (miette cannot draw past
    /// column 65,535, and nobody reads a 70 KB line) get an excerpt around the span instead.
    pub fn render(&self, source: &SourceFile, color: bool) -> String {
        if source.widest_line(self.span) > MAX_SNIPPET_LINE {
            return self.render_excerpt(source);
        }
        let report = miette::Report::new(self.to_miette(source));
        let handler = miette::GraphicalReportHandler::new_themed(if color {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        })
        .with_width(100);
        let mut out = String::new();
        let _ = handler.render_report(&mut out, report.as_ref());
        format!("{} {}\n{}", self.severity_word(), source.location(self.span), out)
    }

    /// Every finding of one file rendered, then `error: <summary>` (what a file's error shows).
    pub fn render_all(
        findings: &[Finding],
        source: &SourceFile,
        summary: &str,
        color: bool,
    ) -> String {
        let mut out: String =
            findings.iter().map(|f| format!("{}\n", f.render(source, color))).collect();
        out.push_str(&format!("error: {summary}\n"));
        out
    }

    /// The plain rendering for spans on very long lines: the message, a window of the line
    /// around the span (masked) with a caret under it, the help.
    fn render_excerpt(&self, source: &SourceFile) -> String {
        let masked = crate::secret::Redactor::default().mask(source.text());
        let start = floor_char_boundary(&masked, self.span.start.min(masked.len()));
        let line_start = masked[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = masked[start..].find('\n').map_or(masked.len(), |i| start + i);
        let from =
            floor_char_boundary(&masked, start.saturating_sub(EXCERPT_CONTEXT).max(line_start));
        let to = floor_char_boundary(&masked, (start + EXCERPT_CONTEXT).min(line_end));
        let window = &masked[from..to];
        let caret = " ".repeat(masked[from..start].chars().count() + 4);
        let label = if self.label.is_empty() { &self.message } else { &self.label };
        let mut out = format!(
            "{} {}\n  × [{}] {}\n  (a line of {} bytes: showing bytes {from} to {to} of it)\n  ... {window} ...\n{caret}^ {label}\n",
            self.severity_word(),
            source.location(self.span),
            self.code,
            self.message,
            line_end - line_start,
        );
        if let Some(help) = &self.help {
            out.push_str(&format!("  help: {help}\n"));
        }
        out
    }

    fn severity_word(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    /// The finding as a miette diagnostic bound to its source.
    pub fn to_miette(&self, source: &SourceFile) -> FindingDiagnostic {
        FindingDiagnostic {
            message: format!("[{}] {}", self.code, self.message),
            severity: match self.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            source_code: source.to_named_source(),
            label: if self.label.is_empty() { self.message.clone() } else { self.label.clone() },
            span: self.span,
            help: self.help.clone(),
        }
    }

    /// A JSON object with the location as line/column, for `--format json` and reports.
    pub fn to_json(&self, source: &SourceFile) -> serde_json::Value {
        let start = source.line_col(self.span.start);
        let end = source.line_col(self.span.end);
        serde_json::json!({
            "file": source.name(),
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "line": start.line,
            "column": start.column,
            "end_line": end.line,
            "end_column": end.column,
            "help": self.help,
        })
    }
}

/// [`Finding`] adapted to miette's renderer.
#[derive(Debug)]
pub struct FindingDiagnostic {
    message: String,
    severity: miette::Severity,
    source_code: miette::NamedSource<String>,
    label: String,
    span: Span,
    help: Option<String>,
}

impl std::fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingDiagnostic {}

impl miette::Diagnostic for FindingDiagnostic {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source_code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(miette::LabeledSpan::new_with_span(
            Some(self.label.clone()),
            self.span,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_characters() {
        let src = SourceFile::new("a.sql", "ab\nçd\n\nx");
        assert_eq!(src.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(src.line_col(3), LineCol { line: 2, column: 1 });
        // 'ç' is two bytes: the byte after it is character column 2.
        assert_eq!(src.line_col(5), LineCol { line: 2, column: 2 });
        assert_eq!(src.line_col(8), LineCol { line: 4, column: 1 });
        assert_eq!(src.location(Span::new(8, 9)), "a.sql:4:1");
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_character_are_clamped() {
        let src = SourceFile::new("a", "é");
        assert_eq!(src.line_col(1), LineCol { line: 1, column: 1 });
        assert_eq!(src.line_col(99), LineCol { line: 1, column: 2 });
        // A span starting inside a character widens to the whole character.
        assert_eq!(src.slice(Span::new(1, 99)), "é");
    }

    #[test]
    fn findings_on_very_long_lines_render_an_excerpt() {
        let text = format!("{}'passwd' = 'hunter2', bad", "x".repeat(70_000));
        let src = SourceFile::new("t.sql", text.as_str());
        let at = text.len() - 3;
        let f = Finding::error("syntax/demo", Span::new(at, at + 3), "bad").with_help("fix");
        let out = f.render(&src, false);
        assert!(out.starts_with("error t.sql:1:70023"), "{out}");
        assert!(out.contains("bad") && out.contains("help: fix"), "{out}");
        assert!(!out.contains("hunter2"), "{out}");
        assert!(out.len() < 1000, "{out}");
    }

    #[test]
    fn snippets_mask_secrets() {
        let src = SourceFile::new("t.sql", "WITH ('password' = 'hunter2', 'x' = 'y')");
        let f = Finding::error("a/b", Span::new(6, 40), "wide");
        let out = f.render(&src, false);
        assert!(!out.contains("hunter2"), "{out}");
        assert!(out.contains("'password' = '*******'"), "{out}");
    }

    #[test]
    fn rendering_names_file_line_code_and_help() {
        let src = SourceFile::new("t.sql", "SELECT 1\nFROM x");
        let f = Finding::error("syntax/demo", Span::new(9, 13), "bad from").with_help("remove it");
        let out = f.render(&src, false);
        assert!(out.starts_with("error t.sql:2:1"), "{out}");
        assert!(out.contains("[syntax/demo] bad from"), "{out}");
        assert!(out.contains("remove it"), "{out}");
        assert_eq!(f.to_json(&src)["line"], 2);
    }
}
