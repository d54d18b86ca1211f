//! Message encryption for Web Push (RFC 8291) in the `aes128gcm` content encoding
//! (RFC 8188), on `ring`.
//!
//! Per push: a fresh application-server key pair and a fresh salt (RFC 8291 §3.1 wants a
//! new key pair for every message), ECDH with the subscription's `p256dh`, two HKDF-SHA256
//! steps (the subscription's `auth` secret, then the salt) to the content-encryption key
//! and nonce, and AES-128-GCM over the payload as one record with the last-record
//! delimiter 0x02 and no further padding. The body is the RFC 8188 header (salt, record
//! size 4096, the application server's public key as key id) and that record.
//!
//! `ring`'s P-256 costs a fraction of the pure-Rust arithmetic this replaced, which was the
//! largest CPU cost of a push.

use std::time::Duration;

use http::{
    HeaderValue,
    header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE},
};
use ring::{
    aead, agreement, hkdf,
    rand::{SecureRandom, SystemRandom},
};

/// The record size written in the header: the one record is never longer than this.
const RECORD_SIZE: u32 = 4096;
/// An uncompressed P-256 point: 0x04, x, y.
const POINT_LEN: usize = 65;
/// The subscription's authentication secret.
const AUTH_LEN: usize = 16;
/// The salt of the content encoding.
const SALT_LEN: usize = 16;
/// AES-GCM's tag.
const TAG_LEN: usize = 16;
/// Salt, record size, key id length, key id.
const HEADER_LEN: usize = SALT_LEN + 4 + 1 + POINT_LEN;
/// The largest payload: push services need accept no body above 4096 bytes (RFC 8030
/// §7.2), which leaves 3993 bytes once the header, the delimiter and the tag are in
/// (RFC 8291 §4).
pub const MAX_PAYLOAD: usize = 4096 - HEADER_LEN - 1 - TAG_LEN;

/// Why a push could not be encrypted; none of these gets better by retrying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncryptError {
    /// The subscription's key is not an uncompressed P-256 point on the curve.
    #[error("p256dh is not a P-256 point")]
    PublicKey,
    /// The subscription's authentication secret is not 16 bytes.
    #[error("auth is not 16 bytes")]
    Auth,
    /// The payload does not fit in one Web Push message.
    #[error("encrypt: a payload of {0} bytes is above the {MAX_PAYLOAD} bytes of a push")]
    TooLarge(usize),
    /// The system's randomness or the cipher failed.
    #[error("encrypt: {0}")]
    Crypto(&'static str),
}

/// A POST of `payload` encrypted for the subscription (`p256dh`, `auth`) to `endpoint`,
/// with the headers the encryption and RFC 8030 ask for (`TTL`, `Content-Encoding`,
/// `Content-Type`, `Content-Length`); the caller adds VAPID and the rest.
pub fn request(
    endpoint: &http::Uri,
    ttl: Duration,
    p256dh: &[u8],
    auth: &[u8],
    payload: &[u8],
) -> Result<http::Request<Vec<u8>>, EncryptError> {
    let body = encrypt(p256dh, auth, payload)?;
    let length = HeaderValue::from(body.len());
    let mut request = http::Request::new(body);
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = endpoint.clone();
    let headers = request.headers_mut();
    headers.insert("ttl", HeaderValue::from(ttl.as_secs()));
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static("aes128gcm"));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(CONTENT_LENGTH, length);
    Ok(request)
}

/// The `aes128gcm` body of `payload` for the subscription (`p256dh`, `auth`), under a key
/// pair and salt of its own.
pub fn encrypt(p256dh: &[u8], auth: &[u8], payload: &[u8]) -> Result<Vec<u8>, EncryptError> {
    let ua_public: &[u8; POINT_LEN] = p256dh
        .try_into()
        .ok()
        .filter(|key: &&[u8; POINT_LEN]| key[0] == 0x04)
        .ok_or(EncryptError::PublicKey)?;
    let auth: &[u8; AUTH_LEN] = auth.try_into().map_err(|_| EncryptError::Auth)?;
    if payload.len() > MAX_PAYLOAD {
        return Err(EncryptError::TooLarge(payload.len()));
    }
    let rng = SystemRandom::new();
    let mut salt = [0u8; SALT_LEN];
    rng.fill(&mut salt)
        .map_err(|_| EncryptError::Crypto("no randomness for the salt"))?;
    let private = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng)
        .map_err(|_| EncryptError::Crypto("no randomness for the key pair"))?;
    let as_public: [u8; POINT_LEN] = private
        .compute_public_key()
        .ok()
        .and_then(|key| key.as_ref().try_into().ok())
        .ok_or(EncryptError::Crypto("no public key"))?;
    // `ring` checks that the subscription's point is on the curve before using it.
    let peer = agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, ua_public);
    agreement::agree_ephemeral(private, &peer, |shared| {
        seal(shared, &as_public, ua_public, auth, &salt, payload)
    })
    .map_err(|_| EncryptError::PublicKey)?
}

/// Everything after the key agreement, deterministic given the shared secret and salt.
fn seal(
    shared: &[u8],
    as_public: &[u8; POINT_LEN],
    ua_public: &[u8; POINT_LEN],
    auth: &[u8; AUTH_LEN],
    salt: &[u8; SALT_LEN],
    payload: &[u8],
) -> Result<Vec<u8>, EncryptError> {
    // RFC 8291 §3.4: the input keying material binds both public keys and the auth secret.
    let mut ikm = [0u8; 32];
    hkdf::Salt::new(hkdf::HKDF_SHA256, auth)
        .extract(shared)
        .expand(
            &[&b"WebPush: info\0"[..], &ua_public[..], &as_public[..]],
            Len(ikm.len()),
        )
        .and_then(|okm| okm.fill(&mut ikm))
        .map_err(|_| EncryptError::Crypto("key derivation"))?;
    // RFC 8188 §2.2 and §2.3: the content-encryption key and the nonce.
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&ikm);
    let key = prk
        .expand(&[b"Content-Encoding: aes128gcm\0"], &aead::AES_128_GCM)
        .map(aead::UnboundKey::from)
        .map(aead::LessSafeKey::new)
        .map_err(|_| EncryptError::Crypto("key derivation"))?;
    let mut nonce = [0u8; aead::NONCE_LEN];
    prk.expand(&[b"Content-Encoding: nonce\0"], Len(nonce.len()))
        .and_then(|okm| okm.fill(&mut nonce))
        .map_err(|_| EncryptError::Crypto("nonce derivation"))?;

    let mut body = Vec::with_capacity(HEADER_LEN + payload.len() + 1 + TAG_LEN);
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(POINT_LEN as u8);
    body.extend_from_slice(as_public);
    body.extend_from_slice(payload);
    // The only record is the last one (RFC 8188 §2).
    body.push(0x02);
    // The first record's nonce is the derived one (its sequence number is 0).
    let tag = key
        .seal_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::empty(),
            &mut body[HEADER_LEN..],
        )
        .map_err(|_| EncryptError::Crypto("sealing"))?;
    body.extend_from_slice(tag.as_ref());
    Ok(body)
}

/// An HKDF output length.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

#[cfg(test)]
mod tests;
