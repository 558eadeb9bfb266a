//! One notification as a sentence in a language, with its link: shared by the list
//! page and the mail digests.
use serde::Serialize;
use tenant_core::names::Locale;
use tenant_core::notifications::Notification;
use tenant_core::spaces::pick;

use crate::themes::Theme;

/// A text of the notification's data: a string, or texts by locale (the first of
/// `order` that has one).
pub fn text_of(data: &serde_json::Value, key: &str, order: &[Locale]) -> String {
    match data.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v @ serde_json::Value::Object(_)) => pick(v, order).0,
        _ => String::new(),
    }
}

/// Replaces each `{name}` of `template` once, in one pass (a value holding `{x}` is
/// not expanded again).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let found = after.find('}').and_then(|close| {
            let name = &after[..close];
            values.iter().find(|(k, _)| *k == name).map(|(_, v)| (close, *v))
        });
        match found {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The sentence for `n` in `locale` (texts of the data in `locale`, else `fallback`).
pub fn sentence(theme: &Theme, locale: Locale, fallback: Locale, n: &Notification) -> String {
    let order = [locale, fallback];
    let actor = n.actor_nickname.clone().unwrap_or_else(|| theme.message(locale, "notifications_someone"));
    let (title, phase, state) =
        (text_of(&n.data, "title", &order), text_of(&n.data, "phase", &order), text_of(&n.data, "state", &order));
    // A petition's notification says which step it reached, one sentence per step.
    let key = match n.event {
        tenant_core::notifications::EventKind::Petition => format!("notification_petition_{state}"),
        other => format!("notification_{}", other.as_str()),
    };
    fill(&theme.message(locale, &key), &[("actor", &actor), ("title", &title), ("phase", &phase), ("state", &state)])
}

/// Where the notification leads: its `url` when that is a path on this site, else
/// the list of notifications.
pub fn local_url(n: &Notification) -> String {
    local_path(&n.data)
}

/// The `url` of a notification's data when it is a path on this site, else the list.
pub fn local_path(data: &serde_json::Value) -> String {
    data.get("url")
        .and_then(|u| u.as_str())
        .filter(|p| {
            p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(|c| c.is_control() || c.is_whitespace())
                && p.len() <= 500
        })
        .unwrap_or("/notifications")
        .to_owned()
}

/// A notification as the list page shows it.
#[derive(Serialize)]
pub struct Item {
    pub id: i64,
    pub event: &'static str,
    pub sentence: String,
    pub excerpt: String,
    pub url: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub unread: bool,
}

pub fn item(theme: &Theme, locale: Locale, fallback: Locale, n: &Notification) -> Item {
    Item {
        id: n.id,
        event: n.event.as_str(),
        sentence: sentence(theme, locale, fallback, n),
        excerpt: text_of(&n.data, "excerpt", &[locale, fallback]),
        url: local_url(n),
        created_at: n.created_at,
        unread: n.read_at.is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_expands_each_placeholder_once() {
        assert_eq!(fill("« {title} » : {phase}", &[("title", "A {phase}"), ("phase", "Vote")]), "« A {phase} » : Vote");
        assert_eq!(fill("{unknown} {", &[]), "{unknown} {");
    }

    #[test]
    fn texts_by_locale_fall_back() {
        let data = serde_json::json!({ "title": { "fr": "Budget" }, "url": "//evil.example/x" });
        assert_eq!(text_of(&data, "title", &[Locale::En, Locale::Fr]), "Budget");
        assert_eq!(text_of(&data, "missing", &[Locale::En]), "");
    }
}
