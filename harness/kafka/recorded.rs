//! A topic held in memory: the verifier's input in tests and benchmarks, or a run's records
//! replayed.
//!
//! Recording text format, one record per line: `partition<TAB>key<TAB>value`, where key and
//! value are the record's bytes as (UTF-8) text and `-` is null (a tombstone for the value).
//! Offsets count from 0 per partition in line order. Empty lines and `#` comments are skipped.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::{KafkaError, ReceivedRecord, RecordSource};

pub struct RecordedTopic {
    topic: String,
    /// Records with the time after the first poll at which they appear, in that order.
    pending: VecDeque<(Duration, ReceivedRecord)>,
    first_poll: Option<Instant>,
}

impl RecordedTopic {
    /// A topic whose records are all there from the start.
    pub fn new(topic: impl Into<String>, records: Vec<ReceivedRecord>) -> RecordedTopic {
        let pending = records.into_iter().map(|r| (Duration::ZERO, r)).collect();
        RecordedTopic { topic: topic.into(), pending, first_poll: None }
    }

    /// Adds records that appear `after` the first poll (late or extra records in tests).
    pub fn arriving(mut self, after: Duration, records: Vec<ReceivedRecord>) -> RecordedTopic {
        self.pending.extend(records.into_iter().map(|r| (after, r)));
        self.pending.make_contiguous().sort_by_key(|(at, _)| *at);
        self
    }

    fn take_due(&mut self, elapsed: Duration) -> Vec<ReceivedRecord> {
        let due = self.pending.iter().take_while(|(at, _)| *at <= elapsed).count();
        self.pending.drain(..due).map(|(_, r)| r).collect()
    }
}

impl RecordSource for RecordedTopic {
    fn topic(&self) -> &str {
        &self.topic
    }

    fn caught_up(&self) -> bool {
        match (self.first_poll, self.pending.front()) {
            (Some(start), Some((at, _))) => start + *at > Instant::now(),
            (_, None) => true,
            (None, Some(_)) => false,
        }
    }

    async fn poll(&mut self, wait: Duration) -> Result<Vec<ReceivedRecord>, KafkaError> {
        let start = *self.first_poll.get_or_insert_with(Instant::now);
        let now = Instant::now();
        let due = self.take_due(now - start);
        if !due.is_empty() {
            return Ok(due);
        }
        let next = self.pending.front().map(|(at, _)| start + *at);
        let until = next.map_or(now + wait, |n| n.min(now + wait));
        tokio::time::sleep_until(until).await;
        Ok(self.take_due(Instant::now() - start))
    }
}

/// Reads the recording text format (see the module docs).
pub fn parse_recording(text: &str) -> Result<Vec<ReceivedRecord>, String> {
    let mut next_offset: BTreeMap<i32, i64> = BTreeMap::new();
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (Some(partition), Some(key), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("line {}: expected partition<TAB>key<TAB>value", n + 1));
        };
        let partition: i32 = partition
            .trim()
            .parse()
            .map_err(|_| format!("line {}: partition `{partition}` is not a number", n + 1))?;
        let bytes = |field: &str| (field != "-").then(|| field.as_bytes().to_vec());
        let offset = next_offset.entry(partition).or_insert(0);
        records.push(ReceivedRecord {
            partition,
            offset: *offset,
            key: bytes(key),
            value: bytes(value),
            timestamp: None,
            headers: Vec::new(),
        });
        *offset += 1;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_format() {
        let records =
            parse_recording("# c\n0\t{\"id\":1}\t{\"id\":1}\n1\t-\t{}\n\n0\t{\"id\":1}\t-\n")
                .unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(
            (records[2].partition, records[2].offset, records[2].value.clone()),
            (0, 1, None)
        );
        assert_eq!((records[1].offset, records[1].key.clone()), (0, None));
        assert!(parse_recording("x\ty\tz").unwrap_err().contains("line 1"));
        assert!(parse_recording("0\tonly-two").unwrap_err().contains("line 1"));
    }

    #[tokio::test(start_paused = true)]
    async fn late_records_arrive_on_time() {
        let rec = |offset| ReceivedRecord {
            partition: 0,
            offset,
            key: None,
            value: None,
            timestamp: None,
            headers: vec![],
        };
        let mut topic =
            RecordedTopic::new("t", vec![rec(0)]).arriving(Duration::from_secs(5), vec![rec(1)]);
        assert!(!topic.caught_up(), "nothing read yet");
        assert_eq!(topic.poll(Duration::from_secs(1)).await.unwrap().len(), 1);
        assert!(topic.caught_up(), "the late record is not there yet");
        assert!(topic.poll(Duration::from_secs(1)).await.unwrap().is_empty());
        let late = topic.poll(Duration::from_secs(10)).await.unwrap();
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].offset, 1);
    }
}
