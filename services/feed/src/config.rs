//! Feed's configuration: the shared settings (`NATS_URL`, `DATABASE_URL`,
//! `GRPC_LISTEN_ADDR` default `127.0.0.1:50053`, `BREAKROOM_NAMESPACE`, ...) and its own.

use breakroom_base::{Error, Result};
use breakroom_chassis::config::Config;

/// Service name: stream `<NS>_FEED`, database `breakroom_feed`.
pub const SERVICE: &str = "feed";
/// Well-known gRPC port.
pub const DEFAULT_PORT: u16 = 50053;

/// Feed's settings.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// The shared settings.
    pub kit: Config,
    /// `BREAKROOM_MAX_AUDIENCE`: the largest announcement audience (default 200,000);
    /// larger ones are refused rather than resolved half.
    pub max_audience: usize,
}

impl FeedConfig {
    /// Reads the environment.
    pub fn from_env() -> Result<Self> {
        let max_audience = match std::env::var("BREAKROOM_MAX_AUDIENCE") {
            Ok(v) if !v.is_empty() => v
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| Error::invalid("BREAKROOM_MAX_AUDIENCE", "a positive number"))?,
            _ => 200_000,
        };
        Ok(Self {
            kit: Config::from_env(SERVICE, DEFAULT_PORT)?,
            max_audience,
        })
    }

    /// Defaults around shared settings `kit` (tests, tools).
    pub fn new(kit: Config) -> Self {
        Self {
            kit,
            max_audience: 200_000,
        }
    }
}
