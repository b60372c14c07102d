//! The one error type of the Flink clients, and the reading of Java stack traces into one line.
//!
//! Flink answers errors as `{"errors": [...]}`; a failure inside the server comes as
//! `["Internal server error.", "<Exception on server side:\n<java stack trace>\nEnd of exception on
//! server side>"]`. The useful part is the deepest `Caused by:`, so every variant that carries
//! Flink's text shows that root cause and keeps the full text for the artefacts.

use std::time::Duration;

use super::jobmanager::{JobException, JobState};

#[derive(Debug, thiserror::Error)]
pub enum FlinkError {
    /// Nothing answered: connection refused, reset, or the request timed out.
    #[error("{endpoint}: no answer from {url}: {reason}")]
    Unreachable { endpoint: String, url: String, reason: String },

    /// Flink answered with an error status.
    #[error("{endpoint} answered HTTP {status}: {root_cause}")]
    Http {
        endpoint: String,
        status: u16,
        /// The deepest `Caused by:` of Flink's message (or its first line).
        root_cause: String,
        /// Every entry of Flink's `errors` array (or the raw body), unabridged.
        detail: String,
    },

    /// The answer is not what the REST API documents.
    #[error("{endpoint}: unexpected answer ({reason}): {body}")]
    Decode { endpoint: String, reason: String, body: String },

    /// The SQL Gateway speaks none of the API versions this client knows.
    #[error("the SQL Gateway at {url} offers REST API versions {offered:?}; this harness needs one of v2, v3, v4")]
    NoCommonApiVersion { url: String, offered: Vec<String> },

    /// A statement run through the SQL Gateway ended in ERROR, CANCELED, CLOSED or TIMEOUT.
    #[error("statement `{statement}` ended {status}: {root_cause}")]
    Statement { statement: String, status: String, root_cause: String, detail: String },

    /// A job reached a terminal state other than the one waited for (FAILED, CANCELED, ...).
    #[error("job {job_id} is {state}{}", exception_suffix(.exception))]
    Job { job_id: String, state: JobState, exception: Option<Box<JobException>> },

    /// A savepoint (or stop-with-savepoint) failed.
    #[error("savepoint of job {job_id} failed: {root_cause}")]
    Savepoint { job_id: String, root_cause: String, detail: String },

    /// A wait ran out of time; `last` is the last thing observed.
    #[error("gave up after {:.1}s waiting for {what}: {last}", elapsed.as_secs_f64())]
    Timeout { what: String, elapsed: Duration, last: String },

    /// The submission mode cannot work with what the stack offers.
    #[error("{0}")]
    Unsupported(String),

    /// Reading the SQL-runner jar from disk failed.
    #[error("cannot read the SQL-runner jar {path}: {source}")]
    Jar { path: String, source: std::io::Error },
}

fn exception_suffix(exception: &Option<Box<JobException>>) -> String {
    match exception {
        Some(e) => format!(": {}", e.summary()),
        None => String::new(),
    }
}

impl FlinkError {
    /// The Java stack trace or gateway text behind this error, when Flink sent one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            FlinkError::Http { detail, .. }
            | FlinkError::Statement { detail, .. }
            | FlinkError::Savepoint { detail, .. } => Some(detail),
            FlinkError::Job { exception: Some(e), .. } => Some(&e.stacktrace),
            _ => None,
        }
    }

    /// The HTTP status Flink answered, for errors that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            FlinkError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Lines of a root-cause message kept before the rest is cut (validation errors list the
/// supported options over many lines; the first lines say what is wrong).
const ROOT_CAUSE_MAX_LINES: usize = 8;

/// The root cause of a Java stack trace: the last `Caused by:` with the message lines that follow
/// it (up to the first stack frame), without the `Caused by: ` prefix. Without any `Caused by:`,
/// the first meaningful line. Flink's `<Exception on server side:` wrapper is ignored.
pub fn root_cause(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end())
        .filter(|l| !l.starts_with("<Exception on server side:"))
        .take_while(|l| !l.starts_with("End of exception on server side"))
        .collect();
    let start = lines.iter().rposition(|l| l.trim_start().starts_with("Caused by:"));
    let (first, rest) = match start {
        Some(i) => (lines[i].trim_start().trim_start_matches("Caused by:").trim(), &lines[i + 1..]),
        None => match lines.iter().position(|l| is_message_line(l)) {
            Some(i) => (lines[i].trim(), &lines[i + 1..]),
            None => return text.trim().to_string(),
        },
    };
    // Blank lines only space Flink's lists out ("Unsupported options:\n\npasswd\n\n...").
    let mut message = vec![first];
    message.extend(
        rest.iter().take_while(|l| !is_stack_frame(l)).filter(|l| !l.trim().is_empty()).copied(),
    );
    if message.len() > ROOT_CAUSE_MAX_LINES {
        message.truncate(ROOT_CAUSE_MAX_LINES);
        message.push("...");
    }
    message.join("\n")
}

fn is_stack_frame(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("at ") || (t.starts_with("... ") && t.ends_with(" more"))
}

fn is_message_line(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !is_stack_frame(t) && t != "Internal server error."
}

/// Flink's `errors` array as one text and its root cause, secrets redacted.
pub(crate) fn explain_errors(errors: &[String]) -> (String, String) {
    // Flink masks keys containing `password` itself, but not a misspelt `passwd`.
    let errors: Vec<String> = errors.iter().map(|e| crate::secret::redact(e)).collect();
    let detail = errors.join("\n");
    // "Internal server error." says nothing; the stack trace after it does.
    let informative: Vec<&String> =
        errors.iter().filter(|e| e.trim() != "Internal server error.").collect();
    let cause = match informative.last() {
        Some(text) => root_cause(text),
        None => detail.trim().to_string(),
    };
    (cause, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GATEWAY_TRACE: &str = "<Exception on server side:
org.apache.flink.table.gateway.api.utils.SqlGatewayException: org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.
\tat org.apache.flink.table.gateway.rest.handler.statement.FetchResultsHandler.handleRequest(FetchResultsHandler.java:91)
Caused by: org.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the operation 1d5c.
\tat org.apache.flink.table.gateway.service.operation.OperationManager$Operation.processThrowable(OperationManager.java:414)
\t... 7 more
Caused by: org.apache.flink.table.api.ValidationException: Unsupported options found for 'jdbc'.

Unsupported options:

passwd

Supported options:

connector
\tat org.apache.flink.table.factories.FactoryUtil.validateUnconsumedKeys(FactoryUtil.java:693)
\t... 20 more

End of exception on server side>";

    #[test]
    fn root_cause_is_the_last_caused_by_with_its_message_lines() {
        let cause = root_cause(GATEWAY_TRACE);
        assert!(cause.starts_with("org.apache.flink.table.api.ValidationException: Unsupported options found for 'jdbc'."), "{cause}");
        assert!(cause.contains("passwd"), "{cause}");
        assert!(!cause.contains("\tat "), "{cause}");
        assert!(!cause.contains("End of exception"), "{cause}");
    }

    #[test]
    fn without_caused_by_the_first_message_line_is_the_cause() {
        let text = "java.lang.IllegalStateException: no slots\n\tat a.b.C.d(C.java:1)\n";
        assert_eq!(root_cause(text), "java.lang.IllegalStateException: no slots");
        assert_eq!(root_cause("Not found: /jobs/abc"), "Not found: /jobs/abc");
    }

    #[test]
    fn internal_server_error_preamble_is_skipped() {
        let errors = vec!["Internal server error.".to_string(), GATEWAY_TRACE.to_string()];
        let (cause, detail) = explain_errors(&errors);
        assert!(cause.contains("Unsupported options found for 'jdbc'"), "{cause}");
        assert!(detail.contains("FetchResultsHandler"), "full text is kept");
        let (cause, _) = explain_errors(&["Internal server error.".to_string()]);
        assert_eq!(cause, "Internal server error.");
    }

    #[test]
    fn secret_option_values_and_url_passwords_are_redacted() {
        let text = "Table options are:\n\n'connector'='jdbc'\n'passwd'='hunter2'\n'password'='******'\n'url'='jdbc:postgresql://pg:5432/app?user=app&password=hunter2&ssl=false'\n\tat x";
        let clean = crate::secret::redact(text);
        assert!(!clean.contains("hunter2"), "{clean}");
        assert!(clean.contains("'passwd'='******'"), "{clean}");
        assert!(clean.contains("?user=app&password=******&ssl=false"), "{clean}");
        assert!(clean.contains("'connector'='jdbc'") && clean.ends_with("\tat x"), "{clean}");
    }

    #[test]
    fn long_messages_are_cut() {
        let text = format!("Caused by: X: first\n{}", "line\n".repeat(40));
        let cause = root_cause(&text);
        assert_eq!(cause.lines().count(), ROOT_CAUSE_MAX_LINES + 1);
        assert!(cause.ends_with("..."));
    }
}
