//! Invite codes sealed for delivery: identity records a new invite code encrypted with a
//! key it shares only with notifications, on the public event `UserInvited`, so that
//! notifications can e-mail the code without ever reading identity's secrets stream.
//!
//! AES-256-GCM (`ring`). The associated data binds a sealed code to its tenant and user:
//! copied onto another person's invite, it does not open. The nonce is derived from the
//! key, tenant, user and code, so sealing the same code again (a retried invite) gives the
//! same bytes, and two different codes never share a nonce. A sealed code is
//! `version (1) || nonce (12) || ciphertext || tag (16)`.

use std::sync::Arc;

use base64::{
    Engine,
    engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD},
};
use breakroom_base::{Error, Result};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::{Digest, Sha256};

/// The environment variable both services read the key from (a Secret).
pub const ENV: &str = "BREAKROOM_INVITE_DELIVERY_KEY";

/// Format version, the first byte of a sealed code.
const VERSION: u8 = 1;
const TAG_LEN: usize = 16;

/// The key shared by identity (seals) and notifications (opens).
#[derive(Clone)]
pub struct InviteDeliveryKey {
    /// The AES-256-GCM key.
    aead: Arc<LessSafeKey>,
    /// Keys the nonce derivation, separate from the encryption key.
    nonce_key: [u8; 32],
}

impl std::fmt::Debug for InviteDeliveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteDeliveryKey(***)")
    }
}

/// A sealed code that does not open with this key (another key, another person, damaged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sealed invite code does not open with this key for this person")]
pub struct CannotOpen;

impl InviteDeliveryKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self> {
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| Error::invalid(ENV, "not an AES-256 key"))?;
        let mut hasher = Sha256::new();
        hasher.update(b"breakroom/invite-delivery/nonce/v1\0");
        hasher.update(bytes);
        Ok(Self {
            aead: Arc::new(LessSafeKey::new(unbound)),
            nonce_key: hasher.finalize().into(),
        })
    }

    /// Parses 32 bytes in base64url (with or without padding); `field` names the setting
    /// in the error.
    pub fn parse(field: &str, text: &str) -> Result<Self> {
        let text = text.trim();
        let decoded = URL_SAFE_NO_PAD
            .decode(text)
            .or_else(|_| URL_SAFE.decode(text))
            .map_err(|_| Error::invalid(field, "must be base64url"))?;
        let bytes: [u8; 32] = decoded
            .try_into()
            .map_err(|_| Error::invalid(field, "must be 32 bytes (base64url)"))?;
        Self::from_bytes(bytes)
    }

    /// The key from `BREAKROOM_INVITE_DELIVERY_KEY`; `None` when unset or empty.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var(ENV).ok().filter(|v| !v.trim().is_empty()) {
            Some(text) => Self::parse(ENV, &text).map(Some),
            None => Ok(None),
        }
    }

    /// A new random key in base64url (for local runs and tests).
    pub fn generate() -> String {
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    }

    /// Seals `code`, issued to `user` of `tenant`.
    pub fn seal(&self, tenant: &str, user: &str, code: &str) -> Vec<u8> {
        let aad = associated_data(tenant, user);
        let nonce = self.nonce(&aad, code);
        let mut in_out = code.as_bytes().to_vec();
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + in_out.len() + TAG_LEN);
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        // AES-GCM fails only for messages beyond 64 GiB; an invite code is 19 bytes.
        if self
            .aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut in_out,
            )
            .is_err()
        {
            return Vec::new();
        }
        sealed.extend_from_slice(&in_out);
        sealed
    }

    /// Opens a code sealed for `user` of `tenant`.
    pub fn open(
        &self,
        tenant: &str,
        user: &str,
        sealed: &[u8],
    ) -> std::result::Result<String, CannotOpen> {
        let [version, rest @ ..] = sealed else {
            return Err(CannotOpen);
        };
        if *version != VERSION || rest.len() < NONCE_LEN + TAG_LEN {
            return Err(CannotOpen);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CannotOpen)?;
        let mut in_out = ciphertext.to_vec();
        let plain = self
            .aead
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated_data(tenant, user)),
                &mut in_out,
            )
            .map_err(|_| CannotOpen)?;
        String::from_utf8(plain.to_vec()).map_err(|_| CannotOpen)
    }

    /// The first 12 bytes of a keyed SHA-256 over the associated data and the code: the
    /// same code for the same person gets the same nonce, different codes different ones.
    fn nonce(&self, aad: &[u8], code: &str) -> [u8; NONCE_LEN] {
        let mut hasher = Sha256::new();
        hasher.update(self.nonce_key);
        hasher.update(aad);
        hasher.update((code.len() as u64).to_be_bytes());
        hasher.update(code.as_bytes());
        let digest = hasher.finalize();
        let mut nonce = [0; NONCE_LEN];
        nonce.copy_from_slice(&digest[..NONCE_LEN]);
        nonce
    }
}

/// Purpose, tenant and user, each length-prefixed so that no two pairs run together.
fn associated_data(tenant: &str, user: &str) -> Vec<u8> {
    let mut aad = b"breakroom/invite-code/v1".to_vec();
    for part in [tenant, user] {
        aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const CODE: &str = "ABCD-EFGH-JKMN-PQRS";

    fn key(byte: u8) -> InviteDeliveryKey {
        InviteDeliveryKey::from_bytes([byte; 32]).unwrap()
    }

    #[test]
    fn a_sealed_code_opens_for_its_person_with_the_key() {
        let sealed = key(1).seal("acme", "u1", CODE);
        assert_eq!(sealed.len(), 1 + 12 + CODE.len() + 16);
        assert!(!sealed.windows(CODE.len()).any(|w| w == CODE.as_bytes()));
        assert_eq!(key(1).open("acme", "u1", &sealed).unwrap(), CODE);
    }

    #[test]
    fn sealing_again_gives_the_same_bytes_and_another_code_another_nonce() {
        let first = key(1).seal("acme", "u1", CODE);
        assert_eq!(first, key(1).seal("acme", "u1", CODE));
        let other = key(1).seal("acme", "u1", "ABCD-EFGH-JKMN-PQRT");
        assert_ne!(first[1..13], other[1..13]);
        assert_ne!(first[1..13], key(1).seal("acme", "u2", CODE)[1..13]);
    }

    #[test]
    fn a_sealed_code_is_bound_to_tenant_user_and_key() {
        let sealed = key(1).seal("acme", "u1", CODE);
        assert_eq!(key(1).open("acme", "u2", &sealed), Err(CannotOpen));
        assert_eq!(key(1).open("other", "u1", &sealed), Err(CannotOpen));
        // Length prefixes: moving a character between tenant and user changes the data.
        assert_eq!(key(1).open("acm", "eu1", &sealed), Err(CannotOpen));
        assert_eq!(key(2).open("acme", "u1", &sealed), Err(CannotOpen));
        let mut damaged = sealed.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert_eq!(key(1).open("acme", "u1", &damaged), Err(CannotOpen));
        assert_eq!(key(1).open("acme", "u1", &sealed[..20]), Err(CannotOpen));
        assert_eq!(key(1).open("acme", "u1", &[]), Err(CannotOpen));
    }

    #[test]
    fn keys_parse_from_base64url_of_32_bytes_only() {
        let text = InviteDeliveryKey::generate();
        assert!(InviteDeliveryKey::parse(ENV, &text).is_ok());
        assert!(InviteDeliveryKey::parse(ENV, &URL_SAFE.encode([3; 32])).is_ok());
        assert!(InviteDeliveryKey::parse(ENV, &URL_SAFE_NO_PAD.encode([3; 16])).is_err());
        assert!(InviteDeliveryKey::parse(ENV, "not base64 !").is_err());
        assert_eq!(format!("{:?}", key(1)), "InviteDeliveryKey(***)");
    }
}
