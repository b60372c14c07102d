//! Reading until the expectation holds or times out, then for a quiet period.

use std::time::{Duration, Instant};

use super::check::{evaluate, may_hold, Evaluation};
use super::{ExpectError, Expectation, Mode, Verdict};
use crate::kafka::{decode, Change, RecordSource, SinkFormat};
use crate::retry::{Attempt, Retry, RetryError};

/// How long one poll waits for records before the expectation is checked again.
const POLL_WAIT: Duration = Duration::from_millis(200);

/// Up to this many changes, every poll that brings new ones re-checks the expectation (so a
/// wrong record fails at once); beyond, only once enough have arrived for it to hold, which
/// keeps large volumes from being re-checked on every poll. Either way only when the source
/// has caught up with the topic (not in the middle of a backlog).
const EAGER_CHECK_LIMIT: usize = 10_000;

/// The longest one attempt reads a backlog before checking the clock and the expectation.
const MAX_DRAIN: Duration = Duration::from_secs(2);

/// Why an attempt did not finish the wait.
#[derive(Debug, thiserror::Error)]
enum Wait {
    #[error("{0} changes received, the expectation does not hold yet")]
    NotYet(usize),
    #[error("the expectation can no longer hold")]
    Hopeless,
    #[error("the topic is complete and read to its end, and the expectation does not hold")]
    Final,
    #[error(transparent)]
    Failed(ExpectError),
}

/// Reads `source` (decoding records as `format`) until `expectation` holds or its timeout
/// passes; after it holds, keeps reading for the quiet period (except in `contains` mode,
/// which extras cannot break) and checks once more. It fails early when what arrived already
/// rules the expectation out (an unexpected record in a changelog, a count exceeded). The high
/// watermark is never consulted.
///
/// Errors are for what prevents a verdict: an undecodable record, a broken connection, an
/// invalid expectation. A mismatch is a failed [`Verdict`], with its diff.
pub async fn verify<S: RecordSource + Send>(
    source: &mut S,
    format: SinkFormat,
    expectation: &Expectation,
) -> Result<Verdict, ExpectError> {
    expectation.validate()?;
    let started = Instant::now();
    let topic = source.topic().to_owned();
    // Retry::run takes a closure called once per attempt; the state it advances lives here.
    let state =
        tokio::sync::Mutex::new(State { source, changes: Vec::new(), last: None, idle: false });
    let retry = Retry::with_timeout(expectation.timeout).max_backoff(Duration::from_millis(250));
    let outcome = retry
        .run(|| async {
            let mut state = state.lock().await;
            // A backlog is read through without the pauses between attempts.
            let draining_since = Instant::now();
            loop {
                state
                    .read(format, &topic, POLL_WAIT)
                    .await
                    .map_err(|e| Attempt::Fatal(Wait::Failed(e)))?;
                if state.source.caught_up() || draining_since.elapsed() >= MAX_DRAIN {
                    break;
                }
            }
            let received = state.changes.len();
            // A complete topic read to its end (a poll found nothing new) can bring nothing more.
            let at_end = expectation.complete && state.idle && state.source.caught_up();
            let worth_checking = state.last.as_ref().is_none_or(|(n, _)| *n != received)
                && state.source.caught_up()
                && (may_hold(expectation, &state.changes) || received <= EAGER_CHECK_LIMIT);
            if !worth_checking {
                if at_end && state.last.as_ref().is_some_and(|(_, e)| !e.holds) {
                    return Err(Attempt::Fatal(Wait::Final));
                }
                return Err(Attempt::Retry(Wait::NotYet(received)));
            }
            let evaluation = evaluate(expectation, &state.changes);
            let (holds, hopeless) = (evaluation.holds, evaluation.hopeless);
            state.last = Some((received, evaluation));
            match (holds, hopeless) {
                (true, _) => Ok(()),
                (false, true) => Err(Attempt::Fatal(Wait::Hopeless)),
                (false, false) if at_end => Err(Attempt::Fatal(Wait::Final)),
                (false, false) => Err(Attempt::Retry(Wait::NotYet(received))),
            }
        })
        .await;
    let mut state = state.into_inner();
    let (held, timed_out) = match outcome {
        Ok(()) => (true, false),
        Err(RetryError::Fatal { error: Wait::Failed(e), .. }) => return Err(e),
        // Fail now rather than at the timeout: what arrived cannot be undone, and a complete
        // topic gets nothing more.
        Err(RetryError::Fatal { error: Wait::Hopeless | Wait::Final, .. }) => (false, false),
        Err(e) => {
            tracing::debug!(%topic, error = %e, "expectation did not hold in time");
            (false, true)
        }
    };
    if held && expectation.mode != Mode::Contains {
        let quiet_until = Instant::now() + expectation.quiet_period;
        while let Some(left) =
            quiet_until.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())
        {
            state.read(format, &topic, left).await?;
        }
    }
    // The last evaluation stands unless the quiet period (or the last poll) brought more.
    let evaluation = match state.last.take() {
        Some((n, evaluation)) if n == state.changes.len() => evaluation,
        _ => evaluate(expectation, &state.changes),
    };
    Ok(Verdict {
        passed: evaluation.holds,
        topic,
        mode: expectation.mode.name(),
        expected_records: expectation.records.len(),
        diff: evaluation.entries,
        received: state.changes,
        waited: started.elapsed(),
        timed_out,
    })
}

struct State<'s, S> {
    source: &'s mut S,
    changes: Vec<Change>,
    /// The latest evaluation and how many changes it saw.
    last: Option<(usize, Evaluation)>,
    /// The last poll brought nothing.
    idle: bool,
}

impl<S: RecordSource> State<'_, S> {
    async fn read(
        &mut self,
        format: SinkFormat,
        topic: &str,
        wait: Duration,
    ) -> Result<(), ExpectError> {
        let records = self.source.poll(wait).await?;
        self.idle = records.is_empty();
        for record in &records {
            decode(format, topic, record, &mut self.changes)
                .map_err(crate::kafka::KafkaError::from)?;
        }
        Ok(())
    }
}
