//! Access tokens: EdDSA (Ed25519) JWTs signed by identity and verified locally by every
//! service against a key set, without a call to identity per request.
//!
//! A token names the user (`sub`), the tenant (`tid`) and the session (`sid`); a service
//! turns it into a `Principal` and decides authorization from its own projection of
//! memberships and roles. Only `EdDSA` is accepted, so `alg: none` and HMAC confusion
//! attacks fail before any key is looked at.

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use breakroom_base::error::{Error, Result};
use ed25519_dalek::{SigningKey, pkcs8::EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lru::LruCache;
use serde::{Deserialize, Serialize};

/// `iss` of every access token.
pub const ISSUER: &str = "breakroom-identity";
/// `aud` of every access token.
pub const AUDIENCE: &str = "breakroom";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer, always `breakroom-identity`.
    pub iss: String,
    /// Audience, always `breakroom`.
    pub aud: String,
    /// Subject: the user id (or service account id).
    pub sub: String,
    /// Tenant (chain) id.
    pub tid: String,
    /// Session id (revocation, refresh families).
    pub sid: String,
    /// `user` or `service_account`.
    #[serde(default)]
    pub kind: String,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Expires at (seconds since the epoch).
    pub exp: u64,
}

/// Who is calling, as proven by a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User or service account id.
    pub user: String,
    /// Tenant the token was issued for.
    pub tenant: String,
    /// Session id.
    pub session: String,
    /// Whether this is a service account (integration).
    pub service_account: bool,
}

impl Principal {
    /// Resource name of the caller (`tenants/t/users/u`), used as the commit actor.
    pub fn resource_name(&self) -> String {
        let collection = if self.service_account {
            "serviceAccounts"
        } else {
            "users"
        };
        format!("tenants/{}/{collection}/{}", self.tenant, self.user)
    }

    /// Command metadata for a request of this principal: the actor (its resource name, so
    /// a service account is recorded as `tenants/t/serviceAccounts/s`) and the checked
    /// request id.
    pub fn meta(&self, request_id: &str) -> Result<breakroom_events::envelope::CommandMeta> {
        breakroom_events::envelope::CommandMeta::for_request(self.resource_name(), request_id)
    }

    /// Fails with UNAUTHENTICATED unless the token was issued for `tenant`.
    pub fn require_tenant(&self, tenant: &str) -> Result<()> {
        if self.tenant == tenant {
            Ok(())
        } else {
            Err(Error::Unauthenticated(
                "token is not valid for this tenant".into(),
            ))
        }
    }
}

/// Tokens whose verification is remembered: a client sends the same access token with
/// every call for its whole lifetime, so a hit skips the signature check (the costly part)
/// and only the expiry is looked at again.
const VERIFIED_TOKENS: usize = 16_384;
/// Seconds a token is still accepted after its `exp` (clock skew between services).
const LEEWAY_SECS: u64 = 30;

/// Public keys by key id; shared and updatable (keys arrive by configuration or events).
#[derive(Clone)]
pub struct KeySet {
    keys: Arc<RwLock<HashMap<String, Key>>>,
    /// Recently verified tokens with their principal and the second until which they stay
    /// acceptable (`exp` plus leeway, or the key's end if sooner); emptied whenever a key
    /// changes, so a retired key's tokens are checked (and refused) afresh.
    verified: Arc<Mutex<LruCache<String, (Principal, u64)>>>,
    /// Set once every key published so far has been read (see `signing_keys::follow`):
    /// until then a valid token may be refused, so servers report NOT_SERVING.
    loaded: Arc<std::sync::atomic::AtomicBool>,
}

impl Default for KeySet {
    fn default() -> Self {
        let size = NonZeroUsize::new(VERIFIED_TOKENS).unwrap_or(NonZeroUsize::MIN);
        Self {
            keys: Arc::default(),
            verified: Arc::new(Mutex::new(LruCache::new(size))),
            loaded: Arc::default(),
        }
    }
}

/// A verification key and the instant after which it is no longer accepted.
#[derive(Clone)]
struct Key {
    decoding: DecodingKey,
    not_after: Option<SystemTime>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self
            .keys
            .read()
            .map(|k| k.keys().cloned().collect())
            .unwrap_or_default();
        f.debug_struct("KeySet").field("kids", &kids).finish()
    }
}

impl KeySet {
    /// An empty key set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a key: `x` is the base64url raw Ed25519 public key (JWK `x`).
    pub fn insert(&self, kid: &str, x: &str) -> Result<()> {
        self.insert_until(kid, x, None)
    }

    /// Adds or replaces a key that verifies tokens only until `not_after`.
    pub fn insert_until(&self, kid: &str, x: &str, not_after: Option<SystemTime>) -> Result<()> {
        let raw = URL_SAFE_NO_PAD
            .decode(x)
            .map_err(|_| Error::invalid("x", "not base64url"))?;
        if raw.len() != 32 {
            return Err(Error::invalid("x", "an Ed25519 public key has 32 bytes"));
        }
        let key =
            DecodingKey::from_ed_components(x).map_err(|e| Error::invalid("x", e.to_string()))?;
        if let Ok(mut keys) = self.keys.write() {
            keys.insert(
                kid.to_owned(),
                Key {
                    decoding: key,
                    not_after,
                },
            );
        }
        self.forget_verified();
        Ok(())
    }

    /// Notes that every key published so far is in the set.
    pub fn set_loaded(&self) {
        self.loaded.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether every key published so far is in the set.
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether a key id is known.
    pub fn contains(&self, kid: &str) -> bool {
        self.keys.read().is_ok_and(|keys| keys.contains_key(kid))
    }

    /// Removes a key (retired after rotation).
    pub fn remove(&self, kid: &str) {
        if let Ok(mut keys) = self.keys.write() {
            keys.remove(kid);
        }
        self.forget_verified();
    }

    fn forget_verified(&self) {
        if let Ok(mut verified) = self.verified.lock() {
            verified.clear();
        }
    }

    fn remembered(&self, token: &str) -> Option<Principal> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut verified = self.verified.lock().ok()?;
        match verified.get(token) {
            Some((principal, valid_until)) if *valid_until > now => Some(principal.clone()),
            Some(_) => {
                verified.pop(token);
                None
            }
            None => None,
        }
    }

    /// Verifies a compact JWT and returns its principal.
    pub fn verify(&self, token: &str) -> Result<Principal> {
        if let Some(principal) = self.remembered(token) {
            return Ok(principal);
        }
        let unauthenticated = |why: &str| Error::Unauthenticated(why.to_owned());
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| unauthenticated("malformed token"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(unauthenticated("unsupported token algorithm"));
        }
        let kid = header
            .kid
            .ok_or_else(|| unauthenticated("token has no key id"))?;
        let Some(key) = self
            .keys
            .read()
            .ok()
            .and_then(|keys| keys.get(&kid).cloned())
        else {
            // A replica that has not read identity's keys yet (just started, reached by a
            // client before its readiness says so) cannot tell a valid token from a
            // forged one: "retry" rather than "log out".
            return Err(if self.is_loaded() {
                unauthenticated("token signed with an unknown key")
            } else {
                Error::Unavailable("signing keys are still loading; retry".into())
            });
        };
        if key.not_after.is_some_and(|end| end < SystemTime::now()) {
            return Err(unauthenticated("token signed with a retired key"));
        }
        let key_end = key
            .not_after
            .map(|end| end.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs());
        let key = key.decoding;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "aud", "iss"]);
        validation.leeway = LEEWAY_SECS;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => unauthenticated("token expired"),
                ErrorKind::InvalidSignature => unauthenticated("invalid token signature"),
                _ => unauthenticated("invalid token"),
            }
        })?;
        let claims = data.claims;
        if claims.tid.is_empty() || claims.sid.is_empty() {
            return Err(unauthenticated("token lacks tenant or session"));
        }
        let principal = Principal {
            user: claims.sub,
            tenant: claims.tid,
            session: claims.sid,
            service_account: claims.kind == "service_account",
        };
        if let Ok(mut verified) = self.verified.lock() {
            let valid_until = (claims.exp + LEEWAY_SECS).min(key_end.unwrap_or(u64::MAX));
            verified.put(token.to_owned(), (principal.clone(), valid_until));
        }
        Ok(principal)
    }

    /// Verifies the `authorization: Bearer <token>` metadata of a request.
    /// Two `authorization` entries are refused: proxies and servers disagree on which one
    /// counts, and a request must not be authenticated by one while looking like the other.
    pub fn authenticate<T>(&self, request: &tonic::Request<T>) -> Result<Principal> {
        let value = single_authorization(request.metadata())?
            .ok_or_else(|| Error::Unauthenticated("missing authorization metadata".into()))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                Error::Unauthenticated("authorization must be 'Bearer <token>'".into())
            })?;
        self.verify(token.trim())
    }
}

/// The one `authorization` metadata entry of a request (`None` when absent);
/// UNAUTHENTICATED when there are several, whatever they hold.
pub fn single_authorization(
    metadata: &tonic::metadata::MetadataMap,
) -> Result<Option<&tonic::metadata::MetadataValue<tonic::metadata::Ascii>>> {
    let mut values = metadata.get_all("authorization").iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(Error::Unauthenticated(
            "more than one authorization entry; send exactly one".into(),
        ));
    }
    Ok(first)
}

/// An Ed25519 signing key with its key id.
#[derive(Clone)]
pub struct Signer {
    kid: String,
    signing: SigningKey,
    encoding: EncodingKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from the raw 32-byte Ed25519 seed.
    pub fn from_seed(kid: &str, seed: &[u8; 32]) -> Result<Self> {
        let signing = SigningKey::from_bytes(seed);
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| Error::internal(anyhow::anyhow!("encode signing key: {e}")))?;
        Ok(Self {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            signing,
        })
    }

    /// A new random signing key.
    pub fn generate(kid: &str) -> Result<Self> {
        let seed: [u8; 32] = rand::random();
        Self::from_seed(kid, &seed)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The raw seed (to persist a generated key).
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The public key, base64url (JWK `x`).
    pub fn public_x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.signing.verifying_key().as_bytes())
    }

    /// Signs an access token for `principal`, valid for `ttl` from `now`.
    pub fn sign(&self, principal: &Principal, now: SystemTime, ttl: Duration) -> Result<String> {
        let iat = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: principal.user.clone(),
            tid: principal.tenant.clone(),
            sid: principal.session.clone(),
            kind: if principal.service_account {
                "service_account"
            } else {
                "user"
            }
            .into(),
            iat,
            exp: iat + ttl.as_secs(),
        };
        self.sign_claims(&claims)
    }

    /// Signs arbitrary claims (tests forge tokens with it).
    pub fn sign_claims(&self, claims: &Claims) -> Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| Error::internal(anyhow::anyhow!("sign token: {e}")))
    }
}

#[cfg(test)]
mod tests;
