//! The scenarios in scenarios/known-bugs/ reproduce known Flink CDC problems. The postgres-cdc
//! connector cannot be had on this machine, so each scenario's PostgreSQL side is proven here,
//! against a real PostgreSQL (the harness's local image), with the scenario file's own setup
//! SQL, step SQL and isolated names. Where the problem needs a reader of the slot, a
//! `pg_recvlogical` process with `pgoutput` inside the PostgreSQL container STANDS IN for the
//! connector's reader (the job); where the content of the decoded changes matters, `pgoutput`
//! decoded through `pg_logical_slot_peek_binary_changes` stands in for it.
//!
//! The scenarios themselves run fully only with the connector: the `#[ignore]`d test at the end
//! runs all of them through the run engine on registry images.

mod pg_support;

use cdc_harness::postgres::{
    create_database, create_publication, find_slot, preflight, run_script, CheckName, Cleanup,
    PgClient, PgConfig, PreflightRequest, Recvlogical, SlotInfo, Status,
};
use cdc_harness::report::{Outcome, Phase};
use cdc_harness::retry::{Attempt, Retry};
use cdc_harness::run::{plan, Planned};
use cdc_harness::scenario::{Source, StepKind};
use cdc_harness::secret::Secret;
use pg_support::{start_postgres_container, TestPg};
use std::path::PathBuf;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn scenario_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/known-bugs").join(file)
}

fn load(file: &str) -> Planned {
    let run_id = format!("kb{:x}", std::process::id());
    let mut planned = plan(&[scenario_path(file)], &run_id, false)
        .unwrap_or_else(|e| panic!("{file}: {}", e.rendered));
    planned.remove(0)
}

/// The SQL of the step called `name` in the scenario file.
fn step_sql<'a>(planned: &'a Planned, name: &str) -> &'a str {
    planned
        .scenario
        .steps
        .iter()
        .find_map(|s| match (&s.kind, s.name.as_deref()) {
            (StepKind::Sql(sql), Some(n)) if n == name => Some(sql.text.as_str()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{}: no sql step named {name:?}", planned.path.display()))
}

fn source_table(planned: &Planned) -> String {
    match &planned.scenario.source {
        Source::Structured(s) => s.table.to_string(),
        Source::Verbatim(_) => panic!("the known-bug scenarios use structured sources"),
    }
}

/// The scenario's database as `run` sets it up: created as the superuser, the file's setup SQL,
/// and the publication the harness makes for a CDC source. Dropped by `cleanup`.
struct Prepared {
    planned: Planned,
    admin: PgClient,
    db: PgClient,
    cleanup: Cleanup,
}

impl Prepared {
    async fn new(pg: &TestPg, file: &str) -> Self {
        let planned = load(file);
        let admin = pg.admin_client().await;
        let mut cleanup = Cleanup::default();
        let names = &planned.names;
        let config = create_database(&admin, &names.database, &mut cleanup).await.unwrap();
        let db = PgClient::connect(&config).await.unwrap();
        let setup = planned.scenario.setup.as_ref().expect("the scenario has setup SQL");
        run_script(&db, &setup.text).await.unwrap();
        create_publication(&db, &names.publication, &[&source_table(&planned)]).await.unwrap();
        cleanup.own_publication(&names.database, &names.publication);
        cleanup.own_slot(&names.slot);
        Prepared { planned, admin, db, cleanup }
    }

    fn slot(&self) -> &str {
        &self.planned.names.slot
    }

    async fn sql(&self, sql: &str) {
        run_script(&self.db, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    async fn slot_info(&self) -> Option<SlotInfo> {
        find_slot(&self.db, self.slot()).await.unwrap()
    }

    async fn wal_lsn(&self) -> u64 {
        let text: String =
            self.db.raw().query_one("SELECT pg_current_wal_lsn()::text", &[]).await.unwrap().get(0);
        lsn(&text)
    }

    /// The `pg_recvlogical` stand-in for the connector's reader, started in the background in
    /// the PostgreSQL container, writing what it decodes to `out`; `extra` adds options
    /// (`--create-slot`, `--startpos`). It reports its position every second, as a reader that
    /// confirms promptly.
    async fn start_stand_in(&self, pg: &TestPg, out: &str, extra: &str) {
        let names = &self.planned.names;
        let reader = Recvlogical::new("postgres", &names.database, &names.slot)
            .option(format!("{extra} -s 1 -F 1").trim())
            .pgoutput(&names.publication)
            .output(out);
        let script = format!("nohup {} >'{out}.log' 2>&1 &", reader.command());
        let (code, _, err) = pg.exec(&script).await;
        assert_eq!(code, Some(0), "starting the pg_recvlogical stand-in: {err}");
    }

    /// Waits until the slot is held, and returns the holder's PID.
    async fn wait_active(&self) -> i32 {
        Retry::with_timeout(WAIT)
            .run(|| async {
                match self.slot_info().await {
                    Some(SlotInfo { active: true, active_pid: Some(pid), .. }) => Ok(pid),
                    other => Err(Attempt::Retry(format!("slot not held yet: {other:?}"))),
                }
            })
            .await
            .unwrap()
    }

    /// Waits until the slot's reader has confirmed everything up to `lsn`.
    async fn wait_confirmed(&self, lsn_at_least: u64) {
        Retry::with_timeout(WAIT)
            .run(|| async {
                let confirmed = self
                    .slot_info()
                    .await
                    .and_then(|s| s.confirmed_flush_lsn)
                    .map(|t| lsn(&t))
                    .unwrap_or(0);
                match confirmed >= lsn_at_least {
                    true => Ok(()),
                    false => {
                        Err(Attempt::Retry(format!("confirmed {confirmed:X} < {lsn_at_least:X}")))
                    }
                }
            })
            .await
            .unwrap();
    }

    /// Ends the slot's reader the way `fault = "terminate-walsender"` does, and waits until the
    /// slot is free.
    async fn terminate_reader(&self) {
        let pid = self.wait_active().await;
        self.db.raw().execute("SELECT pg_terminate_backend($1)", &[&pid]).await.unwrap();
        Retry::with_timeout(WAIT)
            .run(|| async {
                match self.slot_info().await {
                    Some(s) if s.active => Err(Attempt::Retry(format!("still held: {s:?}"))),
                    _ => Ok(()),
                }
            })
            .await
            .unwrap();
    }

    /// Drops what the scenario made (slot, publication, database), as teardown does, and checks
    /// nothing is left.
    async fn finish(mut self) {
        drop(self.db);
        let report = self.cleanup.run(&self.admin, WAIT).await;
        assert!(report.errors.is_empty(), "cleanup: {:?}", report.errors);
        let names = &self.planned.names;
        assert!(find_slot(&self.admin, &names.slot).await.unwrap().is_none(), "slot left");
        let left: i64 = self
            .admin
            .raw()
            .query_one("SELECT count(*) FROM pg_database WHERE datname = $1", &[&names.database])
            .await
            .unwrap()
            .get(0);
        assert_eq!(left, 0, "database left");
    }
}

fn lsn(text: &str) -> u64 {
    let (high, low) = text.split_once('/').expect("an LSN");
    (u64::from_str_radix(high, 16).unwrap() << 32) | u64::from_str_radix(low, 16).unwrap()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn read_in_container(pg: &TestPg, path: &str) -> Vec<u8> {
    let (code, bytes, err) = pg.exec(&format!("cat '{path}'")).await;
    assert_eq!(code, Some(0), "reading {path}: {err}");
    bytes
}

// apache/flink-cdc #1058 and #65: a second reader of a held slot gets "is active for PID"; once
// the holder's walsender is terminated, a reader takes the slot again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slot_active_for_pid_second_pg_recvlogical_stand_in_is_refused_until_the_holder_ends() {
    let pg = start_postgres_container().await;
    let kb = Prepared::new(&pg, "slot-active-for-pid.toml").await;
    kb.sql(step_sql(&kb.planned, "the slot exists before the job (as after an earlier run)")).await;
    kb.start_stand_in(&pg, "/tmp/stale.out", "").await;
    let stale = kb.wait_active().await;

    // The second reader stands in for the job's source connecting while the stale one holds on.
    let names = &kb.planned.names;
    let (code, _, err) = pg
        .exec(&format!(
            "timeout 20 {}",
            Recvlogical::new("postgres", &names.database, &names.slot)
                .pgoutput(&names.publication)
                .command()
        ))
        .await;
    assert_ne!(code, Some(0), "the second reader must be refused");
    let wanted = format!("replication slot \"{}\" is active for PID {stale}", names.slot);
    assert!(err.contains(&wanted), "stand-in said: {err}");

    kb.terminate_reader().await;
    kb.start_stand_in(&pg, "/tmp/job.out", "").await;
    let job = kb.wait_active().await;
    assert_ne!(job, stale, "the slot is held by the new reader");
    kb.sql("INSERT INTO public.orders VALUES (3, 'strainer');").await;
    let after = kb.wal_lsn().await;
    kb.wait_confirmed(after).await;
    assert!(contains(&read_in_container(&pg, "/tmp/job.out").await, "strainer"));
    kb.finish().await;
}

// The cancelled-job scenario: once the reader is gone the slot stays, inactive, and retains at
// least the WAL of the changes written since (the bound the scenario file states); the
// harness's cleanup drops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_reader_leaves_its_slot_retaining_wal_pg_recvlogical_stand_in() {
    let pg = start_postgres_container().await;
    let kb = Prepared::new(&pg, "cancelled-job-keeps-slot.toml").await;
    kb.start_stand_in(&pg, "/tmp/job.out", "--create-slot -P pgoutput --if-not-exists").await;
    kb.wait_active().await;
    kb.sql("UPDATE public.events SET payload = 'first, changed' WHERE id = 1;").await;
    let changed = kb.wal_lsn().await;
    kb.wait_confirmed(changed).await;

    // The job's cancel: its reader ends, and nothing drops the slot.
    kb.terminate_reader().await;
    let idle = kb.slot_info().await.expect("the slot outlives its reader");
    assert!(!idle.active);
    let before_lsn = kb.wal_lsn().await;
    let retained_before = idle.retained_wal_bytes.unwrap();
    kb.sql(step_sql(&kb.planned, "row changes nobody reads")).await;
    let written = kb.wal_lsn().await - before_lsn;
    let retained = kb.slot_info().await.unwrap().retained_wal_bytes.unwrap();
    eprintln!(
        "stand-in reader stopped; the step wrote {written} bytes of WAL; retained {retained_before} -> {retained}"
    );
    assert!(retained as u64 >= retained_before as u64 + written, "{retained} < {written}");

    let bound = kb
        .planned
        .scenario
        .steps
        .iter()
        .find_map(|s| match &s.kind {
            StepKind::VerifySlot(check) => check.min_retained_wal_bytes,
            _ => None,
        })
        .expect("the scenario states a min_retained_wal");
    assert!(retained as u64 >= bound, "the scenario's min_retained_wal {bound} > {retained}");
    kb.finish().await;
}

/// The byte after the relation OID in a pgoutput UPDATE/DELETE message: `N` (new tuple only, no
/// before-image), `K` (old key) or `O` (old row).
async fn tuple_kinds(kb: &Prepared, kind: u8) -> Vec<char> {
    let rows = kb
        .db
        .raw()
        .query(
            "SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, \
             'proto_version', '1', 'publication_names', $2)",
            &[&kb.planned.names.slot, &kb.planned.names.publication],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.get::<_, Vec<u8>>(0))
        .filter(|data| data.first() == Some(&kind))
        .map(|data| data[5] as char)
        .collect()
}

// apache/flink-cdc #2898: with REPLICA IDENTITY DEFAULT the WAL holds no before-image for an
// UPDATE (and only the key for a DELETE); with FULL it holds the old row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_before_images_pgoutput_stand_in_sees_no_old_tuple_without_replica_identity_full() {
    let pg = start_postgres_container().await;
    let kb = Prepared::new(&pg, "null-before-images.toml").await;
    kb.sql(&format!(
        "SELECT pg_create_logical_replication_slot('{}', 'pgoutput');",
        kb.planned.names.slot
    ))
    .await;
    kb.sql(step_sql(&kb.planned, "an UPDATE of a non-key column")).await;
    kb.sql("DELETE FROM public.accounts WHERE id = 1;").await;
    assert_eq!(tuple_kinds(&kb, b'U').await, vec!['N'], "UPDATE under DEFAULT: no old tuple");
    assert_eq!(tuple_kinds(&kb, b'D').await, vec!['K'], "DELETE under DEFAULT: the key only");

    kb.sql("ALTER TABLE public.accounts REPLICA IDENTITY FULL;").await;
    kb.sql("UPDATE public.accounts SET balance = 80 WHERE id = 2;").await;
    assert_eq!(tuple_kinds(&kb, b'U').await, vec!['N', 'O'], "FULL: the old row is logged");
    kb.finish().await;
}

// The publication scenario: as a REPLICATION login that is no superuser, Debezium's FOR ALL
// TABLES publication cannot be created, a reader of the missing publication fails, and preflight
// says so with the fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publication_permission_non_superuser_cannot_create_the_publication() {
    let pg = start_postgres_container().await;
    let kb = Prepared::new(&pg, "publication-permission.toml").await;
    let role = format!("{}_flink", kb.planned.names.database);
    let password = format!("pw-{:x}", std::process::id());
    kb.sql(&format!(
        "CREATE ROLE \"{role}\" LOGIN REPLICATION PASSWORD '{password}';
         GRANT USAGE ON SCHEMA public TO \"{role}\";
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{role}\";"
    ))
    .await;
    let wanted = match &kb.planned.scenario.source {
        Source::Structured(s) => s
            .options
            .iter()
            .find(|o| o.key == "debezium.publication.name")
            .map(|o| o.value.clone())
            .expect("the scenario names Debezium's publication"),
        Source::Verbatim(_) => unreachable!(),
    };
    let login = PgConfig::new(
        &pg.admin.host,
        pg.admin.port,
        &role,
        Secret::new(password.clone()),
        &kb.planned.names.database,
    );
    let flink = PgClient::connect(&login).await.unwrap();

    // As in the run: the login may neither create in the database nor owns the table.
    let mut request = PreflightRequest::new(source_table(&kb.planned));
    request.publication = Some(wanted.clone());
    let checklist = preflight(&flink, &request).await.unwrap();
    let line = checklist.check(CheckName::Publication).unwrap();
    assert_eq!(line.status, Status::Fail, "{}", checklist.render());
    assert!(line.message.contains("cannot create it"), "{}", line.message);
    let fix = line.fix.as_deref().unwrap();
    assert!(fix.contains(&format!("CREATE PUBLICATION \"{wanted}\" FOR TABLE")), "{fix}");

    // What Debezium's autocreate runs. Without CREATE on the database PostgreSQL refuses that
    // first; with it (as a managed service's admin login has), FOR ALL TABLES still needs a
    // superuser.
    let create_all = format!("CREATE PUBLICATION \"{wanted}\" FOR ALL TABLES");
    let refusal = |e: tokio_postgres::Error| {
        let db = e.as_db_error().expect("a server error");
        (db.code().code().to_string(), db.message().to_string())
    };
    let first = flink.raw().batch_execute(&create_all).await.map_err(refusal).unwrap_err();
    assert_eq!(first.0, "42501", "{first:?}");
    assert!(first.1.contains("permission denied for database"), "{first:?}");
    kb.sql(&format!("GRANT CREATE ON DATABASE \"{}\" TO \"{role}\";", kb.planned.names.database))
        .await;
    let second = flink.raw().batch_execute(&create_all).await.map_err(refusal).unwrap_err();
    assert_eq!(second.0, "42501", "{second:?}");
    assert!(
        second.1.contains("must be superuser to create FOR ALL TABLES publication"),
        "{second:?}"
    );

    // The stand-in reader, as that login, on the publication the source names: pgoutput looks
    // the publication up when it decodes the first change, and the reader fails there.
    kb.sql(&format!(
        "SELECT pg_create_logical_replication_slot('{}', 'pgoutput');",
        kb.planned.names.slot
    ))
    .await;
    let (code, _, err) = pg
        .exec(&format!(
            "nohup {} >/tmp/reader.log 2>&1 &",
            Recvlogical::new(&role, &kb.planned.names.database, &kb.planned.names.slot)
                .pgoutput(&wanted)
                .command()
        ))
        .await;
    assert_eq!(code, Some(0), "{err}");
    kb.wait_active().await;
    kb.sql("INSERT INTO public.customers VALUES (2, 'bob');").await;
    let missing = format!("publication \"{wanted}\" does not exist");
    let said = Retry::with_timeout(WAIT)
        .run(|| async {
            let log = String::from_utf8_lossy(&read_in_container(&pg, "/tmp/reader.log").await)
                .into_owned();
            match log.contains(&missing) {
                true => Ok(log),
                false => Err(Attempt::Retry(log)),
            }
        })
        .await;
    assert!(said.is_ok(), "the stand-in reader must fail on the missing publication: {said:?}");
    drop(flink);
    kb.terminate_reader_if_any().await;
    kb.sql(&format!("DROP OWNED BY \"{role}\"; DROP ROLE \"{role}\";")).await;
    kb.finish().await;
}

// The slot-name scenario: PostgreSQL refuses `Flink-Orders` (the step's SQL passes only then),
// so does pg_recvlogical --create-slot, and the lower-case name works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slot_name_with_upper_case_and_dash_is_refused_by_postgresql() {
    let pg = start_postgres_container().await;
    let kb = Prepared::new(&pg, "slot-name-invalid.toml").await;
    kb.sql(step_sql(
        &kb.planned,
        "PostgreSQL refuses the name as written and takes the corrected one",
    ))
    .await;
    let database = &kb.planned.names.database;
    let create = |slot: &str| {
        format!(
            "pg_recvlogical -h /var/run/postgresql -U postgres -d '{database}' -S '{slot}' \
             --create-slot -P pgoutput"
        )
    };
    let (code, _, err) = pg.exec(&create("Flink-Orders")).await;
    assert_ne!(code, Some(0));
    assert!(
        err.contains("replication slot name \"Flink-Orders\" contains invalid character"),
        "{err}"
    );
    assert!(cdc_harness::postgres::validate_slot_name("Flink-Orders").is_err());
    // What preflight (and so `run`, before a CDC job) says about such a 'slot.name'.
    let mut request = PreflightRequest::new(source_table(&kb.planned));
    request.slot = Some("Flink-Orders".into());
    let checklist = preflight(&kb.db, &request).await.unwrap();
    let line = checklist.check(CheckName::SlotName).unwrap();
    assert_eq!(line.status, Status::Fail, "{}", checklist.render());
    assert_eq!(line.fix.as_deref(), Some("'slot.name' = 'flink_orders'"));
    let (code, _, err) = pg.exec(&create("flink_orders")).await;
    assert_eq!(code, Some(0), "{err}");
    kb.cleanup_slot("flink_orders").await;
    kb.finish().await;
}

impl Prepared {
    async fn cleanup_slot(&self, slot: &str) {
        cdc_harness::postgres::drop_slot(&self.admin, slot, true, WAIT).await.unwrap();
    }

    async fn terminate_reader_if_any(&self) {
        if self.slot_info().await.is_some_and(|s| s.active) {
            self.terminate_reader().await;
        }
    }
}

// apache/flink-cdc #1386: a second reader of the job's slot confirms a change; the job, resuming
// from its own (older) position, is started past it by PostgreSQL and never sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_slot_second_pg_recvlogical_stand_in_takes_a_change_the_first_never_sees() {
    let pg = start_postgres_container().await;
    let kb = Prepared::new(&pg, "shared-slot.toml").await;
    // Stand-in for the job: it creates the slot and confirms what it read (its "checkpoint").
    kb.start_stand_in(&pg, "/tmp/job-1.out", "--create-slot -P pgoutput --if-not-exists").await;
    kb.wait_active().await;
    let checkpoint = kb.wal_lsn().await;
    kb.wait_confirmed(checkpoint).await;
    kb.terminate_reader().await;

    kb.sql(step_sql(&kb.planned, "a change while the job is away")).await;
    let taken_at = kb.wal_lsn().await;
    // Stand-in for the second job on the same slot.
    kb.start_stand_in(&pg, "/tmp/other.out", "").await;
    kb.wait_active().await;
    kb.wait_confirmed(taken_at).await;
    kb.terminate_reader().await;

    kb.sql("INSERT INTO public.orders VALUES (4, 'seen by the job');").await;
    let end = kb.wal_lsn().await;
    // The job resumes from its checkpoint, before the change the other reader took.
    let startpos = format!("--startpos={:X}/{:X}", checkpoint >> 32, checkpoint & 0xFFFF_FFFF);
    kb.start_stand_in(&pg, "/tmp/job-2.out", &startpos).await;
    kb.wait_confirmed(end).await;
    kb.terminate_reader().await;

    let other = read_in_container(&pg, "/tmp/other.out").await;
    let resumed = read_in_container(&pg, "/tmp/job-2.out").await;
    assert!(contains(&other, "taken by the other reader"), "the other reader got the change");
    assert!(contains(&resumed, "seen by the job"), "the resumed reader reads on");
    assert!(
        !contains(&resumed, "taken by the other reader"),
        "the resumed reader must not see the change the other reader confirmed"
    );
    kb.finish().await;
}

// Each known-bug scenario through the run engine, as a user runs it with `--images registry`:
// what each file's header says it shows.
#[ignore = "needs the postgres-cdc connector (registry images)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_bug_scenarios_run_fully_on_registry_images() {
    use cdc_harness::report::RunId;
    use cdc_harness::run::{run_suite, RunOptions};
    use cdc_harness::stack::images::ImageSource;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("known-bugs-registry");
    let run_id = RunId::generate(chrono::Utc::now());
    let planned = plan(
        &[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/known-bugs")],
        run_id.as_str(),
        false,
    )
    .unwrap_or_else(|e| panic!("{}", e.rendered));
    assert_eq!(planned.len(), 6);
    let options =
        RunOptions { images: ImageSource::Registry, artefacts_root: dir, ..RunOptions::default() };
    let report = run_suite(planned, &options, run_id).await;
    for result in &report.scenarios {
        let failure = result.outcome.failure();
        let said = failure
            .map(|f| {
                format!("{} {}\n{}", f.phase, f.root_cause, f.details.clone().unwrap_or_default())
            })
            .unwrap_or_default();
        match result.name.as_str() {
            "known-null-before-images" => {
                assert!(failure.is_some(), "the UPDATE must fail the job");
                assert!(
                    said.contains("\"before\" field of UPDATE/DELETE message is null"),
                    "{said}"
                );
            }
            "known-publication-permission" => {
                let f = failure.expect("preflight must stop it");
                assert!(matches!(result.outcome, Outcome::Failed { .. }), "{said}");
                assert_eq!(f.phase, Phase::Preflight, "{said}");
                assert!(said.contains("publication dbz_publication does not exist"), "{said}");
            }
            _ => assert_eq!(result.outcome, Outcome::Passed, "{}: {said}", result.name),
        }
    }
}
