//! Reading until the expectation holds or times out, then for a quiet period.

use std::time::{Duration, Instant};

use super::check::{evaluate, may_hold};
use super::{ExpectError, Expectation, Mode, Verdict};
use crate::kafka::{decode, Change, RecordSource, SinkFormat};
use crate::retry::{Attempt, Retry, RetryError};

/// How long one poll waits for records before the expectation is checked again.
const POLL_WAIT: Duration = Duration::from_millis(200);

/// Why an attempt did not finish the wait.
#[derive(Debug, thiserror::Error)]
enum Wait {
    #[error("{0} changes received, the expectation does not hold yet")]
    NotYet(usize),
    #[error(transparent)]
    Failed(ExpectError),
}

/// Reads `source` (decoding records as `format`) until `expectation` holds or its timeout
/// passes; after it holds, keeps reading for the quiet period (except in `contains` mode,
/// which extras cannot break) and checks once more. The high watermark is never consulted.
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
    let state = tokio::sync::Mutex::new((source, Vec::<Change>::new()));
    let retry = Retry::with_timeout(expectation.timeout).max_backoff(Duration::from_millis(250));
    let outcome = retry
        .run(|| async {
            let mut guard = state.lock().await;
            let (source, changes) = &mut *guard;
            read(&mut **source, format, &topic, changes, POLL_WAIT).await.map_err(|e| Attempt::Fatal(Wait::Failed(e)))?;
            if may_hold(expectation, changes) && evaluate(expectation, changes).holds {
                Ok(())
            } else {
                Err(Attempt::Retry(Wait::NotYet(changes.len())))
            }
        })
        .await;
    let (source, mut changes) = state.into_inner();
    let timed_out = match outcome {
        Ok(()) => false,
        Err(RetryError::Fatal { error: Wait::Failed(e), .. }) => return Err(e),
        Err(e) => {
            tracing::debug!(%topic, error = %e, "expectation did not hold in time");
            true
        }
    };
    if !timed_out && expectation.mode != Mode::Contains {
        let quiet_until = Instant::now() + expectation.quiet_period;
        while let Some(left) = quiet_until.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
            read(source, format, &topic, &mut changes, left).await?;
        }
    }
    let evaluation = evaluate(expectation, &changes);
    Ok(Verdict {
        passed: evaluation.holds,
        topic,
        mode: expectation.mode.name(),
        expected_records: expectation.records.len(),
        diff: evaluation.entries,
        received: changes,
        waited: started.elapsed(),
        timed_out,
    })
}

async fn read<S: RecordSource>(
    source: &mut S,
    format: SinkFormat,
    topic: &str,
    changes: &mut Vec<Change>,
    wait: Duration,
) -> Result<(), ExpectError> {
    let records = source.poll(wait).await?;
    for record in &records {
        decode(format, topic, record, changes).map_err(crate::kafka::KafkaError::from)?;
    }
    Ok(())
}
