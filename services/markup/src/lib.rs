//! `breakroom-markup`: what post and comment bodies may hold, decided by the CommonMark parser that renders
//! them: pulldown-cmark with `parser_options()`.
//!
//! A body is CommonMark. It is parsed here exactly as the web app parses it to render it
//! (`parser`), and every event the parser emits is checked against an allow-list, so what
//! feed accepts and what a reader's screen shows cannot disagree: a link the renderer
//! would draw is a link this check saw, whatever the syntax that produced it (reference
//! definitions inside block quotes or list items, a target on the next line, CR line
//! endings, entity or backslash escapes).
//!
//! Allowed: paragraphs and line breaks, headings, block quotes, code blocks and code
//! spans, bullet and numbered lists, rules, emphasis, strong, and links whose target,
//! as the parser resolved it, starts with `https://`, `http://` or `mailto:` (compared
//! case-insensitively, something after it) and holds no whitespace or control character
//! (browsers strip or skip those inside a URL, which a prefix check would miss), plus
//! e-mail autolinks (`<hq@acme.example>`, rendered as `mailto:`).
//!
//! Refused, because each is a way in for hostile content: raw HTML (blocks and inline
//! tags, comments, declarations), images (tracking pixels and remote content in every
//! reader's timeline; attachments are the way to show a picture), link targets of any
//! other scheme (`javascript:`, `data:`, `vbscript:` run in the reader's app) and
//! relative targets (`/admin`, `#top`, `page`: they would resolve against the app's own
//! origin, a click a reader cannot judge from the text), and any construct of a parser
//! extension (tables, footnotes, math, task lists, ...) should the options ever enable
//! one before this check learns it: the allow-list fails closed.
//!
//! Feed checks with `refusals`/`check`; the web app renders with `render_html` (feature
//! `render`), which walks the same `parser` and sanitizes the result once more.
#![forbid(unsafe_code)]

#[cfg(feature = "render")]
mod render;
#[cfg(feature = "render")]
pub use render::render_html;

use std::fmt;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag};

/// Link targets may start with these (compared case-insensitively).
const SCHEMES: [&str; 3] = ["https://", "http://", "mailto:"];

/// Refusals reported per body at most: enough to name what is wrong, and an error's
/// details stay small however hostile the body.
pub const MAX_REFUSALS: usize = 10;

/// The parser's options: plain CommonMark, no extension. The web app renders bodies with
/// exactly these (through `parser`), so the check and the renderer agree by construction.
pub fn parser_options() -> Options {
    Options::empty()
}

/// `text` parsed as feed checks it and clients render it.
pub fn parser(text: &str) -> Parser<'_> {
    Parser::new_ext(text, parser_options())
}

/// Something in a body that is not allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Raw HTML, named by its start, e.g. `<script` or `<!--`.
    Html(String),
    /// An image (`![alt](target)` or `![alt][ref]`).
    Image,
    /// A link target of another scheme, a relative one, or none.
    LinkTarget(String),
    /// A construct of a parser extension.
    Unsupported(&'static str),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Html(tag) => write!(f, "raw HTML is not allowed (`{tag}`)"),
            Self::Image => write!(f, "images are not allowed in text; attach them instead"),
            Self::LinkTarget(target) => write!(
                f,
                "link target `{target}` is not allowed: links must start with https://, \
                 http:// or mailto:"
            ),
            Self::Unsupported(what) => write!(f, "{what} is not supported"),
        }
    }
}

/// `Ok` when `text` holds only what is allowed, else what is not (as `refusals`).
pub fn check(text: &str) -> Result<(), Vec<Refused>> {
    let found = refusals(text);
    if found.is_empty() { Ok(()) } else { Err(found) }
}

/// What in `text` is not allowed, each once, in order of appearance, at most
/// `MAX_REFUSALS` (empty: it is fine).
pub fn refusals(text: &str) -> Vec<Refused> {
    let mut found = Vec::new();
    for event in parser(text) {
        if let Some(refused) = refusal(&event)
            && !found.contains(&refused)
        {
            found.push(refused);
            if found.len() == MAX_REFUSALS {
                break;
            }
        }
    }
    found
}

/// Whether one event is outside the allow-list.
fn refusal(event: &Event<'_>) -> Option<Refused> {
    match event {
        Event::Start(tag) => tag_refusal(tag),
        Event::Html(html) | Event::InlineHtml(html) => Some(Refused::Html(html_start(html))),
        Event::End(_)
        | Event::Text(_)
        | Event::Code(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::Rule => None,
        Event::InlineMath(_) | Event::DisplayMath(_) => Some(Refused::Unsupported("math")),
        Event::FootnoteReference(_) => Some(Refused::Unsupported("a footnote")),
        Event::TaskListMarker(_) => Some(Refused::Unsupported("a task list")),
    }
}

fn tag_refusal(tag: &Tag<'_>) -> Option<Refused> {
    match tag {
        Tag::Link {
            link_type: LinkType::Email,
            ..
        } => None,
        Tag::Link { dest_url, .. } => {
            (!allowed_target(dest_url)).then(|| Refused::LinkTarget(shown(dest_url)))
        }
        Tag::Image { .. } => Some(Refused::Image),
        // Its lines arrive as `Event::Html`, each refused there.
        Tag::HtmlBlock
        | Tag::Paragraph
        | Tag::Heading { .. }
        | Tag::BlockQuote(_)
        | Tag::CodeBlock(_)
        | Tag::List(_)
        | Tag::Item
        | Tag::Emphasis
        | Tag::Strong => None,
        Tag::FootnoteDefinition(_) => Some(Refused::Unsupported("a footnote")),
        Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition => {
            Some(Refused::Unsupported("a definition list"))
        }
        Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell => {
            Some(Refused::Unsupported("a table"))
        }
        Tag::Strikethrough => Some(Refused::Unsupported("strikethrough")),
        Tag::Superscript | Tag::Subscript => Some(Refused::Unsupported("super- or subscript")),
        Tag::MetadataBlock(_) => Some(Refused::Unsupported("a metadata block")),
    }
}

/// A target as the parser resolved it (escapes and entities already decoded) is allowed
/// when it starts with an allowed scheme, has something after it, and holds no
/// whitespace or control character anywhere.
fn allowed_target(target: &str) -> bool {
    if target.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let lower = target.to_ascii_lowercase();
    SCHEMES
        .iter()
        .any(|s| lower.strip_prefix(s).is_some_and(|rest| !rest.is_empty()))
}

/// The start of raw HTML up to whitespace or `>`: `<script`, `</b`, `<!--`.
fn html_start(html: &str) -> String {
    html.trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>')
        .take(20)
        .collect()
}

/// A target as an error message shows it: its first 40 characters, control characters
/// escaped so the message stays one printable line.
fn shown(target: &str) -> String {
    target
        .chars()
        .take(40)
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
