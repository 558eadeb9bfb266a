//! Exact decimal numbers as written in a `.pb` file (`5000`, `1234.50`, `-2`).
//!
//! Costs and budgets are money: a float would turn `0.1 + 0.2` into a tie-breaking
//! question, so they are kept as an integer mantissa and a count of decimal places.

use std::fmt;
use std::str::FromStr;

/// The largest number of decimal places accepted (nano-units); more is surely a data error.
pub const MAX_SCALE: u32 = 9;

/// Digits accepted in total; keeps every value and its rescalings far inside `i128`.
const MAX_DIGITS: usize = 30;

/// An exact decimal: `mantissa × 10^-scale`. Equality is textual (`1.0` ≠ `1`), so a
/// value read from a file is written back the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// Why a piece of text is not a plain decimal number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a plain decimal number (digits with an optional point and sign, at most {MAX_SCALE} decimals)")]
pub struct DecimalError;

impl Decimal {
    /// A whole number.
    pub fn from_int(value: i64) -> Self {
        Self { mantissa: i128::from(value), scale: 0 }
    }

    /// `mantissa × 10^-scale`; `None` if the scale is above [`MAX_SCALE`].
    pub fn new(mantissa: i128, scale: u32) -> Option<Self> {
        (scale <= MAX_SCALE).then_some(Self { mantissa, scale })
    }

    /// The integer mantissa.
    pub fn mantissa(self) -> i128 {
        self.mantissa
    }

    /// The number of decimal places as written.
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// Whether the value is below zero.
    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// The value as a whole number of `10^-scale` units, if that is exact
    /// (`12.50` at scale 2 is `1250`; `12.55` at scale 1 is `None`).
    pub fn to_units(self, scale: u32) -> Option<i128> {
        if scale >= self.scale {
            self.mantissa.checked_mul(10i128.checked_pow(scale - self.scale)?)
        } else {
            let divisor = 10i128.checked_pow(self.scale - scale)?;
            (self.mantissa % divisor == 0).then(|| self.mantissa / divisor)
        }
    }

    /// The smallest scale at which the value is still exact (`12.50` → 1).
    pub fn min_scale(self) -> u32 {
        let mut scale = self.scale;
        let mut mantissa = self.mantissa;
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        scale
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    /// Accepts `[+-]digits[.digits]` and `[+-].digits`; no exponent, no thousands separator.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (negative, body) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (whole, fraction) = match body.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (body, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty())
            || !all_digits(whole)
            || !all_digits(fraction)
            || whole.len() + fraction.len() > MAX_DIGITS
        {
            return Err(DecimalError);
        }
        let scale = u32::try_from(fraction.len()).map_err(|_| DecimalError)?;
        if scale > MAX_SCALE {
            return Err(DecimalError);
        }
        let mut mantissa: i128 = 0;
        for b in whole.bytes().chain(fraction.bytes()) {
            mantissa = mantissa * 10 + i128::from(b - b'0');
        }
        Ok(Self { mantissa: if negative { -mantissa } else { mantissa }, scale })
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mantissa < 0 {
            f.write_str("-")?;
        }
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = self.scale as usize;
        if scale == 0 {
            return f.write_str(&digits);
        }
        let padded =
            if digits.len() <= scale { format!("{}{digits}", "0".repeat(scale + 1 - digits.len())) } else { digits };
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        write!(f, "{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("a decimal")
    }

    #[test]
    fn writes_back_what_it_read() {
        for text in ["0", "5000", "1234.50", "-2", "0.005", "-0.25", "1000000000"] {
            assert_eq!(d(text).to_string(), text);
        }
        assert_eq!(d(".5").to_string(), "0.5");
        assert_eq!(d("+7").to_string(), "7");
    }

    #[test]
    fn rejects_what_is_not_a_plain_number() {
        for text in ["", "-", ".", "1e6", "1,5", "12a", "1.2.3", " 1", "0x10", "1.0000000001", "NaN"] {
            assert!(text.parse::<Decimal>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn rescales_only_when_exact() {
        assert_eq!(d("12.50").to_units(2), Some(1250));
        assert_eq!(d("12.50").to_units(1), Some(125));
        assert_eq!(d("12.55").to_units(1), None);
        assert_eq!(d("7").to_units(3), Some(7000));
        assert_eq!(d("12.50").min_scale(), 1);
        assert_eq!(d("100").min_scale(), 0);
    }
}
