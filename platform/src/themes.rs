//! Themes: Tera templates, static assets and interface messages, loaded once at start.
//!
//! `themes/default/` is complete; another theme overrides any of its templates, assets
//! or messages and inherits the rest (`Tera::extend`: the theme's files win).
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _};
use tenant_core::names::Locale;

/// A static file held in memory: served by exact name, so no path can escape.
pub struct Asset {
    pub bytes: Arc<[u8]>,
    pub content_type: &'static str,
    pub etag: String,
}

/// One theme, with the default theme's files filling its gaps.
pub struct Theme {
    tera: tera::Tera,
    assets: HashMap<String, Arc<Asset>>,
    messages: HashMap<Locale, Arc<serde_json::Value>>,
    /// Per template and locale, the messages it can show ([`crate::theme_messages`]).
    page_messages: HashMap<(String, Locale), serde_json::Value>,
}

/// Every theme found under the themes folder.
pub struct Themes {
    default: Theme,
    others: HashMap<String, Theme>,
}

impl Themes {
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let default_dir = dir.join("default");
        if !default_dir.join("templates").is_dir() {
            bail!("no default theme at {} (set CIVITAS_THEMES_DIR)", default_dir.display());
        }
        let default_tera = load_templates(&default_dir)?;
        let default_assets = load_assets(&default_dir.join("static"))?;
        let default_messages = load_messages(&default_dir.join("locales"), &BTreeMap::new())?;
        let default_sources = template_sources(&default_dir.join("templates"), BTreeMap::new())?;
        let mut others = HashMap::new();
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !entry.file_type()?.is_dir() || name == "default" || tenant_core::names::ThemeName::parse(&name).is_err()
            {
                continue;
            }
            let theme = {
                let path = entry.path();
                let mut tera =
                    if path.join("templates").is_dir() { load_templates(&path)? } else { tera::Tera::default() };
                tera.extend(&default_tera).with_context(|| format!("theme {name}"))?;
                register(&mut tera);
                tera.build_inheritance_chains().with_context(|| format!("theme {name}"))?;
                let mut assets = default_assets.clone();
                assets.extend(load_assets(&path.join("static"))?);
                let messages = to_json(&load_messages(&path.join("locales"), &default_messages)?);
                let sources = template_sources(&path.join("templates"), default_sources.clone())?;
                Theme { tera, assets, page_messages: page_messages(&sources, &messages), messages }
            };
            others.insert(name, theme);
        }
        let messages = to_json(&default_messages);
        let page_messages = page_messages(&default_sources, &messages);
        let default = Theme { tera: default_tera, assets: default_assets, messages, page_messages };
        Ok(Self { default, others })
    }

    /// The named theme, or the default one when a tenant names a theme this
    /// installation does not have.
    pub fn get(&self, name: &str) -> &Theme {
        self.others.get(name).unwrap_or(&self.default)
    }

    pub fn default_theme(&self) -> &Theme {
        &self.default
    }

    pub fn exists(&self, name: &str) -> bool {
        name == "default" || self.others.contains_key(name)
    }

    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.others.keys().map(String::as_str).chain(["default"]).collect();
        v.sort_unstable();
        v
    }
}

impl Theme {
    /// Renders `template`. Unless the context already has the messages (`t`), it gets
    /// those the template can show, in the context's `locale`.
    pub fn render(&self, template: &str, ctx: &mut tera::Context) -> Result<String, tera::Error> {
        // `t` given by the caller is kept; one given here for another template (a
        // context rendered twice) is replaced.
        match ctx.get(MESSAGES_FOR).and_then(|v| v.as_str()) {
            Some(for_template) if for_template == template => return self.tera.render(template, ctx),
            None if ctx.contains_key("t") => return self.tera.render(template, ctx),
            _ => ctx.insert(MESSAGES_FOR, template),
        }
        let locale =
            ctx.get("locale").and_then(|l| l.as_str()).and_then(|l| Locale::parse(l).ok()).unwrap_or(Locale::Fr);
        let Some(messages) = self.page_messages.get(&(template.to_owned(), locale)) else {
            crate::http::render::insert_messages(ctx, &self.messages(locale));
            return self.tera.render(template, ctx);
        };
        crate::http::render::insert_messages(ctx, messages);
        match self.tera.render(template, ctx) {
            // A message the reading of the templates missed: say so, and render with all
            // (debug builds, which the tests run, fail instead, so the miss is seen).
            Err(e) if !cfg!(debug_assertions) && names_a_message(&e) => {
                tracing::warn!(template, error = ?e, "a template used a message it was not given; rendering with all");
                crate::http::render::insert_messages(ctx, &self.messages(locale));
                self.tera.render(template, ctx)
            }
            rendered => rendered,
        }
    }

    pub fn asset(&self, path: &str) -> Option<&Arc<Asset>> {
        self.assets.get(path)
    }

    /// The interface messages in `locale`, as a JSON object for templates.
    pub fn messages(&self, locale: Locale) -> Arc<serde_json::Value> {
        self.messages.get(&locale).cloned().unwrap_or_default()
    }

    /// One message, for text built outside templates.
    pub fn message(&self, locale: Locale, key: &str) -> String {
        self.messages.get(&locale).and_then(|m| m.get(key)).and_then(|v| v.as_str()).unwrap_or(key).to_owned()
    }
}

/// The context entry naming the template whose messages `t` holds.
const MESSAGES_FOR: &str = "t_for_template";

/// Whether a render error is about a missing `t` entry.
fn names_a_message(e: &tera::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        let text = err.to_string();
        if text.contains("`t.") || text.contains("`t[") {
            return true;
        }
        source = err.source();
    }
    false
}

/// The templates' sources by name (`proposals/index.html`), over `base` (the default
/// theme's, which a theme's own files replace).
fn template_sources(dir: &Path, mut base: BTreeMap<String, String>) -> anyhow::Result<BTreeMap<String, String>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> anyhow::Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else if path.extension().is_some_and(|e| e == "html") {
                let name = path.strip_prefix(root)?.to_string_lossy().replace('\\', "/");
                out.insert(
                    name,
                    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
                );
            }
        }
        Ok(())
    }
    walk(dir, dir, &mut base)?;
    Ok(base)
}

fn page_messages(
    sources: &BTreeMap<String, String>,
    messages: &HashMap<Locale, Arc<serde_json::Value>>,
) -> HashMap<(String, Locale), serde_json::Value> {
    let needs = crate::theme_messages::analyse(sources);
    let mut out = HashMap::new();
    for (template, needs) in &needs {
        for (locale, all) in messages {
            out.insert((template.clone(), *locale), crate::theme_messages::subset(all, needs));
        }
    }
    out
}

fn load_templates(theme_dir: &Path) -> anyhow::Result<tera::Tera> {
    let glob = format!("{}/templates/**/*.html", theme_dir.display());
    let mut tera = tera::Tera::new(&glob).with_context(|| format!("loading templates from {glob}"))?;
    register(&mut tera);
    Ok(tera)
}

fn register(tera: &mut tera::Tera) {
    tera.register_filter("paragraphs", paragraphs);
    tera.register_filter("date", date);
    tera.register_filter("richtext", richtext);
    tera.register_filter("thousands", thousands);
}

/// `{{ n | thousands(sep=t.thousands_sep) }}`: an integer with its digits grouped by
/// three (`100 412` in French, `100,412` in English).
fn thousands(value: &tera::Value, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let sep = args.get("sep").and_then(|s| s.as_str()).unwrap_or(",");
    let n = value.as_i64().ok_or_else(|| tera::Error::msg("thousands: expected an integer"))?;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * sep.len() + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    Ok(tera::Value::String(out))
}

/// Rich text (stored sanitised, or plain text from before) as safe HTML: sanitised
/// again at render, so `{{ x | richtext | safe }}` is safe whatever is stored.
fn richtext(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(tenant_core::richtext::sanitize(value.as_str().unwrap_or_default())))
}

/// `{{ when | date(format="%d/%m/%Y") }}` for RFC 3339 timestamps.
fn date(value: &tera::Value, args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let format = args.get("format").and_then(|f| f.as_str()).unwrap_or("%Y-%m-%d");
    let raw = value.as_str().ok_or_else(|| tera::Error::msg("date: expected a timestamp string"))?;
    // A timestamp, or a plain date (`2026-11-26`).
    if let Ok(day) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(tera::Value::String(day.format(format).to_string()));
    }
    let when = chrono::DateTime::parse_from_rfc3339(raw).map_err(|e| tera::Error::msg(format!("date: {e}")))?;
    Ok(tera::Value::String(when.format(format).to_string()))
}

/// Plain text to HTML paragraphs: escaped, one `<p>` per blank-line-separated block.
fn paragraphs(value: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let text = value.as_str().unwrap_or_default();
    let html: String = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>\n", tera::escape_html(p).replace('\n', "<br>")))
        .collect();
    Ok(tera::Value::String(html))
}

fn load_assets(dir: &Path) -> anyhow::Result<HashMap<String, Arc<Asset>>> {
    let mut out = HashMap::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out)?;
    }
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut HashMap<String, Arc<Asset>>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
            continue;
        }
        let Ok(rel) = path.strip_prefix(root) else { continue };
        let Some(rel) = rel.to_str() else { continue };
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let etag = format!("\"{:016x}\"", fnv1a(&bytes));
        out.insert(
            rel.replace('\\', "/"),
            Arc::new(Asset { content_type: content_type(rel), bytes: bytes.into(), etag }),
        );
    }
    Ok(())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A stable, cheap content hash for ETags.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

type Messages = BTreeMap<Locale, BTreeMap<String, String>>;

/// Reads `<locale>.toml` and every `<area>.<locale>.toml` of a locales folder (one
/// file per area keeps each module's texts beside the others without one huge file).
fn load_messages(dir: &Path, base: &Messages) -> anyhow::Result<Messages> {
    let mut out = base.clone();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    files.sort();
    for file in files {
        let Some(name) = file.file_name().and_then(|n| n.to_str()) else { continue };
        let Some(stem) = name.strip_suffix(".toml") else { continue };
        let code = stem.rsplit('.').next().unwrap_or(stem);
        let Some(locale) = Locale::ALL.into_iter().find(|l| l.as_str() == code) else {
            anyhow::bail!("{}: the file name must end in .<locale>.toml (fr, en...)", file.display());
        };
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let map: BTreeMap<String, String> = toml::from_str(&text).with_context(|| format!("in {}", file.display()))?;
        out.entry(locale).or_default().extend(map);
    }
    Ok(out)
}

fn to_json(m: &Messages) -> HashMap<Locale, Arc<serde_json::Value>> {
    m.iter()
        .map(|(l, map)| {
            let obj = map.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
            (*l, Arc::new(serde_json::Value::Object(obj)))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod render_tests {
    use super::*;

    /// Every message exists in every language, so no page shows a missing text.
    #[test]
    fn every_message_is_in_every_language() {
        let root = crate::settings::default_themes_dir();
        let messages = load_messages(&root.join("default").join("locales"), &BTreeMap::new()).expect("messages");
        let fr: Vec<&String> = messages[&Locale::Fr].keys().collect();
        let en: Vec<&String> = messages[&Locale::En].keys().collect();
        let only_fr: Vec<_> = fr.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !fr.contains(k)).collect();
        assert!(only_fr.is_empty() && only_en.is_empty(), "only in fr: {only_fr:?}; only in en: {only_en:?}");
    }

    #[test]
    fn thousands_groups_digits_by_three() {
        let f = |n: i64, sep: &str| {
            let args = HashMap::from([("sep".to_owned(), tera::Value::String(sep.to_owned()))]);
            thousands(&tera::Value::from(n), &args).expect("an integer").as_str().expect("text").to_owned()
        };
        assert_eq!(f(0, ","), "0");
        assert_eq!(f(999, ","), "999");
        assert_eq!(f(1000, ","), "1,000");
        assert_eq!(f(100_412, "\u{202f}"), "100\u{202f}412");
        assert_eq!(f(-1_234_567, ","), "-1,234,567");
        assert!(thousands(&tera::Value::from("x"), &HashMap::new()).is_err());
    }

    /// Every account page renders, for an anonymous and a signed-in visitor.
    #[test]
    fn account_templates_render() {
        let themes = Themes::load(&crate::settings::default_themes_dir()).expect("themes");
        let theme = themes.default_theme();
        for locale in [Locale::Fr, Locale::En] {
            for signed_in in [false, true] {
                let mut ctx = tera::Context::new();
                ctx.insert("tenant", &serde_json::json!({"name": "T", "slug": "t", "description": "", "description_lang": "fr", "logo_url": null, "theme": "default"}));
                ctx.insert("locale", locale.as_str());
                // No `t`: each template gets the messages it can show.
                ctx.insert("path", "/");
                ctx.insert("branding_css", "/branding.css");
                ctx.insert("nav", &Vec::<String>::new());
                ctx.insert("locales", &Vec::<String>::new());
                ctx.insert("csrf", "x");
                ctx.insert(
                    "providers",
                    &serde_json::json!([{"key": "fc", "kind": "franceconnect", "label": "FranceConnect"}]),
                );
                ctx.insert("identities", &serde_json::json!([]));
                ctx.insert("verifications", &serde_json::json!([]));
                ctx.insert("title", "t");
                ctx.insert("text", "t");
                ctx.insert("token", "tok");
                ctx.insert("link_email", "a@b.fr");
                ctx.insert("purpose", "reset");
                ctx.insert("next", "/");
                ctx.insert("email", "");
                ctx.insert("nickname", "");
                ctx.insert("provider_email", &None::<String>);
                if signed_in {
                    ctx.insert("user", &serde_json::json!({"id": 1, "nickname": "N", "email": "a@b.fr", "email_confirmed": true, "is_admin": false, "has_password": true, "method": "password"}));
                }
                ctx.insert("people", &serde_json::json!([{"id": 1, "nickname": "N", "email": "a@b.fr", "email_confirmed": true, "role": "admin", "verifications": ["admin", "franceconnect"], "blocked_at": null}, {"id": 2, "nickname": "P", "email": null, "email_confirmed": false, "role": "participant", "verifications": [], "blocked_at": "2026-11-26T10:00:00Z"}]));
                ctx.insert("people_count", &2);
                ctx.insert("spaces_count", &0);
                ctx.insert("pages_count", &0);
                ctx.insert("blocks_count", &0);
                ctx.insert("total", &1);
                ctx.insert("q", "");
                ctx.insert("page_no", &0);
                ctx.insert("has_next", &false);
                ctx.insert("residents", &3);
                if signed_in {
                    for name in ["admin/index.html", "admin/people.html"] {
                        let r = theme.render(name, &mut ctx);
                        assert!(r.is_ok(), "{name}: {:?}", r.err().map(|e| format!("{e:?}")));
                    }
                }
                for name in
                    ["sign_in", "sign_up", "message", "ask_email", "confirm", "reset", "welcome", "delete", "account"]
                {
                    if !signed_in && (name == "account" || name == "delete") {
                        continue;
                    }
                    let r = theme.render(&format!("account/{name}.html"), &mut ctx);
                    assert!(
                        r.is_ok(),
                        "{name} ({}, signed in: {signed_in}): {:?}",
                        locale.as_str(),
                        r.err().map(|e| format!("{e:?}"))
                    );
                }
            }
        }
    }

    /// The gate tells the person what an action needs and offers the way to get it.
    #[test]
    fn gate_says_how_to_get_each_verification() {
        let themes = Themes::load(&crate::settings::default_themes_dir()).expect("themes");
        let theme = themes.default_theme();
        let render = |gate: serde_json::Value| {
            let mut ctx = tera::Context::new();
            ctx.insert("t", &*theme.messages(Locale::Fr));
            ctx.insert("csrf", "tok");
            ctx.insert("path", "/petitions/1");
            ctx.insert(
                "providers",
                &serde_json::json!([
                    {"key": "fc", "kind": "franceconnect", "label": "FranceConnect"},
                    {"key": "sso", "kind": "oidc", "label": "Compte agent"}
                ]),
            );
            ctx.insert("gate", &gate);
            theme.render("partials/gate.html", &mut ctx).expect("renders")
        };
        let allowed = render(serde_json::json!({"gate": "allowed"}));
        assert!(!allowed.contains("gate"), "nothing shown when allowed: {allowed}");
        let sign_in = render(serde_json::json!({"gate": "sign_in"}));
        assert!(
            sign_in.contains("connectez-vous") && sign_in.contains("sign-in?next=&#x2F;petitions&#x2F;1"),
            "{sign_in}"
        );
        let fc = render(serde_json::json!({"gate": "verify", "kind": "franceconnect"}));
        assert!(fc.contains("vérifiée par FranceConnect") && fc.contains("action=\"/auth/fc/login\""), "{fc}");
        assert!(!fc.contains("/auth/sso/login"), "only the FranceConnect button: {fc}");
        let oidc = render(serde_json::json!({"gate": "verify", "kind": "oidc"}));
        assert!(oidc.contains("/auth/sso/login") && !oidc.contains("/auth/fc/login"), "{oidc}");
        let residents = render(serde_json::json!({"gate": "verify", "kind": "resident_list"}));
        assert!(residents.contains("liste des habitants") && residents.contains("/account/verifications/resident"));
        let admin = render(serde_json::json!({"gate": "verify", "kind": "admin"}));
        assert!(admin.contains("administrateur du site") && !admin.contains("<form"));
        // The JSON the gate serialises to is what the partial reads.
        let gate = serde_json::to_value(tenant_core::accounts::verifications::Gate::Verify(
            tenant_core::accounts::verifications::Kind::Franceconnect,
        ))
        .expect("json");
        assert_eq!(gate, serde_json::json!({"gate": "verify", "kind": "franceconnect"}));
    }
}
