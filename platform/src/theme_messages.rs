//! Which interface messages (`t`) each template can show, found by reading the
//! templates once at start.
//!
//! Every page used to get all of the theme's messages (about 800, 45 KB): copying them
//! into the page's context, and Tera's lookups in a map that size, were a tenth of a
//! proposals page's time (BENCHMARKS.md, "Participation core"). A page now gets the
//! messages its template, the templates it extends, includes and imports can name:
//! `t.some_key`, and for `t[key]` every message starting with a prefix the templates
//! build keys from (`"proposals_state_" ~ s`). A template that uses `t` in a way this
//! reading cannot follow gets all of them.
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What one template (with everything it pulls in) needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub all: bool,
    pub keys: BTreeSet<String>,
    pub prefixes: BTreeSet<String>,
}

impl Needs {
    pub fn wants(&self, key: &str) -> bool {
        self.all || self.keys.contains(key) || self.prefixes.iter().any(|p| key.starts_with(p.as_str()))
    }
}

#[derive(Debug, Default)]
struct Scan {
    keys: BTreeSet<String>,
    prefixes: BTreeSet<String>,
    dynamic: bool,
    bare: bool,
    deps: Vec<String>,
}

/// Each template's needs, from the sources of all templates by name.
pub fn analyse(sources: &BTreeMap<String, String>) -> HashMap<String, Needs> {
    let scans: HashMap<&str, Scan> = sources.iter().map(|(name, src)| (name.as_str(), scan(src))).collect();
    sources
        .keys()
        .map(|name| {
            let mut needs = Needs::default();
            let (mut dynamic, mut seen, mut todo) = (false, BTreeSet::new(), vec![name.as_str()]);
            while let Some(n) = todo.pop() {
                if !seen.insert(n) {
                    continue;
                }
                let Some(s) = scans.get(n) else {
                    // A template this reading does not know: be safe.
                    needs.all = true;
                    continue;
                };
                needs.keys.extend(s.keys.iter().cloned());
                needs.prefixes.extend(s.prefixes.iter().cloned());
                dynamic |= s.dynamic;
                needs.all |= s.bare;
                todo.extend(s.deps.iter().map(String::as_str));
            }
            needs.all |= dynamic && needs.prefixes.is_empty();
            (name.clone(), needs)
        })
        .collect()
}

/// The `t` uses, key prefixes and dependencies of one template's source.
fn scan(src: &str) -> Scan {
    let mut out = Scan::default();
    let mut rest = src;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = match after.as_bytes().first() {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => {
                rest = after.find("#}").map_or("", |end| &after[end + 2..]);
                continue;
            }
            _ => {
                rest = after;
                continue;
            }
        };
        let body = &after[1..];
        let end = body.find(close).unwrap_or(body.len());
        scan_tag(&body[..end], &mut out);
        rest = body.get(end + 2..).unwrap_or("");
    }
    out
}

fn scan_tag(tag: &str, out: &mut Scan) {
    let tag = tag.trim_matches(|c: char| c == '-' || c.is_whitespace());
    let pulls_in = ["extends", "include", "import"].iter().any(|w| tag.starts_with(w));
    let b = tag.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' || c == b'`' {
            let end = tag[i + 1..].find(c as char).map_or(b.len(), |e| i + 1 + e);
            let literal = &tag[i + 1..end.min(b.len())];
            if pulls_in {
                out.deps.push(literal.to_owned());
            } else if tag[end.min(b.len())..].trim_start_matches(['"', '\'', '`']).trim_start().starts_with('~') {
                out.prefixes.insert(literal.to_owned());
            }
            i = end + 1;
            continue;
        }
        if is_ident(c) {
            let start = i;
            while i < b.len() && is_ident(b[i]) {
                i += 1;
            }
            let follows_dot = start > 0 && b[start - 1] == b'.';
            if &tag[start..i] == "t" && !follows_dot {
                match b.get(i) {
                    Some(b'.') => {
                        let k = i + 1;
                        let mut e = k;
                        while e < b.len() && is_ident(b[e]) {
                            e += 1;
                        }
                        out.keys.insert(tag[k..e].to_owned());
                        i = e;
                    }
                    Some(b'[') => out.dynamic = true,
                    // `t` alone (passed to a macro, tested, looped over): anything.
                    _ => out.bare = true,
                }
            }
            continue;
        }
        i += 1;
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The messages of `all` that `needs` names, as the JSON object a template reads.
pub fn subset(all: &serde_json::Value, needs: &Needs) -> serde_json::Value {
    match all {
        serde_json::Value::Object(map) if !needs.all => serde_json::Value::Object(
            map.iter().filter(|(k, _)| needs.wants(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
        ),
        _ => all.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> BTreeMap<String, String> {
        files.iter().map(|(n, s)| ((*n).to_owned(), (*s).to_owned())).collect()
    }

    #[test]
    fn keys_prefixes_and_what_templates_pull_in() {
        let all = analyse(&sources(&[
            ("base.html", "<a>{{ t.skip }}</a>{% block content %}{% endblock %}{% include \"partials/nav.html\" %}"),
            ("partials/nav.html", "{{ t.nav_home }} {{ user.t.not_a_message }} {# {{ t.commented }} #}"),
            (
                "list.html",
                "{% extends \"base.html\" %}{% block content %}{% for s in states %}{% set key = \"state_\" ~ s %}{{ t[key] }}{% endfor %}{{ t.title | safe }}{% endblock %}",
            ),
            ("loose.html", "{{ t[something] }}"),
            ("bare.html", "{{ macros::x(t=t) }}"),
            ("quoted.html", "{{ \"t.not_a_key\" }} {{ t.real }}"),
        ]));
        let list = &all["list.html"];
        assert!(!list.all);
        assert_eq!(list.keys, ["nav_home", "skip", "title"].iter().map(|s| s.to_string()).collect());
        assert_eq!(list.prefixes, ["state_".to_owned()].into_iter().collect());
        assert!(list.wants("state_open") && list.wants("skip") && !list.wants("other"));
        assert!(all["loose.html"].all, "a key built from nothing known: all messages");
        assert!(all["bare.html"].all, "t passed along: all messages");
        assert_eq!(all["quoted.html"].keys, ["real".to_owned()].into_iter().collect());
    }

    #[test]
    fn a_subset_keeps_only_the_wanted_messages() {
        let all = serde_json::json!({"a": "A", "b_1": "B1", "c": "C"});
        let needs = Needs { all: false, keys: ["a".into()].into(), prefixes: ["b_".into()].into() };
        assert_eq!(subset(&all, &needs), serde_json::json!({"a": "A", "b_1": "B1"}));
        assert_eq!(subset(&all, &Needs { all: true, ..Needs::default() }), all);
    }
}
