//! Teardown, whatever happened before: stop the job, drop what the scenario created. With
//! `--keep` the scenario's database stays for inspection (the job is still stopped).

use super::action;
use super::context::ScenarioContext;
use super::suite::Suite;
use super::ScenarioFailure;
use crate::report::Phase;

pub async fn run(suite: &Suite<'_>, cx: &mut ScenarioContext<'_>) -> Result<(), ScenarioFailure> {
    let timeout = cx.scenario().timeouts.teardown;
    let mut problems = Vec::new();
    if let Err(e) = action::job::cancel(suite, cx, timeout).await {
        problems.push(e.root_cause);
    }
    // Before the slot is dropped: a running connector would create it again.
    if let Err(e) = action::connector::teardown(suite, cx, timeout).await {
        problems.push(e.root_cause);
    }
    if let Some(job) = cx.job.take() {
        if let Err(e) = job.submitted.release().await {
            problems.push(format!("closing the gateway session: {e}"));
        }
    }
    if let Some(mut pg) = cx.pg.take() {
        // The scenario's session first: its database cannot be dropped while connected.
        drop(pg.db.take());
        for slot in std::mem::take(&mut cx.occupied) {
            if let Err(e) = action::fault::release(&pg.admin, &slot, timeout).await {
                problems.push(e.root_cause);
            }
        }
        if !suite.keep {
            // Slots made by the scenario's own SQL steps live in its database and would block
            // dropping it; they are the scenario's, whoever created them.
            own_database_slots(&mut pg, &cx.planned.names.database).await;
            let report = pg.cleanup.run(&pg.admin, timeout).await;
            problems.extend(report.errors.iter().map(|e| e.to_string()));
        }
    }
    // A target's broker outlives the run, and a stack's serves every scenario of it.
    if cx.topic_created && !suite.keep {
        let topic = &cx.planned.names.topic;
        match suite.services.delete_topic(topic).await {
            Ok(_) => cx.topic_created = false,
            Err(e) => problems.push(e.to_string()),
        }
    }
    if cx.debezium_topics && !suite.keep {
        let names = &cx.planned.names;
        match suite.services.list_topics().await {
            Ok(topics) => {
                for topic in topics.iter().filter(|t| names.is_debezium_topic(t)) {
                    if let Err(e) = suite.services.delete_topic(topic).await {
                        problems.push(e.to_string());
                    }
                }
                cx.debezium_topics = false;
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(ScenarioFailure::error(Phase::Teardown, problems.join("; "))),
    }
}

async fn own_database_slots(pg: &mut crate::run::context::Pg, database: &str) {
    match crate::postgres::list_slots(&pg.admin).await {
        Ok(slots) => slots
            .iter()
            .filter(|s| s.database.as_deref() == Some(database))
            .for_each(|s| pg.cleanup.own_slot(&s.name)),
        Err(e) => tracing::warn!("listing the scenario's replication slots: {e}"),
    }
}
