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
use breakroom_kit::{Error, Result};
use web_push_native::{
    jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair},
    vapid::VapidSignature,
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
    pub fn authorization(&self, endpoint: &http::Uri) -> Result<String> {
        let origin = format!(
            "{}://{}",
            endpoint.scheme_str().unwrap_or("https"),
            endpoint.authority().map(|a| a.as_str()).unwrap_or("")
        );
        let now = Instant::now();
        if let Ok(cache) = self.signatures.lock()
            && let Some((header, until)) = cache.get(&origin)
            && *until > now + RENEW_BEFORE
        {
            return Ok(header.clone());
        }
        let header = VapidSignature::sign(endpoint, VALIDITY, &self.subject, &self.key)
            .map_err(|e| Error::internal(anyhow::anyhow!("VAPID signature: {e}")))?
            .to_string();
        if let Ok(mut cache) = self.signatures.lock() {
            if cache.len() > 1000 {
                cache.clear();
            }
            cache.insert(origin, (header.clone(), now + VALIDITY));
        }
        Ok(header)
    }
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
    fn a_malformed_key_is_refused_naming_the_variable() {
        let error = Vapid::load(&VapidKeySource::Key("short".into()), "mailto:a@b").unwrap_err();
        assert!(error.to_string().contains("BREAKROOM_VAPID_PRIVATE_KEY"));
    }
}
