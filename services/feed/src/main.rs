//! The `feed` binary: configuration from the environment, then serve until SIGTERM.

use breakroom_feed::{config::FeedConfig, startup};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = breakroom_telemetry::init("feed")?;
    let config = FeedConfig::from_env()?;
    let server = startup::build(config).await?;
    tracing::info!(addr = %server.local_addr(), "feed listening");
    server.run_until_stopped().await?;
    Ok(())
}
