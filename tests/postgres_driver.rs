//! The PostgreSQL driver against a real server: isolation, scripts, waits, bulk changes.

mod pg_support;

use cdc_harness::postgres::{
    create_database, run_script, wait_until, BulkChange, BulkOp, Cleanup, PgClient, PgError,
    ValueTemplate,
};
use cdc_harness::retry::Retry;
use pg_support::{start_postgres, unique_names};
use std::collections::BTreeMap;
use std::time::Duration;

/// A fresh scenario database with `orders (id bigint primary key, name text, amount bigint)`.
async fn scenario_db(test: &str) -> (pg_support::TestPg, PgClient, PgClient, Cleanup) {
    let server = start_postgres().await;
    let admin = server.admin_client().await;
    let mut cleanup = Cleanup::default();
    let names = unique_names(test);
    let config = create_database(&admin, &names.database, &mut cleanup).await.unwrap();
    let db = PgClient::connect(&config).await.unwrap();
    run_script(&db, "CREATE TABLE orders (id bigint PRIMARY KEY, name text, amount bigint);")
        .await
        .unwrap();
    (server, admin, db, cleanup)
}

async fn count(db: &PgClient, sql: &str) -> i64 {
    db.raw().query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn isolated_database_is_created_and_dropped_with_its_sessions() {
    let (_server, admin, db, mut cleanup) = scenario_db("isolation").await;
    let name = db.config().database.clone();
    let exists = "SELECT count(*) FROM pg_database WHERE datname = $1";
    assert_eq!(admin.raw().query_one(exists, &[&name]).await.unwrap().get::<_, i64>(0), 1);

    // `db` stays connected: cleanup must end that session, not wait for it.
    let report = cleanup.run(&admin, Duration::from_secs(10)).await;
    assert!(report.is_clean(), "{:?}", report.errors);
    assert_eq!(report.dropped, vec![format!("database {name}")]);
    assert!(cleanup.is_empty());
    assert_eq!(admin.raw().query_one(exists, &[&name]).await.unwrap().get::<_, i64>(0), 0);
    assert!(db.raw().simple_query("SELECT 1").await.is_err(), "the session was terminated");

    // Idempotent: a second run has nothing left to do.
    cleanup.own_database(&name);
    let again = cleanup.run(&admin, Duration::from_secs(10)).await;
    assert_eq!(again.already_gone, vec![format!("database {name}")]);
}

#[tokio::test]
async fn script_errors_name_the_statement_line_and_sqlstate() {
    let (_server, admin, db, mut cleanup) = scenario_db("script errors").await;

    // An execution error has no position: the statement after the completed ones failed.
    let text = "-- seed\nINSERT INTO orders VALUES (1, 'a', 10);\n\nINSERT INTO orders\n  VALUES (2, 'b', 20);\nINSERT INTO orders VALUES (1, 'dup', 0);\nSELECT 1;";
    let err = run_script(&db, text).await.unwrap_err();
    let PgError::Script { line, statement, error, .. } = &err else { panic!("{err}") };
    assert_eq!((*statement, *line), (3, 6), "{err}");
    assert_eq!(error.code, "23505");
    assert!(error.detail.as_deref().unwrap().contains("(id)=(1)"), "{error:?}");
    // One simple query is one implicit transaction: the first inserts were rolled back too.
    assert_eq!(count(&db, "SELECT count(*) FROM orders").await, 0);

    // An analysis error carries a position: its line is exact, even after multibyte text.
    let text = "INSERT INTO orders VALUES (1, 'é', 1);\nSELECT 1;\nSELECT nope\n  FROM orders;";
    let err = run_script(&db, text).await.unwrap_err();
    let PgError::Script { line, statement, error, .. } = &err else { panic!("{err}") };
    assert_eq!((*statement, *line, error.code.as_str()), (3, 3, "42703"), "{err}");
    let shown = err.to_string();
    assert!(
        shown.contains("statement 3 (line 3 of the SQL)") && shown.contains("42703"),
        "{shown}"
    );

    let ok = run_script(
        &db,
        "INSERT INTO orders VALUES (1, 'a', 1), (2, 'b', 2); SELECT * FROM orders;",
    )
    .await
    .unwrap();
    assert_eq!((ok.statements, ok.rows), (2, 4));
    assert!(cleanup.run(&admin, Duration::from_secs(10)).await.is_clean());
}

#[tokio::test]
async fn wait_succeeds_when_the_condition_turns_true_and_times_out_with_the_last_value() {
    let (_server, admin, db, mut cleanup) = scenario_db("wait").await;
    let config = db.config().clone();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let pg = PgClient::connect(&config).await.unwrap();
        run_script(&pg, "INSERT INTO orders VALUES (7, 'late', 70)").await.unwrap();
    });
    let started = std::time::Instant::now();
    wait_until(
        &db,
        "SELECT count(*) FROM orders WHERE id = 7",
        Retry::with_timeout(Duration::from_secs(10)),
    )
    .await
    .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    writer.await.unwrap();
    wait_until(
        &db,
        "SELECT EXISTS (SELECT 1 FROM orders)",
        Retry::with_timeout(Duration::from_secs(1)),
    )
    .await
    .unwrap();

    let err = wait_until(
        &db,
        "SELECT count(*) FROM orders WHERE id > 100",
        Retry::with_timeout(Duration::from_millis(600)),
    )
    .await
    .unwrap_err();
    let PgError::ConditionTimedOut { last, attempts, .. } = &err else { panic!("{err}") };
    assert_eq!(last, "0");
    assert!(*attempts > 1);

    // A table that does not exist yet is waited for; the timeout says why it never held.
    let err = wait_until(
        &db,
        "SELECT count(*) FROM not_yet",
        Retry::with_timeout(Duration::from_millis(300)),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("\"not_yet\" does not exist"), "{err}");
    // A condition that is not a boolean or count is a mistake, reported at once.
    let err =
        wait_until(&db, "SELECT name FROM orders", Retry::with_timeout(Duration::from_secs(30)))
            .await
            .unwrap_err();
    assert!(matches!(err, PgError::BadCondition { .. }), "{err}");
    assert!(cleanup.run(&admin, Duration::from_secs(10)).await.is_clean());
}

#[tokio::test]
async fn bulk_generators_touch_exactly_the_counted_rows_with_expected_values() {
    let (_server, admin, db, mut cleanup) = scenario_db("bulk").await;
    let mut change = BulkChange {
        table: "public.orders".into(),
        op: BulkOp::Insert,
        count: 1000,
        start_id: 1,
        key: "id".into(),
        columns: BTreeMap::from([
            ("name".to_string(), ValueTemplate::Text("customer-{id}".into())),
            ("amount".to_string(), ValueTemplate::Linear { times: 10, plus: 5 }),
        ]),
        batch_size: Some(300),
    };
    assert_eq!(change.run(&db).await.unwrap(), 1000);
    assert_eq!(count(&db, "SELECT count(*) FROM orders").await, 1000);
    let expected_sum: i64 =
        change.ids().map(|id| change.expected_row(id)["amount"].as_i64().unwrap()).sum();
    assert_eq!(count(&db, "SELECT sum(amount)::int8 FROM orders").await, expected_sum);
    let row =
        db.raw().query_one("SELECT id, name, amount FROM orders WHERE id = 42", &[]).await.unwrap();
    let expected = change.expected_row(42);
    assert_eq!(row.get::<_, String>(1), expected["name"].as_str().unwrap());
    assert_eq!(row.get::<_, i64>(2), expected["amount"].as_i64().unwrap());

    change.op = BulkOp::Update;
    change.count = 500;
    change.start_id = 251;
    change.columns = BTreeMap::from([("name".to_string(), ValueTemplate::Text("v2-{id}".into()))]);
    assert_eq!(change.run(&db).await.unwrap(), 500);
    assert_eq!(count(&db, "SELECT count(*) FROM orders WHERE name LIKE 'v2-%'").await, 500);
    assert_eq!(count(&db, "SELECT count(*) FROM orders WHERE name = 'v2-' || id").await, 500);

    change.op = BulkOp::Delete;
    change.count = 250;
    change.start_id = 1;
    assert_eq!(change.run(&db).await.unwrap(), 250);
    assert_eq!(count(&db, "SELECT count(*) FROM orders").await, 750);
    assert_eq!(count(&db, "SELECT min(id) FROM orders").await, 251);

    // Deleting them again touches nothing: an error, not a silent lie to the expectations.
    let err = change.run(&db).await.unwrap_err();
    assert!(matches!(err, PgError::BulkShort { affected: 0, expected: 250, .. }), "{err}");
    assert!(cleanup.run(&admin, Duration::from_secs(10)).await.is_clean());
}

#[tokio::test]
async fn connection_errors_name_the_server_and_hide_the_password() {
    // Nothing listens on port 1: no server needed to prove the message.
    let config = cdc_harness::postgres::PgConfig::new(
        "127.0.0.1",
        1,
        "app",
        cdc_harness::secret::Secret::new("hunter2-pw"),
        "shop",
    );
    let err = PgClient::connect(&config).await.err().expect("nothing listens on port 1");
    let text = err.to_string();
    assert!(
        text.starts_with("cannot connect to PostgreSQL at 127.0.0.1:1 (user app, database shop)"),
        "{text}"
    );
    assert!(!text.contains("hunter2-pw") && !format!("{err:?}").contains("hunter2-pw"), "{text}");
}
