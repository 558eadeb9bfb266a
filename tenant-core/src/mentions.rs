//! Mentions: `@nickname` in what participants write. A mention names a live account
//! (case does not matter); the mentioned person is notified and the mention becomes
//! a link to their profile.
//!
//! Nicknames ([`crate::accounts::users::check_nickname`]) are letters, digits, spaces,
//! `-`, `_` and `.`; a mention is `@` and a run of those without spaces (a nickname
//! with a space cannot be mentioned). An `@` right after a letter, a digit or one of
//! `-_.@/` is not a mention, so `anne@example.fr` and URLs are left alone. A run that
//! ends with `.` is also tried without it (`merci @Anne.`).
use std::collections::HashMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use crate::db::prepared::prepared;
use crate::error::CoreResult;

fn nickname_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// One `@…` in a text: where it starts (at the `@`), and the names it may stand for,
/// longest first, each with the byte offset where it ends.
#[derive(Debug, PartialEq, Eq)]
struct Found {
    at: usize,
    forms: Vec<(usize, String)>,
}

fn scan(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut prev: Option<char> = None;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == '@' && !prev.is_some_and(|p| nickname_char(p) || matches!(p, '@' | '/')) {
            let start = i + 1;
            let mut end = start;
            while let Some(&(j, d)) = iter.peek() {
                if !nickname_char(d) {
                    break;
                }
                end = j + d.len_utf8();
                iter.next();
            }
            let run = &text[start..end];
            let mut forms = Vec::new();
            let trimmed = run.trim_end_matches('.');
            for form in [run, trimmed] {
                let n = form.chars().count();
                if (2..=40).contains(&n) && !forms.iter().any(|(_, f): &(usize, String)| f == form) {
                    forms.push((start + form.len(), form.to_owned()));
                }
            }
            if !forms.is_empty() {
                found.push(Found { at: i, forms });
            }
            prev = text[..end].chars().next_back();
            continue;
        }
        prev = Some(c);
    }
    found
}

/// The names `text` may mention, as written (each once whatever its case, in order).
pub fn find(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for f in scan(text) {
        for (_, form) in f.forms {
            if !names.iter().any(|n| n.to_lowercase() == form.to_lowercase()) {
                names.push(form);
            }
        }
    }
    names
}

/// Live accounts by lowercased nickname: id and nickname as written by its owner.
pub type Known = HashMap<String, (i64, String)>;

#[derive(QueryableByName)]
struct NicknameRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    nickname: String,
}

/// Looks the names up among live (not deleted) accounts, case-insensitively as the
/// database compares nicknames (its `lower`, as the unique index does).
pub fn lookup(conn: &mut PgConnection, names: &[String]) -> CoreResult<Known> {
    if names.is_empty() {
        return Ok(Known::new());
    }
    let rows: Vec<NicknameRow> = prepared(
        "SELECT id, nickname FROM users WHERE deleted_at IS NULL AND nickname IS NOT NULL \
         AND lower(nickname) = ANY (SELECT lower(x) FROM unnest($1::text[]) AS x)",
    )
    .bind::<Array<Text>, _>(names)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.nickname.to_lowercase(), (r.id, r.nickname))).collect())
}

/// For each mention in `text`, the longest of its forms that is a known account.
fn pick<'a>(found: &'a Found, known: &'a Known) -> Option<(usize, &'a (i64, String))> {
    found.forms.iter().find_map(|(end, form)| known.get(&form.to_lowercase()).map(|k| (*end, k)))
}

/// The accounts `text` (plain text, e.g. [`crate::richtext::plain`]) mentions, each
/// once, in order. Unknown and deleted nicknames are ignored.
pub fn resolve(conn: &mut PgConnection, text: &str) -> CoreResult<Vec<i64>> {
    let known = lookup(conn, &find(text))?;
    let mut ids = Vec::new();
    for f in scan(text) {
        if let Some((_, (id, _))) = pick(&f, &known) {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
    }
    Ok(ids)
}

/// Turns the mentions of known accounts in sanitised HTML into links to their
/// profiles, looking the names up first.
pub fn render_links(conn: &mut PgConnection, html: &str) -> CoreResult<String> {
    let names: Vec<String> = text_nodes(html).into_iter().flat_map(|(s, e)| find(&html[s..e])).collect();
    let known = lookup(conn, &names)?;
    Ok(link(html, &known))
}

/// The byte ranges of the text between tags in `html`, outside links, code and
/// preformatted blocks (a mention there stays text).
fn text_nodes(html: &str) -> Vec<(usize, usize)> {
    let bytes = html.as_bytes();
    let mut nodes = Vec::new();
    let mut skip_depth = 0usize;
    let mut i = 0;
    let mut text_start = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        if skip_depth == 0 && text_start < i {
            nodes.push((text_start, i));
        }
        // The tag runs to the first `>` outside quotes.
        let tag_start = i;
        let mut quote: Option<u8> = None;
        i += 1;
        while i < bytes.len() {
            match (quote, bytes[i]) {
                (None, b'>') => break,
                (None, q @ (b'"' | b'\'')) => quote = Some(q),
                (Some(q), b) if b == q => quote = None,
                _ => {}
            }
            i += 1;
        }
        let tag = &html[tag_start + 1..i.min(bytes.len())];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if matches!(name.as_str(), "a" | "code" | "pre") {
            if closing {
                skip_depth = skip_depth.saturating_sub(1);
            } else if !tag.ends_with('/') {
                skip_depth += 1;
            }
        }
        i += 1;
        text_start = i;
    }
    if skip_depth == 0 && text_start < bytes.len() {
        nodes.push((text_start, bytes.len()));
    }
    nodes
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A nickname in a path segment: everything but ASCII letters, digits, `-_.` encoded.
pub fn path_segment(nickname: &str) -> String {
    let mut out = String::with_capacity(nickname.len());
    for b in nickname.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Rewrites the mentions of `known` accounts in sanitised `html` as profile links.
/// Only text nodes change; the mention's text is escaped again on the way out.
pub fn link(html: &str, known: &Known) -> String {
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    for (start, end) in text_nodes(html) {
        let text = &html[start..end];
        for f in scan(text) {
            let Some((form_end, (_, nickname))) = pick(&f, known) else { continue };
            out.push_str(&html[copied..start + f.at]);
            let written = &text[f.at + 1..form_end];
            out.push_str(&format!(
                "<a class=\"mention\" href=\"/profiles/{}\">@{}</a>",
                path_segment(nickname),
                escape(written)
            ));
            copied = start + form_end;
        }
    }
    out.push_str(&html[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(names: &[(&str, i64)]) -> Known {
        names.iter().map(|(n, id)| (n.to_lowercase(), (*id, (*n).to_owned()))).collect()
    }

    #[test]
    fn mentions_are_found_but_not_in_addresses_or_urls() {
        assert_eq!(find("Merci @Anne et @bob_75, voir https://x.fr/@carl"), vec!["Anne", "bob_75"]);
        assert!(find("écrire à anne@example.fr ou a@b.fr").is_empty());
        assert!(find("@a seul, @ vide, @@double").is_empty());
        assert_eq!(find("Bravo @Jean-Éric."), vec!["Jean-Éric.", "Jean-Éric"]);
        assert_eq!(find("@Anne @anne @ANNE"), vec!["Anne"]);
        assert!(find(&format!("@{}", "x".repeat(41))).is_empty());
    }

    #[test]
    fn known_mentions_become_links_in_text_only() {
        let k = known(&[("Anne", 1), ("J.R.", 2), ("Éloïse", 3)]);
        let html = r#"<p>Salut @anne, @J.R. et @éloïse. <a href="https://x.fr/@anne">@anne</a> <code>@anne</code> @inconnu</p>"#;
        let out = link(html, &k);
        assert_eq!(
            out,
            "<p>Salut <a class=\"mention\" href=\"/profiles/Anne\">@anne</a>, \
             <a class=\"mention\" href=\"/profiles/J.R.\">@J.R.</a> et \
             <a class=\"mention\" href=\"/profiles/%C3%89lo%C3%AFse\">@éloïse</a>. \
             <a href=\"https://x.fr/@anne\">@anne</a> <code>@anne</code> @inconnu</p>"
        );
    }

    #[test]
    fn a_sentence_end_is_not_part_of_the_name() {
        let k = known(&[("Anne", 1)]);
        assert_eq!(
            link("<p>Merci @Anne.</p>", &k),
            "<p>Merci <a class=\"mention\" href=\"/profiles/Anne\">@Anne</a>.</p>"
        );
    }

    #[test]
    fn links_stay_escaped() {
        let k = known(&[("bob", 1)]);
        let html = "<p>&lt;script&gt;@bob&lt;/script&gt; <a href=\"/x?a=>@bob\">t</a></p>";
        let out = link(html, &k);
        assert!(
            out.contains("&lt;script&gt;<a class=\"mention\" href=\"/profiles/bob\">@bob</a>&lt;/script&gt;"),
            "{out}"
        );
        assert!(out.contains("<a href=\"/x?a=>@bob\">t</a>"), "{out}");
        assert!(!out.contains("<script"), "{out}");
    }
}
