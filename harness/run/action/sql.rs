//! `sql = '''...'''`: the statements in the scenario's database, as one batch.

use crate::postgres::run_script;
use crate::report::Phase;
use crate::run::context::ScenarioContext;
use crate::run::ScenarioFailure;
use crate::scenario::EmbeddedSql;

pub async fn run(cx: &mut ScenarioContext<'_>, sql: &EmbeddedSql) -> Result<(), ScenarioFailure> {
    cx.record_sql(sql);
    run_script(cx.db(), &sql.text)
        .await
        .map(drop)
        .map_err(|e| ScenarioFailure::postgres(Phase::Steps, &e, Some((&cx.scenario().file, sql))))
}
