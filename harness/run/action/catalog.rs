//! A structured source without `columns`: its columns and key from the live catalog, which is
//! what the setup SQL really created.

use crate::postgres::PgClient;
use crate::report::Phase;
use crate::run::ScenarioFailure;
use crate::scenario::pg_schema::{PgColumn, PgTable};
use crate::scenario::TableName;

pub async fn read(pg: &PgClient, table: &TableName) -> Result<Option<PgTable>, ScenarioFailure> {
    let fail = |e| {
        ScenarioFailure::postgres(
            Phase::Lint,
            &pg.error(format!("reading the columns of {table}"), e),
            None,
        )
    };
    let rows = pg
        .raw()
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                    coalesce(a.attnum = ANY (i.indkey), false)
             FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
             WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum",
            &[&table.schema, &table.table],
        )
        .await
        .map_err(fail)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut columns = Vec::new();
    let mut primary_key = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        if row.get::<_, bool>(3) {
            primary_key.push(name.clone());
        }
        columns.push(PgColumn { name, pg_type: row.get(1), not_null: row.get(2), offset: 0 });
    }
    Ok(Some(PgTable { columns, primary_key }))
}
