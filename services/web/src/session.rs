//! The session: identity's refresh token, the current access token and who it is for,
//! sealed (encrypted and authenticated) in one HttpOnly, SameSite=Lax cookie. Nothing is
//! kept on the server, so any replica serves any request.
//!
//! An access token older than `session_check` (or expiring) is exchanged at identity before
//! use; the rotated cookie goes out with the response. A refused exchange (offboarded,
//! session ended elsewhere, refresh token reused) clears the cookie and sends the person to
//! sign-in with `?next=` the page they asked for.

use std::time::Duration;

use axum_extra::extract::{
    PrivateCookieJar,
    cookie::{Cookie, SameSite},
};
use breakroom_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "br_session";
/// The pre-sign-in nonce cookie (CSRF seed of the sign-in and activation forms).
pub const NONCE_COOKIE: &str = "br_nonce";
/// Consistency tokens of the last write, for the next page's reads.
pub const SEQUENCE_COOKIE: &str = "br_seq";
/// The person's chosen language.
pub const LANG_COOKIE: &str = "br_lang";

/// Namespace of the renewal request ids (UUID v5 of the refresh token).
const RENEWAL_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6b1d_4c0e_9a57_4f3e_8c21_5e7b_0d93_a1f4);

/// What the sealed cookie holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// `tenants/{t}`.
    pub tenant: String,
    /// `tenants/{t}/users/{u}`.
    pub user: String,
    /// Display name.
    pub name: String,
    /// The single-use refresh token.
    pub refresh: String,
    /// The current access token.
    pub access: String,
    /// When the access token expires (Unix seconds).
    pub expires: i64,
    /// When it was issued here (Unix seconds).
    pub issued: i64,
    /// Random id of this browser session: the CSRF token's seed.
    pub sid: String,
    /// identity's session, `tenants/{t}/users/{u}/sessions/{s}` (kept when others end).
    #[serde(default)]
    pub session: String,
    /// The chain's locale (`nl-NL`), the default language.
    pub locale: String,
    /// The chain's time zone, for instants (post times).
    pub time_zone: String,
    /// Whether the person plans a store or is an HQ admin at sign-in: shows the managers'
    /// entry in the navigation (the services decide what they may really do).
    #[serde(default)]
    pub manages: bool,
}

/// Why a session could not be renewed.
#[derive(Debug)]
pub enum Renewal {
    /// Identity refused: the person must sign in again.
    Refused,
    /// Identity did not answer; the session may still be good.
    Unavailable(tonic::Status),
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Session {
    /// The session in `jar`, if its cookie opens.
    pub fn from_jar(jar: &PrivateCookieJar) -> Option<Self> {
        serde_json::from_str(jar.get(SESSION_COOKIE)?.value()).ok()
    }

    /// Whether the access token must be exchanged before use: it expires within 30 s, or
    /// it is older than this session's share of `check`, between three quarters of it
    /// and all of it. The share follows from the refresh token (a new one each time), so
    /// sessions that began together (a store's morning, a deploy) do not renew together
    /// at every `check` but drift apart.
    pub fn needs_renewal(&self, check: Duration) -> bool {
        let now = now();
        let age = now.saturating_sub(self.issued);
        // Whole seconds of age against a fraction: a check of 1 s still means a second.
        now + 30 >= self.expires || age as f64 >= self.check(check).as_secs_f64()
    }

    /// This session's renewal age: `check` less up to a quarter of it.
    fn check(&self, check: Duration) -> Duration {
        let digest = sha2::Sha256::digest(self.refresh.as_bytes());
        let share = f64::from(u16::from_be_bytes([digest[0], digest[1]])) / f64::from(u16::MAX);
        check.mul_f64(1.0 - share / 4.0)
    }

    /// Exchanges the refresh token (it rotates).
    pub async fn renew(&self, app: &AppState) -> Result<Self, Renewal> {
        let reply = app
            .auth()
            .refresh_token(pb::RefreshTokenRequest {
                refresh_token: self.refresh.clone(),
                // One request id per refresh token: two requests of one browser renewing
                // at once (two tabs, a page and the service worker) are one exchange that
                // identity answers twice alike, instead of a reuse that ends the session.
                request_id: uuid::Uuid::new_v5(&RENEWAL_NAMESPACE, self.refresh.as_bytes())
                    .to_string(),
            })
            .await
            .map_err(|status| match status.code() {
                tonic::Code::Unavailable
                | tonic::Code::DeadlineExceeded
                | tonic::Code::Internal
                | tonic::Code::Unknown
                | tonic::Code::ResourceExhausted => Renewal::Unavailable(status),
                _ => Renewal::Refused,
            })?
            .into_inner();
        Ok(Self {
            refresh: reply.refresh_token,
            access: reply.access_token,
            expires: reply.access_token_expire_time.map_or(0, |t| t.seconds),
            issued: now(),
            ..self.clone()
        })
    }

    /// The sealed cookie.
    pub fn cookie(&self, secure: bool) -> Cookie<'static> {
        let value = serde_json::to_string(self).unwrap_or_default();
        let mut cookie = Cookie::new(SESSION_COOKIE, value);
        harden(&mut cookie, secure);
        // Kept as long as identity keeps an unused session (30 days by default).
        cookie.set_max_age(cookie::time::Duration::days(30));
        cookie
    }
}

/// HttpOnly, SameSite=Lax, path `/`, Secure unless local development says otherwise.
pub fn harden(cookie: &mut Cookie<'static>, secure: bool) {
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/");
    cookie.set_secure(secure);
}

/// A removal cookie for `name` (same path).
pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut cookie = Cookie::from(name);
    cookie.set_path("/");
    cookie
}

/// `next` if it is a path of this app (`/week?x`), else `/`: never another origin
/// (`//evil`, `/\evil`, `https://...`).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.starts_with("/signin")
                && n.chars()
                    .all(|c| !c.is_control() && !c.is_whitespace() && c != '\\') =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The device class a User-Agent suggests (recorded by identity for adoption figures).
pub fn device_class(user_agent: &str) -> pb::DeviceClass {
    let ua = user_agent.to_ascii_lowercase();
    if ["mobi", "android", "iphone", "ipad", "tablet"]
        .iter()
        .any(|m| ua.contains(m))
    {
        pb::DeviceClass::MobileWeb
    } else {
        pb::DeviceClass::DesktopWeb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_accepts_only_this_apps_paths() {
        assert_eq!(safe_next(Some("/week?w=2026-W50")), "/week?w=2026-W50");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "week",
            "/a b",
            "/signin",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn sessions_renew_between_three_quarters_of_the_check_and_all_of_it_spread_by_token() {
        let check = Duration::from_secs(60);
        let ages: Vec<Duration> = (0..200)
            .map(|i| Session {
                tenant: "tenants/t".into(),
                user: "tenants/t/users/u".into(),
                name: String::new(),
                refresh: format!("refresh-{i}"),
                access: String::new(),
                expires: i64::MAX,
                issued: 0,
                sid: String::new(),
                session: String::new(),
                locale: String::new(),
                time_zone: String::new(),
                manages: false,
            })
            .map(|s| s.check(check))
            .collect();
        assert!(ages.iter().all(|a| *a >= check * 3 / 4 && *a <= check));
        let seconds: std::collections::BTreeSet<u64> = ages.iter().map(Duration::as_secs).collect();
        assert!(
            seconds.len() >= 10,
            "spread over the last quarter: {seconds:?}"
        );
    }

    #[test]
    fn phones_and_tablets_are_mobile_web() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
        assert_eq!(device_class(iphone), pb::DeviceClass::MobileWeb);
        let desktop = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0";
        assert_eq!(device_class(desktop), pb::DeviceClass::DesktopWeb);
    }
}
