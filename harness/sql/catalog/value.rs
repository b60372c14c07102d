//! Whether an option value parses the way Flink's `ConfigOption` types parse it.

use super::{OptionSpec, OptionType};

/// Why a value does not fit its option's type; the text never repeats the value (it may be
/// a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// e.g. "expected an integer".
    pub expected: String,
    /// A valid example or the list of accepted values.
    pub hint: String,
}

fn err(expected: impl Into<String>, hint: impl Into<String>) -> Result<(), ValueError> {
    Err(ValueError { expected: expected.into(), hint: hint.into() })
}

/// Time unit labels accepted by Flink's `TimeUtils.parseDuration` (no label: milliseconds;
/// `m` since Flink 1.18).
const DURATION_UNITS: &[&str] = &[
    "d",
    "day",
    "days",
    "h",
    "hour",
    "hours",
    "min",
    "m",
    "minute",
    "minutes",
    "s",
    "sec",
    "secs",
    "second",
    "seconds",
    "ms",
    "milli",
    "millis",
    "millisecond",
    "milliseconds",
    "µs",
    "micro",
    "micros",
    "microsecond",
    "microseconds",
    "ns",
    "nano",
    "nanos",
    "nanosecond",
    "nanoseconds",
];

/// Size unit labels accepted by Flink's `MemorySize.parse` (no label: bytes).
const MEMORY_UNITS: &[&str] = &[
    "b",
    "bytes",
    "k",
    "kb",
    "kibibytes",
    "m",
    "mb",
    "mebibytes",
    "g",
    "gb",
    "gibibytes",
    "t",
    "tb",
    "tebibytes",
];

pub fn check_value(spec: &OptionSpec, value: &str) -> Result<(), ValueError> {
    let trimmed = value.trim();
    match spec.ty {
        OptionType::String => Ok(()),
        OptionType::List => {
            if value.split(';').any(|p| p.trim().is_empty()) {
                err("a `;`-separated list of names", "e.g. 'id;region'")
            } else {
                Ok(())
            }
        }
        // Kafka's ConfigDef trims the items and, in Debezium's lists, rejects empty ones.
        OptionType::CommaList => {
            if value.trim().is_empty() || !value.split(',').any(|p| p.trim().is_empty()) {
                Ok(())
            } else {
                err("a `,`-separated list without empty items", "e.g. 'public.orders,public.items'")
            }
        }
        OptionType::Int | OptionType::Long => {
            let parsed = if spec.ty == OptionType::Int {
                trimmed.parse::<i32>().map(i64::from).ok()
            } else {
                trimmed.parse::<i64>().ok()
            };
            match parsed {
                None => err(
                    if spec.ty == OptionType::Int { "an integer" } else { "a (64-bit) integer" },
                    spec.default.as_deref().map_or("e.g. '10'".to_string(), |d| format!("e.g. '{d}'")),
                ),
                Some(n) if spec.min.is_some_and(|m| n < m) => err(
                    format!("an integer of at least {}", spec.min.unwrap_or_default()),
                    "smaller values are rejected",
                ),
                Some(_) => Ok(()),
            }
        }
        OptionType::Double => {
            let t = trimmed.trim_end_matches(['d', 'D', 'f', 'F']);
            if t.parse::<f64>().is_ok_and(f64::is_finite) {
                Ok(())
            } else {
                err("a number", "e.g. '0.5'")
            }
        }
        OptionType::Boolean => {
            if trimmed.eq_ignore_ascii_case("true") || trimmed.eq_ignore_ascii_case("false") {
                Ok(())
            } else {
                err("a boolean", "write 'true' or 'false' (nothing else is accepted, not even 'yes' or '1')")
            }
        }
        OptionType::Duration => number_with_unit(trimmed, DURATION_UNITS).or_else(|_| {
            err("a duration", "a number with an optional unit, e.g. '30s', '500 ms', '5 min', '1 h' (no unit: milliseconds)")
        }),
        OptionType::Memory => number_with_unit(&trimmed.to_ascii_lowercase(), MEMORY_UNITS)
            .or_else(|_| err("a memory size", "e.g. '64mb', '1 gb' (no unit: bytes)")),
        OptionType::Enum => {
            let ok = spec.values.iter().any(|v| {
                if spec.case_insensitive { v.eq_ignore_ascii_case(value) } else { v == value }
            });
            if ok {
                Ok(())
            } else {
                err(
                    "one of the accepted values",
                    format!(
                        "accepted: {}",
                        spec.values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ")
                    ),
                )
            }
        }
    }
}

/// `<digits>[ ]<unit>` where the unit (lower-cased) is in `units` or absent.
fn number_with_unit(text: &str, units: &[&str]) -> Result<(), ()> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || text[..digits].parse::<i64>().is_err() {
        return Err(());
    }
    let unit = text[digits..].trim().to_lowercase();
    if unit.is_empty() || units.contains(&unit.as_str()) {
        Ok(())
    } else {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(ty: OptionType) -> OptionSpec {
        OptionSpec {
            key: "k".into(),
            ty,
            required: false,
            default: None,
            values: vec![],
            case_insensitive: false,
            min: None,
            since: None,
            until: None,
            secret: false,
            note: None,
        }
    }

    #[test]
    fn durations_follow_flink_time_utils() {
        let s = spec(OptionType::Duration);
        for ok in ["30s", "30 s", "500", "5 min", "30m", "1 h", "2 days", "100ms", " 10 SECONDS "] {
            assert!(check_value(&s, ok).is_ok(), "{ok}");
        }
        for bad in ["", "s", "30 sekunden", "1.5s", "-1s", "PT30S", "30 mins"] {
            assert!(check_value(&s, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn booleans_are_true_or_false_only() {
        let s = spec(OptionType::Boolean);
        assert!(check_value(&s, "true").is_ok() && check_value(&s, "FALSE").is_ok());
        for bad in ["yes", "1", "on", ""] {
            assert!(check_value(&s, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn integers_respect_width_and_minimum() {
        let mut s = spec(OptionType::Int);
        assert!(check_value(&s, "5432").is_ok());
        assert!(check_value(&s, "3000000000").is_err());
        assert!(check_value(&s, "5432x").is_err());
        assert!(check_value(&spec(OptionType::Long), "3000000000").is_ok());
        s.min = Some(1);
        assert!(check_value(&s, "0").is_err());
    }

    #[test]
    fn enums_memory_doubles_and_lists() {
        let mut s = spec(OptionType::Enum);
        s.values = vec!["pgoutput".into(), "decoderbufs".into()];
        assert!(check_value(&s, "pgoutput").is_ok());
        assert!(check_value(&s, "PGOUTPUT").is_err());
        let e = check_value(&s, "x").unwrap_err();
        assert!(e.hint.contains("'pgoutput'"), "{e:?}");
        s.case_insensitive = true;
        assert!(check_value(&s, "PGOUTPUT").is_ok());
        let m = spec(OptionType::Memory);
        assert!(check_value(&m, "64mb").is_ok() && check_value(&m, "1 GB").is_ok());
        assert!(check_value(&m, "64 mib").is_err());
        let d = spec(OptionType::Double);
        assert!(check_value(&d, "0.05d").is_ok() && check_value(&d, "x").is_err());
        let l = spec(OptionType::List);
        assert!(check_value(&l, "id;region").is_ok() && check_value(&l, "id;").is_err());
    }
}
