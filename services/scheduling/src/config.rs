//! Scheduling's configuration: the shared settings plus its own `BREAKROOM_*` variables.

use std::{net::SocketAddr, time::Duration};

use breakroom_base::{Error, Result};
use breakroom_chassis::config::Config;

pub use crate::app::{claims::ClaimPolicy, swaps::SwapPolicy};

/// Service name: stream `<NS>_SCHEDULING`, database `breakroom_scheduling`.
pub const SERVICE: &str = "scheduling";
/// Well-known gRPC port.
pub const DEFAULT_PORT: u16 = 50052;

/// Scheduling's settings.
#[derive(Debug, Clone)]
pub struct SchedulingConfig {
    /// The shared settings.
    pub kit: Config,
    /// `BREAKROOM_MAX_SHIFT_HOURS`: longest shift (default 12).
    pub max_shift: Duration,
    /// `BREAKROOM_CALENDAR_LISTEN_ADDR`: where the iCalendar HTTP endpoint listens
    /// (default `127.0.0.1:8052`; port 0 picks one).
    pub calendar_listen_addr: SocketAddr,
    /// `BREAKROOM_CALENDAR_BASE_URL`: the public URL prefix of that endpoint, used in feed
    /// URLs (default `http://<calendar listen addr>`).
    pub calendar_base_url: Option<String>,
    /// `BREAKROOM_CALENDAR_TOKEN_KEY`: base64url 32-byte key deriving feed tokens from
    /// request ids, so a retried CreateCalendarFeed returns the same URL on every replica.
    /// Unset: a random key per process (local runs).
    pub calendar_token_key: [u8; 32],
    /// `BREAKROOM_OPEN_SHIFT_POLICY`: `first_come` (default: the first valid claim wins) or
    /// `approval` (claims wait for a manager). One policy for the deployment for now.
    pub claim_policy: ClaimPolicy,
    /// `BREAKROOM_SWAP_POLICY`: `approval` (default: a manager decides accepted swaps) or
    /// `auto` (acceptance completes the swap).
    pub swap_policy: SwapPolicy,
}

impl SchedulingConfig {
    /// Reads the environment.
    pub fn from_env() -> Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let hours: u64 = match var("BREAKROOM_MAX_SHIFT_HOURS") {
            None => 12,
            Some(v) => v
                .parse()
                .ok()
                .filter(|h| (1..=24).contains(h))
                .ok_or_else(|| Error::invalid("BREAKROOM_MAX_SHIFT_HOURS", "1 to 24"))?,
        };
        let calendar_listen_addr = var("BREAKROOM_CALENDAR_LISTEN_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8052".into())
            .parse()
            .map_err(|_| Error::invalid("BREAKROOM_CALENDAR_LISTEN_ADDR", "not host:port"))?;
        Ok(Self {
            kit: Config::from_env(SERVICE, DEFAULT_PORT)?,
            max_shift: Duration::from_secs(hours * 3600),
            calendar_listen_addr,
            calendar_base_url: var("BREAKROOM_CALENDAR_BASE_URL"),
            claim_policy: match var("BREAKROOM_OPEN_SHIFT_POLICY").as_deref() {
                None | Some("first_come") => ClaimPolicy::FirstCome,
                Some("approval") => ClaimPolicy::Approval,
                Some(_) => {
                    return Err(Error::invalid(
                        "BREAKROOM_OPEN_SHIFT_POLICY",
                        "first_come or approval",
                    ));
                }
            },
            swap_policy: match var("BREAKROOM_SWAP_POLICY").as_deref() {
                None | Some("approval") => SwapPolicy::Approval,
                Some("auto") => SwapPolicy::Auto,
                Some(_) => return Err(Error::invalid("BREAKROOM_SWAP_POLICY", "approval or auto")),
            },
            calendar_token_key: match var("BREAKROOM_CALENDAR_TOKEN_KEY") {
                Some(key) => {
                    use base64::Engine;
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(key.trim())
                        .ok()
                        .and_then(|raw| <[u8; 32]>::try_from(raw).ok())
                        .ok_or_else(|| {
                            Error::invalid("BREAKROOM_CALENDAR_TOKEN_KEY", "base64url, 32 bytes")
                        })?
                }
                None => {
                    tracing::warn!("BREAKROOM_CALENDAR_TOKEN_KEY unset: using a random key");
                    rand::random()
                }
            },
        })
    }

    /// Defaults around shared settings `kit` (tests, tools): calendar on a free port.
    pub fn new(kit: Config) -> Self {
        Self {
            kit,
            max_shift: Duration::from_secs(12 * 3600),
            calendar_listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            calendar_base_url: None,
            calendar_token_key: rand::random(),
            claim_policy: ClaimPolicy::FirstCome,
            swap_policy: SwapPolicy::Approval,
        }
    }
}
