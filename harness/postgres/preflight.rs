//! CDC preflight: can this PostgreSQL feed a CDC reader of this table? A checklist of ok / warn /
//! fail lines, each failing line with the SQL (or connector option) that fixes it.
//!
//! Read-only by construction: the facts are gathered with SELECTs inside one `READ ONLY`
//! transaction that is rolled back, so preflight may run against a production database. The
//! facts are then judged by a pure function, which is what the unit tests below exercise.

use super::client::PgClient;
use super::error::PgError;
use super::slots::{find_slot, validate_slot_name, SlotInfo};
use super::{quote_ident, quote_literal, sanitize};
use serde::Serialize;

/// The publication Debezium (and so Flink's postgres-cdc) uses unless `debezium.publication.name`
/// says otherwise.
pub const DEFAULT_PUBLICATION: &str = "dbz_publication";

/// Output plugins the postgres-cdc connector accepts as `decoding.plugin.name`.
const KNOWN_PLUGINS: &[&str] = &[
    "pgoutput",
    "decoderbufs",
    "wal2json",
    "wal2json_streaming",
    "wal2json_rds",
    "wal2json_rds_streaming",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightRequest {
    /// `schema.table` (or `table`, in `public`), spelled as in the connector's options.
    pub table: String,
    pub slot: Option<String>,
    /// Default: [`DEFAULT_PUBLICATION`].
    pub publication: Option<String>,
    pub plugin: String,
    /// The reader needs the old row of every UPDATE (Flink's `debezium-json` format fails on an
    /// update without one): anything but REPLICA IDENTITY FULL fails.
    pub before_images: bool,
}

impl PreflightRequest {
    pub fn new(table: impl Into<String>) -> Self {
        PreflightRequest {
            table: table.into(),
            slot: None,
            publication: None,
            plugin: "pgoutput".into(),
            before_images: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    WalLevel,
    Replication,
    Table,
    PrimaryKey,
    ReplicaIdentity,
    Publication,
    FreeSlots,
    WalSenders,
    SlotName,
    Slot,
    Plugin,
}

impl CheckName {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::WalLevel => "wal_level",
            CheckName::Replication => "replication",
            CheckName::Table => "table",
            CheckName::PrimaryKey => "primary_key",
            CheckName::ReplicaIdentity => "replica_identity",
            CheckName::Publication => "publication",
            CheckName::FreeSlots => "free_slots",
            CheckName::WalSenders => "wal_senders",
            CheckName::SlotName => "slot_name",
            CheckName::Slot => "slot",
            CheckName::Plugin => "plugin",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: CheckName,
    pub status: Status,
    pub message: String,
    /// SQL (or a connector option) that fixes a warn or fail line.
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checklist {
    /// `host:port/database`.
    pub server: String,
    pub user: String,
    pub table: String,
    pub checks: Vec<Check>,
}

impl Checklist {
    /// No line failed (warnings allowed).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    pub fn check(&self, name: CheckName) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    /// One line per check, fixes indented under their line, and a summary.
    pub fn render(&self) -> String {
        let mut out = format!("preflight {} as {} for {}\n", self.server, self.user, self.table);
        for check in &self.checks {
            let status = match check.status {
                Status::Ok => "ok  ",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
            };
            out.push_str(&format!("  {status}  {:<16} {}\n", check.name.as_str(), check.message));
            for line in check.fix.iter().flat_map(|f| f.lines()) {
                out.push_str(&format!("        {:<16} fix: {line}\n", ""));
            }
        }
        out.push_str(&format!(
            "{} ok, {} warning(s), {} failure(s)\n",
            self.count(Status::Ok),
            self.count(Status::Warn),
            self.count(Status::Fail)
        ));
        out
    }
}

/// Runs every check against the connected database without changing it.
pub async fn preflight(pg: &PgClient, request: &PreflightRequest) -> Result<Checklist, PgError> {
    let table = TableName::parse(&request.table)?;
    pg.raw()
        .batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; \
             SET LOCAL statement_timeout = '15s'",
        )
        .await
        .map_err(|e| pg.error("starting a read-only transaction", e))?;
    let facts = gather(pg, &table, request).await;
    let rollback = pg.raw().batch_execute("ROLLBACK").await;
    let facts = facts?;
    rollback.map_err(|e| pg.error("ending the read-only transaction", e))?;
    Ok(Checklist {
        server: pg.server().to_string(),
        user: facts.user.clone(),
        table: table.to_string(),
        checks: evaluate(&facts, &table, request),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TableName {
    schema: String,
    table: String,
}

impl TableName {
    fn parse(text: &str) -> Result<Self, PgError> {
        let (schema, table) = text.split_once('.').unwrap_or(("public", text));
        if schema.is_empty() || table.is_empty() || table.contains('.') {
            return Err(PgError::InvalidName {
                what: "table",
                name: text.to_string(),
                reason: "give it as schema.table".into(),
            });
        }
        Ok(TableName { schema: schema.into(), table: table.into() })
    }

    fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.table))
    }
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.table)
    }
}

/// What the server told us; judged by [`evaluate`].
#[derive(Debug, Clone)]
struct Facts {
    server_version_num: i32,
    database: String,
    user: String,
    superuser: bool,
    replication: bool,
    create_on_database: bool,
    wal_level: String,
    max_replication_slots: i32,
    used_slots: i64,
    max_wal_senders: i32,
    active_walsenders: i64,
    table: Option<TableFacts>,
    publications: Vec<PublicationFacts>,
    /// The requested slot, when it exists.
    slot: Option<SlotInfo>,
}

#[derive(Debug, Clone)]
struct TableFacts {
    /// `d` default, `f` full, `i` index, `n` nothing.
    replica_identity: String,
    has_primary_key: bool,
    owned_by_user: bool,
}

#[derive(Debug, Clone)]
struct PublicationFacts {
    name: String,
    covers_table: bool,
    /// The operations it does not publish among insert, update, delete.
    missing_ops: Vec<&'static str>,
}

const SERVER_FACTS: &str = "\
SELECT current_setting('server_version_num')::int4, current_database()::text, current_user::text,
       r.rolsuper, r.rolreplication, has_database_privilege(current_database(), 'CREATE'),
       current_setting('wal_level'),
       current_setting('max_replication_slots')::int4,
       (SELECT count(*) FROM pg_replication_slots),
       current_setting('max_wal_senders')::int4,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender')
FROM pg_roles r WHERE r.rolname = current_user";

const TABLE_FACTS: &str = "\
SELECT c.relreplident::text,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p'),
       pg_has_role(c.relowner, 'USAGE')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')";

const PUBLICATION_FACTS: &str = "\
SELECT p.pubname::text, p.pubinsert, p.pubupdate, p.pubdelete,
       p.puballtables OR EXISTS (SELECT 1 FROM pg_publication_tables t
                                 WHERE t.pubname = p.pubname
                                   AND t.schemaname = $1 AND t.tablename = $2)
FROM pg_publication p ORDER BY 1";

async fn gather(
    pg: &PgClient,
    table: &TableName,
    request: &PreflightRequest,
) -> Result<Facts, PgError> {
    let client = pg.raw();
    let row = client
        .query_one(SERVER_FACTS, &[])
        .await
        .map_err(|e| pg.error("reading server settings and role attributes", e))?;
    let table_row = client
        .query_opt(TABLE_FACTS, &[&table.schema, &table.table])
        .await
        .map_err(|e| pg.error(format!("looking up table {table}"), e))?;
    let publications = client
        .query(PUBLICATION_FACTS, &[&table.schema, &table.table])
        .await
        .map_err(|e| pg.error("listing publications", e))?
        .iter()
        .map(|r| PublicationFacts {
            name: r.get(0),
            missing_ops: [
                (r.get::<_, bool>(1), "insert"),
                (r.get(2), "update"),
                (r.get(3), "delete"),
            ]
            .into_iter()
            .filter_map(|(published, op)| (!published).then_some(op))
            .collect(),
            covers_table: r.get(4),
        })
        .collect();
    let slot = match request.slot.as_deref() {
        Some(name) if validate_slot_name(name).is_ok() => find_slot(pg, name).await?,
        _ => None,
    };
    Ok(Facts {
        server_version_num: row.get(0),
        database: row.get(1),
        user: row.get(2),
        superuser: row.get(3),
        replication: row.get(4),
        create_on_database: row.get(5),
        wal_level: row.get(6),
        max_replication_slots: row.get(7),
        used_slots: row.get(8),
        max_wal_senders: row.get(9),
        active_walsenders: row.get(10),
        table: table_row.map(|r| TableFacts {
            replica_identity: r.get(0),
            has_primary_key: r.get(1),
            owned_by_user: r.get(2),
        }),
        publications,
        slot,
    })
}

fn check(
    name: CheckName,
    status: Status,
    message: impl Into<String>,
    fix: Option<String>,
) -> Check {
    Check { name, status, message: message.into(), fix }
}

fn ok(name: CheckName, message: impl Into<String>) -> Check {
    check(name, Status::Ok, message, None)
}

fn evaluate(facts: &Facts, table: &TableName, request: &PreflightRequest) -> Vec<Check> {
    let mut checks = vec![check_wal_level(facts), check_replication(facts)];
    checks.extend(check_table(facts, table, request.before_images));
    if request.plugin == "pgoutput" {
        checks.push(check_publication(facts, table, request));
    }
    checks.extend(check_capacity(facts));
    checks.extend(check_slot(facts, request));
    checks.push(check_plugin(facts, request));
    checks
}

fn check_wal_level(facts: &Facts) -> Check {
    if facts.wal_level == "logical" {
        return ok(CheckName::WalLevel, "wal_level is logical");
    }
    check(
        CheckName::WalLevel,
        Status::Fail,
        format!("wal_level is {}: logical decoding needs logical", facts.wal_level),
        Some("ALTER SYSTEM SET wal_level = logical;  -- then restart PostgreSQL".into()),
    )
}

fn check_replication(facts: &Facts) -> Check {
    let user = &facts.user;
    match (facts.superuser, facts.replication) {
        (true, _) => ok(CheckName::Replication, format!("role {user} is a superuser")),
        (false, true) => ok(CheckName::Replication, format!("role {user} has REPLICATION")),
        (false, false) => check(
            CheckName::Replication,
            Status::Fail,
            format!("role {user} has neither REPLICATION nor SUPERUSER: it cannot create or read a replication slot"),
            Some(format!("ALTER ROLE {} WITH REPLICATION;", quote_ident(user))),
        ),
    }
}

fn check_table(facts: &Facts, table: &TableName, before_images: bool) -> Vec<Check> {
    let Some(t) = &facts.table else {
        return vec![check(
            CheckName::Table,
            Status::Fail,
            format!(
                "table {table} does not exist in database {} (or is not a table)",
                facts.database
            ),
            None,
        )];
    };
    let quoted = table.quoted();
    let primary_key = match (t.has_primary_key, t.replica_identity.as_str()) {
        (true, _) => ok(CheckName::PrimaryKey, format!("{table} has a primary key")),
        (false, "f") => check(
            CheckName::PrimaryKey,
            Status::Warn,
            format!("{table} has no primary key: declare one in Flink (PRIMARY KEY ... NOT ENFORCED) and set 'scan.incremental.snapshot.chunk.key-column'"),
            Some(format!("ALTER TABLE {quoted} ADD PRIMARY KEY (<key columns>);")),
        ),
        (false, _) => check(
            CheckName::PrimaryKey,
            Status::Fail,
            format!("{table} has no primary key: changes cannot be keyed, and UPDATE/DELETE fail once it is published without REPLICA IDENTITY FULL"),
            Some(format!("ALTER TABLE {quoted} ADD PRIMARY KEY (<key columns>);")),
        ),
    };
    let full = Some(format!("ALTER TABLE {quoted} REPLICA IDENTITY FULL;"));
    let partial = "before-images carry only the key columns (changelog-mode=all needs FULL), and unchanged TOAST columns arrive as placeholders";
    let identity = match t.replica_identity.as_str() {
        "f" => ok(CheckName::ReplicaIdentity, "REPLICA IDENTITY FULL"),
        other if before_images => {
            let identity = match other {
                "d" => "DEFAULT",
                "i" => "USING INDEX",
                _ => "NOTHING",
            };
            check(
                CheckName::ReplicaIdentity,
                Status::Fail,
                format!(
                    "REPLICA IDENTITY {identity}: an UPDATE carries no before-image, and Flink's \
                     debezium-json format fails on it (`The \"before\" field of UPDATE message is \
                     null`); the table needs REPLICA IDENTITY FULL"
                ),
                full,
            )
        }
        "d" if !t.has_primary_key => check(
            CheckName::ReplicaIdentity,
            Status::Fail,
            "REPLICA IDENTITY DEFAULT without a primary key identifies no row: UPDATE and DELETE fail once the table is published",
            full,
        ),
        "d" => check(CheckName::ReplicaIdentity, Status::Warn, format!("REPLICA IDENTITY DEFAULT: {partial}"), full),
        "i" => check(CheckName::ReplicaIdentity, Status::Warn, format!("REPLICA IDENTITY USING INDEX: {partial}"), full),
        _ => check(
            CheckName::ReplicaIdentity,
            Status::Fail,
            "REPLICA IDENTITY NOTHING: UPDATE and DELETE fail once the table is published, and carry no before-image",
            full,
        ),
    };
    vec![ok(CheckName::Table, format!("{table} exists")), primary_key, identity]
}

fn check_publication(facts: &Facts, table: &TableName, request: &PreflightRequest) -> Check {
    let name = request.publication.as_deref().unwrap_or(DEFAULT_PUBLICATION);
    let quoted = quote_ident(name);
    if let Some(p) = facts.publications.iter().find(|p| p.name == name) {
        if !p.covers_table {
            return check(
                CheckName::Publication,
                Status::Fail,
                format!("publication {name} exists but does not publish {table}"),
                Some(format!("ALTER PUBLICATION {quoted} ADD TABLE {};", table.quoted())),
            );
        }
        if !p.missing_ops.is_empty() {
            return check(
                CheckName::Publication,
                Status::Warn,
                format!("publication {name} covers {table} but does not publish {}", p.missing_ops.join(", ")),
                Some(format!("ALTER PUBLICATION {quoted} SET (publish = 'insert, update, delete, truncate');")),
            );
        }
        return ok(CheckName::Publication, format!("publication {name} covers {table}"));
    }
    let create = format!("CREATE PUBLICATION {quoted} FOR TABLE {};", table.quoted());
    let covering: Vec<&str> =
        facts.publications.iter().filter(|p| p.covers_table).map(|p| p.name.as_str()).collect();
    if facts.superuser {
        return ok(
            CheckName::Publication,
            format!("publication {name} does not exist; the connector creates it (FOR ALL TABLES, as superuser)"),
        );
    }
    let owner = facts.table.as_ref().is_some_and(|t| t.owned_by_user);
    if let Some(other) = covering.first() {
        // The connector does not fall back to another publication: it tries to create `name`,
        // which fails unless the role may create publications on the table.
        let (status, cannot) = match owner && facts.create_on_database {
            true => (Status::Warn, String::new()),
            false => (Status::Fail, format!(" and role {} cannot create it", facts.user)),
        };
        return check(
            CheckName::Publication,
            status,
            format!(
                "publication {name} does not exist{cannot}, but {} cover(s) {table}",
                covering.join(", ")
            ),
            Some(format!("'debezium.publication.name' = '{other}'  -- or: {create}")),
        );
    }
    if owner && facts.create_on_database {
        return check(
            CheckName::Publication,
            Status::Warn,
            format!("publication {name} does not exist; Debezium's default autocreate (FOR ALL TABLES) needs a superuser, but role {} may create it FOR TABLE", facts.user),
            Some(format!("{create}  -- or 'debezium.publication.autocreate.mode' = 'filtered'")),
        );
    }
    let missing = match (owner, facts.create_on_database) {
        (false, false) => {
            format!("does not own {table} and has no CREATE on database {}", facts.database)
        }
        (false, true) => format!("does not own {table}"),
        _ => format!("has no CREATE on database {}", facts.database),
    };
    check(
        CheckName::Publication,
        Status::Fail,
        format!("publication {name} does not exist and role {} cannot create it: it is not a superuser and {missing}", facts.user),
        Some(format!("{create}  -- as a superuser or the table's owner")),
    )
}

fn check_capacity(facts: &Facts) -> Vec<Check> {
    let reuses_slot = facts.slot.is_some();
    let free_slots = i64::from(facts.max_replication_slots) - facts.used_slots;
    let slots_line =
        format!("{free_slots} of max_replication_slots = {} free", facts.max_replication_slots);
    let slots = if free_slots > 0 || reuses_slot {
        ok(CheckName::FreeSlots, slots_line)
    } else {
        check(
            CheckName::FreeSlots,
            Status::Fail,
            format!("{slots_line}: the connector cannot create its slot"),
            Some(format!(
                "ALTER SYSTEM SET max_replication_slots = {};  -- then restart; or drop unused slots: SELECT pg_drop_replication_slot('<name>');",
                facts.max_replication_slots + 4
            )),
        )
    };
    let free_senders = i64::from(facts.max_wal_senders) - facts.active_walsenders;
    let senders_line = format!(
        "{} walsender(s) running of max_wal_senders = {}",
        facts.active_walsenders, facts.max_wal_senders
    );
    let senders = if free_senders > 0 {
        ok(CheckName::WalSenders, senders_line)
    } else {
        check(
            CheckName::WalSenders,
            Status::Fail,
            format!("{senders_line}: no room for the connector's replication connection"),
            Some(format!(
                "ALTER SYSTEM SET max_wal_senders = {};  -- then restart PostgreSQL",
                facts.max_wal_senders + 4
            )),
        )
    };
    vec![slots, senders]
}

fn check_slot(facts: &Facts, request: &PreflightRequest) -> Vec<Check> {
    let Some(name) = request.slot.as_deref() else { return Vec::new() };
    if let Err(e) = validate_slot_name(name) {
        let suggestion = sanitize(name);
        let fix = (!suggestion.is_empty())
            .then(|| format!("'slot.name' = '{}'", &suggestion[..suggestion.len().min(63)]));
        return vec![check(CheckName::SlotName, Status::Fail, e.to_string(), fix)];
    }
    let valid = ok(CheckName::SlotName, format!("slot name {name} is valid"));
    let Some(slot) = &facts.slot else {
        return vec![
            valid,
            ok(
                CheckName::Slot,
                format!("slot {name} does not exist yet; the connector creates it"),
            ),
        ];
    };
    let drop = Some(format!(
        "SELECT pg_drop_replication_slot({});  -- the connector recreates it, from the current position",
        quote_literal(name)
    ));
    let problem = if slot.slot_type != "logical" {
        Some((format!("slot {name} is a {} slot, not a logical one", slot.slot_type), drop))
    } else if slot.database.as_deref() != Some(facts.database.as_str()) {
        let db = slot.database.as_deref().unwrap_or("?");
        Some((format!("slot {name} belongs to database {db}, not {}", facts.database), None))
    } else if slot.plugin.as_deref() != Some(request.plugin.as_str()) {
        let plugin = slot.plugin.as_deref().unwrap_or("?");
        Some((format!("slot {name} decodes with {plugin}, not {}", request.plugin), drop))
    } else if let (true, Some(pid)) = (slot.active, slot.active_pid) {
        Some((
            format!("slot {name} is active for PID {pid}: another reader holds it"),
            Some(format!("SELECT pg_terminate_backend({pid});  -- only if that reader is stale")),
        ))
    } else if slot.wal_status.as_deref() == Some("lost") {
        Some((format!("slot {name} has lost the WAL it needs (wal_status lost)"), drop))
    } else {
        None
    };
    let state = match problem {
        Some((message, fix)) => check(CheckName::Slot, Status::Fail, message, fix),
        None => ok(
            CheckName::Slot,
            format!(
                "slot {name} exists, inactive, confirmed_flush_lsn {}",
                slot.confirmed_flush_lsn.as_deref().unwrap_or("-")
            ),
        ),
    };
    vec![valid, state]
}

fn check_plugin(facts: &Facts, request: &PreflightRequest) -> Check {
    let plugin = request.plugin.as_str();
    if !KNOWN_PLUGINS.contains(&plugin) {
        return check(
            CheckName::Plugin,
            Status::Fail,
            format!(
                "decoding.plugin.name {plugin} is not one the connector knows ({})",
                KNOWN_PLUGINS.join(", ")
            ),
            Some("'decoding.plugin.name' = 'pgoutput'".into()),
        );
    }
    if plugin == "pgoutput" {
        return if facts.server_version_num >= 100000 {
            ok(CheckName::Plugin, "pgoutput is built into PostgreSQL 10 and later")
        } else {
            check(
                CheckName::Plugin,
                Status::Fail,
                "pgoutput needs PostgreSQL 10 or later",
                Some("'decoding.plugin.name' = 'decoderbufs'  -- if installed".into()),
            )
        };
    }
    if facts.slot.as_ref().is_some_and(|s| s.plugin.as_deref() == Some(plugin)) {
        return ok(CheckName::Plugin, format!("{plugin} is installed (the slot uses it)"));
    }
    check(
        CheckName::Plugin,
        Status::Warn,
        format!("{plugin} is an output plugin shipped separately: cannot verify it is installed without creating a slot"),
        Some("'decoding.plugin.name' = 'pgoutput'  -- built in".into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> Facts {
        Facts {
            server_version_num: 150000,
            database: "shop".into(),
            user: "app".into(),
            superuser: false,
            replication: true,
            create_on_database: false,
            wal_level: "logical".into(),
            max_replication_slots: 10,
            used_slots: 2,
            max_wal_senders: 10,
            active_walsenders: 1,
            table: Some(TableFacts {
                replica_identity: "f".into(),
                has_primary_key: true,
                owned_by_user: false,
            }),
            publications: vec![PublicationFacts {
                name: DEFAULT_PUBLICATION.into(),
                covers_table: true,
                missing_ops: vec![],
            }],
            slot: None,
        }
    }

    fn run(facts: &Facts, request: &PreflightRequest) -> Vec<Check> {
        evaluate(facts, &TableName::parse(&request.table).unwrap(), request)
    }

    fn status_of(checks: &[Check], name: CheckName) -> (Status, Option<String>) {
        let c = checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name:?} in {checks:?}"));
        (c.status, c.fix.clone())
    }

    #[test]
    fn ready_database_passes_every_check() {
        let mut request = PreflightRequest::new("public.orders");
        request.slot = Some("orders_slot".into());
        let checks = run(&ready(), &request);
        assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:#?}");
        assert_eq!(checks.len(), 11);
    }

    #[test]
    fn table_names_default_to_public() {
        assert_eq!(TableName::parse("orders").unwrap().to_string(), "public.orders");
        assert_eq!(TableName::parse("s.t").unwrap().quoted(), "\"s\".\"t\"");
        assert!(TableName::parse("a.b.c").is_err());
        assert!(TableName::parse(".t").is_err());
    }

    #[test]
    fn full_capacity_fails_unless_the_slot_already_exists() {
        let mut facts = ready();
        facts.used_slots = 10;
        facts.active_walsenders = 10;
        let request = PreflightRequest::new("public.orders");
        let checks = run(&facts, &request);
        let (status, fix) = status_of(&checks, CheckName::FreeSlots);
        assert_eq!(status, Status::Fail);
        assert!(fix.unwrap().contains("max_replication_slots = 14"));
        assert_eq!(status_of(&checks, CheckName::WalSenders).0, Status::Fail);
    }

    #[test]
    fn replica_identity_default_warns_and_nothing_fails() {
        let mut facts = ready();
        facts.table.as_mut().unwrap().replica_identity = "d".into();
        let request = PreflightRequest::new("public.orders");
        let (status, fix) = status_of(&run(&facts, &request), CheckName::ReplicaIdentity);
        assert_eq!(status, Status::Warn);
        assert_eq!(fix.unwrap(), "ALTER TABLE \"public\".\"orders\" REPLICA IDENTITY FULL;");
        facts.table.as_mut().unwrap().replica_identity = "n".into();
        assert_eq!(status_of(&run(&facts, &request), CheckName::ReplicaIdentity).0, Status::Fail);
    }

    #[test]
    fn missing_publication_depends_on_what_the_role_may_do() {
        let mut facts = ready();
        facts.publications.clear();
        let request = PreflightRequest::new("public.orders");
        let (status, fix) = status_of(&run(&facts, &request), CheckName::Publication);
        assert_eq!(status, Status::Fail);
        assert!(fix.unwrap().starts_with("CREATE PUBLICATION \"dbz_publication\" FOR TABLE"));

        facts.create_on_database = true;
        facts.table.as_mut().unwrap().owned_by_user = true;
        let (status, fix) = status_of(&run(&facts, &request), CheckName::Publication);
        assert_eq!(status, Status::Warn);
        assert!(fix.unwrap().contains("autocreate.mode' = 'filtered'"));

        facts.superuser = true;
        assert_eq!(status_of(&run(&facts, &request), CheckName::Publication).0, Status::Ok);
    }

    #[test]
    fn another_covering_publication_helps_only_a_role_that_could_create_the_named_one() {
        let mut facts = ready();
        facts.publications[0].name = "orders_pub".into();
        let request = PreflightRequest::new("public.orders");
        let checks = run(&facts, &request);
        let line = checks.iter().find(|c| c.name == CheckName::Publication).unwrap();
        assert_eq!(line.status, Status::Fail, "the connector would try to create it and fail");
        assert!(line.message.contains("role app cannot create it"), "{}", line.message);
        assert!(line
            .fix
            .as_deref()
            .unwrap()
            .starts_with("'debezium.publication.name' = 'orders_pub'"));

        facts.create_on_database = true;
        facts.table.as_mut().unwrap().owned_by_user = true;
        assert_eq!(status_of(&run(&facts, &request), CheckName::Publication).0, Status::Warn);
    }

    #[test]
    fn other_plugins_cannot_be_verified_and_skip_the_publication() {
        let mut request = PreflightRequest::new("public.orders");
        request.plugin = "decoderbufs".into();
        let checks = run(&ready(), &request);
        assert!(checks.iter().all(|c| c.name != CheckName::Publication));
        let plugin = checks.iter().find(|c| c.name == CheckName::Plugin).unwrap();
        assert_eq!(plugin.status, Status::Warn);
        assert!(plugin.message.contains("cannot verify"));
        request.plugin = "test_decoding_x".into();
        assert_eq!(status_of(&run(&ready(), &request), CheckName::Plugin).0, Status::Fail);
    }

    #[test]
    fn invalid_slot_name_suggests_a_valid_one() {
        let mut request = PreflightRequest::new("public.orders");
        request.slot = Some("My-Slot".into());
        let (status, fix) = status_of(&run(&ready(), &request), CheckName::SlotName);
        assert_eq!(status, Status::Fail);
        assert_eq!(fix.unwrap(), "'slot.name' = 'my_slot'");
    }
}
