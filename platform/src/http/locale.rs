//! Choosing the interface language: the visitor's choice (a cookie set by the
//! language switcher), else the browser's `Accept-Language`, else the tenant's default.
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::HttpRequest;
use tenant_core::names::Locale;
use tenant_core::Tenant;

pub const COOKIE: &str = "civitas_locale";

pub fn negotiate(req: &HttpRequest, tenant: &Tenant) -> Locale {
    if let Some(chosen) = req.cookie(COOKIE).and_then(|c| Locale::parse(c.value()).ok()) {
        if tenant.locales.contains(&chosen) {
            return chosen;
        }
    }
    from_accept_language(req, &tenant.locales).unwrap_or(tenant.default_locale)
}

/// The best of `offered` for the request's `Accept-Language`, by q-value.
pub fn from_accept_language(req: &HttpRequest, offered: &[Locale]) -> Option<Locale> {
    let header = req.headers().get(ACCEPT_LANGUAGE)?.to_str().ok()?;
    best_match(header, offered)
}

pub fn best_match(header: &str, offered: &[Locale]) -> Option<Locale> {
    let mut best: Option<(f32, usize, Locale)> = None;
    for (pos, item) in header.split(',').take(20).enumerate() {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q =
            parts.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
        // `q=0` means "not acceptable"; NaN is no preference at all.
        if q.is_nan() || q <= 0.0 {
            continue;
        }
        let primary = tag.split('-').next().unwrap_or("");
        let matched =
            if tag == "*" { offered.first().copied() } else { offered.iter().copied().find(|l| l.as_str() == primary) };
        if let Some(locale) = matched {
            let better = match best {
                None => true,
                Some((bq, bpos, _)) => q > bq || (q == bq && pos < bpos),
            };
            if better {
                best = Some((q, pos, locale));
            }
        }
    }
    best.map(|(_, _, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_read_by_quality() {
        let both = [Locale::Fr, Locale::En];
        assert_eq!(best_match("en-GB,en;q=0.9,fr;q=0.8", &both), Some(Locale::En));
        assert_eq!(best_match("de-DE,fr;q=0.5,en;q=0.7", &both), Some(Locale::En));
        assert_eq!(best_match("fr-CA", &both), Some(Locale::Fr));
        assert_eq!(best_match("de", &both), None);
        assert_eq!(best_match("en;q=0, fr;q=0.1", &both), Some(Locale::Fr));
        assert_eq!(best_match("*", &[Locale::En]), Some(Locale::En));
        assert_eq!(best_match("garbage;;;q=x,,", &both), None);
    }
}
