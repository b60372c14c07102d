//! Before a CDC job is submitted: the `preflight` checklist against the scenario's database, run
//! as the login Flink connects with (the replication user, not the superuser: a permission
//! problem shows only as that user), for the table, slot, publication and decoding plugin that
//! the generated Flink SQL names. Failing lines fail the scenario with their fixes; warnings are
//! logged.

use crate::postgres::{preflight, PgClient, PgConfig, PreflightRequest, Status};
use crate::report::Phase;
use crate::run::context::ScenarioContext;
use crate::run::ScenarioFailure;
use crate::run::Services;
use crate::scenario::SourceConnector;
use crate::sql::ddl;
use crate::sql::generate::GeneratedSql;

/// What the postgres-cdc connector (and Debezium) use when no plugin is named.
const CONNECTOR_DEFAULT_PLUGIN: &str = "decoderbufs";

/// Preflight is for CDC sources: postgres-cdc (structured, or verbatim SQL) and Debezium.
pub fn applies(sql: &GeneratedSql) -> bool {
    matches!(sql.source_connector, Some(SourceConnector::Cdc | SourceConnector::Debezium))
}

/// Runs the checklist for a CDC source; any other source passes untouched.
pub async fn run(
    cx: &ScenarioContext<'_>,
    services: Services<'_>,
    sql: &GeneratedSql,
) -> Result<(), ScenarioFailure> {
    if !applies(sql) {
        return Ok(());
    }
    let request = request_from(sql)?;
    let pg = services.postgres();
    let flink_login = PgConfig::new(
        &pg.host,
        pg.port,
        &pg.replication.user,
        pg.replication.password.clone(),
        &cx.planned.names.database,
    );
    let fail = |e: crate::postgres::PgError| ScenarioFailure::postgres(Phase::Preflight, &e, None);
    let client = PgClient::connect(&flink_login).await.map_err(fail)?;
    let checklist = preflight(&client, &request).await.map_err(fail)?;
    for warning in checklist.checks.iter().filter(|c| c.status == Status::Warn) {
        tracing::warn!(
            scenario = %cx.scenario().name,
            "preflight {}: {}{}",
            warning.name.as_str(),
            warning.message,
            warning.fix.as_deref().map(|f| format!(" (fix: {f})")).unwrap_or_default()
        );
    }
    let failing: Vec<_> = checklist.checks.iter().filter(|c| c.status == Status::Fail).collect();
    let Some(first) = failing.first() else { return Ok(()) };
    let details: String = failing
        .iter()
        .map(|c| {
            let fix = c.fix.as_deref().map(|f| format!("\n    fix: {f}")).unwrap_or_default();
            format!("FAIL {}: {}{fix}\n", c.name.as_str(), c.message)
        })
        .collect();
    Err(ScenarioFailure::failed(
        Phase::Preflight,
        format!(
            "preflight as {} on {}: {} check(s) failed, first {}: {}",
            checklist.user,
            checklist.server,
            failing.len(),
            first.name.as_str(),
            first.message
        ),
    )
    .with_details(details))
}

/// The table, slot, publication and plugin as the generated source table's options (or the
/// Debezium connector's configuration) give them: structured and pasted sources alike, what is
/// submitted is the one truth.
fn request_from(sql: &GeneratedSql) -> Result<PreflightRequest, ScenarioFailure> {
    if let Some(connector) = &sql.connector {
        let value = |key: &str| connector.value(key).map(str::to_string);
        return Ok(PreflightRequest {
            table: connector.table.to_string(),
            slot: value("slot.name").or(Some("debezium".into())),
            publication: Some(connector.publication().to_string()),
            plugin: value("plugin.name").unwrap_or_else(|| CONNECTOR_DEFAULT_PLUGIN.into()),
            before_images: reads_debezium_json(sql),
        });
    }
    let text = sql.source.sql.render(false);
    let file = crate::diagnostics::SourceFile::new("generated source table", text.as_str());
    let parsed = ddl::parse(&file, crate::diagnostics::Span::new(0, text.len()));
    let table = parsed.tables().next().ok_or_else(|| {
        ScenarioFailure::error(Phase::Preflight, "the generated source is not a CREATE TABLE")
    })?;
    let option = |key: &str| table.option(key).map(|o| o.value.clone());
    let Some(table_name) = option("table-name") else {
        return Err(ScenarioFailure::error(
            Phase::Preflight,
            "the CDC source has no 'table-name' option to check",
        ));
    };
    let schema = option("schema-name").unwrap_or_else(|| "public".into());
    Ok(PreflightRequest {
        table: format!("{schema}.{table_name}"),
        slot: option("slot.name"),
        publication: option("debezium.publication.name"),
        plugin: option("decoding.plugin.name").unwrap_or_else(|| CONNECTOR_DEFAULT_PLUGIN.into()),
        before_images: false,
    })
}

/// Whether the Flink source reads the topic with `debezium-json`, which fails on an UPDATE
/// without its before-image.
fn reads_debezium_json(sql: &GeneratedSql) -> bool {
    let text = sql.source.sql.render(false);
    let file = crate::diagnostics::SourceFile::new("generated source table", text.as_str());
    let parsed = ddl::parse(&file, crate::diagnostics::Span::new(0, text.len()));
    let reads = parsed.tables().next().is_some_and(|t| {
        ["format", "value.format"]
            .iter()
            .any(|k| t.option(k).is_some_and(|o| o.value == "debezium-json"))
    });
    reads
}
