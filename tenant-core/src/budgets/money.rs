//! Amounts typed in forms, read into whole units of `10^-scale` of the currency.
use crate::error::{CoreError, CoreResult};

/// Reads `1 234,50`, `1234.50`, `1,234.50` or `300000` at `scale` decimals: spaces
/// (including no-break ones) group digits; with both `.` and `,` the last one is the
/// decimal mark; a single mark followed by exactly three digits groups thousands
/// when the scale has fewer decimals, otherwise it is the decimal mark.
pub fn parse_amount(field: &str, text: &str, scale: u32) -> CoreResult<i64> {
    let invalid = || CoreError::Invalid(format!("{field}: an amount such as 1200 or 1 234,50"));
    let cleaned: String =
        text.trim().chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\'')).collect();
    if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        return Err(invalid());
    }
    let dots = cleaned.matches('.').count();
    let commas = cleaned.matches(',').count();
    let decimal_mark = match (dots, commas) {
        (0, 0) => None,
        (_, 0) | (0, _) => {
            let mark = if dots > 0 { '.' } else { ',' };
            let count = dots + commas;
            let after = cleaned.rsplit(mark).next().map_or(0, str::len);
            if count > 1 || (after == 3 && scale < 3) {
                None
            } else {
                Some(mark)
            }
        }
        _ => {
            let mark = cleaned.chars().rev().find(|c| *c == '.' || *c == ',');
            // The decimal mark appears once, after every grouping mark.
            if mark.is_some_and(|m| cleaned.matches(m).count() > 1) {
                return Err(invalid());
            }
            mark
        }
    };
    let (whole, fraction) = match decimal_mark {
        Some(mark) => {
            let at = cleaned.rfind(mark).ok_or_else(invalid)?;
            (cleaned[..at].to_owned(), cleaned[at + 1..].to_owned())
        }
        None => (cleaned.clone(), String::new()),
    };
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    if fraction.contains(['.', ',']) || (whole.is_empty() && fraction.is_empty()) {
        return Err(invalid());
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > scale as usize {
        return Err(CoreError::Invalid(match scale {
            0 => format!("{field}: a whole amount, without cents"),
            n => format!("{field}: at most {n} decimals"),
        }));
    }
    let mut digits = if whole.is_empty() { "0".to_owned() } else { whole };
    digits.push_str(fraction);
    digits.push_str(&"0".repeat(scale as usize - fraction.len()));
    let units: i64 = digits.parse().map_err(|_| CoreError::Invalid(format!("{field}: too large an amount")))?;
    if units > super::MAX_AMOUNT {
        return Err(CoreError::Invalid(format!("{field}: too large an amount")));
    }
    Ok(units)
}

/// An amount as a form shows it for editing: `1234.5` (no grouping, decimals only
/// when there are some).
pub fn to_input(units: i64, scale: u32) -> String {
    if scale == 0 {
        return units.to_string();
    }
    let divisor = 10i64.pow(scale);
    let (whole, fraction) = (units / divisor, units % divisor);
    if fraction == 0 {
        return whole.to_string();
    }
    let fraction = format!("{fraction:0width$}", width = scale as usize);
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_amounts_as_people_type_them() {
        let p = |t: &str, s: u32| parse_amount("amount", t, s).ok();
        assert_eq!(p("300000", 0), Some(300_000));
        assert_eq!(p("300 000", 2), Some(30_000_000));
        assert_eq!(p("1 234,50", 2), Some(123_450));
        assert_eq!(p("1\u{202f}234,5", 2), Some(123_450));
        assert_eq!(p("1,234.50", 2), Some(123_450));
        assert_eq!(p("1.234,50", 2), Some(123_450));
        assert_eq!(p("1234.5", 2), Some(123_450));
        assert_eq!(p("1,234", 2), Some(123_400), "three digits after one mark group thousands");
        assert_eq!(p("1,234,567", 0), Some(1_234_567));
        assert_eq!(p("12,5", 2), Some(1_250));
        assert_eq!(p("0,05", 2), Some(5));
        assert_eq!(p("10.00", 0), Some(10), "zero decimals are no decimals");
        assert_eq!(p("12,5", 0), None, "no cents in a whole-unit budget");
        assert_eq!(p("1.2.3,4", 2), Some(12_340));
        for bad in ["", "abc", "12 €", "-5", "1,2,3.4.5", "9999999999999999999"] {
            assert_eq!(p(bad, 2), None, "{bad:?}");
        }
        let err = parse_amount("amount", "12,345", 4).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.is_empty(), "with four decimals, 12,345 is twelve and a bit: {err}");
    }

    #[test]
    fn writes_amounts_back_for_forms() {
        assert_eq!(to_input(123_450, 2), "1234.5");
        assert_eq!(to_input(30_000_000, 2), "300000");
        assert_eq!(to_input(5, 2), "0.05");
        assert_eq!(to_input(42, 0), "42");
        for (units, scale) in [(123_450, 2), (5, 2), (42, 0), (1_000_001, 3)] {
            assert_eq!(parse_amount("a", &to_input(units, scale), scale).ok(), Some(units));
        }
    }
}
