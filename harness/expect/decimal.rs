//! Exact decimal numbers: `10.50` = `10.5` = `1.05E+1`, at any precision.
//!
//! A number is kept as `digits × 10^exponent` with no leading or trailing zeros in `digits`,
//! which makes the form unique: two numbers are equal exactly when their forms are equal. No
//! arithmetic is needed to compare, so no big-number crate is either.

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    negative: bool,
    /// Significant digits; empty for zero.
    digits: String,
    exponent: i64,
}

impl Decimal {
    /// Parses JSON number syntax, leniently: a leading `+`, leading zeros, `.5` and `5.` are
    /// accepted (numeric strings from other writers). Anything else is `None`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let text = text.trim();
        let (negative, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exp_part) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut exponent: i64 = match exp_part {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                e.parse().ok()?
            }
        };
        exponent = exponent.saturating_sub(frac_part.len() as i64);
        let all: String = int_part.chars().chain(frac_part.chars()).collect();
        let significant = all.trim_start_matches('0');
        let trimmed = significant.trim_end_matches('0');
        exponent = exponent.saturating_add((significant.len() - trimmed.len()) as i64);
        if trimmed.is_empty() {
            return Some(Decimal { negative: false, digits: String::new(), exponent: 0 });
        }
        Some(Decimal { negative, digits: trimmed.to_owned(), exponent })
    }

    /// A finite float by its shortest round-trip text (`0.1` stays `0.1`).
    pub fn from_f64(value: f64) -> Option<Decimal> {
        if value.is_finite() {
            Decimal::parse(&value.to_string())
        } else {
            None
        }
    }

    pub fn write_canonical(&self, out: &mut String) {
        if self.digits.is_empty() {
            out.push('0');
            return;
        }
        if self.negative {
            out.push('-');
        }
        out.push_str(&self.digits);
        if self.exponent != 0 {
            // Hot (every key and number is indexed by this text): no formatting machinery.
            out.push('e');
            let mut buffer = [0u8; 20];
            let mut n = self.exponent.unsigned_abs();
            let mut at = buffer.len();
            loop {
                at -= 1;
                buffer[at] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            if self.exponent < 0 {
                out.push('-');
            }
            out.push_str(std::str::from_utf8(&buffer[at..]).expect("ASCII digits"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn equal_values_have_one_form() {
        assert_eq!(d("10.50"), d("10.5"));
        assert_eq!(d("10.5"), d("1.05E+1"));
        assert_eq!(d("1050e-2"), d("10.5"));
        assert_eq!(d("100"), d("1E+2"));
        assert_eq!(d("0.000"), d("-0"));
        assert_eq!(d("007.50"), d("7.5"));
        assert_eq!(d(".5"), d("0.5"));
        assert_eq!(d("5."), d("5"));
        assert_eq!(d("+3"), d("3"));
    }

    #[test]
    fn different_values_differ_at_any_precision() {
        assert_ne!(
            d("12345678901234567890.123456789012345678"),
            d("12345678901234567890.123456789012345679")
        );
        assert_ne!(d("10.5"), d("-10.5"));
        assert_ne!(d("1e2"), d("1e3"));
        assert_ne!(d("0.1"), d("0.01"));
    }

    #[test]
    fn rejects_non_numbers() {
        for s in
            ["", "-", ".", "e5", "1e", "1e+", "1.2.3", "abc", "1,5", "NaN", "inf", "0x10", "1 2"]
        {
            assert_eq!(Decimal::parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn floats_use_their_shortest_text() {
        assert_eq!(Decimal::from_f64(0.1), Some(d("0.1")));
        assert_eq!(Decimal::from_f64(10.5), Some(d("10.50")));
        assert_eq!(Decimal::from_f64(1e21), Some(d("1E21")));
        assert_eq!(Decimal::from_f64(f64::NAN), None);
    }

    #[test]
    fn canonical_text() {
        let mut s = String::new();
        d("-10.50").write_canonical(&mut s);
        assert_eq!(s, "-105e-1");
        s.clear();
        d("0").write_canonical(&mut s);
        assert_eq!(s, "0");
        s.clear();
        d("1200").write_canonical(&mut s);
        assert_eq!(s, "12e2");
        s.clear();
        d("1e-9223372036854775807").write_canonical(&mut s);
        assert_eq!(s, "1e-9223372036854775807");
    }
}
