//! Replication hygiene against a real server: slots with their retained WAL, publications,
//! dropping active slots, and cleanup that drops only what the harness owns.

mod pg_support;

use cdc_harness::postgres::{
    create_database, create_logical_slot, create_publication, drop_publication, drop_slot,
    find_slot, list_publications, list_slots, run_script, Cleanup, Dropped, PgClient, PgError,
};
use cdc_harness::retry::{Attempt, Retry};
use pg_support::{start_postgres, unique_names};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn pgoutput_slot_is_listed_with_retained_wal_then_dropped() {
    let server = start_postgres().await;
    let admin = server.admin_client().await;
    let names = unique_names("pgoutput slot");
    let mut cleanup = Cleanup::default();
    let db =
        PgClient::connect(&create_database(&admin, &names.database, &mut cleanup).await.unwrap())
            .await
            .unwrap();
    run_script(&db, "CREATE TABLE orders (id int PRIMARY KEY, note text);").await.unwrap();
    create_publication(&db, &names.publication, &["public.orders"]).await.unwrap();
    cleanup.own_publication(&names.database, &names.publication);

    let publications = list_publications(&db).await.unwrap();
    let publication = publications.iter().find(|p| p.name == names.publication).unwrap();
    assert_eq!(publication.tables, vec!["public.orders"]);
    assert!(!publication.all_tables && publication.insert && publication.delete);

    create_logical_slot(&db, &names.slot, "pgoutput").await.unwrap();
    cleanup.own_slot(&names.slot);
    let fresh = find_slot(&admin, &names.slot).await.unwrap().expect("slot listed");
    run_script(
        &db,
        "INSERT INTO orders SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g;",
    )
    .await
    .unwrap();

    let slots = list_slots(&admin).await.unwrap();
    let slot = slots.iter().find(|s| s.name == names.slot).expect("slot in the full list");
    assert_eq!(slot.plugin.as_deref(), Some("pgoutput"));
    assert_eq!(
        (slot.slot_type.as_str(), slot.database.as_deref()),
        ("logical", Some(names.database.as_str()))
    );
    assert!(!slot.active && slot.active_pid.is_none() && !slot.temporary);
    assert_eq!(slot.wal_status.as_deref(), Some("reserved"));
    let retained = slot.retained_wal_bytes.unwrap();
    assert!(
        retained > 1_000_000 && retained > fresh.retained_wal_bytes.unwrap(),
        "{retained} bytes"
    );

    // Reading the changes (not active: SQL functions release the slot) moves the flush LSN.
    db.raw()
        .execute(
            "SELECT count(*) FROM pg_logical_slot_get_binary_changes($1, NULL, NULL,
               'proto_version', '1', 'publication_names', $2)",
            &[&names.slot, &names.publication],
        )
        .await
        .unwrap();
    let read = find_slot(&admin, &names.slot).await.unwrap().unwrap();
    // restart_lsn (and so the retained WAL) moves only at the next running-xacts record.
    assert_ne!(read.confirmed_flush_lsn, slot.confirmed_flush_lsn);

    assert_eq!(drop_slot(&admin, &names.slot, false, TIMEOUT).await.unwrap(), Dropped::Dropped);
    assert!(find_slot(&admin, &names.slot).await.unwrap().is_none());
    assert_eq!(drop_slot(&admin, &names.slot, false, TIMEOUT).await.unwrap(), Dropped::Absent);
    assert_eq!(drop_publication(&db, &names.publication).await.unwrap(), Dropped::Dropped);
    drop(db);
    let report = cleanup.run(&admin, TIMEOUT).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(report.already_gone, vec![format!("slot {}", names.slot)]);
}

#[tokio::test]
async fn slot_held_by_a_session_is_refused_then_dropped_by_terminating_its_holder() {
    let server = start_postgres().await;
    let admin = server.admin_client().await;
    let names = unique_names("held slot");
    // A temporary slot stays acquired by the session that created it: an active slot without
    // a replication connection.
    let holder = server.admin_client().await;
    holder
        .raw()
        .execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput', true)", &[&names.slot])
        .await
        .unwrap();
    let holder_pid = holder.backend_pid().await.unwrap();
    let slot = find_slot(&admin, &names.slot).await.unwrap().unwrap();
    assert!(slot.active && slot.temporary);
    assert_eq!(slot.active_pid, Some(holder_pid));

    let err = drop_slot(&admin, &names.slot, false, TIMEOUT).await.unwrap_err();
    assert!(matches!(&err, PgError::SlotActive { pid, .. } if *pid == holder_pid), "{err}");
    assert!(find_slot(&admin, &names.slot).await.unwrap().is_some());

    // Terminating the holder takes a temporary slot with it.
    assert_eq!(drop_slot(&admin, &names.slot, true, TIMEOUT).await.unwrap(), Dropped::Absent);
    assert!(find_slot(&admin, &names.slot).await.unwrap().is_none());
    assert!(holder.raw().simple_query("SELECT 1").await.is_err(), "holder was terminated");
}

/// `pg_recvlogical` from the PostgreSQL client tools (on PATH or in Debian's layout).
fn pg_recvlogical() -> std::path::PathBuf {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain((12..=17).rev().map(|v| format!("/usr/lib/postgresql/{v}/bin").into()));
    candidates
        .map(|dir| dir.join("pg_recvlogical"))
        .find(|p| p.is_file())
        .expect("pg_recvlogical (postgresql-client) must be installed for this test")
}

#[tokio::test]
async fn slot_streamed_by_a_walsender_is_dropped_after_terminating_it() {
    let server = start_postgres().await;
    let admin = server.admin_client().await;
    let names = unique_names("walsender slot");
    let mut cleanup = Cleanup::default();
    let config = create_database(&admin, &names.database, &mut cleanup).await.unwrap();
    let db = PgClient::connect(&config).await.unwrap();
    run_script(&db, "CREATE TABLE t (id int PRIMARY KEY);").await.unwrap();
    create_publication(&db, &names.publication, &["t"]).await.unwrap();
    create_logical_slot(&db, &names.slot, "pgoutput").await.unwrap();
    cleanup.own_slot(&names.slot);

    // A real replication connection: the walsender holds the slot while streaming.
    let mut reader = tokio::process::Command::new(pg_recvlogical())
        .args(["--no-loop", "--start", "-f", "/dev/null", "-o", "proto_version=1"])
        .args(["-o", &format!("publication_names={}", names.publication)])
        .args(["-h", &config.host, "-p", &config.port.to_string(), "-U", &config.user])
        .args(["-d", &config.database, "-S", &names.slot])
        .env("PGPASSWORD", config.password.expose())
        .kill_on_drop(true)
        .spawn()
        .expect("start pg_recvlogical");
    let walsender = Retry::with_timeout(TIMEOUT)
        .run(|| async {
            match find_slot(&admin, &names.slot).await {
                Ok(Some(s)) if s.active => Ok(s.active_pid.unwrap()),
                Ok(other) => Err(Attempt::Retry(format!("not active yet: {other:?}"))),
                Err(e) => Err(Attempt::Fatal(e.to_string())),
            }
        })
        .await
        .unwrap();
    let backend_type: String = admin
        .raw()
        .query_one("SELECT backend_type FROM pg_stat_activity WHERE pid = $1", &[&walsender])
        .await
        .unwrap()
        .get(0);
    assert_eq!(backend_type, "walsender");

    assert!(matches!(
        drop_slot(&admin, &names.slot, false, TIMEOUT).await,
        Err(PgError::SlotActive { .. })
    ));
    drop(db);
    // Cleanup owns the slot, terminates its walsender, drops it, then the database.
    let report = cleanup.run(&admin, TIMEOUT).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(
        report.dropped,
        vec![format!("slot {}", names.slot), format!("database {}", names.database)]
    );
    assert!(find_slot(&admin, &names.slot).await.unwrap().is_none());
    let status = tokio::time::timeout(TIMEOUT, reader.wait()).await.expect("reader exits").unwrap();
    assert!(!status.success(), "pg_recvlogical lost its connection");
}

#[tokio::test]
async fn cleanup_never_drops_what_the_harness_did_not_create() {
    let server = start_postgres().await;
    let admin = server.admin_client().await;
    let ours = unique_names("owned");
    let theirs = unique_names("someone else");
    // Someone else's database, slot and publication on the same server.
    let mut not_ours = Cleanup::default();
    let their_db =
        PgClient::connect(&create_database(&admin, &theirs.database, &mut not_ours).await.unwrap())
            .await
            .unwrap();
    run_script(&their_db, "CREATE TABLE t (id int PRIMARY KEY);").await.unwrap();
    create_publication(&their_db, &theirs.publication, &["t"]).await.unwrap();
    create_logical_slot(&their_db, &theirs.slot, "pgoutput").await.unwrap();
    // Ours: a slot and a publication in their database (as against an external database).
    create_publication(&their_db, &ours.publication, &["t"]).await.unwrap();
    create_logical_slot(&their_db, &ours.slot, "pgoutput").await.unwrap();
    let mut cleanup = Cleanup::default();
    cleanup.own_slot(&ours.slot);
    cleanup.own_publication(&theirs.database, &ours.publication);

    let report = cleanup.run(&admin, TIMEOUT).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    // Other tests may share the server: look only at this test's slots.
    let mine: Vec<String> = list_slots(&admin)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .filter(|n| *n == ours.slot || *n == theirs.slot)
        .collect();
    assert_eq!(mine, vec![theirs.slot.clone()]);
    let left: Vec<String> =
        list_publications(&their_db).await.unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(left, vec![theirs.publication.clone()]);

    drop(their_db);
    drop_slot(&admin, &theirs.slot, false, TIMEOUT).await.unwrap();
    assert!(not_ours.run(&admin, TIMEOUT).await.is_clean());
}
