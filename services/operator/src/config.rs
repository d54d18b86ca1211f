//! The operator's settings, from the environment.

/// Typed configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `BREAKROOM_IDENTITY_URL`: identity's gRPC endpoint (default `http://127.0.0.1:50051`).
    pub identity_url: String,
    /// `BREAKROOM_OPERATOR_TOKEN`: the platform operator's bearer token (required).
    pub operator_token: String,
}

impl Config {
    /// Reads the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(Self {
            identity_url: var("BREAKROOM_IDENTITY_URL")
                .unwrap_or_else(|| "http://127.0.0.1:50051".into()),
            operator_token: var("BREAKROOM_OPERATOR_TOKEN")
                .ok_or_else(|| anyhow::anyhow!("BREAKROOM_OPERATOR_TOKEN is required"))?,
        })
    }
}
