//! `wait_until = "SELECT ..."`: poll until the query holds.

use crate::postgres::wait_until;
use crate::report::Phase;
use crate::retry::Retry;
use crate::run::context::ScenarioContext;
use crate::run::ScenarioFailure;
use crate::scenario::EmbeddedSql;
use std::time::Duration;

pub async fn until(
    cx: &mut ScenarioContext<'_>,
    query: &EmbeddedSql,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    wait_until(cx.db(), &query.text, Retry::with_timeout(timeout)).await.map_err(|e| {
        ScenarioFailure::postgres(Phase::Steps, &e, Some((&cx.scenario().file, query)))
    })
}
