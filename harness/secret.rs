//! Passwords never reach a log, a report or SQL shown to users: they live in [`Secret`], whose
//! `Debug` and `Display` print [`REDACTED`]; the value is read only where it is sent to a service.
//!
//! Text that may hold a secret the harness does not know as a [`Secret`] (a user's SQL, a Flink
//! or Kafka Connect error, a connector configuration, a container log) passes through one
//! [`Redactor`] before anyone sees it.

/// What a password prints as.
pub const REDACTED: &str = "******";

#[derive(Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value, for a connection string or generated SQL that is executed, never shown.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

/// Parts of an option key that make its value a secret, matched case-insensitively inside the
/// key (`password`, `passwd`, `sasl.jaas.config`, `api.token`, ...).
const SECRET_KEY_PARTS: [&str; 6] = ["pass", "secret", "token", "credential", "jaas", "apikey"];

/// Whether an option key (Flink `WITH` option, connector property) holds a secret.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEY_PARTS.iter().any(|part| key.contains(part))
}

/// The one redaction every text shown to a person or written to a file passes through. It
/// hides:
/// - the passwords the run knows (its [`Secret`]s), wherever they appear;
/// - values of secret-looking keys ([`is_secret_key`]) in SQL options (`'password' = '…'`),
///   JSON (`"database.password": "…"`) and `key=value` text (properties, key=value DSNs,
///   `password=` URL parameters);
/// - the password of a URL's userinfo (`postgres://user:…@host`);
/// - SQL password literals (`CREATE ROLE … PASSWORD '…'`).
///
/// [`Redactor::redact`] replaces each secret with `******`; [`Redactor::mask`] overwrites it in
/// place with as many `*` as it has bytes, so that positions into the text (a finding's snippet)
/// stay right.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

type Ranges = Vec<std::ops::Range<usize>>;

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let mut secrets: Vec<Secret> =
            secrets.into_iter().filter(|s| !s.expose().is_empty()).collect();
        // Longest first, so a password containing another one is hidden whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        Redactor { secrets }
    }

    pub fn redact(&self, text: &str) -> String {
        self.apply(text, |_| REDACTED.to_string())
    }

    /// The text with every secret overwritten by `*`, byte for byte.
    pub fn mask(&self, text: &str) -> String {
        self.apply(text, |hidden| "*".repeat(hidden.len()))
    }

    fn apply(&self, text: &str, hide: impl Fn(&str) -> String) -> String {
        let ranges = merge(self.ranges(text));
        if ranges.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for r in ranges {
            out.push_str(&text[copied..r.start]);
            out.push_str(&hide(&text[r.clone()]));
            copied = r.end;
        }
        out.push_str(&text[copied..]);
        out
    }

    /// Where the secrets are: byte ranges on character boundaries, possibly overlapping.
    fn ranges(&self, text: &str) -> Ranges {
        let mut ranges = Ranges::new();
        for secret in &self.secrets {
            let value = secret.expose();
            ranges.extend(text.match_indices(value).map(|(at, _)| at..at + value.len()));
        }
        quoted_pairs(text, '\'', &mut ranges);
        quoted_pairs(text, '"', &mut ranges);
        sql_password_literals(text, &mut ranges);
        key_values(text, &mut ranges);
        url_passwords(text, &mut ranges);
        ranges.retain(|r| r.start < r.end);
        ranges
    }
}

/// [`Redactor`] without known secrets: the patterns only.
pub fn redact(text: &str) -> String {
    Redactor::default().redact(text)
}

/// Sorted, overlapping and touching ranges joined.
fn merge(mut ranges: Ranges) -> Ranges {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Ranges = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// `'<secret key>' = '<value>'` (Flink `WITH` options, `quote` = `'`) and `"<secret key>":
/// "<value>"` (JSON, `quote` = `"`): the value's content. Every quote is tried as the start of a
/// key, so the search does not depend on the quotes around it pairing up (SQL inside a TOML
/// literal string). A doubled quote inside a value is an escaped quote (SQL), as is a backslash
/// before one (JSON).
fn quoted_pairs(text: &str, quote: char, out: &mut Ranges) {
    // JSON separates with `:`; SQL `WITH` options and TOML keys (`"passwd" = "…"`) with `=`.
    let separators: &[char] = if quote == '"' { &[':', '='] } else { &['='] };
    for (open, _) in text.match_indices(quote) {
        let key_start = open + 1;
        let Some(key_len) = text[key_start..].find([quote, '\n']) else { continue };
        let key = &text[key_start..key_start + key_len];
        if key.is_empty() || !text[key_start + key_len..].starts_with(quote) || !is_secret_key(key)
        {
            continue;
        }
        let after = &text[key_start + key_len + 1..];
        let Some(value_side) = after.trim_start().strip_prefix(separators) else { continue };
        let value_side = value_side.trim_start();
        if !value_side.starts_with(quote) {
            continue;
        }
        if let Some((value, _)) = next_literal(text, text.len() - value_side.len(), quote) {
            out.push(value);
        }
    }
}

/// The content range of the next `quote`d literal at or after `from`, and where it ends (after
/// its closing quote).
fn next_literal(text: &str, from: usize, quote: char) -> Option<(std::ops::Range<usize>, usize)> {
    let open = from + text[from..].find(quote)?;
    let bytes = text.as_bytes();
    let q = quote as u8;
    let mut i = open + 1;
    while i < bytes.len() {
        if quote == '"' && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == q {
            if quote == '\'' && bytes.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return Some((open + 1..i, i + 1));
        }
        i += 1;
    }
    None
}

/// `PASSWORD '<value>'` in SQL (`CREATE ROLE`, `ALTER ROLE`, `ENCRYPTED PASSWORD`), any case.
fn sql_password_literals(text: &str, out: &mut Ranges) {
    let lower = text.to_ascii_lowercase();
    for (at, word) in lower.match_indices("password") {
        let standalone = !text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        let after = &text[at + word.len()..];
        let spaces = after.len() - after.trim_start().len();
        if !standalone || spaces == 0 || !after.trim_start().starts_with('\'') {
            continue;
        }
        if let Some((value, _)) = next_literal(text, at + word.len() + spaces, '\'') {
            out.push(value);
        }
    }
}

/// `<secret key>=<value>`: properties lines, key=value DSNs (`password=x`, `password='a b'`),
/// URL query parameters (`?user=a&password=x`). The key is the run of `[A-Za-z0-9._-]` before
/// `=`; the value ends at whitespace, `&`, `;`, `,` or a quote (a quoted value at its closing
/// quote, quotes included).
fn key_values(text: &str, out: &mut Ranges) {
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let blank = |c: char| c == ' ' || c == '\t';
    for (eq, _) in text.match_indices('=') {
        // TOML spaces its keys (`passwd = "…"`): spaces around `=` count when a quote follows.
        let key_end = text[..eq].trim_end_matches(blank).len();
        let key_start = text[..key_end].rfind(|c: char| !is_key_char(c)).map_or(0, |i| i + 1);
        let key = &text[key_start..key_end];
        if key.is_empty() || !is_secret_key(key) {
            continue;
        }
        let spaced = &text[eq + 1..];
        let value = spaced.trim_start_matches(blank);
        let spaced_quote = value.starts_with(['\'', '"']);
        if (key_end < eq || value.len() < spaced.len()) && !spaced_quote {
            continue;
        }
        let eq = eq + (spaced.len() - value.len());
        let len = match value.chars().next() {
            Some(q @ ('\'' | '"')) => match value[1..].find(q) {
                Some(close) => close + 2,
                None => value.len(),
            },
            _ => value
                .find(|c: char| c.is_whitespace() || matches!(c, '&' | ';' | ',' | '\'' | '"'))
                .unwrap_or(value.len()),
        };
        out.push(eq + 1..eq + 1 + len);
    }
}

/// The password of every URL's userinfo (`scheme://user:<password>@host`).
fn url_passwords(text: &str, out: &mut Ranges) {
    for (at, _) in text.match_indices("://") {
        let rest = &text[at + 3..];
        let token_end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>'))
            .unwrap_or(rest.len());
        let authority = &rest[..rest[..token_end].find(['/', '?', '#']).unwrap_or(token_end)];
        if let (Some(at_sign), Some(colon)) = (authority.rfind('@'), authority.find(':')) {
            if colon < at_sign {
                out.push(at + 3 + colon + 1..at + 3 + at_sign);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "****** ******");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"******\"");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn secret_keys_include_misspellings_and_nested_properties() {
        for key in ["password", "PASSWD", "properties.sasl.jaas.config", "api.token", "apikey"] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["username", "hostname", "slot.name", "topic"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn url_password_is_redacted() {
        assert_eq!(
            redact("postgres://app:p@ss:w0rd@127.0.0.1:5432/db?sslmode=disable"),
            "postgres://app:******@127.0.0.1:5432/db?sslmode=disable"
        );
        assert_eq!(redact("postgres://app@host/db"), "postgres://app@host/db");
        assert_eq!(redact("jdbc:postgresql://h:5432/db"), "jdbc:postgresql://h:5432/db");
    }

    #[test]
    fn known_secrets_are_replaced_everywhere() {
        let r = Redactor::new([Secret::new("pw1"), Secret::new("pw1-longer"), Secret::new("")]);
        assert_eq!(r.redact("a pw1-longer b pw1 c"), "a ****** b ****** c");
    }

    #[test]
    fn password_options_in_flink_sql_are_redacted() {
        let sql = "WITH ('connector' = 'jdbc', 'username' = 'app',\n  'password'='it''s secret', 'Debezium.Database.Password' = 'x')";
        assert_eq!(
            redact(sql),
            "WITH ('connector' = 'jdbc', 'username' = 'app',\n  'password'='******', 'Debezium.Database.Password' = '******')"
        );
        // A misspelt key is still a secret.
        assert_eq!(redact("'passwd' = 'x'"), "'passwd' = '******'");
        // Text that merely mentions a password key is left alone.
        assert_eq!(redact("'password' is required"), "'password' is required");
    }

    #[test]
    fn options_are_found_whatever_quotes_surround_them() {
        let toml = "sql = '''\nCREATE TABLE t WITH ('a' = 'b', 'passwd' = 'x''y')\n'''";
        assert_eq!(
            redact(toml),
            "sql = '''\nCREATE TABLE t WITH ('a' = 'b', 'passwd' = '******')\n'''"
        );
    }

    #[test]
    fn toml_secret_keys_are_redacted_quoted_or_bare() {
        let toml = "options = { \"passwd\" = \"s3cr3t\", \"a\" = \"b\" }\npassword = 'x'";
        assert_eq!(
            redact(toml),
            "options = { \"passwd\" = \"******\", \"a\" = \"b\" }\npassword = ******"
        );
        // A password key in prose, with no quoted value after it, is left alone.
        assert_eq!(redact("password = required"), "password = required");
    }

    #[test]
    fn json_secrets_are_redacted() {
        let json = r#"{"database.user": "repl", "database.password": "s3\"cr3t", "x": 1}"#;
        assert_eq!(
            redact(json),
            r#"{"database.user": "repl", "database.password": "******", "x": 1}"#
        );
        assert_eq!(redact(r#""database.password":"a""#), r#""database.password":"******""#);
    }

    #[test]
    fn key_values_dsns_and_url_parameters_are_redacted() {
        assert_eq!(
            redact("host=db port=5432 password=hunter2 user=app"),
            "host=db port=5432 password=****** user=app"
        );
        assert_eq!(redact("host=db password='a b c' user=app"), "host=db password=****** user=app");
        assert_eq!(
            redact("jdbc:postgresql://pg/app?user=app&password=hunter2&ssl=false"),
            "jdbc:postgresql://pg/app?user=app&password=******&ssl=false"
        );
        assert_eq!(redact("database.password=hunter2\nx=y"), "database.password=******\nx=y");
        assert_eq!(redact("sslpassword=k"), "sslpassword=******");
        assert_eq!(redact("a == b, x=1"), "a == b, x=1");
        assert_eq!(redact("password="), "password=");
    }

    #[test]
    fn sql_password_literals_are_redacted() {
        assert_eq!(
            redact("CREATE ROLE app LOGIN PASSWORD 'it''s';"),
            "CREATE ROLE app LOGIN PASSWORD '******';"
        );
        assert_eq!(
            redact("alter role app with encrypted password 'x' valid until 'infinity'"),
            "alter role app with encrypted password '******' valid until 'infinity'"
        );
        assert_eq!(redact("SELECT 'no password here'"), "SELECT 'no password here'");
    }

    #[test]
    fn masking_keeps_every_position() {
        let r = Redactor::new([Secret::new("s3cr3t")]);
        let text = "'passwd' = 'Grüße', url 'postgres://a:s3cr3t@h/db' then x";
        let masked = r.mask(text);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked, "'passwd' = '*******', url 'postgres://a:******@h/db' then x");
        assert_eq!(r.redact(text), "'passwd' = '******', url 'postgres://a:******@h/db' then x");
    }

    #[test]
    fn urls_with_passwords_are_redacted() {
        let text = "jdbc 'url' = 'postgresql://app:hunter2@pg:5432/db', see http://example.com/x";
        assert_eq!(
            redact(text),
            "jdbc 'url' = 'postgresql://app:******@pg:5432/db', see http://example.com/x"
        );
    }
}
