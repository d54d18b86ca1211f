//! Identity's configuration: the settings every service shares plus its own `BREAKROOM_*`
//! variables, each with a default that works on a developer machine.

use std::{path::PathBuf, time::Duration};

use breakroom_base::{Error, Result};
use breakroom_chassis::config::Config;
use breakroom_directory::invite_delivery::InviteDeliveryKey;

use crate::{proxies::TrustedProxies, secrets::Argon2Settings};

/// Service name: stream `<NS>_IDENTITY`, database `breakroom_identity`.
pub const SERVICE: &str = "identity";
/// Name of identity's second stream, `<NS>_IDENTITY_SECRETS` with subjects
/// `<ns>.identity_secrets.>`: the credentials, which no other service may read.
pub const SECRETS_SERVICE: &str = "identity_secrets";
/// Well-known gRPC port.
pub const DEFAULT_PORT: u16 = 50051;

/// Where the token signing key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKeySource {
    /// `BREAKROOM_SIGNING_KEY`: the base64url 32-byte Ed25519 seed (production, from a
    /// Kubernetes Secret).
    Seed(String),
    /// `BREAKROOM_SIGNING_KEY_FILE`: a file holding the seed; created with a new random key
    /// when missing (local runs). Default `.breakroom/identity-signing-key`.
    File(PathBuf),
}

/// Identity's settings.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// The shared settings (`NATS_URL`, `DATABASE_URL`, ...).
    pub kit: Config,
    /// `BREAKROOM_OPERATOR_TOKEN`: the platform operator's bearer token, the only credential
    /// that may create tenants. Unset disables operator calls.
    pub operator_token: Option<String>,
    /// The current signing key.
    pub signing_key: SigningKeySource,
    /// `BREAKROOM_SIGNING_KEY_ID`: the key id (`kid`) of the current key; default derived
    /// from the public key, so rotating the key rotates the id.
    pub signing_key_id: Option<String>,
    /// `BREAKROOM_SIGNING_KEY_LIFETIME_DAYS`: how long verifiers accept a key after it is
    /// first published (default 180); rotate well before.
    pub signing_key_lifetime: Duration,
    /// `BREAKROOM_ACCESS_TOKEN_TTL_SECS` (default 900 = 15 min).
    pub access_token_ttl: Duration,
    /// `BREAKROOM_REFRESH_TOKEN_TTL_DAYS`: a session ends when it is not refreshed for this
    /// long (default 30).
    pub refresh_token_ttl: Duration,
    /// `BREAKROOM_INVITE_TTL_DAYS` (default 14).
    pub invite_ttl: Duration,
    /// `BREAKROOM_ARGON2_MEMORY_KIB`, `BREAKROOM_ARGON2_ITERATIONS`, `BREAKROOM_ARGON2_PARALLELISM`.
    pub argon2: Argon2Settings,
    /// `BREAKROOM_LOGIN_FAILURES_PER_ACCOUNT`: failed logins per account within 15 min after
    /// which further attempts are refused (default 10).
    pub failures_per_account: u32,
    /// `BREAKROOM_LOGIN_FAILURES_PER_SOURCE`: failed logins per source address within 15 min
    /// after which further attempts are refused (default 100; shops share one address).
    pub failures_per_source: u32,
    /// `BREAKROOM_TRUSTED_PROXIES`: comma-separated IPs and CIDRs of the proxies (an
    /// ingress) whose `X-Forwarded-For` names the client; empty (default) trusts none, and
    /// the source of a login is its TCP peer.
    pub trusted_proxies: TrustedProxies,
    /// `BREAKROOM_INVITE_DELIVERY_KEY`: 32 bytes, base64url, shared only with
    /// notifications (a Secret). When set, every invite code issued is also recorded on
    /// `UserInvited`, sealed with it, so notifications can e-mail it; unset (default):
    /// nothing sealed is recorded and nobody is e-mailed a code.
    pub invite_delivery_key: Option<InviteDeliveryKey>,
}

const DAY: u64 = 24 * 3600;

impl IdentityConfig {
    /// Reads the environment.
    pub fn from_env() -> Result<Self> {
        let kit = Config::from_env(SERVICE, DEFAULT_PORT)?;
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let number = |name: &str, default: u64| -> Result<u64> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| Error::invalid(name, "must be a whole number")),
            }
        };
        let small = |name: &str, default: u64| -> Result<u32> {
            u32::try_from(number(name, default)?).map_err(|_| Error::invalid(name, "too large"))
        };
        let signing_key = match (
            var("BREAKROOM_SIGNING_KEY"),
            var("BREAKROOM_SIGNING_KEY_FILE"),
        ) {
            (Some(seed), _) => SigningKeySource::Seed(seed),
            (None, Some(path)) => SigningKeySource::File(path.into()),
            (None, None) => SigningKeySource::File(".breakroom/identity-signing-key".into()),
        };
        Ok(Self {
            kit,
            operator_token: var("BREAKROOM_OPERATOR_TOKEN"),
            signing_key,
            signing_key_id: var("BREAKROOM_SIGNING_KEY_ID"),
            signing_key_lifetime: Duration::from_secs(
                number("BREAKROOM_SIGNING_KEY_LIFETIME_DAYS", 180)? * DAY,
            ),
            access_token_ttl: Duration::from_secs(number("BREAKROOM_ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_token_ttl: Duration::from_secs(
                number("BREAKROOM_REFRESH_TOKEN_TTL_DAYS", 30)? * DAY,
            ),
            invite_ttl: Duration::from_secs(number("BREAKROOM_INVITE_TTL_DAYS", 14)? * DAY),
            argon2: Argon2Settings {
                memory_kib: small("BREAKROOM_ARGON2_MEMORY_KIB", 19_456)?,
                iterations: small("BREAKROOM_ARGON2_ITERATIONS", 2)?,
                parallelism: small("BREAKROOM_ARGON2_PARALLELISM", 1)?,
            },
            failures_per_account: small("BREAKROOM_LOGIN_FAILURES_PER_ACCOUNT", 10)?,
            failures_per_source: small("BREAKROOM_LOGIN_FAILURES_PER_SOURCE", 100)?,
            trusted_proxies: TrustedProxies::parse(
                "BREAKROOM_TRUSTED_PROXIES",
                &var("BREAKROOM_TRUSTED_PROXIES").unwrap_or_default(),
            )?,
            invite_delivery_key: InviteDeliveryKey::from_env()?,
        })
    }

    /// Defaults around shared settings `kit` (tests, tools).
    pub fn new(kit: Config, signing_key: SigningKeySource) -> Self {
        Self {
            kit,
            operator_token: None,
            signing_key,
            signing_key_id: None,
            signing_key_lifetime: Duration::from_secs(180 * DAY),
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(30 * DAY),
            invite_ttl: Duration::from_secs(14 * DAY),
            argon2: Argon2Settings::default(),
            failures_per_account: 10,
            failures_per_source: 100,
            trusted_proxies: TrustedProxies::default(),
            invite_delivery_key: None,
        }
    }
}
