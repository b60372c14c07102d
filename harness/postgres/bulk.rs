//! Bulk change generators for volume tests: N inserts, updates or deletes over a contiguous
//! range of integer primary keys, as set-based SQL (`generate_series`, `BETWEEN`). Values are
//! pure functions of the row id, so the expected rows are computed from the same spec
//! ([`BulkChange::expected_row`]) and the SQL and the expectations cannot disagree.
//!
//! ```toml
//! table = "public.orders"
//! op = "insert"            # insert | update | delete
//! count = 10000
//! start_id = 1             # ids start_id ..= start_id + count - 1
//! key = "id"               # the integer primary key column
//! batch_size = 5000        # optional: one statement (transaction) per batch
//! columns = { customer = "customer-{id}", amount = { times = 10, plus = 5 }, region = 3 }
//! ```

use super::client::PgClient;
use super::error::PgError;
use super::{quote_ident, quote_literal, quote_qualified};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkChange {
    pub table: String,
    pub op: BulkOp,
    pub count: u64,
    #[serde(default = "default_start_id")]
    pub start_id: i64,
    #[serde(default = "default_key")]
    pub key: String,
    /// Columns set by inserts and updates (ignored by deletes), in name order.
    #[serde(default)]
    pub columns: BTreeMap<String, ValueTemplate>,
    /// Rows per statement; each statement is its own transaction. Default: all in one.
    #[serde(default)]
    pub batch_size: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BulkOp {
    Insert,
    Update,
    Delete,
}

impl BulkOp {
    fn as_str(self) -> &'static str {
        match self {
            BulkOp::Insert => "insert",
            BulkOp::Update => "update",
            BulkOp::Delete => "delete",
        }
    }
}

/// A column value as a function of the row id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum ValueTemplate {
    /// Text where every `{id}` becomes the row id: `"customer-{id}"`.
    Text(String),
    /// The same integer in every row.
    Int(i64),
    /// `id * times + plus`.
    Linear {
        times: i64,
        #[serde(default)]
        plus: i64,
    },
}

impl ValueTemplate {
    /// The value for row `id`, as the expectations see it.
    pub fn value(&self, id: i64) -> serde_json::Value {
        match self {
            ValueTemplate::Text(template) => template.replace("{id}", &id.to_string()).into(),
            ValueTemplate::Int(n) => (*n).into(),
            ValueTemplate::Linear { times, plus } => {
                id.wrapping_mul(*times).wrapping_add(*plus).into()
            }
        }
    }

    /// The same value in SQL, in terms of the id expression `id`.
    fn sql(&self, id: &str) -> String {
        match self {
            ValueTemplate::Text(template) => {
                let parts: Vec<String> = template
                    .split("{id}")
                    .enumerate()
                    .flat_map(|(i, literal)| {
                        let id_part = (i > 0).then(|| format!("({id})::text"));
                        id_part
                            .into_iter()
                            .chain((!literal.is_empty()).then(|| quote_literal(literal)))
                    })
                    .collect();
                if parts.is_empty() {
                    "''".to_string()
                } else {
                    parts.join(" || ")
                }
            }
            ValueTemplate::Int(n) => n.to_string(),
            ValueTemplate::Linear { times, plus } => format!("({id}) * {times} + {plus}"),
        }
    }
}

fn default_start_id() -> i64 {
    1
}

fn default_key() -> String {
    "id".to_string()
}

impl BulkChange {
    /// The ids touched, first and last inclusive.
    pub fn ids(&self) -> std::ops::RangeInclusive<i64> {
        self.start_id..=self.last_id()
    }

    fn last_id(&self) -> i64 {
        self.start_id + self.count as i64 - 1
    }

    /// The row an insert or update leaves for `id` (key and set columns); a delete leaves the
    /// key only.
    pub fn expected_row(&self, id: i64) -> serde_json::Map<String, serde_json::Value> {
        let mut row = serde_json::Map::new();
        row.insert(self.key.clone(), id.into());
        if self.op != BulkOp::Delete {
            for (name, template) in &self.columns {
                row.insert(name.clone(), template.value(id));
            }
        }
        row
    }

    fn validate(&self) -> Result<(), PgError> {
        let bad = |reason: &str| PgError::BadBulkChange {
            table: self.table.clone(),
            reason: reason.to_string(),
        };
        if self.count == 0 {
            return Err(bad("count must be at least 1"));
        }
        if self.start_id.checked_add(self.count as i64 - 1).is_none()
            || self.count > i64::MAX as u64
        {
            return Err(bad("the id range overflows a bigint"));
        }
        if self.batch_size == Some(0) {
            return Err(bad("batch_size must be at least 1"));
        }
        if self.op == BulkOp::Update && self.columns.is_empty() {
            return Err(bad("an update needs at least one column to set"));
        }
        if self.columns.contains_key(&self.key) {
            return Err(bad("the key column is generated from the id; do not list it in columns"));
        }
        Ok(())
    }

    /// The SQL statements, one per batch.
    pub fn statements(&self) -> Result<Vec<String>, PgError> {
        self.validate()?;
        let batch = self.batch_size.unwrap_or(self.count) as i64;
        let mut statements = Vec::new();
        let mut first = self.start_id;
        while first <= self.last_id() {
            let last = first.saturating_add(batch - 1).min(self.last_id());
            statements.push(self.statement(first, last));
            first = match last.checked_add(1) {
                Some(next) => next,
                None => break,
            };
        }
        Ok(statements)
    }

    fn statement(&self, first: i64, last: i64) -> String {
        let table = quote_qualified(&self.table);
        let key = quote_ident(&self.key);
        match self.op {
            BulkOp::Insert => {
                let names: Vec<String> = std::iter::once(key)
                    .chain(self.columns.keys().map(|c| quote_ident(c)))
                    .collect();
                let values: Vec<String> = std::iter::once("g".to_string())
                    .chain(self.columns.values().map(|t| t.sql("g")))
                    .collect();
                format!(
                    "INSERT INTO {table} ({}) SELECT {} FROM generate_series({first}::bigint, {last}::bigint) AS g",
                    names.join(", "),
                    values.join(", ")
                )
            }
            BulkOp::Update => {
                let sets: Vec<String> = self
                    .columns
                    .iter()
                    .map(|(c, t)| format!("{} = {}", quote_ident(c), t.sql(&key)))
                    .collect();
                format!(
                    "UPDATE {table} SET {} WHERE {key} BETWEEN {first} AND {last}",
                    sets.join(", ")
                )
            }
            BulkOp::Delete => format!("DELETE FROM {table} WHERE {key} BETWEEN {first} AND {last}"),
        }
    }

    /// Runs the statements; fails when they did not touch exactly `count` rows (an update of
    /// ids that are not there would otherwise make the expectations lie).
    pub async fn run(&self, pg: &PgClient) -> Result<u64, PgError> {
        let mut affected = 0;
        for statement in self.statements()? {
            affected +=
                pg.raw().execute(statement.as_str(), &[]).await.map_err(|e| {
                    pg.error(format!("bulk {} on {}", self.op.as_str(), self.table), e)
                })?;
        }
        if affected != self.count {
            return Err(PgError::BulkShort {
                table: self.table.clone(),
                op: self.op.as_str(),
                expected: self.count,
                affected,
                first: self.start_id,
                last: self.last_id(),
            });
        }
        Ok(affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(op: BulkOp) -> BulkChange {
        let columns = BTreeMap::from([
            ("amount".to_string(), ValueTemplate::Linear { times: 10, plus: 5 }),
            ("name".to_string(), ValueTemplate::Text("c-{id}'s".into())),
            ("region".to_string(), ValueTemplate::Int(3)),
        ]);
        BulkChange {
            table: "public.orders".into(),
            op,
            count: 5,
            start_id: 11,
            key: "id".into(),
            columns,
            batch_size: None,
        }
    }

    #[test]
    fn insert_is_one_set_based_statement() {
        assert_eq!(
            spec(BulkOp::Insert).statements().unwrap(),
            vec![
                "INSERT INTO \"public\".\"orders\" (\"id\", \"amount\", \"name\", \"region\") \
                 SELECT g, (g) * 10 + 5, 'c-' || (g)::text || '''s', 3 \
                 FROM generate_series(11::bigint, 15::bigint) AS g"
            ]
        );
    }

    #[test]
    fn update_and_delete_cover_the_id_range_in_batches() {
        let mut update = spec(BulkOp::Update);
        update.batch_size = Some(2);
        let statements = update.statements().unwrap();
        assert_eq!(statements.len(), 3);
        assert!(statements[0].ends_with("WHERE \"id\" BETWEEN 11 AND 12"), "{}", statements[0]);
        assert!(statements[2].ends_with("WHERE \"id\" BETWEEN 15 AND 15"), "{}", statements[2]);
        assert!(statements[0].contains("\"name\" = 'c-' || (\"id\")::text || '''s'"));
        assert_eq!(
            spec(BulkOp::Delete).statements().unwrap(),
            vec!["DELETE FROM \"public\".\"orders\" WHERE \"id\" BETWEEN 11 AND 15"]
        );
    }

    #[test]
    fn expected_rows_follow_the_templates() {
        let row = spec(BulkOp::Insert).expected_row(12);
        assert_eq!(
            serde_json::Value::Object(row),
            serde_json::json!({"id": 12, "amount": 125, "name": "c-12's", "region": 3})
        );
        assert_eq!(
            serde_json::Value::Object(spec(BulkOp::Delete).expected_row(12)),
            serde_json::json!({"id": 12})
        );
    }

    #[test]
    fn bad_specs_are_refused() {
        let mut s = spec(BulkOp::Update);
        s.columns.clear();
        assert!(s.statements().unwrap_err().to_string().contains("at least one column"));
        let mut s = spec(BulkOp::Insert);
        s.count = 0;
        assert!(s.statements().is_err());
        let mut s = spec(BulkOp::Insert);
        s.columns.insert("id".into(), ValueTemplate::Int(1));
        assert!(s.statements().is_err());
    }

    #[test]
    fn spec_reads_from_toml() {
        let s: BulkChange = toml::from_str(
            "table = \"t\"\nop = \"insert\"\ncount = 3\n\
             columns = { name = \"n-{id}\", amount = { times = 2 }, flag = 1 }",
        )
        .unwrap();
        assert_eq!(s.start_id, 1);
        assert_eq!(s.columns["amount"], ValueTemplate::Linear { times: 2, plus: 0 });
        assert_eq!(s.columns["flag"], ValueTemplate::Int(1));
        assert!(toml::from_str::<BulkChange>(
            "table = \"t\"\nop = \"insert\"\ncount = 3\nnope = 1"
        )
        .is_err());
    }
}
