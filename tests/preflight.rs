//! `preflight` and `slots` against a real PostgreSQL: a ready table passes, each broken
//! condition is named on its own line with its fix, the database is unchanged afterwards, and an
//! unreachable server exits 2 naming host:port without the password.

mod pg_support;

use cdc_harness::postgres::{
    create_database, create_logical_slot, list_publications, list_slots, preflight, run_script,
    CheckName, Checklist, Cleanup, PgClient, PgConfig, PreflightRequest, Status,
};
use pg_support::{start_postgres, start_postgres_with_wal_level, unique_names};
use std::process::{Command, Output};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// The URL the CLI takes, password included (it is what a user passes).
fn url(config: &PgConfig) -> String {
    format!(
        "postgres://{}:{}@{}/{}",
        config.user,
        config.password.expose(),
        config.addr(),
        config.database
    )
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cdc-harness")).args(args).output().expect("run cdc-harness")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn request(table: &str, slot: Option<&str>, publication: Option<&str>) -> PreflightRequest {
    PreflightRequest {
        slot: slot.map(str::to_string),
        publication: publication.map(str::to_string),
        ..PreflightRequest::new(table)
    }
}

/// The line of `name`, which must have `status`; returns its message and fix.
fn line(checklist: &Checklist, name: CheckName, status: Status) -> (String, String) {
    let check = checklist
        .check(name)
        .unwrap_or_else(|| panic!("no {name:?} line:\n{}", checklist.render()));
    assert_eq!(check.status, status, "{name:?}:\n{}", checklist.render());
    (check.message.clone(), check.fix.clone().unwrap_or_default())
}

/// What preflight must not change: every slot (with its positions) and the publications.
async fn snapshot(admin: &PgClient, db: &PgClient) -> String {
    let slots: Vec<_> = list_slots(admin)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.active_pid, s.restart_lsn, s.confirmed_flush_lsn))
        .collect();
    let roles = admin
        .raw()
        .query_one(
            "SELECT string_agg(rolname || rolsuper || rolreplication, ',' ORDER BY rolname)
             FROM pg_roles",
            &[],
        )
        .await
        .unwrap()
        .get::<_, String>(0);
    format!("{slots:?}\n{:?}\n{roles}", list_publications(db).await.unwrap())
}

#[tokio::test]
async fn ready_table_passes_and_each_broken_condition_is_named_with_its_fix() {
    let server = start_postgres().await;
    let admin = server.admin_client().await;
    let names = unique_names("preflight");
    let mut cleanup = Cleanup::default();
    let db_config = create_database(&admin, &names.database, &mut cleanup).await.unwrap();
    let db = PgClient::connect(&db_config).await.unwrap();
    run_script(
        &db,
        &format!(
            "CREATE TABLE ready (id int PRIMARY KEY, note text);
             ALTER TABLE ready REPLICA IDENTITY FULL;
             CREATE TABLE no_pk (id int, note text);
             CREATE TABLE ident_default (id int PRIMARY KEY, note text);
             CREATE TABLE uncovered (id int PRIMARY KEY, note text);
             ALTER TABLE uncovered REPLICA IDENTITY FULL;
             CREATE PUBLICATION {pub} FOR TABLE ready, no_pk, ident_default;",
            pub = names.publication
        ),
    )
    .await
    .unwrap();
    // Roles are server-wide: names unique to this run.
    let repl_role = format!("{}_r", &names.base[..names.base.len().min(40)]);
    let plain_role = format!("{}_p", &names.base[..names.base.len().min(40)]);
    run_script(
        &admin,
        &format!(
            "CREATE ROLE {repl_role} LOGIN REPLICATION PASSWORD 'pw-r';
             CREATE ROLE {plain_role} LOGIN PASSWORD 'pw-p';"
        ),
    )
    .await
    .unwrap();
    let as_role = |role: &str, pw: &str| {
        let mut c = db_config.clone();
        c.user = role.to_string();
        c.password = cdc_harness::secret::Secret::new(pw);
        c
    };

    // Another session holds a temporary slot: active, with that session's pid.
    let holder = PgClient::connect(&db_config).await.unwrap();
    let held = format!("{}_held", &names.base[..names.base.len().min(50)]);
    holder
        .raw()
        .execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput', true)", &[&held])
        .await
        .unwrap();
    let holder_pid = holder.backend_pid().await.unwrap();
    let before = snapshot(&admin, &db).await;

    // Ready: a superuser, the table published, PK, REPLICA IDENTITY FULL, a fresh slot name.
    let ready = request("public.ready", Some(&names.slot), Some(&names.publication));
    let checklist = preflight(&db, &ready).await.unwrap();
    assert!(checklist.checks.iter().all(|c| c.status == Status::Ok), "{}", checklist.render());
    assert_eq!(checklist.checks.len(), 11, "{}", checklist.render());
    let db_url = url(&db_config);
    let out = cli(&[
        "preflight",
        "--pg",
        &db_url,
        "--table",
        "public.ready",
        "--slot",
        &names.slot,
        "--publication",
        &names.publication,
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("11 ok, 0 warning(s), 0 failure(s)"), "{stdout}");
    assert!(!stdout.contains("harness-test-pw"), "{stdout}");

    // No primary key: fails, and the CLI exits 1 with the line in its JSON.
    let checklist =
        preflight(&db, &request("public.no_pk", None, Some(&names.publication))).await.unwrap();
    let (_, fix) = line(&checklist, CheckName::PrimaryKey, Status::Fail);
    assert_eq!(fix, "ALTER TABLE \"public\".\"no_pk\" ADD PRIMARY KEY (<key columns>);");
    assert!(!checklist.passed());
    let out = cli(&[
        "preflight",
        "--pg",
        &db_url,
        "--table",
        "public.no_pk",
        "--publication",
        &names.publication,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON checklist");
    let pk = json["checks"].as_array().unwrap().iter().find(|c| c["name"] == "primary_key");
    assert_eq!(pk.unwrap()["status"], "fail", "{json}");

    // REPLICA IDENTITY DEFAULT: a warning with the fix; warnings alone exit 0.
    let ident = request("public.ident_default", None, Some(&names.publication));
    let checklist = preflight(&db, &ident).await.unwrap();
    let (message, fix) = line(&checklist, CheckName::ReplicaIdentity, Status::Warn);
    assert!(message.contains("TOAST"), "{message}");
    assert_eq!(fix, "ALTER TABLE \"public\".\"ident_default\" REPLICA IDENTITY FULL;");
    assert!(checklist.passed(), "{}", checklist.render());
    let out = cli(&[
        "preflight",
        "--pg",
        &db_url,
        "--table",
        "public.ident_default",
        "--publication",
        &names.publication,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("WARN  replica_identity"), "{}", text(&out.stdout));

    // A slot name PostgreSQL would refuse.
    let checklist =
        preflight(&db, &request("public.ready", Some("My-Slot"), Some(&names.publication)))
            .await
            .unwrap();
    let (message, fix) = line(&checklist, CheckName::SlotName, Status::Fail);
    assert!(message.contains("`M` is not allowed"), "{message}");
    assert_eq!(fix, "'slot.name' = 'my_slot'");

    // A slot held by another session: its pid is named.
    let checklist = preflight(&db, &request("public.ready", Some(&held), Some(&names.publication)))
        .await
        .unwrap();
    let (message, fix) = line(&checklist, CheckName::Slot, Status::Fail);
    assert!(message.contains(&format!("active for PID {holder_pid}")), "{message}");
    assert!(fix.contains(&format!("pg_terminate_backend({holder_pid})")), "{fix}");

    // A role without REPLICATION.
    let plain = PgClient::connect(&as_role(&plain_role, "pw-p")).await.unwrap();
    let checklist = preflight(&plain, &ready).await.unwrap();
    let (_, fix) = line(&checklist, CheckName::Replication, Status::Fail);
    assert_eq!(fix, format!("ALTER ROLE \"{plain_role}\" WITH REPLICATION;"));

    // REPLICATION but no publication, not the owner, no CREATE: cannot create one either.
    let repl = PgClient::connect(&as_role(&repl_role, "pw-r")).await.unwrap();
    let uncovered = request("public.uncovered", Some(&names.slot), None);
    let checklist = preflight(&repl, &uncovered).await.unwrap();
    line(&checklist, CheckName::Replication, Status::Ok);
    let (message, fix) = line(&checklist, CheckName::Publication, Status::Fail);
    assert!(message.contains("dbz_publication does not exist"), "{message}");
    assert!(message.contains("has no CREATE on database"), "{message}");
    assert!(
        fix.starts_with(
            "CREATE PUBLICATION \"dbz_publication\" FOR TABLE \"public\".\"uncovered\";"
        ),
        "{fix}"
    );
    // A publication covering it under another name: point the connector at it (the role
    // cannot create the one asked for, and the connector would try).
    let (message, fix) = line(
        &preflight(&repl, &request("public.ready", None, None)).await.unwrap(),
        CheckName::Publication,
        Status::Fail,
    );
    assert!(message.contains(&names.publication), "{message}");
    assert!(message.contains("cannot create it"), "{message}");
    assert!(fix.starts_with(&format!("'debezium.publication.name' = '{}'", names.publication)));

    assert_eq!(snapshot(&admin, &db).await, before, "preflight changed the database");

    // The owner with CREATE on the database may create a FOR TABLE publication itself.
    run_script(
        &admin,
        &format!("GRANT CREATE ON DATABASE {db} TO {repl_role};", db = names.database),
    )
    .await
    .unwrap();
    run_script(&db, &format!("ALTER TABLE uncovered OWNER TO {repl_role};")).await.unwrap();
    let (_, fix) =
        line(&preflight(&repl, &uncovered).await.unwrap(), CheckName::Publication, Status::Warn);
    assert!(fix.contains("'debezium.publication.autocreate.mode' = 'filtered'"), "{fix}");

    drop((plain, repl, holder, db));
    let report = cleanup.run(&admin, TIMEOUT).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    run_script(&admin, &format!("DROP ROLE {repl_role}; DROP ROLE {plain_role};")).await.unwrap();
}

#[tokio::test]
async fn wal_level_replica_fails_with_the_alter_system_fix() {
    let server = start_postgres_with_wal_level("replica").await;
    let admin = server.admin_client().await;
    run_script(&admin, "CREATE TABLE orders (id int PRIMARY KEY);").await.unwrap();
    let checklist = preflight(&admin, &PreflightRequest::new("orders")).await.unwrap();
    let (message, fix) = line(&checklist, CheckName::WalLevel, Status::Fail);
    assert!(message.contains("wal_level is replica"), "{message}");
    assert!(fix.starts_with("ALTER SYSTEM SET wal_level = logical;"), "{fix}");
    let out = cli(&["preflight", "--pg", &url(&server.admin), "--table", "public.orders"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("FAIL  wal_level"), "{}", text(&out.stdout));
}

#[test]
fn unreachable_server_exits_2_naming_host_and_port_without_the_password() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://app:topsecret-pw@127.0.0.1:{port}/shop");
    for args in
        [vec!["preflight", "--pg", &url, "--table", "public.orders"], vec!["slots", "--pg", &url]]
    {
        let out = cli(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
        assert!(!stderr.contains("topsecret") && !text(&out.stdout).contains("topsecret"));
    }
}

#[tokio::test]
async fn slots_lists_a_created_slot_with_its_retained_wal() {
    let server = start_postgres().await;
    let admin = server.admin_client().await;
    let names = unique_names("slots cli");
    let mut cleanup = Cleanup::default();
    let db =
        PgClient::connect(&create_database(&admin, &names.database, &mut cleanup).await.unwrap())
            .await
            .unwrap();
    create_logical_slot(&db, &names.slot, "pgoutput").await.unwrap();
    cleanup.own_slot(&names.slot);
    run_script(
        &db,
        "CREATE TABLE t (id int PRIMARY KEY, note text);
         INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g;",
    )
    .await
    .unwrap();

    let out = cli(&["slots", "--pg", &url(&server.admin)]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("SLOT"), "{stdout}");
    let row = lines.iter().find(|l| l.starts_with(&names.slot)).expect("slot row");
    assert!(row.contains("pgoutput") && row.contains(&names.database), "{row}");
    let col = lines[0].find("RETAINED WAL").unwrap();
    let retained: Vec<&str> = row[col..].split_whitespace().take(2).collect();
    let amount: f64 = retained[0].parse().unwrap_or_else(|_| panic!("{row}"));
    assert!(amount > 0.0 && ["KiB", "MiB"].contains(&retained[1]), "{row}");
    assert!(row.contains("reserved"), "{row}");

    // --watch refreshes until interrupted; no screen clearing when stdout is not a terminal.
    let child = Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
        .args(["slots", "--pg", &url(&server.admin), "--watch", "1"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.matches(&names.slot).count() >= 2, "{stdout}");
    assert!(!stdout.contains("\x1b[2J"), "{stdout:?}");

    drop(db);
    let report = cleanup.run(&admin, TIMEOUT).await;
    assert!(report.is_clean(), "{:?}", report.errors);
}
