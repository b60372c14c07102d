//! `generate = "insert" | "update" | "delete"`: N templated statements, `per_transaction` at a time.

use crate::postgres::run_script;
use crate::report::Phase;
use crate::run::context::ScenarioContext;
use crate::run::ScenarioFailure;
use crate::scenario::Generator;

pub async fn run(
    cx: &mut ScenarioContext<'_>,
    generator: &Generator,
) -> Result<(), ScenarioFailure> {
    let mut changed = 0u64;
    for transaction in generator.transactions() {
        let summary = run_script(cx.db(), &transaction).await.map_err(|e| {
            ScenarioFailure::postgres(Phase::Steps, &e, None)
                .with_details(format!("generated statement(s):\n{transaction}"))
        })?;
        changed += summary.rows;
    }
    if changed < generator.count {
        return Err(ScenarioFailure::error(
            Phase::Steps,
            format!(
                "generate {:?} on {}: {} statements changed {changed} rows (fewer than the statements: the expectations would lie)",
                generator.change, generator.table, generator.count
            ),
        ));
    }
    Ok(())
}
