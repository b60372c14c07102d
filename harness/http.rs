//! The one HTTP client builder for the harness's services (Flink's REST APIs, Kafka Connect), and
//! what their clients share.

use std::time::Duration;

/// A client for services the harness reaches directly (containers on 127.0.0.1 or a Docker
/// network, a `--target`'s hosts): never through a proxy, whatever `HTTP_PROXY`/`ALL_PROXY` say.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .timeout(timeout)
        .build()
}

/// reqwest wraps hyper wraps io::Error; the innermost message is the one that says what broke.
pub fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Why a request got no answer, in a few words.
pub fn no_answer(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "request timed out".to_string()
    } else if e.is_connect() {
        format!("cannot connect ({})", innermost(e))
    } else {
        innermost(e)
    }
}

/// Percent-encodes one path segment (ids are hex or UUIDs, but jar ids and connector names are
/// chosen by people).
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("3f2a_sql-runner.jar"), "3f2a_sql-runner.jar");
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
    }
}
