//! Dates, times and timestamps written the ways Flink writes them.
//!
//! Flink's JSON formats write TIMESTAMP as `2024-01-01 10:00:00.123` (SQL, the default) or
//! `2024-01-01T10:00:00.123` (ISO-8601), TIMESTAMP_LTZ with a trailing `Z`, DATE as
//! `2024-01-01`, TIME as `10:00:00`. All of these are RFC 3339 / TOML datetimes, so TOML's own
//! datetime parser reads both sides. Rule: a timestamp without a zone is read as UTC (Flink
//! writes TIMESTAMP_LTZ in UTC), then instants are compared; dates compare with dates and
//! times with times.

use toml::value::{Datetime, Offset};

/// Parses `text` as a date, a time or a timestamp (with or without a zone).
pub fn parse(text: &str) -> Option<Datetime> {
    text.trim().parse().ok()
}

/// Whether two temporal values denote the same date, time or instant.
pub fn same(a: &Datetime, b: &Datetime) -> bool {
    match (instant(a), instant(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => match (a.date, b.date, a.time, b.time) {
            (Some(da), Some(db), None, None) => da == db,
            (None, None, Some(ta), Some(tb)) => time_of_day(&ta) == time_of_day(&tb),
            _ => false,
        },
        _ => false,
    }
}

/// Seconds and nanoseconds since the Unix epoch, for values with a date and a time.
fn instant(value: &Datetime) -> Option<(i64, u32)> {
    let (date, time) = (value.date?, value.time?);
    let days = days_from_civil(i64::from(date.year), u32::from(date.month), u32::from(date.day));
    let offset_minutes = match value.offset {
        None | Some(Offset::Z) => 0,
        Some(Offset::Custom { minutes }) => i64::from(minutes),
    };
    let (seconds, nanos) = time_of_day(&time);
    Some((days * 86_400 + seconds - offset_minutes * 60, nanos))
}

fn time_of_day(time: &toml::value::Time) -> (i64, u32) {
    let seconds = i64::from(time.hour) * 3600
        + i64::from(time.minute) * 60
        + i64::from(time.second.unwrap_or(0));
    (seconds, time.nanosecond.unwrap_or(0))
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_text(a: &str, b: &str) -> bool {
        same(&parse(a).unwrap_or_else(|| panic!("{a}")), &parse(b).unwrap_or_else(|| panic!("{b}")))
    }

    #[test]
    fn sql_iso_and_zoned_forms_are_the_same_instant() {
        assert!(same_text("2024-01-01 10:00:00", "2024-01-01T10:00:00"));
        assert!(same_text("2024-01-01T10:00:00", "2024-01-01T10:00:00Z"));
        assert!(same_text("2024-01-01 10:00:00Z", "2024-01-01T12:00:00+02:00"));
        assert!(same_text("2024-01-01 10:00:00.120", "2024-01-01T10:00:00.12"));
        assert!(same_text("2024-01-01 10:00:00", "2024-01-01 10:00:00.000000"));
    }

    #[test]
    fn different_instants_differ() {
        assert!(!same_text("2024-01-01 10:00:00", "2024-01-01 10:00:01"));
        assert!(!same_text("2024-01-01 10:00:00.123", "2024-01-01 10:00:00.124"));
        assert!(!same_text("2024-01-01T10:00:00+01:00", "2024-01-01T10:00:00Z"));
        assert!(!same_text("2024-02-29 00:00:00", "2024-03-01 00:00:00"));
    }

    #[test]
    fn dates_and_times_compare_only_with_their_kind() {
        assert!(same_text("2024-01-01", "2024-01-01"));
        assert!(!same_text("2024-01-01", "2024-01-01 00:00:00"));
        assert!(same_text("10:00:00", "10:00:00.000"));
        assert!(!same_text("10:00:00", "10:00:01"));
    }

    #[test]
    fn not_temporal() {
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse("2024-13-01"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn epoch_arithmetic() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
