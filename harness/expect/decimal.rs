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

/// A number's text taken apart without allocating: sign, significant digits, exponent.
struct Scanned<'a> {
    negative: bool,
    /// The mantissa's digits, integer part then fraction, without the point.
    int: &'a [u8],
    frac: &'a [u8],
    /// Leading and trailing zeros of `int ++ frac`, which carry no digits.
    leading: usize,
    trailing: usize,
    exponent: i64,
}

impl<'a> Scanned<'a> {
    /// JSON number syntax, leniently: a leading `+`, leading zeros, `.5` and `5.` are accepted
    /// (numeric strings from other writers). Anything else is `None`.
    fn scan(text: &'a str) -> Option<Scanned<'a>> {
        let text = text.trim().as_bytes();
        let (negative, rest) = match text.first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exp_part) = match rest.iter().position(|&b| b == b'e' || b == b'E') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = match mantissa.iter().position(|&b| b == b'.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, &[][..]),
        };
        if int.is_empty() && frac.is_empty() || !int.iter().chain(frac).all(u8::is_ascii_digit) {
            return None;
        }
        let exponent: i64 = match exp_part {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(b"+").or_else(|| e.strip_prefix(b"-")).unwrap_or(e);
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                std::str::from_utf8(e).ok()?.parse().ok()?
            }
        };
        let all = || int.iter().chain(frac);
        let leading = all().take_while(|&&b| b == b'0').count();
        let trailing = if leading == int.len() + frac.len() {
            0
        } else {
            all().rev().take_while(|&&b| b == b'0').count()
        };
        let exponent = exponent.saturating_sub(frac.len() as i64).saturating_add(trailing as i64);
        Some(Scanned { negative, int, frac, leading, trailing, exponent })
    }

    fn is_zero(&self) -> bool {
        self.leading == self.int.len() + self.frac.len()
    }

    fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        let significant = self.int.len() + self.frac.len() - self.leading - self.trailing;
        self.int.iter().chain(self.frac).skip(self.leading).take(significant).copied()
    }
}

impl Decimal {
    /// Parses JSON number syntax, leniently: a leading `+`, leading zeros, `.5` and `5.` are
    /// accepted (numeric strings from other writers). Anything else is `None`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let scanned = Scanned::scan(text)?;
        if scanned.is_zero() {
            return Some(Decimal { negative: false, digits: String::new(), exponent: 0 });
        }
        Some(Decimal {
            negative: scanned.negative,
            digits: scanned.digits().map(char::from).collect(),
            exponent: scanned.exponent,
        })
    }

    /// Whether `text` is a number equal to this one (without allocating: the hot comparison).
    pub fn equals_text(&self, text: &str) -> bool {
        match Scanned::scan(text) {
            None => false,
            Some(s) if s.is_zero() => self.digits.is_empty(),
            Some(s) => {
                s.negative == self.negative
                    && s.exponent == self.exponent
                    && s.digits().eq(self.digits.bytes())
            }
        }
    }

    /// Writes the canonical text of the number `text` (see [`Decimal::write_canonical`]) without
    /// building it; `false` when `text` is not a number.
    pub fn write_canonical_of(text: &str, out: &mut String) -> bool {
        let Some(s) = Scanned::scan(text) else { return false };
        if s.is_zero() {
            out.push('0');
            return true;
        }
        if s.negative {
            out.push('-');
        }
        out.extend(s.digits().map(char::from));
        write_exponent(s.exponent, out);
        true
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
        write_exponent(self.exponent, out);
    }
}

/// `e<exponent>` unless it is 0; by hand, as every key and number is indexed by this text.
fn write_exponent(exponent: i64, out: &mut String) {
    if exponent == 0 {
        return;
    }
    out.push('e');
    if exponent < 0 {
        out.push('-');
    }
    let mut buffer = [0u8; 20];
    let mut n = exponent.unsigned_abs();
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buffer[at..]).expect("ASCII digits"));
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
    fn text_comparison_and_canonical_text_agree_with_parse() {
        for (a, b) in [
            ("10.50", "10.5"),
            ("0.000", "-0"),
            ("1e2", "100"),
            ("7", "7.01"),
            ("-1", "1"),
            ("1e2", "1e3"),
        ] {
            assert_eq!(d(a).equals_text(b), d(a) == d(b), "{a} vs {b}");
            let (mut x, mut y) = (String::new(), String::new());
            assert!(Decimal::write_canonical_of(b, &mut x));
            d(b).write_canonical(&mut y);
            assert_eq!(x, y);
        }
        assert!(!d("1").equals_text("one"));
        assert!(!Decimal::write_canonical_of("one", &mut String::new()));
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
