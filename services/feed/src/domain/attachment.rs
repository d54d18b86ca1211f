//! Where an attachment's bytes are: an object key in the platform's media store, or an
//! absolute https URL. Nothing else, because clients put the value into `src` and `href`
//! attributes, where `javascript:`, `data:`, `vbscript:` or `file:` would run or read in
//! the reader's app and a protocol-relative `//host/x` would load from anywhere.
//!
//! - An object key is a key, not a URL: ASCII letters, digits, `.`, `_`, `-` and `/`
//!   between segments, no empty segment (so no leading `/`, no `//`, no trailing `/`), no
//!   `.` or `..` segment. Having no `:`, it can never be read as a scheme.
//! - An https URL is `https://` (any case), a host (letters, digits, `-`, `.`, or an IPv6
//!   literal in brackets) with an optional port, then an optional path, query and
//!   fragment of visible ASCII (`%`-encode the rest). User info (`user@host`) and
//!   backslashes are refused: parsers disagree about where the host of such a URL ends.

use std::fmt;

/// Longest accepted value.
pub const MAX_URI: usize = 2048;

/// Characters a URL's path, query and fragment may not hold besides whitespace, controls
/// and non-ASCII: the ones parsers and HTML treat specially.
const UNSAFE_IN_URL: &str = "\\\"<>^`{|}";

/// An attachment's location, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentUri<'a> {
    /// A key in the media store.
    ObjectKey(&'a str),
    /// An absolute https URL.
    Https(&'a str),
}

/// Why a value is not an attachment location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriRefused {
    /// Empty, or longer than `MAX_URI`.
    Length,
    /// A URL of another scheme (the scheme, shortened).
    Scheme(String),
    /// `//host/...`.
    ProtocolRelative,
    /// `https://` without a valid host (and port).
    Host,
    /// A character an https URL may not hold unencoded.
    UrlCharacter,
    /// Not a valid object key either.
    Key,
}

impl fmt::Display for UriRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length => write!(f, "must be 1-{MAX_URI} characters"),
            Self::Scheme(scheme) => write!(
                f,
                "`{scheme}:` is not allowed: must be an https URL or an object key"
            ),
            Self::ProtocolRelative => write!(
                f,
                "a protocol-relative URL (`//host/...`) is not allowed: must be an https URL \
                 or an object key"
            ),
            Self::Host => write!(
                f,
                "must be an https URL with a host (no user info), e.g. https://media.example/a.jpg"
            ),
            Self::UrlCharacter => write!(
                f,
                "an https URL holds only visible ASCII without \\ \" < > ^ ` {{ | }}: \
                 percent-encode the rest"
            ),
            Self::Key => write!(
                f,
                "must be an https URL or an object key: letters, digits, `.`, `_`, `-` and `/` \
                 between segments, no empty, `.` or `..` segment"
            ),
        }
    }
}

impl<'a> AttachmentUri<'a> {
    /// Parses an attachment's `uri`.
    pub fn parse(uri: &'a str) -> Result<Self, UriRefused> {
        if uri.is_empty() || uri.len() > MAX_URI {
            return Err(UriRefused::Length);
        }
        if let Some(rest) = strip_prefix_ignore_case(uri, "https://") {
            return https(rest).map(|()| Self::Https(uri));
        }
        if uri.starts_with("//") {
            return Err(UriRefused::ProtocolRelative);
        }
        if let Some((scheme, _)) = uri.split_once(':')
            && is_scheme(scheme)
        {
            return Err(UriRefused::Scheme(scheme.chars().take(20).collect()));
        }
        if is_object_key(uri) {
            Ok(Self::ObjectKey(uri))
        } else {
            Err(UriRefused::Key)
        }
    }
}

fn strip_prefix_ignore_case<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &value[prefix.len()..])
}

/// RFC 3986's `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(value: &str) -> bool {
    value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Checks what follows `https://`.
fn https(rest: &str) -> Result<(), UriRefused> {
    if !rest
        .chars()
        .all(|c| c.is_ascii_graphic() && !UNSAFE_IN_URL.contains(c))
    {
        return Err(UriRefused::UrlCharacter);
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') || host.ends_with(']') => (host, Some(port)),
        // A bare IPv6 address, refused by `is_host`.
        Some(_) | None => (authority, None),
    };
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    if port_ok && is_host(host) {
        Ok(())
    } else {
        Err(UriRefused::Host)
    }
}

/// A DNS name or IPv4 address (letters, digits, `-`, `.`; no empty label), or an IPv6
/// literal in brackets.
fn is_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.contains(':')
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    !host.is_empty()
        && host.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Letters, digits, `.`, `_`, `-` in segments separated by single `/`, none of them `.`
/// or `..`.
fn is_object_key(key: &str) -> bool {
    key.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    })
}

#[cfg(test)]
mod tests {
    use super::{AttachmentUri, UriRefused};

    fn refused(uri: &str) -> UriRefused {
        match AttachmentUri::parse(uri) {
            Err(why) => why,
            Ok(parsed) => panic!("accepted {uri:?} as {parsed:?}"),
        }
    }

    #[test]
    fn object_keys_and_https_urls_pass() {
        for key in [
            "a.jpg",
            "uploads/2026/12/a_b-c.v2.jpeg",
            "x",
            "..a/b..",
            ".well/a",
        ] {
            assert_eq!(AttachmentUri::parse(key), Ok(AttachmentUri::ObjectKey(key)));
        }
        for url in [
            "https://media.example/a.jpg",
            "HTTPS://Media.Example:8443/a%20b.jpg?v=2&x=y#frag",
            "https://media.example",
            "https://10.0.0.1/x",
            "https://[2001:db8::1]:443/x",
            "https://cdn.example./a",
        ] {
            assert_eq!(AttachmentUri::parse(url), Ok(AttachmentUri::Https(url)));
        }
    }

    #[test]
    fn other_schemes_are_refused_naming_the_scheme() {
        for (uri, scheme) in [
            ("javascript:alert(1)", "javascript"),
            ("JavaScript:alert(1)", "JavaScript"),
            ("data:image/png;base64,iVBOR", "data"),
            ("vbscript:msgbox(1)", "vbscript"),
            ("file:///etc/passwd", "file"),
            ("http://media.example/a.jpg", "http"),
            ("ftp://x/y", "ftp"),
            ("web+x:y", "web+x"),
        ] {
            assert_eq!(refused(uri), UriRefused::Scheme(scheme.into()), "{uri}");
        }
    }

    #[test]
    fn protocol_relative_and_malformed_urls_are_refused() {
        assert_eq!(refused("//evil.example/x"), UriRefused::ProtocolRelative);
        assert_eq!(refused(""), UriRefused::Length);
        assert_eq!(refused(&"a".repeat(2049)), UriRefused::Length);
        for uri in [
            "https://",
            "https:///x",
            "https://user@evil.example/x",
            "https://good.example@evil.example/x",
            "https://a..b/x",
            "https://host:99999999/x",
            "https://host:x/",
            "https://[::1/x",
            "https://ho_st/x",
        ] {
            assert_eq!(refused(uri), UriRefused::Host, "{uri}");
        }
        for uri in [
            "https://a.example/x y",
            "https://a.example\\@evil.example/",
            "https://a.example/\t",
            "https://a.example/<script>",
            "https://a.example/é",
        ] {
            assert_eq!(refused(uri), UriRefused::UrlCharacter, "{uri}");
        }
    }

    #[test]
    fn keys_that_are_paths_or_urls_in_disguise_are_refused() {
        for key in [
            "/etc/passwd",
            "a//b",
            "a/",
            "../secret",
            "a/../b",
            "a/./b",
            ".",
            "a b",
            "a\\b",
            "a?b",
            "a#b",
            "%2e%2e/x",
            "é.jpg",
            "a\u{0}b",
            "uploads/a:b.jpg",
        ] {
            assert_eq!(refused(key), UriRefused::Key, "{key:?}");
        }
    }
}
