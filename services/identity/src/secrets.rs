//! Secrets handed to people and programs, and how they are kept: invite codes, refresh
//! tokens and API keys are random and stored only as SHA-256 digests (they carry enough
//! entropy that a fast hash is safe); passwords are chosen by people and stored as
//! argon2id hashes, computed off the async runtime with bounded concurrency.

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
    password_hash::SaltString,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use breakroom_base::{Error, Result};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// SHA-256 of a secret.
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

fn random_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// Makes secrets for requests: random ones, or, when the client sent a `request_id`,
/// ones derived from it with a server-side key. A retried request then hands out the same
/// invite code, API key or refresh token that the first attempt stored the hash of,
/// while nobody without the key can predict them.
#[derive(Clone)]
pub struct Secrets {
    key: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(***)")
    }
}

impl Secrets {
    /// Secrets keyed by the server's signing-key seed (domain-separated from signing).
    pub fn new(seed: &[u8; 32]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"breakroom-identity/request-secrets/v1\0");
        hasher.update(seed);
        Self {
            key: hasher.finalize().into(),
        }
    }

    /// 32 secret bytes for `purpose` and `parts`: derived when a request id is among the
    /// inputs (`request_id` is `Some`), random otherwise.
    pub fn bytes(&self, purpose: &str, parts: &[&str], request_id: Option<&str>) -> [u8; 32] {
        let Some(request_id) = request_id else {
            return rand::random();
        };
        let mut hasher = Sha256::new();
        hasher.update(self.key);
        for part in std::iter::once(purpose)
            .chain(parts.iter().copied())
            .chain([request_id])
        {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.finalize().into()
    }

    /// The secret part of a token, base64url.
    pub fn token(&self, purpose: &str, parts: &[&str], request_id: Option<&str>) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes(purpose, parts, request_id))
    }
}

/// Crockford's base32 alphabet: no I, L, O or U, so codes survive being read aloud or typed.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// An invite code: 16 symbols (80 bits of `entropy`), shown as `XXXX-XXXX-XXXX-XXXX`.
pub fn invite_code(entropy: &[u8; 32]) -> String {
    let mut bits: u128 = 0;
    for byte in &entropy[..10] {
        bits = (bits << 8) | u128::from(*byte);
    }
    let symbols: Vec<char> = (0..16)
        .rev()
        .map(|i| char::from(CROCKFORD[((bits >> (i * 5)) & 31) as usize]))
        .collect();
    symbols
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The digest of an invite code as typed: case, dashes and spaces do not matter, and the
/// letters people confuse with digits are read as those digits.
pub fn invite_code_digest(typed: &str) -> Option<Vec<u8>> {
    let canonical: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    let valid = canonical.len() == 16 && canonical.bytes().all(|b| CROCKFORD.contains(&b));
    valid.then(|| digest(&canonical))
}

/// Where a refresh token belongs; the token names its family so that it can be checked
/// against the one user aggregate that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenParts {
    /// Tenant id.
    pub tenant: String,
    /// User id.
    pub user: String,
    /// Session id.
    pub session: String,
}

const REFRESH_PREFIX: &str = "brt1";
const API_KEY_PREFIX: &str = "brk1";

/// A refresh token for a session: `brt1.<tenant>.<user>.<session>.<secret>`.
pub fn refresh_token(parts: &RefreshTokenParts, secret: &str) -> String {
    format!(
        "{REFRESH_PREFIX}.{}.{}.{}.{secret}",
        parts.tenant, parts.user, parts.session
    )
}

/// Splits a refresh token; `None` when it is not one.
pub fn parse_refresh_token(token: &str) -> Option<RefreshTokenParts> {
    match token.split('.').collect::<Vec<_>>().as_slice() {
        [REFRESH_PREFIX, tenant, user, session, secret]
            if !tenant.is_empty()
                && !user.is_empty()
                && !session.is_empty()
                && secret.len() == 43 =>
        {
            Some(RefreshTokenParts {
                tenant: (*tenant).to_owned(),
                user: (*user).to_owned(),
                session: (*session).to_owned(),
            })
        }
        _ => None,
    }
}

/// An API key for a service account: `brk1.<tenant>.<service account>.<secret>`.
pub fn api_key(tenant: &str, service_account: &str, secret: &str) -> String {
    format!("{API_KEY_PREFIX}.{tenant}.{service_account}.{secret}")
}

/// Splits an API key into `(tenant, service account id)`; `None` when it is not one.
pub fn parse_api_key(key: &str) -> Option<(String, String)> {
    match key.split('.').collect::<Vec<_>>().as_slice() {
        [API_KEY_PREFIX, tenant, account, secret]
            if !tenant.is_empty() && !account.is_empty() && secret.len() == 43 =>
        {
            Some(((*tenant).to_owned(), (*account).to_owned()))
        }
        _ => None,
    }
}

/// argon2id cost settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Settings {
    /// Memory in KiB (`BREAKROOM_ARGON2_MEMORY_KIB`, default 19456 = 19 MiB).
    pub memory_kib: u32,
    /// Passes (`BREAKROOM_ARGON2_ITERATIONS`, default 2).
    pub iterations: u32,
    /// Lanes (`BREAKROOM_ARGON2_PARALLELISM`, default 1).
    pub parallelism: u32,
}

impl Default for Argon2Settings {
    /// OWASP's first recommended argon2id configuration.
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords on blocking threads, at most `concurrency` at once, so
/// that a burst of logins queues instead of exhausting memory or starving the runtime.
#[derive(Clone)]
pub struct Passwords {
    argon2: Arc<Argon2<'static>>,
    permits: Arc<Semaphore>,
    /// Verified when the account is unknown or has no password, so that every failure
    /// path costs the same time.
    decoy: Arc<String>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("params", self.argon2.params())
            .finish()
    }
}

impl Passwords {
    /// A hasher with `settings`, running up to `concurrency` hashes at once.
    pub fn new(settings: Argon2Settings, concurrency: usize) -> Result<Self> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| Error::invalid("BREAKROOM_ARGON2_*", e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let decoy = hash_with(&argon2, &random_secret())?;
        Ok(Self {
            argon2: Arc::new(argon2),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            decoy: Arc::new(decoy),
        })
    }

    /// The argon2id PHC string of `password`.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let argon2 = self.argon2.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_with(&argon2, &password))
            .await
            .map_err(Error::internal)?
    }

    /// Whether `password` matches `stored`; with no stored hash it does the same work and
    /// answers false.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let argon2 = self.argon2.clone();
        let password = password.to_owned();
        let (phc, real) = match stored {
            Some(phc) if !phc.is_empty() => (phc.to_owned(), true),
            _ => (self.decoy.as_str().to_owned(), false),
        };
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&phc)
                .map(|parsed| argon2.verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .map_err(Error::internal)?;
        Ok(real && matches)
    }
}

fn hash_with(argon2: &Argon2<'_>, password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| Error::internal(anyhow::anyhow!("salt: {e}")))?;
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::internal(anyhow::anyhow!("argon2: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn invite_codes_survive_retyping() {
        let code = invite_code(&rand::random());
        assert_eq!(code.len(), 19);
        let sloppy = code.to_lowercase().replace('-', " ");
        assert_eq!(invite_code_digest(&code), invite_code_digest(&sloppy));
        assert_eq!(
            invite_code_digest("0000-1111-2222-3333"),
            invite_code_digest("oooo-IlIl-2222-3333")
        );
        assert!(invite_code_digest("too-short").is_none());
        assert!(invite_code_digest("UUUU-UUUU-UUUU-UUUU").is_none());
    }

    #[test]
    fn tokens_name_their_owner_and_reject_lookalikes() {
        let parts = RefreshTokenParts {
            tenant: "acme".into(),
            user: "u1".into(),
            session: "s1".into(),
        };
        let secrets = Secrets::new(&[1; 32]);
        let token = refresh_token(&parts, &secrets.token("refresh", &[], None));
        assert_eq!(parse_refresh_token(&token), Some(parts));
        assert!(parse_refresh_token("brt1.acme.u1.s1.short").is_none());
        let key = api_key("acme", "sa1", &secrets.token("api-key", &[], None));
        assert_eq!(parse_api_key(&key), Some(("acme".into(), "sa1".into())));
        assert!(parse_api_key(&token).is_none());
    }

    #[test]
    fn request_secrets_repeat_for_a_retry_and_differ_otherwise() {
        let secrets = Secrets::new(&[1; 32]);
        let first = secrets.token("invite", &["acme", "u1"], Some("r1"));
        assert_eq!(first, secrets.token("invite", &["acme", "u1"], Some("r1")));
        assert_ne!(first, secrets.token("invite", &["acme", "u1"], Some("r2")));
        assert_ne!(first, secrets.token("invite", &["acme", "u2"], Some("r1")));
        assert_ne!(
            first,
            Secrets::new(&[2; 32]).token("invite", &["acme", "u1"], Some("r1"))
        );
        assert_ne!(
            secrets.token("invite", &["acme"], None),
            secrets.token("invite", &["acme"], None)
        );
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_hash_only() {
        let passwords = Passwords::new(
            Argon2Settings {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap();
        let hash = passwords.hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert!(
            passwords
                .verify("correct horse battery", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("wrong horse battery", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("correct horse battery", None)
                .await
                .unwrap()
        );
    }
}
