//! The web app's settings, read once from the environment and typed.

use std::{net::SocketAddr, time::Duration};

use axum_extra::extract::cookie::Key;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// Why the environment could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    /// The variable.
    pub name: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

/// The web app's settings.
#[derive(Clone)]
pub struct WebConfig {
    /// `HTTP_LISTEN_ADDR` (default `127.0.0.1:8080`).
    pub listen_addr: SocketAddr,
    /// `BREAKROOM_IDENTITY_URL` (default `http://127.0.0.1:50051`).
    pub identity_url: String,
    /// `BREAKROOM_SCHEDULING_URL` (default `http://127.0.0.1:50052`).
    pub scheduling_url: String,
    /// `BREAKROOM_FEED_URL` (default `http://127.0.0.1:50053`).
    pub feed_url: String,
    /// `BREAKROOM_NOTIFICATIONS_URL` (default `http://127.0.0.1:50054`).
    pub notifications_url: String,
    /// `BREAKROOM_WEB_COOKIE_KEY`: 64 bytes, base64url, sealing the session cookie and
    /// deriving CSRF tokens. Random per process when unset (sessions then end with the
    /// process and are not shared between replicas).
    pub cookie_key: Key,
    /// Whether the key was generated here rather than configured.
    pub cookie_key_generated: bool,
    /// `BREAKROOM_WEB_INSECURE_COOKIES`: cookies without `Secure`, for plain-HTTP local
    /// development only (default false).
    pub insecure_cookies: bool,
    /// `BREAKROOM_WEB_TENANT`: the chain the sign-in form proposes (optional).
    pub default_tenant: Option<String>,
    /// `BREAKROOM_WEB_ORIGIN`: the public origin (`https://app.example.com`) state-changing
    /// requests must come from; unset: the request's own `Host`.
    pub origin: Option<String>,
    /// `BREAKROOM_WEB_SESSION_CHECK_SECS`: an access token older than this is exchanged
    /// at identity before use (default 60; each session renews somewhere in the last
    /// quarter of it, see `Session::needs_renewal`), so an offboarded person or an ended
    /// session is out within this time even while the token would still be valid. 0:
    /// every request.
    pub session_check: Duration,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("listen_addr", &self.listen_addr)
            .field("identity_url", &self.identity_url)
            .field("insecure_cookies", &self.insecure_cookies)
            .field("cookie_key", &"<secret>")
            .finish_non_exhaustive()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn invalid(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        problem: problem.into(),
    }
}

impl WebConfig {
    /// Local defaults: the services on their well-known ports, a random cookie key.
    pub fn local() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            identity_url: "http://127.0.0.1:50051".into(),
            scheduling_url: "http://127.0.0.1:50052".into(),
            feed_url: "http://127.0.0.1:50053".into(),
            notifications_url: "http://127.0.0.1:50054".into(),
            cookie_key: Key::generate(),
            cookie_key_generated: true,
            insecure_cookies: false,
            default_tenant: None,
            origin: None,
            session_check: Duration::from_secs(60),
        }
    }

    /// Reads the environment over the local defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut config = Self::local();
        if let Some(addr) = var("HTTP_LISTEN_ADDR") {
            config.listen_addr = addr
                .parse()
                .map_err(|_| invalid("HTTP_LISTEN_ADDR", "an address such as 0.0.0.0:8080"))?;
        }
        for (name, slot) in [
            ("BREAKROOM_IDENTITY_URL", &mut config.identity_url),
            ("BREAKROOM_SCHEDULING_URL", &mut config.scheduling_url),
            ("BREAKROOM_FEED_URL", &mut config.feed_url),
            ("BREAKROOM_NOTIFICATIONS_URL", &mut config.notifications_url),
        ] {
            if let Some(url) = var(name) {
                *slot = url;
            }
        }
        if let Some(encoded) = var("BREAKROOM_WEB_COOKIE_KEY") {
            let bytes = URL_SAFE_NO_PAD
                .decode(encoded.trim_end_matches('='))
                .map_err(|_| invalid("BREAKROOM_WEB_COOKIE_KEY", "base64url"))?;
            config.cookie_key = Key::try_from(bytes.as_slice())
                .map_err(|_| invalid("BREAKROOM_WEB_COOKIE_KEY", "at least 64 bytes"))?;
            config.cookie_key_generated = false;
        }
        config.insecure_cookies = match var("BREAKROOM_WEB_INSECURE_COOKIES").as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => return Err(invalid("BREAKROOM_WEB_INSECURE_COOKIES", "true or false")),
        };
        config.default_tenant = var("BREAKROOM_WEB_TENANT");
        config.origin = var("BREAKROOM_WEB_ORIGIN").map(|o| o.trim_end_matches('/').to_owned());
        if let Some(secs) = var("BREAKROOM_WEB_SESSION_CHECK_SECS") {
            config.session_check = Duration::from_secs(
                secs.parse()
                    .map_err(|_| invalid("BREAKROOM_WEB_SESSION_CHECK_SECS", "whole seconds"))?,
            );
        }
        Ok(config)
    }
}
