//! The token signing key: loaded from configuration (or generated and kept in a file for
//! local runs), published as an event so that every service can verify tokens offline,
//! and followed back from the events so that identity also accepts the keys of replicas
//! that run a newer or older key during a rotation.

use std::{
    path::Path,
    time::{Duration, SystemTime},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use breakroom_base::{Error, Result, retry};
use breakroom_directory::{auth::Signer, signing_keys};
use breakroom_events::envelope::CommandMeta;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::App;
use crate::{
    config::{IdentityConfig, SigningKeySource},
    domain::signing_key::SigningKeyCommand,
};

pub use breakroom_directory::signing_keys::KEYS_TENANT;

/// Loads the configured signing key, creating the key file when it is missing.
pub fn load_signer(config: &IdentityConfig) -> Result<Signer> {
    let seed = match &config.signing_key {
        SigningKeySource::Seed(encoded) => decode_seed("BREAKROOM_SIGNING_KEY", encoded)?,
        SigningKeySource::File(path) => read_or_create(path)?,
    };
    let public = Signer::from_seed("probe", &seed)?.public_x();
    let kid = match &config.signing_key_id {
        Some(kid) => kid.clone(),
        None => derived_kid(&public),
    };
    breakroom_base::names::check_token("BREAKROOM_SIGNING_KEY_ID", &kid)?;
    Signer::from_seed(&kid, &seed)
}

/// `k-` and 12 hex digits of the public key's SHA-256: a new key gets a new id by itself.
fn derived_kid(public_x: &str) -> String {
    let digest = Sha256::digest(public_x.as_bytes());
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("k-{hex}")
}

fn decode_seed(field: &str, encoded: &str) -> Result<[u8; 32]> {
    URL_SAFE_NO_PAD
        .decode(encoded.trim())
        .ok()
        .and_then(|raw| <[u8; 32]>::try_from(raw).ok())
        .ok_or_else(|| Error::invalid(field, "must be a base64url (unpadded) 32-byte Ed25519 seed"))
}

fn read_or_create(path: &Path) -> Result<[u8; 32]> {
    let field = "BREAKROOM_SIGNING_KEY_FILE";
    match std::fs::read_to_string(path) {
        Ok(text) => decode_seed(field, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let seed: [u8; 32] = rand::random();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Error::invalid(field, e.to_string()))?;
            }
            write_private(path, &URL_SAFE_NO_PAD.encode(seed)).map_err(|e| {
                Error::invalid(field, format!("cannot create {}: {e}", path.display()))
            })?;
            tracing::warn!(path = %path.display(), "generated a new token signing key (local use only)");
            Ok(seed)
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

impl App {
    /// Signs an access token.
    pub(crate) fn signer(&self) -> &Signer {
        &self.inner.signer
    }

    /// Publishes the current key (once; later calls change nothing).
    pub async fn publish_signing_key(&self) -> Result<()> {
        let signer = &self.inner.signer;
        let now = SystemTime::now();
        let public_key = URL_SAFE_NO_PAD
            .decode(signer.public_x())
            .map_err(Error::internal)?;
        let command = SigningKeyCommand::Publish {
            public_key,
            not_before: now,
            not_after: now + self.inner.config.signing_key_lifetime,
        };
        let committed = self
            .inner
            .signing_keys
            .execute(
                KEYS_TENANT,
                signer.kid(),
                &CommandMeta::new("system/identity"),
                &command,
            )
            .await?;
        // The key's end was fixed when it was first published: tokens signed after it are
        // refused by every verifier, so say so loudly well before.
        let left = committed
            .state
            .not_after
            .and_then(|end| end.duration_since(now).ok())
            .unwrap_or_default();
        if left < Duration::from_secs(14 * 24 * 3600) {
            tracing::error!(
                kid = signer.kid(),
                days_left = left.as_secs() / 86_400,
                "the token signing key expires soon or has expired; rotate it (BREAKROOM_SIGNING_KEY)"
            );
        }
        Ok(())
    }

    /// Publishes the key (retrying until NATS is there) and follows all published keys
    /// into the verifying key set, until `cancel` fires.
    pub fn spawn_key_tasks(&self, js: async_nats::jetstream::Context, cancel: CancellationToken) {
        let app = self.clone();
        let publish_cancel = cancel.clone();
        tokio::spawn(async move {
            retry::until_cancelled(
                retry::every(std::time::Duration::from_secs(1)),
                &publish_cancel,
                || app.publish_signing_key(),
                |e, _| tracing::debug!(error = %e, "signing key not published yet; retrying"),
            )
            .await;
        });
        signing_keys::follow(
            js,
            self.inner.config.kit.namespace.clone(),
            self.inner.keys.clone(),
            cancel,
        );
    }
}
