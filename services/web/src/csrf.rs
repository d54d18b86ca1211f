//! Cross-site request forgery: a state-changing request (every POST) must come from the
//! app's own origin (`Origin`, else `Referer`) and carry a token derived by HMAC from the
//! session (or, before sign-in, from a random per-browser nonce), in the hidden form field
//! `csrf` or the header `x-csrf-token`. SameSite=Lax cookies are a third, independent wall.

use axum::http::{HeaderMap, header};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The token for a session id (or pre-session nonce) under the cookie key's signing half.
pub fn token(key: &[u8], seed: &str) -> String {
    // HMAC takes keys of any length; the error arm cannot happen.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(b"breakroom-web csrf\0");
    mac.update(seed.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether `presented` is the token for `seed`, compared in constant time.
pub fn verify(key: &[u8], seed: &str, presented: &str) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(b"breakroom-web csrf\0");
    mac.update(seed.as_bytes());
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(presented) else {
        return false;
    };
    !seed.is_empty() && mac.verify_slice(&bytes).is_ok()
}

/// Whether a request comes from the app's origin: `expected` when configured, else the
/// request's own `Host` (scheme left to the TLS terminator). No `Origin` and no `Referer`
/// is refused: every browser that runs the app sends `Origin` on a POST.
pub fn same_origin(headers: &HeaderMap, expected: Option<&str>) -> bool {
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
        .map(str::to_owned)
        .or_else(|| {
            let referer = headers.get(header::REFERER)?.to_str().ok()?;
            let (scheme, rest) = referer.split_once("://")?;
            let authority = rest.split(['/', '?', '#']).next()?;
            Some(format!("{scheme}://{authority}"))
        });
    let Some(claimed) = claimed else {
        return false;
    };
    match expected {
        Some(origin) => claimed.eq_ignore_ascii_case(origin),
        None => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let authority = claimed
                .strip_prefix("https://")
                .or_else(|| claimed.strip_prefix("http://"));
            matches!((host, authority), (Some(h), Some(a)) if h.eq_ignore_ascii_case(a))
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_seed() {
        let key = [7u8; 32];
        let t = token(&key, "session-a");
        assert!(verify(&key, "session-a", &t));
        assert!(!verify(&key, "session-b", &t));
        assert!(!verify(&[8u8; 32], "session-a", &t));
        assert!(!verify(&key, "", &token(&key, "")));
    }

    #[test]
    fn origin_must_match_the_host_or_the_configured_origin() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("app.example:8080"));
        assert!(!same_origin(&headers, None));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://app.example:8080"),
        );
        assert!(same_origin(&headers, None));
        assert!(!same_origin(&headers, Some("https://app.example")));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&headers, None));
        headers.remove(header::ORIGIN);
        headers.insert(
            header::REFERER,
            HeaderValue::from_static("http://app.example:8080/week?x=1"),
        );
        assert!(same_origin(&headers, None));
    }
}
