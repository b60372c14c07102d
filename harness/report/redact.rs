//! Redaction of everything written as an artefact: the passwords the run knows, password-like
//! options in SQL (`'password' = '...'`), and passwords in URLs.

use crate::secret::{is_secret_key, redact_url, Secret, REDACTED};

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let mut secrets: Vec<Secret> =
            secrets.into_iter().filter(|s| !s.expose().is_empty()).collect();
        // Longest first, so a password containing another one is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        Redactor { secrets }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.expose()) {
                out = out.replace(secret.expose(), REDACTED);
            }
        }
        redact_urls(&redact_sql_options(&out))
    }
}

/// `'<key containing password>' = '<value>'` (Flink `WITH` options) -> value redacted.
fn redact_sql_options(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, key, after_key)) = next_literal(rest) {
        out.push_str(before);
        out.push_str(&text_of_literal(key));
        rest = after_key;
        if !is_secret_key(key) {
            continue;
        }
        let Some(value_side) = after_key.trim_start().strip_prefix('=') else { continue };
        let value_side = value_side.trim_start();
        if !value_side.starts_with('\'') {
            continue;
        }
        if let Some((_, _, after_value)) = next_literal(value_side) {
            out.push_str(&after_key[..after_key.len() - value_side.len()]);
            out.push_str(&text_of_literal(REDACTED));
            rest = after_value;
        }
    }
    out.push_str(rest);
    out
}

/// The text before the next `'...'` literal, its content (`''` is an escaped quote, kept as
/// is), and the text after it.
fn next_literal(text: &str) -> Option<(&str, &str, &str)> {
    let open = text.find('\'')?;
    let bytes = text.as_bytes();
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some((&text[..open], &text[open + 1..i], &text[i + 1..]));
        }
        i += 1;
    }
    None
}

fn text_of_literal(content: &str) -> String {
    format!("'{content}'")
}

/// Every whitespace- or quote-delimited token containing `://` goes through `redact_url`.
fn redact_urls(text: &str) -> String {
    if !text.contains("://") {
        return text.to_string();
    }
    let is_delimiter = |c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>');
    let mut out = String::with_capacity(text.len());
    let mut token_start = None;
    for (i, c) in text.char_indices() {
        if is_delimiter(c) {
            if let Some(start) = token_start.take() {
                out.push_str(&redact_url(&text[start..i]));
            }
            out.push(c);
        } else if token_start.is_none() {
            token_start = Some(i);
        }
    }
    if let Some(start) = token_start {
        out.push_str(&redact_url(&text[start..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_are_replaced_everywhere() {
        let r = Redactor::new([Secret::new("pw1"), Secret::new("pw1-longer"), Secret::new("")]);
        assert_eq!(r.redact("a pw1-longer b pw1 c"), "a ****** b ****** c");
    }

    #[test]
    fn password_options_in_flink_sql_are_redacted() {
        let sql = "WITH ('connector' = 'jdbc', 'username' = 'app',\n  'password'='it''s secret', 'Debezium.Database.Password' = 'x')";
        assert_eq!(
            Redactor::default().redact(sql),
            "WITH ('connector' = 'jdbc', 'username' = 'app',\n  'password'='******', 'Debezium.Database.Password' = '******')"
        );
        // The same key rule as Flink's error text: a misspelt key is still a secret.
        assert_eq!(Redactor::default().redact("'passwd' = 'x'"), "'passwd' = '******'");
        // Text that merely mentions a password key is left alone.
        assert_eq!(Redactor::default().redact("'password' is required"), "'password' is required");
    }

    #[test]
    fn urls_with_passwords_are_redacted() {
        let text = "jdbc 'url' = 'postgresql://app:hunter2@pg:5432/db', see http://example.com/x";
        assert_eq!(
            Redactor::default().redact(text),
            "jdbc 'url' = 'postgresql://app:******@pg:5432/db', see http://example.com/x"
        );
    }
}
