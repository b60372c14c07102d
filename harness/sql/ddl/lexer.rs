//! Splits Flink SQL into tokens with absolute byte spans.
//!
//! Never fails: an unterminated string, identifier or comment becomes a finding and the lexer
//! carries on, so one missing quote does not swallow the rest of the file.

use crate::diagnostics::{Finding, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An unquoted identifier or keyword.
    Word,
    /// A backquoted identifier.
    QuotedIdent,
    /// A single-quoted string literal (also `E'...'`-less plain SQL strings only).
    Str,
    Number,
    /// A double-quoted text, which Flink rejects (already reported by the lexer).
    DoubleQuoted,
    /// Punctuation and operators; the text tells which.
    Punct,
    /// A character no Flink SQL token starts with.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// Whether a line break separates this token from the previous one (statement recovery
    /// uses it: a `CREATE` at the start of a line most likely starts a new statement).
    pub line_start: bool,
    /// Whether the closing quote is missing (strings and quoted identifiers only).
    pub unterminated: bool,
}

/// Tokens of `text`, which starts at byte `base` of its source file; comments are dropped.
pub fn tokenize(text: &str, base: usize, findings: &mut Vec<Finding>) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::with_capacity(text.len() / 4);
    let mut i = 0;
    let mut line_start = true;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        let (kind, unterminated) = match b {
            b'\n' => {
                line_start = true;
                i += 1;
                continue;
            }
            _ if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = memchr_newline(bytes, i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                match find(bytes, i + 2, b"*/") {
                    Some(end) => {
                        line_start |= text[i..end].contains('\n');
                        i = end + 2;
                    }
                    None => {
                        findings.push(
                            Finding::error(
                                "syntax/unterminated-comment",
                                Span::new(base + i, base + i + 2),
                                "this block comment is never closed",
                            )
                            .with_help("close it with `*/`"),
                        );
                        i = bytes.len();
                    }
                }
                continue;
            }
            b'\'' | b'`' => {
                let (end, closed) = quoted(bytes, i, b);
                // A literal that runs across a line break straight into a word (`'jdbc,⏎ 'url'`)
                // is an unclosed quote whose "closing" quote opens the next literal.
                let runs_into_word = closed
                    && text[i..end].contains('\n')
                    && bytes.get(end).is_some_and(|&c| is_word_continue(c));
                if closed && !runs_into_word {
                    i = end;
                    (if b == b'\'' { TokenKind::Str } else { TokenKind::QuotedIdent }, false)
                } else {
                    // Recover at the end of the line the quote opened on: strings in DDL almost
                    // never span lines, and the rest of the file then still lexes.
                    let eol = memchr_newline(bytes, i);
                    let (what, fix) = if b == b'\'' {
                        ("string literal", "add the closing `'`")
                    } else {
                        ("quoted identifier", "add the closing backquote")
                    };
                    findings.push(
                        Finding::error(
                            "syntax/unbalanced-quote",
                            Span::new(base + i, base + i + 1),
                            format!("this {what} is never closed"),
                        )
                        .with_label("quote opened here")
                        .with_help(fix),
                    );
                    i = eol;
                    (if b == b'\'' { TokenKind::Str } else { TokenKind::QuotedIdent }, true)
                }
            }
            b'"' => {
                // Flink has no double-quoted identifiers; lex them as one token so the parser
                // can say so instead of tripping over the contents.
                let (end, closed) = quoted(bytes, i, b'"');
                let end = if closed { end } else { memchr_newline(bytes, i) };
                findings.push(
                    Finding::error(
                        "syntax/double-quotes",
                        Span::new(base + i, base + end),
                        "Flink SQL does not use double quotes",
                    )
                    .with_label("double-quoted")
                    .with_help("quote strings with single quotes ('...') and identifiers with backquotes (`...`)"),
                );
                i = end;
                (TokenKind::DoubleQuoted, !closed)
            }
            b'0'..=b'9' => {
                i = number_end(bytes, i);
                (TokenKind::Number, false)
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = number_end(bytes, i);
                (TokenKind::Number, false)
            }
            _ if is_word_start(b) => {
                i += 1;
                while i < bytes.len() && is_word_continue(bytes[i]) {
                    i += 1;
                }
                (TokenKind::Word, false)
            }
            _ => {
                let two = bytes.get(i..i + 2);
                let punct2 = matches!(
                    two,
                    Some(b"<=" | b">=" | b"<>" | b"!=" | b"||" | b"::" | b"=>" | b"->")
                );
                if punct2 {
                    i += 2;
                    (TokenKind::Punct, false)
                } else if b.is_ascii() {
                    i += 1;
                    let kind = if b"(),;.=<>+-*/%[]{}:?!|^&~".contains(&b) {
                        TokenKind::Punct
                    } else {
                        TokenKind::Unknown
                    };
                    (kind, false)
                } else {
                    i += utf8_len(b);
                    (TokenKind::Unknown, false)
                }
            }
        };
        tokens.push(Token {
            kind,
            span: Span::new(base + start, base + i.min(bytes.len())),
            line_start,
            unterminated,
        });
        line_start = false;
    }
    tokens
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$' || b >= 0x80
}

fn is_word_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Length of the UTF-8 sequence starting with `b` (1 for continuation bytes, to make progress).
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// End of a quoted token starting at `start` (a doubled quote is an escaped quote), and whether
/// the closing quote was found.
fn quoted(bytes: &[u8], start: usize, quote: u8) -> (usize, bool) {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return (i + 1, true);
        }
        i += 1;
    }
    (bytes.len(), false)
}

fn number_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'_')
    {
        // An exponent sign belongs to the number: 1e-3.
        if (bytes[i] == b'e' || bytes[i] == b'E') && matches!(bytes.get(i + 1), Some(b'-' | b'+')) {
            i += 1;
        }
        i += 1;
    }
    i
}

/// Index of the next newline at or after `i` (or the end).
fn memchr_newline(bytes: &[u8], i: usize) -> usize {
    bytes[i..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| i + p)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

/// The value of a string literal or quoted identifier token: quotes removed, doubled quotes undone.
pub fn unquote(token_text: &str) -> String {
    let Some(quote) = token_text.chars().next() else {
        return String::new();
    };
    let inner = &token_text[quote.len_utf8()..];
    let inner = inner.strip_suffix(quote).unwrap_or(inner);
    let doubled: String = [quote, quote].iter().collect();
    if inner.contains(&doubled) {
        inner.replace(&doubled, &quote.to_string())
    } else {
        inner.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, String)> {
        let mut f = Vec::new();
        tokenize(text, 0, &mut f)
            .into_iter()
            .map(|t| (t.kind, text[t.span.start..t.span.end].to_string()))
            .collect()
    }

    #[test]
    fn splits_words_strings_numbers_and_punctuation() {
        use TokenKind::*;
        let toks = kinds("CREATE `my``t` ('a''b' = 12.5e-3) <= -- comment\n/* x */ ;");
        assert_eq!(
            toks,
            vec![
                (Word, "CREATE".into()),
                (QuotedIdent, "`my``t`".into()),
                (Punct, "(".into()),
                (Str, "'a''b'".into()),
                (Punct, "=".into()),
                (Number, "12.5e-3".into()),
                (Punct, ")".into()),
                (Punct, "<=".into()),
                (Punct, ";".into()),
            ]
        );
        assert_eq!(unquote("'a''b'"), "a'b");
        assert_eq!(unquote("`my``t`"), "my`t");
    }

    #[test]
    fn spans_are_absolute() {
        let mut f = Vec::new();
        let toks = tokenize("x 'y'", 100, &mut f);
        assert_eq!(toks[1].span, Span::new(102, 105));
    }

    #[test]
    fn unterminated_string_is_reported_and_stops_at_end_of_line() {
        let mut f = Vec::new();
        let text = "'a' = 'b,\n'c' = 'd'";
        let toks = tokenize(text, 0, &mut f);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "syntax/unbalanced-quote");
        assert_eq!(f[0].span, Span::new(6, 7));
        assert!(toks[2].unterminated);
        // The next line lexes normally.
        assert_eq!(&text[toks[3].span.start..toks[3].span.end], "'c'");
        assert!(toks[3].line_start);
    }

    #[test]
    fn unterminated_comment_is_reported() {
        let mut f = Vec::new();
        assert!(tokenize("a /* b", 0, &mut f).len() == 1);
        assert_eq!(f[0].code, "syntax/unterminated-comment");
    }

    #[test]
    fn non_ascii_is_kept_whole() {
        let mut f = Vec::new();
        let toks = tokenize("§ é", 0, &mut f);
        assert_eq!(toks.len(), 2);
        assert_eq!(toks[0].span, Span::new(0, 2));
    }
}
