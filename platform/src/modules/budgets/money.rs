//! Amounts as people read them: `300 000 €` and `1 234,50 €` in French (digits
//! grouped by a narrow no-break space, as the petitions' counts), `€300,000` in
//! English; currencies without a common sign keep their code (`1 000 000 PLN`).
use tenant_core::names::Locale;

/// French groups digits with U+202F (narrow no-break space).
const FR_GROUP: &str = "\u{202f}";
/// Between a French amount and its currency: U+00A0 (no-break space).
const FR_BEFORE_CURRENCY: &str = "\u{a0}";

fn group(digits: &str, sep: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * sep.len());
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

fn sign(currency: &str) -> Option<&'static str> {
    match currency {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        _ => None,
    }
}

/// The number alone: `whole` and `fraction` digits (fraction may be empty).
fn number(whole: u128, fraction: &str, locale: Locale) -> String {
    let (group_sep, decimal) = match locale {
        Locale::Fr => (FR_GROUP, ","),
        _ => (",", "."),
    };
    let mut out = group(&whole.to_string(), group_sep);
    if !fraction.is_empty() {
        out.push_str(decimal);
        out.push_str(fraction);
    }
    out
}

fn with_currency(negative: bool, n: String, currency: &str, locale: Locale) -> String {
    let minus = if negative { "-" } else { "" };
    match (locale, sign(currency)) {
        (Locale::Fr, Some(s)) => format!("{minus}{n}{FR_BEFORE_CURRENCY}{s}"),
        (Locale::Fr, None) => format!("{minus}{n}{FR_BEFORE_CURRENCY}{currency}"),
        (_, Some(s)) => format!("{minus}{s}{n}"),
        (_, None) => format!("{minus}{n} {currency}"),
    }
}

/// `units` of `10^-scale` `currency`, with decimals only when there are some.
pub fn format(units: i64, scale: u32, currency: &str, locale: Locale) -> String {
    let divisor = 10u128.pow(scale);
    let abs = u128::from(units.unsigned_abs());
    let (whole, rest) = (abs / divisor, abs % divisor);
    let fraction = if rest == 0 { String::new() } else { format!("{rest:0width$}", width = scale as usize) };
    with_currency(units < 0, number(whole, &fraction, locale), currency, locale)
}

/// A computed amount (the method of equal shares pays in fractions), rounded to the
/// cent (or to the budget's own smallest unit when finer).
pub fn format_f64(units: f64, scale: u32, currency: &str, locale: Locale) -> String {
    if !units.is_finite() {
        return "—".to_owned();
    }
    let decimals = scale.max(2);
    let value = units / 10f64.powi(scale as i32);
    let scaled = (value.abs() * 10f64.powi(decimals as i32)).round();
    let divisor = 10u128.pow(decimals);
    let total = scaled as u128;
    let (whole, rest) = (total / divisor, total % divisor);
    let fraction = if rest == 0 { String::new() } else { format!("{rest:0width$}", width = decimals as usize) };
    with_currency(units < 0.0 && total > 0, number(whole, &fraction, locale), currency, locale)
}

/// A plain count, grouped by thousands.
pub fn count(n: u64, locale: Locale) -> String {
    number(u128::from(n), "", locale)
}

/// A share as a percentage, one decimal (`42,5 %` / `42.5%`).
pub fn percent(part: f64, whole: f64, locale: Locale) -> String {
    let p = if whole > 0.0 { (part / whole * 1000.0).round() / 10.0 } else { 0.0 };
    match locale {
        Locale::Fr => format!("{}\u{a0}%", format!("{p:.1}").replace('.', ",")),
        _ => format!("{p:.1}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(format(30_000_000, 2, "EUR", Locale::Fr), "300\u{202f}000\u{a0}€");
        assert_eq!(format(123_450, 2, "EUR", Locale::Fr), "1\u{202f}234,50\u{a0}€");
        assert_eq!(format(123_450, 2, "EUR", Locale::En), "€1,234.50");
        assert_eq!(format(1_000_000, 0, "PLN", Locale::Fr), "1\u{202f}000\u{202f}000\u{a0}PLN");
        assert_eq!(format(1_000_000, 0, "PLN", Locale::En), "1,000,000 PLN");
        assert_eq!(format(-1_200_000, 2, "EUR", Locale::Fr), "-12\u{202f}000\u{a0}€");
        assert_eq!(format(5, 2, "USD", Locale::En), "$0.05");
        assert_eq!(format(999, 0, "EUR", Locale::Fr), "999\u{a0}€");
    }

    #[test]
    fn computed_amounts_round_to_the_cent() {
        assert_eq!(format_f64(151.837, 0, "PLN", Locale::Fr), "151,84\u{a0}PLN");
        assert_eq!(format_f64(150.0, 0, "PLN", Locale::En), "150 PLN");
        assert_eq!(format_f64(12_345.6, 2, "EUR", Locale::En), "€123.46");
        assert_eq!(format_f64(f64::NAN, 2, "EUR", Locale::En), "—");
    }

    #[test]
    fn counts_and_percentages() {
        assert_eq!(count(6_586, Locale::Fr), "6\u{202f}586");
        assert_eq!(count(6_586, Locale::En), "6,586");
        assert_eq!(percent(1.0, 3.0, Locale::Fr), "33,3\u{a0}%");
        assert_eq!(percent(1.0, 3.0, Locale::En), "33.3%");
        assert_eq!(percent(1.0, 0.0, Locale::En), "0.0%");
    }
}
