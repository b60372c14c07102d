//! A Debezium source's connector on Kafka Connect: posted where the job starts, watched until it
//! streams, paused, resumed, restarted or deleted by steps, and deleted at teardown.

use crate::connect::{ConnectClient, ConnectError, ConnectorState};
use crate::postgres::{walsender_state, PgClient, PgConfig};
use crate::report::{ArtefactKind, Phase, ScenarioClock};
use crate::retry::{Attempt, Retry, RetryError};
use crate::run::context::ScenarioContext;
use crate::run::suite::Suite;
use crate::run::ScenarioFailure;
use crate::scenario::ConnectorAction;
use crate::sql::debezium::GeneratedConnector;
use std::time::Duration;

/// The `application_name` of Debezium's streaming replication connection.
const DEBEZIUM_STREAMING: &str = "Debezium Streaming";

/// The run's Kafka Connect; a scenario with a Debezium source fails without one.
fn client(suite: &Suite<'_>, phase: Phase) -> Result<ConnectClient, ScenarioFailure> {
    let Some(url) = suite.services.connect_url() else {
        return Err(ScenarioFailure::error(
            phase,
            "the scenario's source is Debezium, and these services have no Kafka Connect",
        ));
    };
    ConnectClient::new(url).map_err(|e| connect_failure(phase, e))
}

/// A FAILED connector or task is the pipeline failing (its whole trace goes to
/// `connector-trace.txt`); anything else is the harness not getting that far.
fn connect_failure(phase: Phase, e: ConnectError) -> ScenarioFailure {
    match &e {
        ConnectError::Failed { trace, .. } => {
            ScenarioFailure::failed(phase, e.to_string()).with_trace(trace)
        }
        _ => ScenarioFailure::error(phase, e.to_string()),
    }
}

/// Posts the connector and waits until its task runs and its walsender streams from the slot:
/// the snapshot is taken, so changes made from now on arrive as changes, not in the snapshot.
pub async fn start(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    clock: &mut ScenarioClock,
    connector: &GeneratedConnector,
) -> Result<(), ScenarioFailure> {
    let client = client(suite, Phase::Connector)?;
    // Teardown deletes it from here on, whatever happens.
    cx.connector = Some(connector.name.clone());
    cx.save(ArtefactKind::ConnectorConfig, &connector.render(false));
    let timeout = cx.scenario().timeouts.job;
    let login = slot_watcher(suite);
    let slot = cx.planned.names.slot.clone();
    let name = connector.name.clone();
    let started = clock
        .time(Phase::Connector, async {
            client.create(&name, &connector.config()).await?;
            wait_streaming(&client, &name, &login, &slot, timeout).await
        })
        .await;
    started.map_err(|e| {
        if let Some(trace) = e.detail() {
            cx.save(ArtefactKind::ConnectorTrace, trace);
        }
        connect_failure(Phase::Connector, e)
    })
}

/// The admin login: a walsender's state shows only to superusers (the stack's) and
/// `pg_read_all_stats`; without it, a walsender holding the slot counts as streaming.
fn slot_watcher(suite: &Suite<'_>) -> PgConfig {
    crate::run::context::admin_config(suite.services)
}

/// Until the connector and its task are RUNNING and the slot's walsender is `streaming`; a
/// FAILED connector or task ends the wait at once with its trace.
async fn wait_streaming(
    client: &ConnectClient,
    name: &str,
    login: &PgConfig,
    slot: &str,
    timeout: Duration,
) -> Result<(), ConnectError> {
    let running = client.wait_for(name, ConnectorState::Running, timeout).await?;
    tracing::debug!(connector = name, "{}", running.summary());
    let pg = PgClient::connect(login).await.map_err(|e| pending(name, e.to_string()))?;
    let outcome = Retry::with_timeout(timeout)
        .max_backoff(Duration::from_millis(250))
        .run(|| async {
            let status = client.status(name).await.map_err(Attempt::Fatal)?;
            if let Some((what, trace)) = status.failure() {
                let root_cause = crate::flink::root_cause(&trace);
                return Err(Attempt::Fatal(ConnectError::Failed {
                    connector: name.to_string(),
                    what,
                    root_cause,
                    trace,
                }));
            }
            let walsender = walsender_state(&pg, slot)
                .await
                .map_err(|e| Attempt::Retry(pending(name, e.to_string())))?;
            match walsender {
                // Debezium names its replication connection; another reader holding the slot
                // (a stale one, a second connector's) is not this connector streaming.
                Some(w)
                    if w.streaming()
                        && w.application_name.as_deref() == Some(DEBEZIUM_STREAMING) =>
                {
                    Ok(())
                }
                Some(w) if w.application_name.as_deref() != Some(DEBEZIUM_STREAMING) => {
                    Err(Attempt::Retry(pending(
                        name,
                        format!(
                            "{}; slot {slot} is held by another reader ({})",
                            status.summary(),
                            w.application_name.as_deref().unwrap_or("no application_name")
                        ),
                    )))
                }
                Some(w) => Err(Attempt::Retry(pending(
                    name,
                    format!(
                        "{}; slot {slot}'s walsender is {}",
                        status.summary(),
                        w.state.unwrap_or_default()
                    ),
                ))),
                None => Err(Attempt::Retry(pending(
                    name,
                    format!(
                        "{}; no walsender holds slot {slot} yet (the snapshot runs first)",
                        status.summary()
                    ),
                ))),
            }
        })
        .await;
    match outcome {
        Ok(()) => Ok(()),
        Err(RetryError::Fatal { error, .. }) => Err(error),
        Err(RetryError::TimedOut { last, elapsed, .. }) => Err(match last {
            ConnectError::Timeout { connector, last, .. } => ConnectError::Timeout {
                connector,
                what: "the connector to stream from its slot".into(),
                elapsed,
                last,
            },
            other => other,
        }),
    }
}

fn pending(name: &str, last: String) -> ConnectError {
    ConnectError::Timeout {
        connector: name.to_string(),
        what: String::new(),
        elapsed: Duration::ZERO,
        last,
    }
}

/// Resolves once the running connector (or its task) has FAILED, with its trace; never without
/// a connector. Watched while records are awaited: a connector that died explains missing
/// records better than the diff.
pub async fn watch_failures(
    suite: &Suite<'_>,
    name: Option<String>,
) -> (ScenarioFailure, Option<(ArtefactKind, String)>) {
    let (Some(name), Ok(client)) = (name, client(suite, Phase::Expect)) else {
        return std::future::pending().await;
    };
    loop {
        if let Ok(status) = client.status(&name).await {
            if let Some((what, trace)) = status.failure() {
                let root_cause = crate::flink::root_cause(&trace);
                let saved = (ArtefactKind::ConnectorTrace, trace.clone());
                let e = ConnectError::Failed { connector: name.clone(), what, root_cause, trace };
                return (connect_failure(Phase::Expect, e), Some(saved));
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// `connector = "pause" | "resume" | "restart" | "delete"`.
pub async fn step(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    action: ConnectorAction,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let client = client(suite, Phase::Steps)?;
    let Some(name) = cx.connector.clone() else {
        return Err(ScenarioFailure::failed(
            Phase::Steps,
            "there is no connector yet: it starts with the job (`job = \"start\"`, or before the first step)",
        ));
    };
    let fail = |e| connect_failure(Phase::Steps, e);
    match action {
        ConnectorAction::Pause => {
            client.pause(&name).await.map_err(fail)?;
            client.wait_for(&name, ConnectorState::Paused, timeout).await.map_err(fail).map(drop)
        }
        ConnectorAction::Resume => {
            client.resume(&name).await.map_err(fail)?;
            client.wait_for(&name, ConnectorState::Running, timeout).await.map_err(fail).map(drop)
        }
        ConnectorAction::Restart => {
            client.restart(&name).await.map_err(fail)?;
            let login = slot_watcher(suite);
            let slot = cx.planned.names.slot.clone();
            wait_streaming(&client, &name, &login, &slot, timeout).await.map_err(fail)
        }
        ConnectorAction::Delete => {
            delete(&client, &name, timeout).await.map_err(fail)?;
            cx.connector = None;
            Ok(())
        }
    }
}

/// Stops the connector, resets its offsets (a shared worker keeps nothing of it), deletes it and
/// waits until Kafka Connect no longer knows it: its task has stopped, so it cannot recreate the
/// slot teardown drops next. Workers older than Kafka Connect 3.6 cannot stop or reset: the
/// connector is then deleted only, and its offsets stay behind (logged).
async fn delete(client: &ConnectClient, name: &str, timeout: Duration) -> Result<(), ConnectError> {
    match client.stop(name).await {
        Err(e) if e.status() == Some(404) => return Ok(()),
        Err(e) => tracing::warn!("connector {name}: cannot stop it to reset its offsets: {e}"),
        Ok(()) => {
            let reset = match client.wait_for(name, ConnectorState::Stopped, timeout).await {
                Ok(_) => client.reset_offsets(name).await,
                Err(e) => Err(e),
            };
            if let Err(e) = reset {
                tracing::warn!("connector {name}: its offsets stay on the worker: {e}");
            }
        }
    }
    if !client.delete(name).await? {
        return Ok(());
    }
    let gone = Retry::with_timeout(timeout)
        .max_backoff(Duration::from_millis(250))
        .run(|| async {
            match client.status(name).await {
                Err(e) if e.status() == Some(404) => Ok(()),
                Err(e) => Err(Attempt::Fatal(e)),
                Ok(status) => Err(Attempt::Retry(pending(name, status.summary()))),
            }
        })
        .await;
    match gone {
        Ok(()) => Ok(()),
        Err(RetryError::Fatal { error, .. }) => Err(error),
        Err(RetryError::TimedOut { last, elapsed, .. }) => Err(ConnectError::Timeout {
            connector: name.to_string(),
            what: "the deleted connector to stop".into(),
            elapsed,
            last: last.to_string(),
        }),
    }
}

/// Teardown: the connector, if one was posted.
pub async fn teardown(
    suite: &Suite<'_>,
    cx: &mut ScenarioContext<'_>,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let Some(name) = cx.connector.take() else { return Ok(()) };
    let client = client(suite, Phase::Teardown)?;
    delete(&client, &name, timeout).await.map_err(|e| connect_failure(Phase::Teardown, e))
}
