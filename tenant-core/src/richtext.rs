//! Rich text written by participants (proposal bodies, comments, answers): a small
//! allow-list of formatting tags, kept as sanitised HTML. Scripts, event handlers,
//! styles, images and unknown tags are removed on the way in, so a template can show
//! the stored text as is; links get `rel="nofollow noopener noreferrer ugc"`.
use std::collections::HashSet;

use crate::error::{CoreError, CoreResult};

/// Largest rich text accepted, in bytes of input (before sanitising).
pub const MAX_INPUT_BYTES: usize = 20_000;

fn cleaner() -> ammonia::Builder<'static> {
    let tags: HashSet<&str> =
        ["p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote", "a", "h3", "h4", "code", "pre"]
            .into_iter()
            .collect();
    let mut b = ammonia::Builder::empty();
    b.tags(tags)
        .add_tag_attributes("a", ["href"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer ugc"))
        .strip_comments(true);
    b
}

/// Sanitised HTML from what a person typed. Plain text (no tag at all) becomes
/// paragraphs, one per blank-line-separated block, with line breaks kept.
pub fn sanitize(input: &str) -> String {
    let input = input.trim();
    let looks_like_html =
        input.as_bytes().windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/'));
    let html = if looks_like_html { input.to_owned() } else { paragraphs(input) };
    cleaner().clean(&html).to_string()
}

/// Sanitises a required rich text field: refuses an empty or oversized one with a
/// message that names the field.
pub fn parse(field: &str, input: &str, max_chars: usize) -> CoreResult<String> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(CoreError::Invalid(format!("{field}: too long (at most {max_chars} characters)")));
    }
    let html = sanitize(input);
    let text = plain(&html);
    if text.trim().is_empty() {
        return Err(CoreError::Invalid(format!("{field}: required")));
    }
    if text.chars().count() > max_chars {
        return Err(CoreError::Invalid(format!("{field}: too long (at most {max_chars} characters)")));
    }
    Ok(html)
}

fn paragraphs(text: &str) -> String {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

/// The text without tags (for search, excerpts, notifications and diffs), with
/// entities decoded and whitespace collapsed; block ends become line breaks.
pub fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name = tag.trim_start_matches('/').split_whitespace().next().unwrap_or("").to_ascii_lowercase();
                if matches!(name.as_str(), "p" | "br" | "li" | "h3" | "h4" | "blockquote" | "pre")
                    && !out.ends_with('\n')
                {
                    out.push('\n');
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first `max` characters of the plain text, cut at a word, with an ellipsis.
pub fn excerpt(html: &str, max: usize) -> String {
    let text = plain(html).replace('\n', " ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map(|(a, _)| a).unwrap_or(&cut);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_event_handlers_are_removed() {
        let html = sanitize(
            r#"<p onclick="alert(1)">Hi <script>alert(2)</script><img src=x onerror=alert(3)><a href="javascript:alert(4)">x</a><a href="https://ex.org" onmouseover="y()">ok</a></p><style>p{}</style><iframe src="https://evil"></iframe>"#,
        );
        assert!(!html.contains("script"), "{html}");
        assert!(!html.contains("onclick") && !html.contains("onerror") && !html.contains("onmouseover"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<img") && !html.contains("<iframe") && !html.contains("<style"), "{html}");
        assert!(html.contains(r#"<a href="https://ex.org" rel="nofollow noopener noreferrer ugc">ok</a>"#), "{html}");
    }

    #[test]
    fn plain_text_becomes_paragraphs_and_is_escaped() {
        assert_eq!(sanitize("One\nline two\n\nno tag?"), "<p>One<br>line two</p><p>no tag?</p>");
        assert_eq!(sanitize("a < b & c"), "<p>a &lt; b &amp; c</p>");
    }

    #[test]
    fn plain_and_excerpt() {
        let html = "<p>Des <strong>arbres</strong> &amp; des bancs</p><ul><li>un</li><li>deux</li></ul>";
        assert_eq!(plain(html), "Des arbres & des bancs\nun\ndeux");
        assert_eq!(excerpt(html, 12), "Des arbres…");
    }

    #[test]
    fn parse_refuses_empty_and_oversized() {
        assert!(parse("body", "<p> </p><script>x</script>", 100).is_err());
        assert!(parse("body", &"a".repeat(101), 100).is_err());
        assert!(parse("body", &"a".repeat(MAX_INPUT_BYTES + 1), 1_000_000).is_err());
        assert_eq!(parse("body", "Bonjour", 100).ok().as_deref(), Some("<p>Bonjour</p>"));
    }
}
