//! The scenario's own database: created as the superuser, the setup SQL run in it, and the
//! Flink login (the replication user, not a superuser) allowed to read it.

use crate::postgres::{
    create_database, create_publication, run_script, Cleanup, PgClient, PgConfig,
};
use crate::report::Phase;
use crate::run::context::{Pg, ScenarioContext};
use crate::run::ScenarioFailure;
use crate::scenario::{Source, SourceConnector};

/// `publication`: the name of the publication to make for a CDC source, `None` for none.
pub async fn run(
    cx: &mut ScenarioContext<'_>,
    admin: &PgConfig,
    flink_user: &str,
    publication: Option<&str>,
) -> Result<(), ScenarioFailure> {
    let fail = |e: &crate::postgres::PgError| ScenarioFailure::postgres(Phase::Setup, e, None);
    let admin = PgClient::connect(admin).await.map_err(|e| fail(&e))?;
    let names = cx.planned.names.clone();
    let mut cleanup = Cleanup::default();
    let created = create_database(&admin, &names.database, &mut cleanup).await;
    // From here on, teardown drops what `cleanup` holds, whatever happens next.
    cx.pg = Some(Pg { admin, db: None, cleanup });
    let db = PgClient::connect(&created.map_err(|e| fail(&e))?).await.map_err(|e| fail(&e))?;
    if let Some(pg) = cx.pg.as_mut() {
        pg.db = Some(db);
    }
    if let Some(setup) = &cx.scenario().setup {
        cx.record_sql(setup);
        run_script(cx.db(), &setup.text).await.map_err(|e| {
            ScenarioFailure::postgres(Phase::Setup, &e, Some((&cx.scenario().file, setup)))
        })?;
    }
    let user = crate::postgres::quote_ident(flink_user);
    let grants = format!(
        "DO $$ DECLARE s text; BEGIN
           FOR s IN SELECT nspname FROM pg_namespace
                    WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
             EXECUTE format('GRANT USAGE ON SCHEMA %I TO {user}', s);
             EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO {user}', s);
           END LOOP;
         END $$;"
    );
    run_script(cx.db(), &grants).await.map_err(|e| fail(&e))?;
    if let Some(publication) = publication {
        publish(cx, &names.database, publication).await?;
    }
    if matches!(cx.planned.connector, Some(SourceConnector::Cdc | SourceConnector::Debezium)) {
        if let Some(pg) = cx.pg.as_mut() {
            // The CDC reader (Flink CDC, Debezium) creates the slot under the harness's name.
            pg.cleanup.own_slot(&names.slot);
        }
    }
    Ok(())
}

/// The publication the CDC reader reads (it cannot create one as a non-superuser).
async fn publish(
    cx: &mut ScenarioContext<'_>,
    database: &str,
    name: &str,
) -> Result<(), ScenarioFailure> {
    let table = match (&cx.scenario().debezium, &cx.scenario().source) {
        (Some(debezium), _) => Some(debezium.table.to_string()),
        (None, Source::Structured(s)) => Some(s.table.to_string()),
        (None, Source::Verbatim(_)) => None,
    };
    let outcome = match table {
        Some(table) => create_publication(cx.db(), name, &[&table]).await,
        None => {
            let sql =
                format!("CREATE PUBLICATION {} FOR ALL TABLES", crate::postgres::quote_ident(name));
            run_script(cx.db(), &sql).await.map(drop)
        }
    };
    outcome.map_err(|e| ScenarioFailure::postgres(Phase::Setup, &e, None))?;
    if let Some(pg) = cx.pg.as_mut() {
        pg.cleanup.own_publication(database, name);
    }
    Ok(())
}
