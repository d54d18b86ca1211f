//! The `identity` binary: configuration from the environment, then serve until SIGTERM.

use breakroom_identity::{config::IdentityConfig, startup};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = breakroom_telemetry::init("identity")?;
    let config = IdentityConfig::from_env()?;
    let (server, _app) = startup::build(config, CancellationToken::new()).await?;
    tracing::info!(addr = %server.local_addr(), "identity listening");
    server.run_until_stopped().await?;
    Ok(())
}
