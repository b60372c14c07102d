//! The HTTP core shared by the JobManager and SQL Gateway clients: one reqwest client, JSON in
//! and out, and Flink's `{"errors": [...]}` answers turned into [`FlinkError::Http`].

use std::future::Future;
use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;

use super::error::{explain_errors, FlinkError};
use crate::retry::{Attempt, Retry, RetryError};

/// How long one request may take unless the caller says otherwise. Flink answers its REST calls
/// in milliseconds; only jar runs (which plan the job inside the JobManager) take seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Bodies longer than this are cut in error messages.
const BODY_EXCERPT: usize = 2_000;

#[derive(Debug, Clone)]
pub(crate) struct Rest {
    base: String,
    client: reqwest::Client,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    errors: Vec<String>,
}

impl Rest {
    pub fn new(base_url: &str) -> Result<Self, FlinkError> {
        let base = base_url.trim_end_matches('/').to_string();
        let client =
            crate::http::client(DEFAULT_REQUEST_TIMEOUT).map_err(|e| FlinkError::Unreachable {
                endpoint: "HTTP client".into(),
                url: base.clone(),
                reason: e.to_string(),
            })?;
        Ok(Rest { base, client })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, FlinkError> {
        self.send(Method::GET, path, |r| r).await
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, FlinkError> {
        self.send(Method::POST, path, |r| r.json(body)).await
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, FlinkError> {
        self.send(Method::DELETE, path, |r| r).await
    }

    /// One request; `path` starts with `/` and may carry a query string.
    pub async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<T, FlinkError> {
        let endpoint = format!("{method} {path}");
        let url = format!("{}{}", self.base, path);
        let request = build(self.client.request(method, &url));
        let response = request.send().await.map_err(|e| self.unreachable(&endpoint, e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.unreachable(&endpoint, e))?;
        if !status.is_success() {
            return Err(http_error(endpoint, status.as_u16(), &body));
        }
        // Some endpoints (heartbeat, cancel) answer with an empty body.
        let json: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"null" } else { &body };
        serde_json::from_slice(json).map_err(|e| FlinkError::Decode {
            endpoint,
            reason: e.to_string(),
            body: excerpt(&body),
        })
    }

    fn unreachable(&self, endpoint: &str, e: reqwest::Error) -> FlinkError {
        let reason = crate::http::no_answer(&e);
        FlinkError::Unreachable { endpoint: endpoint.to_string(), url: self.base.clone(), reason }
    }
}

/// What one poll of a wait saw instead of what it waits for.
pub(crate) enum Seen {
    /// Not yet; says what was seen, to explain a timeout.
    Pending(String),
    /// Ends the wait with this error.
    Failed(FlinkError),
}

/// Polls `attempt` through [`Retry`] (backoff up to 200 ms: a REST call is cheap, a late state
/// is time added to every scenario) until it yields a value. A timeout
/// becomes [`FlinkError::Timeout`] naming `what` and the last thing seen.
pub(crate) async fn poll<T, F, Fut>(
    timeout: Duration,
    what: &str,
    mut attempt: F,
) -> Result<T, FlinkError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Seen>>,
{
    let outcome = Retry::with_timeout(timeout)
        .max_backoff(Duration::from_millis(200))
        .run(|| {
            let seen = attempt();
            async move {
                seen.await.map_err(|seen| match seen {
                    Seen::Pending(_) => Attempt::Retry(seen),
                    Seen::Failed(_) => Attempt::Fatal(seen),
                })
            }
        })
        .await;
    match outcome {
        Ok(value) => Ok(value),
        Err(RetryError::Fatal { error: Seen::Failed(e), .. }) => Err(e),
        Err(RetryError::Fatal { error: Seen::Pending(last), elapsed, .. })
        | Err(RetryError::TimedOut { last: Seen::Pending(last), elapsed, .. }) => {
            Err(FlinkError::Timeout { what: what.to_string(), elapsed, last })
        }
        Err(RetryError::TimedOut { last: Seen::Failed(e), .. }) => Err(e),
    }
}

fn http_error(endpoint: String, status: u16, body: &[u8]) -> FlinkError {
    let (root_cause, detail) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody { errors }) if !errors.is_empty() => explain_errors(&errors),
        _ => {
            let text = excerpt(body);
            let cause =
                if text.trim().is_empty() { "(empty body)".to_string() } else { text.clone() };
            (cause, text)
        }
    };
    FlinkError::Http { endpoint, status, root_cause, detail }
}

fn excerpt(body: &[u8]) -> String {
    let text = crate::secret::redact(&String::from_utf8_lossy(body));
    match text.char_indices().nth(BODY_EXCERPT) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flink_error_bodies_become_http_errors_with_the_root_cause() {
        let body = br#"{"errors":["Internal server error.","<Exception on server side:\njava.util.concurrent.CompletionException: x\n\tat a.B.c(B.java:1)\nCaused by: org.apache.flink.runtime.rest.NotFoundException: Job 00 not found\n\t... 3 more\n\nEnd of exception on server side>"]}"#;
        let err = http_error("GET /jobs/00".into(), 404, body);
        assert_eq!(err.status(), Some(404));
        assert_eq!(
            err.to_string(),
            "GET /jobs/00 answered HTTP 404: org.apache.flink.runtime.rest.NotFoundException: Job 00 not found"
        );
        assert!(err.detail().unwrap().contains("CompletionException"));
    }

    #[test]
    fn non_json_error_bodies_are_kept_as_text() {
        let err = http_error("GET /x".into(), 502, b"Bad Gateway");
        assert_eq!(err.to_string(), "GET /x answered HTTP 502: Bad Gateway");
        let err = http_error("GET /x".into(), 500, b"");
        assert!(err.to_string().ends_with("(empty body)"));
    }
}
