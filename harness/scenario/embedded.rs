//! Where a TOML string's value lies in the file, so that SQL inside it can be parsed with
//! positions in the scenario file itself.

use super::model::EmbeddedSql;
use crate::diagnostics::{SourceFile, Span};

/// `token` is the span of the whole TOML string, quotes included.
pub fn embedded(file: &SourceFile, value: &str, token: Span) -> EmbeddedSql {
    EmbeddedSql { text: value.to_string(), span: token, region: region(file, value, token) }
}

/// The value's bytes in the file. TOML trims a newline right after an opening `'''`/`"""`; a
/// `'''` (literal) string then maps byte for byte. A `"basic"` string maps only when it has no
/// escapes, which the final comparison checks.
fn region(file: &SourceFile, value: &str, token: Span) -> Option<Span> {
    let raw = file.text().get(token.start..token.end)?;
    let quote = if raw.starts_with("'''") || raw.starts_with("\"\"\"") { 3 } else { 1 };
    if raw.len() < 2 * quote {
        return None;
    }
    let mut start = token.start + quote;
    let inner = &file.text()[start..token.end - quote];
    if quote == 3 {
        if inner.starts_with("\r\n") {
            start += 2;
        } else if inner.starts_with('\n') {
            start += 1;
        }
    }
    let candidate = Span::new(start, start + value.len());
    (file.text().get(candidate.start..candidate.end) == Some(value)).then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_string(text: &str) -> (SourceFile, String, Span) {
        let file = SourceFile::new("t.toml", text);
        let table: toml::Table = text.parse().unwrap();
        let value = table["x"].as_str().unwrap().to_string();
        let start = text.find('=').unwrap() + 2;
        (file, value, Span::new(start, text.trim_end().len()))
    }

    #[test]
    fn literal_strings_map_byte_for_byte_after_the_trimmed_newline() {
        let (file, value, token) = first_string("x = '''\nSELECT 1;\nSELECT 2;'''\n");
        let e = embedded(&file, &value, token);
        assert_eq!(file.slice(e.region.unwrap()), "SELECT 1;\nSELECT 2;");
        assert_eq!(file.line_col(e.region.unwrap().start).line, 2);
    }

    #[test]
    fn crlf_after_the_opening_quotes_is_trimmed_too() {
        let (file, value, token) = first_string("x = '''\r\nSELECT 1;'''\r\n");
        assert_eq!(file.slice(embedded(&file, &value, token).region.unwrap()), "SELECT 1;");
    }

    #[test]
    fn basic_strings_map_only_without_escapes() {
        let (file, value, token) = first_string("x = \"SELECT 'a'\"\n");
        assert_eq!(file.slice(embedded(&file, &value, token).region.unwrap()), "SELECT 'a'");
        let (file, value, token) = first_string("x = \"SELECT\\n'a'\"\n");
        assert_eq!(embedded(&file, &value, token).region, None);
    }
}
