//! What every page shares: language, the CSRF token for its forms, the asset URLs, the
//! bottom navigation with the inbox's unread count, and the render time the offline
//! banner shows.

use crate::i18n::Tr;

/// Which navigation entry is the current page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Home.
    Home,
    /// My week.
    Week,
    /// Inbox.
    Inbox,
    /// Settings.
    Settings,
    /// The managers' screens.
    Manage,
    /// None (sign-in, errors, a post).
    None,
}

/// The layout's data.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Messages in the reader's language.
    pub t: Tr,
    /// The CSRF token for this session's forms.
    pub csrf: String,
    /// `/static/<version>/app.css`.
    pub css: String,
    /// `/static/<version>/app.js`.
    pub js: String,
    /// `/static/<version>/icon-192.png` (Apple touch icon).
    pub icon: String,
    /// Whether the navigation is shown.
    pub signed_in: bool,
    /// Unread inbox items (0: no badge).
    pub unread: i64,
    /// The current entry.
    pub nav: Nav,
    /// When the page was rendered, `HH:MM` in the chain's zone (offline banner).
    pub rendered_at: String,
    /// Whether the service worker keeps this page for offline reading.
    pub offline: bool,
    /// Whether the navigation offers the managers' screens.
    pub manages: bool,
}

impl Chrome {
    /// Whether `entry` is the current page (for `aria-current`).
    pub fn is(&self, entry: &str) -> bool {
        let current = match self.nav {
            Nav::Home => "home",
            Nav::Week => "week",
            Nav::Inbox => "inbox",
            Nav::Settings => "settings",
            Nav::Manage => "manage",
            Nav::None => "",
        };
        current == entry
    }
}

/// `/signin?next=<here, encoded>`.
pub fn signin_url(here: &str) -> String {
    if here == "/" || here.is_empty() {
        "/signin".to_owned()
    } else {
        format!("/signin?next={}", encode(here))
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
