//! Durations (`500ms`, `2s`, `1m30s`) and byte sizes (`64MB`), as scenario files write them.

use std::time::Duration;

/// Parses a sequence of `<integer><unit>` parts, units `ms`, `s`, `m`, `h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let parts = number_unit_parts(text)?;
    let mut total = Duration::ZERO;
    for (number, unit) in parts {
        let one = match unit {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "" => return Err(format!("`{number}` has no unit")),
            other => return Err(format!("unknown unit `{other}`")),
        };
        total += one * u32::try_from(number).map_err(|_| format!("{number} is too large"))?;
    }
    Ok(total)
}

/// Parses a byte size with PostgreSQL's units (`kB`, `MB`, `GB`: powers of 1024; `KiB`... too).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let parts = number_unit_parts(text)?;
    let [(number, unit)] = parts.as_slice() else {
        return Err("write one number and one unit, such as `64MB`".into());
    };
    let factor: u64 = match *unit {
        "" | "B" => 1,
        "kB" | "KB" | "KiB" => 1 << 10,
        "MB" | "MiB" => 1 << 20,
        "GB" | "GiB" => 1 << 30,
        "TB" | "TiB" => 1 << 40,
        other => return Err(format!("unknown unit `{other}`")),
    };
    number.checked_mul(factor).ok_or_else(|| "the size is too large".into())
}

fn number_unit_parts(text: &str) -> Result<Vec<(u64, &str)>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty".into());
    }
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("expected a number at `{rest}`"));
        }
        let number: u64 =
            rest[..digits].parse().map_err(|_| "the number is too large".to_string())?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == ' ').unwrap_or(rest.len());
        parts.push((number, &rest[..unit_len]));
        rest = rest[unit_len..].trim_start();
    }
    Ok(parts)
}

/// A duration as scenario files write it, for messages and reports.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        format!("{ms}ms")
    } else {
        format!("{}s", ms / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 2h "), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1m 5s"), Ok(Duration::from_secs(65)));
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("3 days").unwrap_err().contains("unknown unit `days`"));
        assert!(parse_duration("1.5s").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("64MB"), Ok(64 << 20));
        assert_eq!(parse_bytes("16 MiB"), Ok(16 << 20));
        assert_eq!(parse_bytes("512"), Ok(512));
        assert!(parse_bytes("1MB 2kB").is_err());
        assert!(parse_bytes("5 parsecs").is_err());
    }

    #[test]
    fn formatting() {
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
    }
}
