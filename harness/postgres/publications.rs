//! Publications (per database): what `pgoutput` readers subscribe to.

use super::client::PgClient;
use super::error::PgError;
use super::{quote_ident, quote_qualified, Dropped};
use tokio_postgres::error::SqlState;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublicationInfo {
    pub name: String,
    pub all_tables: bool,
    pub insert: bool,
    pub update: bool,
    pub delete: bool,
    pub truncate: bool,
    /// `schema.table` of each published table; empty for `FOR ALL TABLES`.
    pub tables: Vec<String>,
}

/// The publications of the connected database, by name.
pub async fn list_publications(pg: &PgClient) -> Result<Vec<PublicationInfo>, PgError> {
    let rows = pg
        .raw()
        .query(
            "SELECT p.pubname::text, p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete,
                    p.pubtruncate,
                    coalesce(array_agg(t.schemaname || '.' || t.tablename
                                       ORDER BY t.schemaname, t.tablename)
                             FILTER (WHERE t.tablename IS NOT NULL AND NOT p.puballtables),
                             '{}')::text[]
             FROM pg_publication p LEFT JOIN pg_publication_tables t ON t.pubname = p.pubname
             GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1",
            &[],
        )
        .await
        .map_err(|e| pg.error("listing publications", e))?;
    Ok(rows
        .iter()
        .map(|r| PublicationInfo {
            name: r.get(0),
            all_tables: r.get(1),
            insert: r.get(2),
            update: r.get(3),
            delete: r.get(4),
            truncate: r.get(5),
            tables: r.get(6),
        })
        .collect())
}

/// `CREATE PUBLICATION name FOR TABLE ...` (only the given tables: `FOR ALL TABLES` needs a
/// superuser, which a production user of the connector usually is not).
pub async fn create_publication(pg: &PgClient, name: &str, tables: &[&str]) -> Result<(), PgError> {
    if tables.is_empty() {
        return Err(PgError::InvalidName {
            what: "publication",
            name: name.to_string(),
            reason: "give at least one table".into(),
        });
    }
    let list: Vec<String> = tables.iter().map(|t| quote_qualified(t)).collect();
    let sql = format!("CREATE PUBLICATION {} FOR TABLE {}", quote_ident(name), list.join(", "));
    pg.raw()
        .batch_execute(&sql)
        .await
        .map_err(|e| pg.error(format!("creating publication `{name}`"), e))
}

pub async fn drop_publication(pg: &PgClient, name: &str) -> Result<Dropped, PgError> {
    if !pg.exists("publication", "SELECT 1 FROM pg_publication WHERE pubname = $1", name).await? {
        return Ok(Dropped::Absent);
    }
    match pg.raw().batch_execute(&format!("DROP PUBLICATION {}", quote_ident(name))).await {
        Ok(()) => Ok(Dropped::Dropped),
        Err(e) if e.code() == Some(&SqlState::UNDEFINED_OBJECT) => Ok(Dropped::Absent),
        Err(e) => Err(pg.error(format!("dropping publication `{name}`"), e)),
    }
}
