//! What "renders inert" means for a page: checked on its markup, tag by tag.

use crate::browser::Page;

/// Every real tag of a page (text `<` is escaped, so each `<` starts one).
fn tags(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or_default().to_ascii_lowercase())
        .collect()
}

/// No script but the app's own, no event handler attribute, no `javascript:` or `data:`
/// URL, no image, frame or SVG anywhere in the page's markup.
pub fn assert_inert(page: &Page, body: &str) {
    for tag in tags(&page.body) {
        let name = tag.split_whitespace().next().unwrap_or_default();
        if name == "script" {
            assert!(
                tag.contains("src=\"/static/"),
                "foreign script for {body:?}: <{tag}>"
            );
        }
        assert!(
            ![
                "img",
                "iframe",
                "svg",
                "object",
                "embed",
                "style",
                "base",
                "form action=\"http"
            ]
            .contains(&name),
            "{body:?}: <{tag}>"
        );
        assert!(
            !tag.contains("javascript:") && !tag.contains("data:"),
            "{body:?}: <{tag}>"
        );
        // Attribute names only: quoted values are text, whatever they spell.
        let mut unquoted = String::new();
        let mut quote = None;
        for c in tag.chars() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None => unquoted.push(c),
            }
        }
        let attributes: Vec<&str> = unquoted.split_whitespace().skip(1).collect();
        assert!(
            !attributes
                .iter()
                .any(|a| a.starts_with("on") && a.contains('=')),
            "{body:?}: event handler in <{tag}>"
        );
    }
}
