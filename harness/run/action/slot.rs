//! `verify_slot = "exists" | "absent" | "active" | "inactive"`: the replication slot's state,
//! with an optional bound on the WAL it retains and a check that `confirmed_flush_lsn` moves.
//! Polled until the step's timeout; on timeout the failure names the slot and what was seen last.

use crate::postgres::{find_slot, SlotInfo};
use crate::report::Phase;
use crate::retry::{Attempt, Retry, RetryError};
use crate::run::context::ScenarioContext;
use crate::run::ScenarioFailure;
use crate::scenario::{SlotCheck, SlotState};
use std::cell::Cell;
use std::time::Duration;

pub async fn verify(
    cx: &mut ScenarioContext<'_>,
    check: &SlotCheck,
    timeout: Duration,
) -> Result<(), ScenarioFailure> {
    let slot = slot_name(cx, check.slot.as_deref());
    // What `confirmed_flush_lsn` must move past; without an earlier check, the first look.
    let baseline = Cell::new(cx.flush_marks.get(&slot).copied());
    let pg = cx.db();
    let outcome = Retry::with_timeout(timeout)
        .run(|| {
            let slot = &slot;
            let baseline = &baseline;
            async move {
                let found = find_slot(pg, slot).await.map_err(|e| Attempt::Fatal(e.to_string()))?;
                if baseline.get().is_none() && check.confirmed_flush_advances {
                    let flushed = found.as_ref().and_then(|s| s.confirmed_flush_lsn.as_deref());
                    baseline.set(Some(flushed.and_then(parse_lsn).unwrap_or(0)));
                }
                match judge(check, found.as_ref(), baseline.get()) {
                    Ok(()) => Ok(found),
                    Err(why) => Err(Attempt::Retry(describe(slot, found.as_ref(), &why))),
                }
            }
        })
        .await;
    match outcome {
        Ok(found) => {
            let flushed = found.and_then(|s| s.confirmed_flush_lsn);
            if let Some(lsn) = flushed.as_deref().and_then(parse_lsn) {
                cx.flush_marks.insert(slot, lsn);
            }
            Ok(())
        }
        Err(RetryError::TimedOut { last, .. }) => Err(ScenarioFailure::failed(
            Phase::Steps,
            format!(
                "verify_slot did not hold within {}: {last}",
                crate::scenario::format_duration(timeout)
            ),
        )),
        Err(RetryError::Fatal { error, .. }) => Err(ScenarioFailure::error(
            Phase::Steps,
            format!("reading replication slot `{slot}`: {error}"),
        )),
    }
}

/// The named slot, or the scenario's own.
pub fn slot_name(cx: &ScenarioContext<'_>, named: Option<&str>) -> String {
    named.map_or_else(|| cx.planned.names.slot.clone(), str::to_string)
}

/// Why `found` does not satisfy `check`. `baseline`: the `confirmed_flush_lsn` the slot must
/// move past.
fn judge(check: &SlotCheck, found: Option<&SlotInfo>, baseline: Option<u64>) -> Result<(), String> {
    let Some(slot) = found else {
        return match check.state {
            SlotState::Absent => Ok(()),
            _ => Err(format!("expected it {}, but it does not exist", state_word(check.state))),
        };
    };
    match (check.state, slot.active) {
        (SlotState::Absent, _) => return Err("expected it absent, but it exists".into()),
        (SlotState::Active, false) => return Err("expected it active, but it is inactive".into()),
        (SlotState::Inactive, true) => return Err("expected it inactive, but it is active".into()),
        _ => {}
    }
    if let Some(max) = check.max_retained_wal_bytes {
        match slot.retained_wal_bytes {
            Some(kept) if kept >= 0 && (kept as u64) <= max => {}
            Some(kept) => {
                return Err(format!(
                    "it retains {kept} bytes of WAL, more than max_retained_wal ({max} bytes)"
                ))
            }
            None => return Err("its retained WAL is unknown (no restart_lsn)".into()),
        }
    }
    if let Some(min) = check.min_retained_wal_bytes {
        match slot.retained_wal_bytes {
            Some(kept) if kept >= 0 && (kept as u64) >= min => {}
            Some(kept) => {
                return Err(format!(
                    "it retains {kept} bytes of WAL, less than min_retained_wal ({min} bytes)"
                ))
            }
            None => return Err("its retained WAL is unknown (no restart_lsn)".into()),
        }
    }
    if check.confirmed_flush_advances {
        let now = slot.confirmed_flush_lsn.as_deref().and_then(parse_lsn).unwrap_or(0);
        let before = baseline.unwrap_or(0);
        if now <= before {
            return Err(format!(
                "confirmed_flush_lsn has not advanced past {}",
                format_lsn(before)
            ));
        }
    }
    Ok(())
}

fn state_word(state: SlotState) -> &'static str {
    match state {
        SlotState::Exists => "to exist",
        SlotState::Absent => "absent",
        SlotState::Active => "active",
        SlotState::Inactive => "inactive",
    }
}

/// `slot `x`: <why> (last seen: active pid 42, restart_lsn ..., retained WAL N bytes, ...)`.
fn describe(name: &str, found: Option<&SlotInfo>, why: &str) -> String {
    let Some(s) = found else { return format!("slot `{name}`: {why} (last seen: absent)") };
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    format!(
        "slot `{name}`: {why} (last seen: {}{}, restart_lsn {}, confirmed_flush_lsn {}, \
         retained WAL {} bytes, wal_status {})",
        if s.active { "active" } else { "inactive" },
        s.active_pid.map(|p| format!(" pid {p}")).unwrap_or_default(),
        or_none(&s.restart_lsn),
        or_none(&s.confirmed_flush_lsn),
        s.retained_wal_bytes.map_or_else(|| "unknown".into(), |b| b.to_string()),
        or_none(&s.wal_status),
    )
}

/// `16/B374D848` → its 64-bit position.
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

fn format_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(active: bool, retained: Option<i64>, flushed: &str) -> SlotInfo {
        SlotInfo {
            name: "s".into(),
            plugin: Some("pgoutput".into()),
            slot_type: "logical".into(),
            database: Some("db".into()),
            temporary: false,
            active,
            active_pid: active.then_some(42),
            restart_lsn: Some("0/1000".into()),
            confirmed_flush_lsn: Some(flushed.into()),
            retained_wal_bytes: retained,
            wal_status: Some("reserved".into()),
            safe_wal_size: None,
        }
    }

    fn check(state: SlotState) -> SlotCheck {
        SlotCheck {
            slot: None,
            state,
            max_retained_wal_bytes: None,
            min_retained_wal_bytes: None,
            confirmed_flush_advances: false,
        }
    }

    #[test]
    fn lsns_parse_and_order() {
        assert_eq!(parse_lsn("0/16B3748"), Some(0x16B3748));
        assert_eq!(parse_lsn("1/0"), Some(1 << 32));
        assert!(parse_lsn("1/0") > parse_lsn("0/FFFFFFFF"));
        assert_eq!(parse_lsn("nonsense"), None);
        assert_eq!(format_lsn(parse_lsn("16/B374D848").unwrap()), "16/B374D848");
    }

    #[test]
    fn states_are_judged() {
        let idle = slot(false, Some(10), "0/10");
        assert!(judge(&check(SlotState::Exists), Some(&idle), None).is_ok());
        assert!(judge(&check(SlotState::Inactive), Some(&idle), None).is_ok());
        let why = judge(&check(SlotState::Active), Some(&idle), None).unwrap_err();
        assert!(why.contains("inactive"), "{why}");
        assert!(judge(&check(SlotState::Absent), None, None).is_ok());
        let why = judge(&check(SlotState::Exists), None, None).unwrap_err();
        assert!(why.contains("does not exist"), "{why}");
        assert!(judge(&check(SlotState::Absent), Some(&idle), None).is_err());
    }

    #[test]
    fn a_retained_wal_bound_names_the_bytes() {
        let mut c = check(SlotState::Exists);
        c.max_retained_wal_bytes = Some(1024);
        assert!(judge(&c, Some(&slot(false, Some(1024), "0/1")), None).is_ok());
        let why = judge(&c, Some(&slot(false, Some(5000), "0/1")), None).unwrap_err();
        assert!(why.contains("5000 bytes") && why.contains("1024"), "{why}");
        let text = describe("my_slot", Some(&slot(false, Some(5000), "0/1")), &why);
        let mut at_least = check(SlotState::Inactive);
        at_least.min_retained_wal_bytes = Some(4096);
        assert!(judge(&at_least, Some(&slot(false, Some(5000), "0/1")), None).is_ok());
        let why = judge(&at_least, Some(&slot(false, Some(100), "0/1")), None).unwrap_err();
        assert!(why.contains("less than min_retained_wal (4096 bytes)"), "{why}");
        assert!(text.contains("`my_slot`") && text.contains("retained WAL 5000 bytes"), "{text}");
    }

    #[test]
    fn confirmed_flush_must_move_past_the_baseline() {
        let mut c = check(SlotState::Exists);
        c.confirmed_flush_advances = true;
        let s = slot(true, Some(0), "0/20");
        assert!(judge(&c, Some(&s), parse_lsn("0/10")).is_ok());
        assert!(judge(&c, Some(&s), parse_lsn("0/20")).unwrap_err().contains("0/20"));
    }
}
