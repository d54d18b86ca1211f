//! Bodies as HTML: the events of `parser` written by pulldown-cmark, then sanitized by
//! ammonia with a tight allow-list, so that even a body feed never checked (stored before
//! the check, or a bug in it) cannot put script, styles, images or foreign link schemes on
//! a page.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use pulldown_cmark::{Event, html};

use crate::parser;

/// Elements a body may produce (the allow-list of the check, as HTML).
const TAGS: [&str; 20] = [
    "p",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "code",
    "ul",
    "ol",
    "li",
    "hr",
    "em",
    "strong",
    "a",
    "span",
    "div",
];

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut builder = ammonia::Builder::empty();
        // `empty()` allows no tags but keeps ammonia's default attributes (`title`,
        // `lang`, ...); every list is set here, so only what is named passes.
        let attributes: HashMap<&str, HashSet<&str>> = [
            ("a", HashSet::from(["href"])),
            ("ol", HashSet::from(["start"])),
        ]
        .into_iter()
        .collect();
        builder
            .tags(TAGS.into_iter().collect::<HashSet<_>>())
            .tag_attributes(attributes)
            .generic_attributes(HashSet::new())
            .generic_attribute_prefixes(HashSet::new())
            .allowed_classes(HashMap::new())
            .url_schemes(["https", "http", "mailto"].into_iter().collect())
            .url_relative(ammonia::UrlRelative::Deny)
            .link_rel(Some("noopener noreferrer nofollow"))
            .strip_comments(true);
        builder
    })
}

/// `text` (CommonMark) as safe HTML. Raw HTML in the text is shown as text, never
/// interpreted; the result is sanitized once more.
pub fn render_html(text: &str) -> String {
    let events = parser(text).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut written = String::with_capacity(text.len() * 2);
    html::push_html(&mut written, events);
    sanitizer().clean(&written).to_string()
}

#[cfg(test)]
mod tests {
    use super::render_html;

    #[test]
    fn ordinary_markdown_becomes_its_html() {
        let html = render_html("Hello *team*\n\n- one\n- two\n\n[rota](https://example.com/r)");
        assert!(html.contains("<em>team</em>"), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://example.com/r" rel="noopener noreferrer nofollow">rota</a>"#
            ),
            "{html}"
        );
    }

    #[test]
    fn hostile_bodies_render_inert() {
        for body in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "![i](https://evil.example/p.png)",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](/admin)",
            "<svg onload=alert(1)>",
            "<iframe src=https://evil.example>",
            "[t](https://example.com 'x\" onclick=\"alert(1)')",
        ] {
            let html = render_html(body);
            let lower = html.to_ascii_lowercase();
            assert!(!lower.contains("<script"), "{body} -> {html}");
            assert!(!lower.contains("<img"), "{body} -> {html}");
            assert!(!lower.contains("<iframe"), "{body} -> {html}");
            assert!(!lower.contains("<svg"), "{body} -> {html}");
            assert!(!lower.contains("<a href=\"javascript"), "{body} -> {html}");
            assert!(!lower.contains("<a href=\"data"), "{body} -> {html}");
            assert!(!lower.contains("<a href=\"/"), "{body} -> {html}");
            assert!(!lower.contains("title="), "{body} -> {html}");
        }
    }
}
