//! Passwords never reach a log, a report or SQL shown to users: they live in [`Secret`], whose
//! `Debug` and `Display` print [`REDACTED`]; the value is read only where it is sent to a service.

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
}
