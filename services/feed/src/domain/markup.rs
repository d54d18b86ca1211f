//! The markdown subset of post and comment bodies, checked before anything is recorded.
//!
//! Clients render: paragraphs and line breaks, emphasis (`*a*`, `_a_`), strong (`**a**`,
//! `__a__`), inline code (`` `a` ``), bullet (`-`, `*`, `+`) and numbered (`1.`, `1)`)
//! lists, and links — inline `[text](target)`, reference `[text][ref]` with `[ref]: target`,
//! and autolinks `<target>` — whose target starts with `https://`, `http://` or `mailto:`.
//! Everything else a CommonMark renderer would draw as text stays text.
//!
//! Refused, because a renderer would turn it into something the subset does not have, and
//! each is a way in for hostile content: raw HTML (tags, comments, declarations), images
//! (tracking pixels, remote content in every reader's timeline), and link targets of any
//! other scheme (`javascript:` and `data:` run in the reader's app; relative targets mean
//! nothing there). The check is an allow-list on the target's literal start, so case,
//! entity or percent encoding of a scheme (`JaVaScRiPt:`, `&#106;avascript:`) is refused
//! too. Text inside code spans and characters escaped with `\` are literal and not checked.

use std::fmt;

/// Link targets may start with these (compared case-insensitively).
const SCHEMES: [&str; 3] = ["https://", "http://", "mailto:"];

/// Something in a body outside the subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Raw HTML, e.g. `<script` or `<!--`.
    Html(String),
    /// An image (`![alt](target)` or `![alt][ref]`).
    Image,
    /// A link target of another scheme, or none.
    LinkTarget(String),
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
        }
    }
}

/// What in `text` is outside the subset, in order of appearance (empty: it is fine).
pub fn refusals(text: &str) -> Vec<Refused> {
    let mut found = Vec::new();
    for line in text.lines() {
        if let Some(target) = reference_definition(line) {
            check_target(target, &mut found);
        }
    }
    let chars: Vec<char> = text.chars().collect();
    // Open `[` brackets: whether each opens an image (`![`).
    let mut brackets: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if chars.get(i + 1).is_some_and(char::is_ascii_punctuation) => i += 2,
            '`' => i = after_code_span(&chars, i),
            '<' => i = angle(&chars, i, &mut found),
            '!' if chars.get(i + 1) == Some(&'[') => {
                brackets.push(true);
                i += 2;
            }
            '[' => {
                brackets.push(false);
                i += 1;
            }
            ']' => {
                let image = brackets.pop();
                i += 1;
                match (image, chars.get(i)) {
                    (Some(true), Some('(' | '[')) => found.push(Refused::Image),
                    (Some(false), Some('(')) => {
                        let (target, end) = destination(&chars, i + 1);
                        check_target(&target, &mut found);
                        i = end;
                    }
                    _ => {}
                }
            }
            _ => i += 1,
        }
    }
    found.dedup();
    found
}

fn check_target(target: &str, found: &mut Vec<Refused>) {
    let lower = target.to_ascii_lowercase();
    let allowed = SCHEMES
        .iter()
        .any(|s| lower.starts_with(s) && lower.len() > s.len());
    if !allowed {
        let shown: String = target.chars().take(40).collect();
        found.push(Refused::LinkTarget(shown));
    }
}

/// The index after a code span starting at `start` (a run of backticks closed by a run of
/// the same length), or after the run when nothing closes it (the backticks are text).
fn after_code_span(chars: &[char], start: usize) -> usize {
    let run = |at: usize| chars[at..].iter().take_while(|c| **c == '`').count();
    let opening = run(start);
    let mut i = start + opening;
    while i < chars.len() {
        if chars[i] == '`' {
            let closing = run(i);
            if closing == opening {
                return i + closing;
            }
            i += closing;
        } else {
            i += 1;
        }
    }
    start + opening
}

/// Checks what starts with `<` at `start`: an autolink (its target checked), raw HTML
/// (refused), or a plain `<` (`a < b`, `<3`). Returns where to go on.
fn angle(chars: &[char], start: usize, found: &mut Vec<Refused>) -> usize {
    let rest = &chars[start + 1..];
    let close = rest
        .iter()
        .position(|c| *c == '>' || *c == '<' || c.is_whitespace());
    if let Some(end) = close.filter(|e| rest[*e] == '>') {
        let inner: String = rest[..end].iter().collect();
        if inner.contains(':') {
            check_target(&inner, found);
            return start + end + 2;
        }
        if inner.contains('@') && !inner.starts_with(['/', '!', '?']) {
            // An e-mail autolink: a mailto: link.
            return start + end + 2;
        }
    }
    match rest.first() {
        Some(c) if c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?') => {
            let tag: String = std::iter::once('<')
                .chain(
                    rest.iter()
                        .take_while(|c| !c.is_whitespace() && **c != '>')
                        .take(20)
                        .copied(),
                )
                .collect();
            found.push(Refused::Html(tag));
        }
        _ => {}
    }
    start + 1
}

/// The destination of an inline link whose `(` is just before `start`: `<...>` or up to
/// whitespace or the `)` that balances; returns it and the index after the link's `)`.
fn destination(chars: &[char], start: usize) -> (String, usize) {
    let mut i = start;
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    let mut target = String::new();
    if chars.get(i) == Some(&'<') {
        i += 1;
        while let Some(c) = chars.get(i).filter(|c| **c != '>') {
            target.push(*c);
            i += 1;
        }
    } else {
        let mut depth = 0usize;
        while let Some(&c) = chars.get(i) {
            match c {
                '\\' if chars.get(i + 1).is_some_and(char::is_ascii_punctuation) => {
                    target.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                '(' => depth += 1,
                ')' if depth == 0 => break,
                ')' => depth -= 1,
                c if c.is_whitespace() => break,
                _ => {}
            }
            target.push(c);
            i += 1;
        }
    }
    // Skip an optional title up to the closing `)`.
    while let Some(c) = chars.get(i) {
        i += 1;
        if *c == ')' {
            break;
        }
    }
    (target, i)
}

/// The target of a link reference definition line (`[ref]: target "title"`).
fn reference_definition(line: &str) -> Option<&str> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = line.trim_start_matches(' ');
    if indent > 3 || !rest.starts_with('[') {
        return None;
    }
    let (label, after) = rest[1..].split_once("]:")?;
    if label.trim().is_empty() {
        return None;
    }
    let after = after.trim_start();
    let target = after.split_whitespace().next()?;
    // Only a target, or a target and a title, make a definition: `[Update]: shop closes
    // at 5` is a sentence.
    let title = after[target.len()..].trim();
    if !(title.is_empty() || title.starts_with(['"', '\'', '('])) {
        return None;
    }
    Some(
        target
            .strip_prefix('<')
            .and_then(|t| t.strip_suffix('>'))
            .unwrap_or(target),
    )
}

#[cfg(test)]
mod tests {
    use super::{Refused, refusals};

    fn fine(text: &str) {
        assert_eq!(refusals(text), vec![], "{text}");
    }

    fn target(t: &str) -> Refused {
        Refused::LinkTarget(t.into())
    }

    #[test]
    fn the_subset_passes() {
        fine("Hello *team*, **big** news and __more__ _today_.");
        fine("- bread\n- milk\n* eggs\n+ salt\n\n1. first\n2) second");
        fine("line one  \nline two\\\nline three");
        fine("See [the rota](https://example.com/rota?week=49) or [mail](mailto:hq@acme.example).");
        fine(
            "[Wiki](http://intranet.example/a_(b)) and <https://example.com> and <hq@acme.example>",
        );
        fine("[ref link][r]\n\n[r]: https://example.com \"Title\"");
        fine("[Update]: shop closes at 5");
        fine("`<script>` in code, ``a ` b <div>``, and \\<b> escaped");
        fine("a < b, 3 <4, <3 love, x <= y, # not a heading problem, > quote");
    }

    #[test]
    fn raw_html_is_refused_and_named() {
        assert_eq!(
            refusals("Hi <script>alert(1)</script>"),
            vec![
                Refused::Html("<script".into()),
                Refused::Html("</script".into())
            ]
        );
        assert_eq!(
            refusals("<img src=x onerror=alert(1)>"),
            vec![Refused::Html("<img".into())]
        );
        assert_eq!(
            refusals("a <!-- hidden -->"),
            vec![Refused::Html("<!--".into())]
        );
        assert_eq!(refusals("<b>bold</b>").len(), 2);
    }

    #[test]
    fn images_are_refused() {
        assert_eq!(
            refusals("![pixel](https://t.example/p.gif)"),
            vec![Refused::Image]
        );
        assert_eq!(
            refusals("![x][r]\n\n[r]: https://a.example"),
            vec![Refused::Image]
        );
        fine("Wow! [link](https://a.example)");
    }

    #[test]
    fn link_targets_other_than_https_http_and_mailto_are_refused() {
        assert_eq!(
            refusals("[click](javascript:alert(1))"),
            vec![target("javascript:alert(1)")]
        );
        assert_eq!(
            refusals("[x](JaVaScRiPt:alert(1))"),
            vec![target("JaVaScRiPt:alert(1)")]
        );
        assert_eq!(
            refusals("[x](&#106;avascript:alert(1))"),
            vec![target("&#106;avascript:alert(1)")]
        );
        assert_eq!(
            refusals("[x]( <javascript:alert(1)> )"),
            vec![target("javascript:alert(1)")]
        );
        assert_eq!(
            refusals("[x](data:text/html;base64,PHNjcmlwdD4=)"),
            vec![target("data:text/html;base64,PHNjcmlwdD4=")]
        );
        assert_eq!(
            refusals("<javascript:alert(1)>"),
            vec![target("javascript:alert(1)")]
        );
        assert_eq!(
            refusals("[x][r]\n\n[r]: javascript:alert(1)"),
            vec![target("javascript:alert(1)")]
        );
        assert_eq!(refusals("[relative](/admin)"), vec![target("/admin")]);
        assert_eq!(refusals("[empty]()"), vec![target("")]);
        assert_eq!(refusals("[bare](https://)"), vec![target("https://")]);
    }
}
