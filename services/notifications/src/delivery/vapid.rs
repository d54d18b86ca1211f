//! The VAPID key pair (RFC 8292): browsers bind push subscriptions to its public key, so it
//! comes from configuration (a Secret) and never changes by accident; local runs get a key
//! generated into a 0600 file. Signatures are cached per push service origin.

use std::{
    collections::HashMap,
    path::Path,
    sync::Mutex,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use breakroom_base::{Error, Result};
use web_push_native::jwt_simple::{
    algorithms::{ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ES256KeyPair},
    claims::Claims,
};

use crate::config::VapidKeySource;

/// How long a signature is valid; push services accept at most 24 h.
const VALIDITY: Duration = Duration::from_secs(12 * 3600);
/// A cached signature is renewed when it has less than this left.
const RENEW_BEFORE: Duration = Duration::from_secs(3600);

/// The application server's VAPID identity.
pub struct Vapid {
    key: ES256KeyPair,
    subject: String,
    public_key: String,
    signatures: Mutex<HashMap<String, (String, Instant)>>,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public_key", &self.public_key)
            .finish()
    }
}

impl Vapid {
    /// Loads the configured key (creating the file for local runs).
    pub fn load(source: &VapidKeySource, subject: &str) -> Result<Self> {
        let raw = match source {
            VapidKeySource::Key(encoded) => decode("BREAKROOM_VAPID_PRIVATE_KEY", encoded)?,
            VapidKeySource::File(path) => read_or_create(path)?,
        };
        let key = ES256KeyPair::from_bytes(&raw)
            .map_err(|e| Error::invalid("BREAKROOM_VAPID_PRIVATE_KEY", e.to_string()))?;
        let public_key =
            URL_SAFE_NO_PAD.encode(key.public_key().public_key().to_bytes_uncompressed());
        Ok(Self {
            key,
            subject: subject.to_owned(),
            public_key,
            signatures: Mutex::new(HashMap::new()),
        })
    }

    /// A fresh random key (tests, benchmarks), base64url.
    pub fn generate() -> String {
        URL_SAFE_NO_PAD.encode(ES256KeyPair::generate().to_bytes())
    }

    /// The public key browsers subscribe with, base64url (uncompressed point).
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The `Authorization` header for `endpoint`'s origin, signed once per origin and
    /// reused until an hour before it expires.
    ///
    /// The JWT is signed here rather than by web-push-native, whose `aud` is the scheme
    /// and host only: RFC 8292 asks for the origin (RFC 6454), which keeps a port that is
    /// not the scheme's default (`https://push.example:8443`).
    pub fn authorization(&self, endpoint: &http::Uri) -> Result<String> {
        let origin = origin(endpoint)?;
        let now = Instant::now();
        if let Ok(cache) = self.signatures.lock()
            && let Some((header, until)) = cache.get(&origin)
            && *until > now + RENEW_BEFORE
        {
            return Ok(header.clone());
        }
        let claims = Claims::create(VALIDITY.into())
            .with_audience(&origin)
            .with_subject(&self.subject);
        let token = self
            .key
            .sign(claims)
            .map_err(|e| Error::internal(anyhow::anyhow!("VAPID signature: {e}")))?;
        let header = format!("vapid t={token}, k={}", self.public_key);
        if let Ok(mut cache) = self.signatures.lock() {
            if cache.len() > 1000 {
                cache.clear();
            }
            cache.insert(origin, (header.clone(), now + VALIDITY));
        }
        Ok(header)
    }
}

/// The origin of `endpoint` as RFC 6454 serialises it: scheme, host, and the port unless
/// it is the scheme's default.
pub fn origin(endpoint: &http::Uri) -> Result<String> {
    let url = url::Url::parse(&endpoint.to_string())
        .map_err(|e| Error::internal(anyhow::anyhow!("endpoint {endpoint}: {e}")))?;
    let origin = url.origin();
    if !origin.is_tuple() {
        return Err(Error::internal(anyhow::anyhow!(
            "endpoint {endpoint} has no origin"
        )));
    }
    Ok(origin.ascii_serialization())
}

fn decode(field: &str, encoded: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(encoded.trim())
        .ok()
        .filter(|raw| raw.len() == 32)
        .ok_or_else(|| {
            Error::invalid(
                field,
                "must be base64url (unpadded) of a 32-byte P-256 private key",
            )
        })
}

fn read_or_create(path: &Path) -> Result<Vec<u8>> {
    let field = "BREAKROOM_VAPID_PRIVATE_KEY_FILE";
    match std::fs::read_to_string(path) {
        Ok(text) => decode(field, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let encoded = Vapid::generate();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Error::invalid(field, e.to_string()))?;
            }
            write_private(path, &encoded).map_err(|e| {
                Error::invalid(field, format!("cannot create {}: {e}", path.display()))
            })?;
            tracing::warn!(path = %path.display(), "generated a new VAPID key (local use only)");
            decode(field, &encoded)
        }
        Err(e) => Err(Error::invalid(
            field,
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_key_file_is_created_private_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("vapid-{}", uuid::Uuid::new_v4()));
        let path = dir.join("key");
        let first = Vapid::load(&VapidKeySource::File(path.clone()), "mailto:a@b").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = Vapid::load(&VapidKeySource::File(path), "mailto:a@b").unwrap();
        assert_eq!(first.public_key(), again.public_key());
        assert_eq!(
            URL_SAFE_NO_PAD.decode(first.public_key()).unwrap().len(),
            65
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_audience_is_the_endpoints_origin_with_a_port_that_is_not_the_default() {
        let uri = |text: &str| text.parse::<http::Uri>().unwrap();
        for (endpoint, expected) in [
            ("http://127.0.0.1:37683/push/1", "http://127.0.0.1:37683"),
            ("https://push.example:8443/x", "https://push.example:8443"),
            (
                "https://fcm.googleapis.com:443/fcm/send/x",
                "https://fcm.googleapis.com",
            ),
            (
                "https://FCM.googleapis.com/fcm/send/x",
                "https://fcm.googleapis.com",
            ),
            ("http://[::1]:80/x", "http://[::1]"),
        ] {
            assert_eq!(origin(&uri(endpoint)).unwrap(), expected, "{endpoint}");
        }
        let vapid = Vapid::load(&VapidKeySource::Key(Vapid::generate()), "mailto:a@b").unwrap();
        let header = vapid
            .authorization(&uri("https://push.example:8443/x"))
            .unwrap();
        let token = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split(", k=").next())
            .unwrap();
        let claims = vapid
            .key
            .public_key()
            .verify_token::<web_push_native::jwt_simple::claims::NoCustomClaims>(token, None)
            .unwrap();
        assert!(
            claims
                .audiences
                .unwrap()
                .contains(&std::collections::HashSet::from([
                    "https://push.example:8443".to_owned()
                ]))
        );
        assert_eq!(claims.subject.as_deref(), Some("mailto:a@b"));
        assert!(header.ends_with(&format!(", k={}", vapid.public_key())));
    }

    #[test]
    fn a_malformed_key_is_refused_naming_the_variable() {
        let error = Vapid::load(&VapidKeySource::Key("short".into()), "mailto:a@b").unwrap_err();
        assert!(error.to_string().contains("BREAKROOM_VAPID_PRIVATE_KEY"));
    }
}
