//! The verifier's wait loop and its report, over topics held in memory (the real broker is in
//! verify_broker.rs).

use std::time::Duration;

use cdc_harness::expect::{
    verify, DiffEntry, ExpectError, Expectation, ExpectedRecord, ExpectedValue, Mode,
};
use cdc_harness::kafka::{parse_recording, KafkaError, ReceivedRecord, RecordedTopic, SinkFormat};

fn records(lines: &[&str]) -> Vec<ReceivedRecord> {
    let text: String = lines.iter().map(|l| l.replace('|', "\t") + "\n").collect();
    parse_recording(&text).unwrap()
}

fn value(json: serde_json::Value) -> ExpectedValue {
    ExpectedValue::from_json(&json).unwrap()
}

fn upsert(id: i64, v: &str) -> ExpectedRecord {
    ExpectedRecord {
        key: Some(value(serde_json::json!({"id": id}))),
        op: None,
        value: Some(value(serde_json::json!({"id": id, "v": v}))),
    }
}

fn quick(mode: Mode, records: Vec<ExpectedRecord>) -> Expectation {
    let mut e = Expectation::new(mode, records);
    e.timeout = Duration::from_millis(800);
    e.quiet_period = Duration::from_millis(300);
    e
}

#[tokio::test]
async fn waits_for_late_records_then_passes() {
    let mut topic = RecordedTopic::new("t", records(&[r#"0|{"id":1}|{"id":1,"v":"a"}"#]))
        .arriving(Duration::from_millis(300), records(&[r#"1|{"id":2}|{"id":2,"v":"b"}"#]));
    let mut e = quick(Mode::Changelog, vec![upsert(1, "a"), upsert(2, "b")]);
    e.timeout = Duration::from_secs(5);
    let verdict = verify(&mut topic, SinkFormat::UpsertKafka, &e).await.unwrap();
    assert!(verdict.passed, "{verdict}");
    assert_eq!(verdict.received.len(), 2);
    assert!(
        verdict.waited >= Duration::from_millis(600),
        "quiet period kept: {:?}",
        verdict.waited
    );
    assert!(
        verdict.waited < Duration::from_secs(3),
        "no waiting for the timeout: {:?}",
        verdict.waited
    );
    assert!(verdict
        .render()
        .starts_with("PASS topic t (changelog): 2 records expected, 2 records received in"));
}

#[tokio::test]
async fn an_extra_record_in_the_quiet_period_fails() {
    let mut all = records(&[r#"0|{"id":1}|{"id":1,"v":"a"}"#, r#"0|{"id":1}|-"#]);
    let late = all.split_off(1);
    let mut topic = RecordedTopic::new("orders", all).arriving(Duration::from_millis(150), late);
    let e = quick(Mode::Changelog, vec![upsert(1, "a")]);
    let verdict = verify(&mut topic, SinkFormat::UpsertKafka, &e).await.unwrap();
    assert!(!verdict.passed);
    assert!(!verdict.timed_out, "it held, then the quiet period caught the extra record");
    let text = verdict.render();
    assert!(
        text.contains(
            "key {\"id\":1}:\n  + extra record: p0@1 key={\"id\":1} delete (tombstone)\n"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_record_times_out_with_a_diff_not_a_bare_timeout() {
    let mut topic = RecordedTopic::new(
        "orders",
        records(&[r#"0|{"id":1}|{"id":1,"v":"a"}"#, r#"0|{"id":3}|-"#]),
    );
    let e = quick(
        Mode::Changelog,
        vec![
            upsert(1, "a"),
            upsert(1, "b"),
            upsert(2, "c"),
            ExpectedRecord {
                key: Some(value(serde_json::json!({"id": 3}))),
                op: None,
                value: None,
            },
        ],
    );
    let verdict = verify(&mut topic, SinkFormat::UpsertKafka, &e).await.unwrap();
    assert!(!verdict.passed && verdict.timed_out, "{verdict}");
    assert!(verdict.waited >= e.timeout);
    let expected = "\
key {\"id\":1}:
  - missing record #2: key={\"id\":1} {\"id\":1,\"v\":\"b\"}
key {\"id\":2}:
  - missing record #3: key={\"id\":2} {\"id\":2,\"v\":\"c\"}
received 2 records:
  p0@0 key={\"id\":1} upsert {\"id\":1,\"v\":\"a\"}
  p0@1 key={\"id\":3} delete (tombstone)
";
    let text = verdict.render();
    assert!(
        text.starts_with(
            "FAIL topic orders (changelog): 4 records expected, 2 records received in"
        ),
        "{text}"
    );
    assert!(text.contains("(timed out waiting for the expectation)"), "{text}");
    assert!(text.ends_with(expected), "{text}");
    assert!(matches!(verdict.diff[1], DiffEntry::Missing { record: 2, .. }));
}

#[tokio::test]
async fn final_state_can_pass_after_intermediate_states() {
    let mut topic = RecordedTopic::new("t", records(&[r#"0|{"id":1}|{"id":1,"v":"a"}"#])).arriving(
        Duration::from_millis(200),
        records(&[
            r#"0|{"id":1}|{"id":1,"v":"b"}"#,
            r#"0|{"id":2}|{"id":2,"v":"c"}"#,
            r#"0|{"id":2}|-"#,
        ]),
    );
    let e = quick(Mode::FinalState, vec![upsert(1, "b")]);
    let verdict = verify(&mut topic, SinkFormat::UpsertKafka, &e).await.unwrap();
    assert!(verdict.passed, "{verdict}");
}

#[tokio::test]
async fn contains_needs_no_quiet_period() {
    let mut topic = RecordedTopic::new("t", records(&[r#"0|-|{"id":1}"#, r#"0|-|{"id":2}"#]));
    let mut e =
        quick(Mode::Contains, vec![ExpectedRecord::row(value(serde_json::json!({"id": 2})))]);
    e.quiet_period = Duration::from_secs(10);
    let verdict = verify(&mut topic, SinkFormat::Json, &e).await.unwrap();
    assert!(verdict.passed, "{verdict}");
    assert!(verdict.waited < Duration::from_secs(2), "{:?}", verdict.waited);
}

#[tokio::test]
async fn an_undecodable_record_is_an_error_naming_it() {
    let mut topic =
        RecordedTopic::new("orders", records(&[r#"0|-|{"id":1}"#, "3|-|not json at all"]));
    let e = quick(Mode::Contains, vec![ExpectedRecord::row(value(serde_json::json!({"id": 5})))]);
    let err = verify(&mut topic, SinkFormat::Json, &e).await.unwrap_err();
    assert!(
        matches!(&err, ExpectError::Kafka(KafkaError::Decode(d)) if d.partition == 3 && d.offset == 0),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("orders partition 3 offset 0") && text.contains("\"not json at all\""),
        "{text}"
    );
}

#[tokio::test]
async fn long_record_lists_are_cut_in_the_middle() {
    let lines: Vec<String> = (0..100).map(|i| format!("0|-|{{\"id\":{i}}}")).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mut topic = RecordedTopic::new("t", records(&lines));
    let e = quick(
        Mode::Count(cdc_harness::expect::Count { total: Some(99), per_op: Default::default() }),
        vec![],
    );
    let verdict = verify(&mut topic, SinkFormat::Json, &e).await.unwrap();
    let text = verdict.render();
    assert!(text.contains("- expected 99 records\n+ received 100 records\n"), "{text}");
    assert!(
        text.contains("  p0@29 insert {\"id\":29}\n  … 60 more …\n  p0@90 insert {\"id\":90}\n"),
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("  p0@")).count(), 40);
}

#[tokio::test]
async fn a_changelog_with_an_unexpected_record_fails_without_waiting() {
    let mut topic = RecordedTopic::new("t", records(&[r#"0|{"id":1}|{"id":1,"v":"zzz"}"#]));
    let mut e = quick(Mode::Changelog, vec![upsert(1, "a"), upsert(2, "b")]);
    e.timeout = Duration::from_secs(10);
    let verdict = verify(&mut topic, SinkFormat::UpsertKafka, &e).await.unwrap();
    assert!(!verdict.passed && !verdict.timed_out, "{verdict}");
    assert!(verdict.waited < Duration::from_secs(5), "{:?}", verdict.waited);
    let text = verdict.render();
    assert!(
        text.contains(
            "  + received instead: p0@0 key={\"id\":1} upsert {\"id\":1,\"v\":\"zzz\"}\n"
        ),
        "{text}"
    );
    assert!(text.contains("  - missing record #2: key={\"id\":2}"), "{text}");
}

/// A source that hands out its records in batches of ten, like the live reader's batch cap.
struct Batches(RecordedTopic, Vec<ReceivedRecord>);

impl cdc_harness::kafka::RecordSource for Batches {
    fn topic(&self) -> &str {
        self.0.topic()
    }

    async fn poll(&mut self, wait: Duration) -> Result<Vec<ReceivedRecord>, KafkaError> {
        if self.1.is_empty() {
            self.1 = self.0.poll(wait).await?;
        }
        let rest = self.1.split_off(self.1.len().min(10));
        Ok(std::mem::replace(&mut self.1, rest))
    }

    fn caught_up(&self) -> bool {
        self.1.is_empty()
    }
}

#[tokio::test]
async fn a_backlog_is_read_without_pausing_between_batches() {
    let lines: Vec<String> =
        (0..500).map(|i| format!("0|{{\"id\":{i}}}|{{\"id\":{i},\"v\":\"x\"}}")).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mut source = Batches(RecordedTopic::new("t", records(&lines)), Vec::new());
    let mut e = quick(Mode::FinalState, (0..500).map(|i| upsert(i, "x")).collect());
    e.timeout = Duration::from_secs(20);
    e.quiet_period = Duration::ZERO;
    let verdict = verify(&mut source, SinkFormat::UpsertKafka, &e).await.unwrap();
    assert!(verdict.passed, "{}", verdict.summary());
    // 50 batches with a pause between each would take seconds.
    assert!(verdict.waited < Duration::from_secs(2), "{:?}", verdict.waited);
}

/// A complete topic (the job that writes it FINISHED) read to its end can bring nothing more: an
/// expectation that does not hold then fails at once, not at its timeout.
#[tokio::test]
async fn a_complete_topic_fails_once_read_to_its_end() {
    let make = || RecordedTopic::new("t", records(&[r#"0|{"id":1}|{"id":1,"v":"a"}"#]));
    let mut e = quick(Mode::FinalState, vec![upsert(1, "a"), upsert(2, "b")]);
    e.timeout = Duration::from_secs(30);
    e.complete = true;
    let verdict = verify(&mut make(), SinkFormat::UpsertKafka, &e).await.unwrap();
    assert!(!verdict.passed, "{verdict}");
    assert!(!verdict.timed_out);
    assert!(verdict.waited < Duration::from_secs(3), "failed at once: {:?}", verdict.waited);
    // Without `complete`, records may still come: it waits.
    e.complete = false;
    e.timeout = Duration::from_secs(2);
    let verdict = verify(&mut make(), SinkFormat::UpsertKafka, &e).await.unwrap();
    assert!(verdict.timed_out && verdict.waited >= Duration::from_secs(2), "{verdict}");
}
