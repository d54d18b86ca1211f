//! The `web` binary: settings from the environment, then serve until SIGTERM.

use breakroom_web::{Application, WebConfig};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = WebConfig::from_env()?;
    if config.cookie_key_generated {
        tracing::warn!(
            "BREAKROOM_WEB_COOKIE_KEY is not set: a random key seals sessions, so they end \
             when this process stops and other replicas cannot read them"
        );
    }
    let app = Application::build(config).await?;
    tracing::info!(port = app.port(), "web listening");
    app.run_until_stopped().await?;
    Ok(())
}
