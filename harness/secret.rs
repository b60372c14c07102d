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

/// Replaces the password in a `postgres://user:password@host/db` style URL.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!("{}{}:{}{}", &url[..scheme_end + 3], &authority[..colon], REDACTED, &rest[at..])
        }
        _ => url.to_string(),
    }
}

/// The one redaction every text shown to a person or written to a file passes through. It
/// replaces:
/// - the passwords the run knows (its [`Secret`]s), wherever they appear;
/// - values of secret-looking keys ([`is_secret_key`]) in SQL options (`'password' = '…'`),
///   JSON (`"database.password": "…"`) and `key=value` text (properties, key=value DSNs,
///   `password=` URL parameters);
/// - the password of a URL's userinfo (`postgres://user:…@host`);
/// - SQL password literals (`CREATE ROLE … PASSWORD '…'`).
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
        let out = redact_quoted_pairs(&out, '\'');
        let out = redact_quoted_pairs(&out, '"');
        let out = redact_sql_password_literals(&out);
        let out = redact_key_values(&out);
        redact_urls(&out)
    }
}

/// [`Redactor`] without known secrets: the patterns only.
pub fn redact(text: &str) -> String {
    Redactor::default().redact(text)
}

/// `'<secret key>' = '<value>'` (Flink `WITH` options, `quote` = `'`) and `"<secret key>": "<value>"`
/// (JSON, `quote` = `"`): the value redacted. A doubled quote inside a literal is an escaped
/// quote (SQL), as is a backslash before one (JSON).
fn redact_quoted_pairs(text: &str, quote: char) -> String {
    let separator = if quote == '"' { ':' } else { '=' };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, key, after_key)) = next_literal(rest, quote) {
        out.push_str(before);
        out.push(quote);
        out.push_str(key);
        out.push(quote);
        rest = after_key;
        if !is_secret_key(key) {
            continue;
        }
        let Some(value_side) = after_key.trim_start().strip_prefix(separator) else { continue };
        let value_side = value_side.trim_start();
        if !value_side.starts_with(quote) {
            continue;
        }
        if let Some((_, _, after_value)) = next_literal(value_side, quote) {
            out.push_str(&after_key[..after_key.len() - value_side.len()]);
            out.push(quote);
            out.push_str(REDACTED);
            out.push(quote);
            rest = after_value;
        }
    }
    out.push_str(rest);
    out
}

/// The text before the next `quote`d literal, its content (escapes kept as they are), and the
/// text after it.
fn next_literal(text: &str, quote: char) -> Option<(&str, &str, &str)> {
    let open = text.find(quote)?;
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
            return Some((&text[..open], &text[open + 1..i], &text[i + 1..]));
        }
        i += 1;
    }
    None
}

/// `PASSWORD '<value>'` in SQL (`CREATE ROLE`, `ALTER ROLE`, `ENCRYPTED PASSWORD`), any case.
fn redact_sql_password_literals(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find("password") {
        let keyword_end = from + found + "password".len();
        from = keyword_end;
        let word_start = from - "password".len();
        let standalone = !text[..word_start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        let after = &text[keyword_end..];
        let spaces = after.len() - after.trim_start().len();
        if !standalone || spaces == 0 || !after.trim_start().starts_with('\'') {
            continue;
        }
        let value_side = &after[spaces..];
        if let Some((_, _, after_value)) = next_literal(value_side, '\'') {
            let value_end = text.len() - after_value.len();
            out.push_str(&text[copied..keyword_end + spaces]);
            out.push('\'');
            out.push_str(REDACTED);
            out.push('\'');
            copied = value_end;
            from = value_end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// `<secret key>=<value>`: properties lines, key=value DSNs (`password=x`, `password='a b'`),
/// URL query parameters (`?user=a&password=x`). The key is the run of `[A-Za-z0-9._-]` before
/// `=`; the value ends at whitespace, `&`, `;`, `,` or a quote (a quoted value at its closing
/// quote).
fn redact_key_values(text: &str) -> String {
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (eq, _) in text.match_indices('=') {
        if eq < copied {
            continue;
        }
        let key_start = text[..eq].rfind(|c: char| !is_key_char(c)).map_or(0, |i| i + 1);
        let key = &text[key_start..eq];
        if key.is_empty() || !is_secret_key(key) {
            continue;
        }
        let value = &text[eq + 1..];
        let value_len = match value.chars().next() {
            Some(q @ ('\'' | '"')) => match value[1..].find(q) {
                Some(close) => close + 2,
                None => value.len(),
            },
            _ => value
                .find(|c: char| c.is_whitespace() || matches!(c, '&' | ';' | ',' | '\'' | '"'))
                .unwrap_or(value.len()),
        };
        if value_len == 0 || value.starts_with(REDACTED) || value.starts_with("'******'") {
            continue;
        }
        out.push_str(&text[copied..eq + 1]);
        out.push_str(REDACTED);
        copied = eq + 1 + value_len;
    }
    out.push_str(&text[copied..]);
    out
}

/// Every whitespace- or quote-delimited token containing `://` goes through [`redact_url`].
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
            redact_url("postgres://app:p@ss:w0rd@127.0.0.1:5432/db?sslmode=disable"),
            "postgres://app:******@127.0.0.1:5432/db?sslmode=disable"
        );
        assert_eq!(redact_url("postgres://app@host/db"), "postgres://app@host/db");
        assert_eq!(redact_url("jdbc:postgresql://h:5432/db"), "jdbc:postgresql://h:5432/db");
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
    fn urls_with_passwords_are_redacted() {
        let text = "jdbc 'url' = 'postgresql://app:hunter2@pg:5432/db', see http://example.com/x";
        assert_eq!(
            redact(text),
            "jdbc 'url' = 'postgresql://app:******@pg:5432/db', see http://example.com/x"
        );
    }
}
